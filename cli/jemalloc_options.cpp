// jemalloc's options, read once when it starts (linked only with
// PGSHIFT_JEMALLOC; MALLOC_CONF in the environment still overrides them).
//
// One arena: a plan loads its YAML on a second thread while the catalog is
// read (cli/planning.cpp), and with an arena per thread the memory the
// loader's thread freed was not reused by the main thread's later
// allocations: 670 MB peak for a no-op plan of 10,000 tables against 530 MB
// with one arena, for the same time (two threads hardly contend).
extern "C" {
// NOLINTNEXTLINE: the name and type are jemalloc's.
const char* malloc_conf = "narenas:1";
}
