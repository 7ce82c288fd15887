// Partitioned tables end to end: indexes and keys of a populated partitioned
// table are built partition by partition (ON ONLY, CONCURRENTLY, ATTACH) and
// a partition's own indexes and constraints are planned like any table's.
// Each case plans, runs the SQL with psql (or pgshift apply), plans again
// (nothing left) and checks the rows and the catalog.
#include <catch2/catch.hpp>
#include <string>

#include "tests/support/converge.hpp"

using namespace pgshift::testing;

namespace {

// ev: range-partitioned by day; ev_2024 a plain partition, ev_2025
// partitioned again by hash of id, ev_2023 a partition the desired schema
// drops. 3,000 rows spread over every partition.
constexpr const char* kEvents = R"sql(
CREATE TABLE ev (id bigint NOT NULL, at date NOT NULL, note text) PARTITION BY RANGE (at);
CREATE TABLE ev_2023 PARTITION OF ev FOR VALUES FROM ('2023-01-01') TO ('2024-01-01');
CREATE TABLE ev_2024 PARTITION OF ev FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE TABLE ev_2025 PARTITION OF ev FOR VALUES FROM ('2025-01-01') TO ('2026-01-01')
  PARTITION BY HASH (id);
CREATE TABLE ev_2025_a PARTITION OF ev_2025 FOR VALUES WITH (MODULUS 2, REMAINDER 0);
CREATE TABLE ev_2025_b PARTITION OF ev_2025 FOR VALUES WITH (MODULUS 2, REMAINDER 1);
INSERT INTO ev SELECT g, date '2023-01-01' + (g % 1000), 'n' || g FROM generate_series(1, 3000) g;
ANALYZE;
)sql";

constexpr const char* kColumns =
    "        columns:\n"
    "          id: { type: bigint, nullable: false }\n"
    "          at: { type: date, nullable: false }\n"
    "          note: text\n";

// The desired schema: `parent` is what ev gets besides its columns, `local`
// what ev_2024 gets; ev_2023 is dropped, ev_2026 created.
std::string events_yaml(const std::string& parent, const std::string& local = "") {
  return std::string("schemas:\n  public:\n    tables:\n      ev:\n") + kColumns + parent +
         "        partition_by: { strategy: range, key: at }\n"
         "      ev_2024:\n" +
         kColumns + local +
         "        partition_of: { table: ev, bound: \"FOR VALUES FROM ('2024-01-01') TO "
         "('2025-01-01')\" }\n"
         "      ev_2025:\n" +
         kColumns +
         "        partition_by: { strategy: hash, key: id }\n"
         "        partition_of: { table: ev, bound: \"FOR VALUES FROM ('2025-01-01') TO "
         "('2026-01-01')\" }\n"
         "      ev_2025_a:\n" +
         kColumns +
         "        partition_of: { table: ev_2025, bound: \"FOR VALUES WITH (modulus 2, remainder 0)\" "
         "}\n"
         "      ev_2025_b:\n" +
         kColumns +
         "        partition_of: { table: ev_2025, bound: \"FOR VALUES WITH (modulus 2, remainder 1)\" "
         "}\n"
         "      ev_2026:\n" +
         kColumns +
         "        partition_of: { table: ev, bound: \"FOR VALUES FROM ('2026-01-01') TO "
         "('2027-01-01')\" }\n";
}

// Every leaf partition of ev has an index attached to the partitioned index
// `index` (through ev_2025's for its partitions), and `index` is valid.
void check_attached_everywhere(const TestDatabase& db, const std::string& index) {
  CHECK(db.scalar("SELECT indisvalid FROM pg_index WHERE indexrelid = 'public." + index +
                  "'::regclass") == "t");
  CHECK(db.scalar("SELECT string_agg(c.relname, ',' ORDER BY c.relname) FROM pg_inherits i "
                  "JOIN pg_index x ON x.indexrelid = i.inhrelid "
                  "JOIN pg_class c ON c.oid = x.indrelid "
                  "WHERE c.relkind = 'r' AND i.inhparent IN ("
                  "  SELECT 'public." +
                  index +
                  "'::regclass::oid UNION "
                  "  SELECT inhrelid FROM pg_inherits WHERE inhparent = 'public." +
                  index + "'::regclass)") == "ev_2024,ev_2025_a,ev_2025_b,ev_2026");
}

}  // namespace

TEST_CASE("an index on a populated partitioned table is built partition by partition, "
          "CONCURRENTLY, and attached",
          "[planner][db][partitions]") {
  TestDatabase db;
  db.exec(kEvents);
  const std::string kept = checksum(db, "ev", "id, at, note");
  const std::string sql = converge(db, events_yaml("        indexes:\n"
                                                   "          ev_note: { columns: [note] }\n"));
  // The parent and ev_2025 get theirs ON ONLY; every populated leaf builds
  // CONCURRENTLY; nothing builds on a partitioned table while writes wait.
  CHECK(contains(sql, "CREATE INDEX ev_note ON ONLY public.ev "));
  CHECK(contains(sql, "CREATE INDEX ev_2025_ev_note ON ONLY public.ev_2025 "));
  CHECK(contains(sql, "CREATE INDEX CONCURRENTLY ev_2024_ev_note ON public.ev_2024 "));
  CHECK(contains(sql, "CREATE INDEX CONCURRENTLY ev_2025_a_ev_note ON public.ev_2025_a "));
  CHECK(contains(sql, "ALTER INDEX public.ev_2025_ev_note ATTACH PARTITION public.ev_2025_a_ev_note"));
  CHECK(contains(sql, "ALTER INDEX public.ev_note ATTACH PARTITION public.ev_2025_ev_note"));
  CHECK_FALSE(contains(sql, "CREATE INDEX ev_note ON public.ev "));
  // The dropped partition goes first; the new one gets its index from ATTACH.
  CHECK(position(sql, "DROP TABLE public.ev_2023") < position(sql, "ON ONLY public.ev "));
  // (ATTACH PARTITION from 12; CREATE TABLE ... PARTITION OF on 11)
  const size_t joins = contains(sql, "ATTACH PARTITION public.ev_2026")
                           ? position(sql, "ATTACH PARTITION public.ev_2026")
                           : position(sql, "CREATE TABLE public.ev_2026 PARTITION OF");
  CHECK(position(sql, "ON ONLY public.ev ") < joins);
  check_attached_everywhere(db, "ev_note");
  CHECK(checksum(db, "ev", "id, at, note") != kept);  // ev_2023's rows went with it
  CHECK(db.scalar("SELECT count(*) FROM ev") == db.scalar("SELECT count(*) FROM ev WHERE at >= "
                                                          "'2024-01-01'"));
}

TEST_CASE("a primary key on a populated partitioned table is built on each partition and "
          "attached, never on the parent",
          "[planner][db][partitions]") {
  TestDatabase db;
  db.exec(kEvents);
  db.exec("DROP TABLE ev_2023; CREATE TABLE ev_2026 PARTITION OF ev FOR VALUES FROM "
          "('2026-01-01') TO ('2027-01-01')");
  const std::string kept = checksum(db, "ev", "id, at, note");
  const TempDir dir;
  const std::string yaml = events_yaml("        primary_key: [id, at]\n");
  const CommandResult applied =
      run_command({PGSHIFT_BIN, "apply", "--db", db.url(), "--schema", dir.write("s.yaml", yaml),
                   "--yes"});
  INFO(applied.output);
  REQUIRE(applied.exit_code == 0);
  CHECK(contains(applied.output, "build the unique index \"ev_2024_ev_pkey\""));
  CHECK(contains(applied.output, "build the unique index \"ev_2025_a_ev_pkey\""));
  CHECK(checksum(db, "ev", "id, at, note") == kept);
  // The parent's key owns every partition's, one level down included.
  CHECK(db.scalar("SELECT string_agg(conrelid::regclass::text, ',' ORDER BY conrelid::regclass::text) FROM "
                  "pg_constraint WHERE contype = 'p' AND conparentid <> 0") ==
        "ev_2024,ev_2025,ev_2025_a,ev_2025_b,ev_2026");
  check_attached_everywhere(db, "ev_pkey");
  CHECK_THROWS(db.exec("INSERT INTO ev VALUES (400, date '2023-01-01' + 400, 'dup')"));
  const PlanRun again = run_plan(db, yaml);
  INFO(again.plan);
  CHECK(again.exit_code == 0);
}

TEST_CASE("a unique key of a partitioned table whose columns change is rebuilt on every "
          "partition and swapped in one step",
          "[planner][db][partitions]") {
  TestDatabase db;
  db.exec(kEvents);
  db.exec("DROP TABLE ev_2023; CREATE TABLE ev_2026 PARTITION OF ev FOR VALUES FROM "
          "('2026-01-01') TO ('2027-01-01');"
          "ALTER TABLE ev ADD CONSTRAINT ev_key UNIQUE (id, at)");
  const std::string sql = converge(db, events_yaml("        unique:\n"
                                                   "          - { name: ev_key, columns: [at, id] }\n"));
  CHECK(contains(sql, "ALTER TABLE public.ev DROP CONSTRAINT ev_key;\n"
                      "ALTER TABLE public.ev ADD CONSTRAINT ev_key UNIQUE (at, id)"));
  CHECK(db.scalar("SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conname = "
                  "'ev_key'") == "UNIQUE (at, id)");
  check_attached_everywhere(db, "ev_key");
}

TEST_CASE("a partition's own indexes, checks and keys are planned, on existing and new "
          "partitions",
          "[planner][db][partitions]") {
  TestDatabase db;
  db.exec(kEvents);
  db.exec("CREATE INDEX ev_2024_old ON ev_2024 (at)");
  const std::string kept = checksum(db, "ev", "id, at, note");
  const std::string local =
      "        unique:\n"
      "          - { name: ev_2024_id_key, columns: [id] }\n"
      "        checks:\n"
      "          ev_2024_note_check: \"note <> 'bad'\"\n"
      "        indexes:\n"
      "          ev_2024_note: { columns: [note] }\n";
  std::string yaml = events_yaml("", local);
  // ev_2026, created by the plan, has a check of its own too.
  yaml += "        checks:\n"
          "          ev_2026_id_check: \"id > 0\"\n";
  const std::string sql = converge(db, yaml);
  CHECK(contains(sql, "CREATE INDEX CONCURRENTLY ev_2024_note ON public.ev_2024 "));
  CHECK(contains(sql, "DROP INDEX CONCURRENTLY IF EXISTS public.ev_2024_old"));
  CHECK(contains(sql, "ADD CONSTRAINT ev_2024_note_check CHECK"));
  CHECK(contains(sql, "NOT VALID"));
  CHECK(contains(sql, "ADD CONSTRAINT ev_2026_id_check CHECK"));
  CHECK(contains(sql, "CREATE UNIQUE INDEX CONCURRENTLY ev_2024_id_key ON public.ev_2024"));
  CHECK_THROWS(db.exec("INSERT INTO ev VALUES (1, '2024-06-01', 'bad')"));
  CHECK_THROWS(db.exec("INSERT INTO ev VALUES (-1, '2026-06-01', 'x')"));
  CHECK(checksum(db, "ev", "id, at, note") != kept);  // ev_2023 was dropped
}

TEST_CASE("a foreign key from a populated partitioned table is added and validated on each "
          "partition, then attached by the parent without a scan",
          "[planner][db][partitions]") {
  TestDatabase db;
  db.exec(kEvents);
  db.exec("DROP TABLE ev_2023; CREATE TABLE ev_2026 PARTITION OF ev FOR VALUES FROM "
          "('2026-01-01') TO ('2027-01-01');"
          "CREATE TABLE notes (note text PRIMARY KEY);"
          "INSERT INTO notes SELECT 'n' || g FROM generate_series(1, 3000) g;");
  const std::string kept = checksum(db, "ev", "id, at, note");
  const std::string yaml =
      events_yaml("        foreign_keys:\n"
                  "          - { name: ev_note_fkey, columns: [note], references: notes(note) }\n") +
      "      notes:\n"
      "        columns:\n"
      "          note: { type: text, nullable: false }\n"
      "        primary_key: [note]\n";
  const std::string sql = converge(db, yaml);
  // NOT VALID only on the partitions (the server refuses it on a
  // partitioned table before 18), each validated before the parent's.
  CHECK(contains(sql, "ALTER TABLE public.ev_2024 ADD CONSTRAINT ev_2024_ev_note_fkey FOREIGN "
                      "KEY (note) REFERENCES public.notes (note) NOT VALID"));
  CHECK(contains(sql, "ALTER TABLE public.ev_2024 VALIDATE CONSTRAINT ev_2024_ev_note_fkey"));
  CHECK_FALSE(contains(sql, "ALTER TABLE public.ev ADD CONSTRAINT ev_note_fkey FOREIGN KEY (note) "
                            "REFERENCES public.notes (note) NOT VALID"));
  CHECK(position(sql, "VALIDATE CONSTRAINT ev_2025_b_ev_note_fkey") <
        position(sql, "ALTER TABLE public.ev ADD CONSTRAINT ev_note_fkey"));
  CHECK(db.scalar("SELECT string_agg(conrelid::regclass::text, ',' ORDER BY "
                  "conrelid::regclass::text) FROM pg_constraint WHERE contype = 'f' AND "
                  "conparentid <> 0 AND convalidated") ==
        "ev_2024,ev_2025,ev_2025_a,ev_2025_b,ev_2026");
  CHECK_THROWS(db.exec("INSERT INTO ev VALUES (1, '2024-06-01', 'no such note')"));
  CHECK(checksum(db, "ev", "id, at, note") == kept);
}
