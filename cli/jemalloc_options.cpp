// jemalloc's options, read once when it starts (linked only with
// PGSHIFT_JEMALLOC; MALLOC_CONF in the environment still overrides them).
//
// One arena: a plan loads its YAML on a second thread while the catalog is
// read (cli/planning.cpp), and with an arena per thread the memory the
// loader's thread freed was not reused by the main thread's later
// allocations: 670 MB peak for a no-op plan of 10,000 tables against 530 MB
// with one arena, for the same time (two threads hardly contend).
//
// Freed pages go back to the kernel over about a second (dirty_decay_ms:1000,
// then no muzzy stage), not at once and not never. With jemalloc's default
// (10 s, then muzzy) the freed pages were handed back and faulted in again
// all the time. With no decay at all (dirty_decay_ms:-1, the setting
// before) the pages of one phase (the YAML text and tree,
// the catalog's rows) stayed resident although the next phase's objects
// mostly did not fit in them: alternating runs on the 10,000-table benchmark
// copy, no-op plan 1.30-1.33 s and 275-281 MB with a second's decay against
// 1.24-1.53 s and 315-321 MB without; drift 1.26-1.37 s, 273-281 MB against
// 1.25-1.42 s, 315-321 MB; inspect 0.84-0.93 s, 140-149 MB against
// 0.82-0.97 s, 173-177 MB. Immediate return (dirty_decay_ms:0) peaked a little
// lower still (249-272 MB) but paid more system time (plan 1.31-1.41 s).
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
const char* malloc_conf =
    "narenas:1,dirty_decay_ms:1000,muzzy_decay_ms:0,thp:always,metadata_thp:always";
}
