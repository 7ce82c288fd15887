// jemalloc's options, read once when it starts (linked only with
// PGSHIFT_JEMALLOC; MALLOC_CONF in the environment still overrides them).
//
// One arena: a plan loads its YAML on a second thread while the catalog is
// read (cli/planning.cpp), and with an arena per thread the memory the
// loader's thread freed was not reused by the main thread's later
// allocations: 670 MB peak for a no-op plan of 10,000 tables against 530 MB
// with one arena, for the same time (two threads hardly contend).
//
// No decay of freed pages (dirty_decay_ms:-1): a run frees and allocates
// again all the time (the YAML tree, the catalog's rows, the models), and
// with jemalloc's default decay the freed pages were handed back to the
// kernel and faulted in again. Kept for reuse instead, a no-op plan of
// 10,000 tables took about 1.5 s less (user CPU 2.9 s instead of 4.4 s,
// medians of alternating runs) and peaked about 80 MB higher (565 MB
// instead of 485 MB): the high-water mark stays until pgshift exits.
//
// Transparent huge pages for the heap and jemalloc's own metadata
// (thp:always asks with madvise, so a kernel whose THP setting is "madvise",
// Debian's default, gives them; with "never" nothing changes): a no-op plan
// of 10,000 tables spent about a quarter of its user CPU on TLB misses and
// page faults over 280 MB of small objects. Alternating runs: user CPU 1.9 to
// 2.0 s without, 1.3 to 1.5 s with; peak RSS about 12 MB higher (2 MB pages
// are filled less densely).
extern "C" {
// NOLINTNEXTLINE: the name and type are jemalloc's.
const char* malloc_conf = "narenas:1,dirty_decay_ms:-1,thp:always,metadata_thp:always";
}
