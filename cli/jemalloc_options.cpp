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
// No transparent huge pages (jemalloc's default: it does not ask for them).
// They were asked for (thp:always, metadata_thp:always) when a no-op plan
// of 10,000 tables spent a quarter of its user CPU on TLB misses on another
// machine. On this one, the pages of a freed 2 MB region were zeroed again
// whole at each fault (the kernel's clear_page_erms under
// do_huge_pmd_anonymous_page: 73% of an inspect's samples right after a
// large process had freed its memory): alternating runs on the 10,000-table
// benchmark copy, each after @pgkit/migra's diff, inspect 1.51/0.89 s
// against 1.00/0.91 s, no-op plan 2.01/1.79 s (1.1 to 1.4 s of system time)
// against 1.44/1.36 s, drift 2.36/1.89 s against 1.50 s, and peaks 310 MB
// against 265 MB; the same user time.
extern "C" {
// NOLINTNEXTLINE: the name and type are jemalloc's.
const char* malloc_conf = "narenas:1,dirty_decay_ms:1000,muzzy_decay_ms:0";
}
