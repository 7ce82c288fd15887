// Partitioned tables end to end: indexes and keys of a populated partitioned
// table are built partition by partition (ON ONLY, CONCURRENTLY, ATTACH) and
// a partition's own indexes and constraints are planned like any table's.
// Each case plans, runs the SQL with psql (or pgshift apply), plans again
// (nothing left) and checks the rows and the catalog.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include <pqxx/pqxx>

#include "tests/support/converge.hpp"
#include "tests/support/server_version.hpp"

using namespace pgshift::testing;

namespace {

// The plan adds the CHECK `check` on `relation` NOT VALID (its expression
// starting with `expression`), validates it, runs `attach`, then drops the
// CHECK, in that order.
void check_proved_attach(const std::string& sql, const std::string& relation,
                         const std::string& check, const std::string& expression,
                         const std::string& attach) {
  const size_t add =
      position(sql, "ALTER TABLE " + relation + " ADD CONSTRAINT " + check + " CHECK " + expression);
  const size_t validate =
      position(sql, "ALTER TABLE " + relation + " VALIDATE CONSTRAINT " + check);
  const size_t attached = position(sql, attach);
  const size_t drop = position(sql, "ALTER TABLE " + relation + " DROP CONSTRAINT " + check);
  CHECK(add < validate);
  CHECK(validate < attached);
  CHECK(attached < drop);
}

// Runs `sql` through psql with the server's debug1 messages, which say
// whether ATTACH found the partition constraints implied; returns them.
std::string apply_with_debug(const TestDatabase& db, const std::string& sql) {
  const CommandResult applied = run_psql(db, "SET client_min_messages = debug1;\n" + sql);
  INFO(applied.output);
  REQUIRE(applied.exit_code == 0);
  return applied.output;
}

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

// kEvents as the desired state has it (ev_2023 gone, ev_2026 there), and
// the table notes (note text PRIMARY KEY) holding every note ev names.
void events_with_notes(const TestDatabase& db) {
  db.exec(kEvents);
  db.exec("DROP TABLE ev_2023; CREATE TABLE ev_2026 PARTITION OF ev FOR VALUES FROM "
          "('2026-01-01') TO ('2027-01-01');"
          "CREATE TABLE notes (note text PRIMARY KEY);"
          "INSERT INTO notes SELECT 'n' || g FROM generate_series(1, 3000) g;");
}

// events_yaml with ev's foreign key ev_note_fkey to notes.
std::string events_with_note_key_yaml() {
  return events_yaml("        foreign_keys:\n"
                     "          - { name: ev_note_fkey, columns: [note], references: notes(note) }\n") +
         "      notes:\n"
         "        columns:\n"
         "          note: { type: text, nullable: false }\n"
         "        primary_key: [note]\n";
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

TEST_CASE(
    "a partition's index the plan builds does not take the name the server gave a copy "
    "of another of the parent's indexes",
    "[planner][db][partitions]") {
  TestDatabase db;
  // The server names the partition's copy of t_email_idx "t_2024_email_idx":
  // the name pgshift would give the partition's copy of "email_idx".
  db.exec(R"sql(
    CREATE TABLE t (id int NOT NULL, email text, at date NOT NULL) PARTITION BY RANGE (at);
    CREATE TABLE t_2024 PARTITION OF t FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
    CREATE INDEX ON t (email);
    INSERT INTO t SELECT g, 'e' || g, date '2024-01-01' + (g % 300) FROM generate_series(1, 500) g;
    ANALYZE;
  )sql");
  REQUIRE(db.scalar("SELECT string_agg(relname, ',' ORDER BY relname) FROM pg_class "
                    "WHERE relname LIKE 't%email%'") == "t_2024_email_idx,t_email_idx");
  const std::string columns =
      "          id: { type: integer, nullable: false }\n"
      "          email: text\n"
      "          at: { type: date, nullable: false }\n";
  const std::string sql =
      converge(db, "schemas:\n  public:\n    tables:\n      t:\n        columns:\n" + columns +
                       "        indexes:\n"
                       "          t_email_idx: { columns: [email] }\n"
                       "          email_idx: { columns: [id] }\n"
                       "        partition_by: { strategy: range, key: at }\n"
                       "      t_2024:\n        columns:\n" +
                       columns +
                       "        partition_of: { table: t, bound: FOR VALUES FROM ('2024-01-01') TO "
                       "('2025-01-01') }\n");
  CHECK(contains(sql, "CREATE INDEX CONCURRENTLY t_2024_email_idx1 ON public.t_2024 "));
  CHECK(contains(sql, "ALTER INDEX public.email_idx ATTACH PARTITION public.t_2024_email_idx1"));
  // Each copy is attached to its own parent index, on its own column.
  CHECK(db.scalar("SELECT string_agg(c.relname || '>' || p.relname || ':' || "
                  "pg_get_indexdef(c.oid, 1, true), ',' ORDER BY c.relname) "
                  "FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
                  "JOIN pg_class p ON p.oid = i.inhparent WHERE c.relkind = 'i'") ==
        "t_2024_email_idx>t_email_idx:email,t_2024_email_idx1>email_idx:id");
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

TEST_CASE("duplicates in a partition refuse a key on a populated partitioned table before any "
          "step, with the groups",
          "[planner][db][partitions][preflight]") {
  TestDatabase db;
  db.exec(kEvents);
  db.exec("DROP TABLE ev_2023; CREATE TABLE ev_2026 PARTITION OF ev FOR VALUES FROM "
          "('2026-01-01') TO ('2027-01-01');"
          "INSERT INTO ev VALUES (1500, date '2023-01-01' + 500, 'twin')");
  const std::string yaml = events_yaml("        primary_key: [id, at]\n");
  const PlanRun plan = run_plan(db, yaml);
  INFO(plan.messages);
  CHECK(plan.exit_code == 1);
  CHECK(contains(plan.messages, "groups of rows sharing the key of primary key"));
  CHECK(contains(plan.messages, "1 duplicate group"));
  CHECK(contains(plan.messages, "id=1500"));
  const TempDir dir;
  const CommandResult applied =
      run_command({PGSHIFT_BIN, "apply", "--db", db.url(), "--schema", dir.write("s.yaml", yaml),
                   "--yes"});
  INFO(applied.output);
  CHECK(applied.exit_code == 1);
  // Refused before its first step: no index on any partition.
  CHECK(db.scalar("SELECT count(*) FROM pg_index x JOIN pg_class c ON c.oid = x.indrelid "
                  "WHERE c.relname LIKE 'ev%'") == "0");
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
  events_with_notes(db);
  const std::string kept = checksum(db, "ev", "id, at, note");
  const std::string sql = converge(db, events_with_note_key_yaml());
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

TEST_CASE("a partition's own copy of a foreign key the plan adds to its parent (a plan stopped "
          "before the parent's ADD) is attached as it is, validated first when NOT VALID, "
          "neither added again nor dropped",
          "[planner][db][partitions]") {
  TestDatabase db;
  events_with_notes(db);
  db.exec("ALTER TABLE ev_2024 ADD CONSTRAINT ev_2024_ev_note_fkey FOREIGN KEY (note) "
          "  REFERENCES notes (note) NOT VALID;"
          "ALTER TABLE ev_2025_a ADD CONSTRAINT own_fk FOREIGN KEY (note) REFERENCES notes (note);");
  const std::string kept = checksum(db, "ev", "id, at, note");
  const std::string sql = converge(db, events_with_note_key_yaml());
  INFO(sql);
  CHECK_FALSE(contains(sql, "ALTER TABLE public.ev_2024 ADD CONSTRAINT"));
  CHECK_FALSE(contains(sql, "ALTER TABLE public.ev_2025_a ADD CONSTRAINT"));
  CHECK_FALSE(contains(sql, "DROP CONSTRAINT"));
  CHECK_FALSE(contains(sql, "VALIDATE CONSTRAINT own_fk"));
  // The partitions without a copy get theirs as usual.
  CHECK(contains(sql, "ALTER TABLE public.ev_2025_b ADD CONSTRAINT ev_2025_b_ev_note_fkey"));
  CHECK(position(sql, "ALTER TABLE public.ev_2024 VALIDATE CONSTRAINT ev_2024_ev_note_fkey") <
        position(sql, "ALTER TABLE public.ev ADD CONSTRAINT ev_note_fkey"));
  CHECK(db.scalar("SELECT string_agg(conrelid::regclass || ':' || conname, ',' ORDER BY "
                  "conrelid::regclass::text) FROM pg_constraint WHERE contype = 'f' AND "
                  "conparentid <> 0 AND convalidated") ==
        "ev_2024:ev_2024_ev_note_fkey,ev_2025:ev_2025_ev_note_fkey,ev_2025_a:own_fk,"
        "ev_2025_b:ev_2025_b_ev_note_fkey,ev_2026:ev_2026_ev_note_fkey");
  CHECK(db.scalar("SELECT count(*) FROM pg_constraint WHERE contype = 'f'") == "6");
  CHECK(checksum(db, "ev", "id, at, note") == kept);
}

namespace {

// orders: range-partitioned by month with a key, an index and a CHECK, a
// DEFAULT partition holding rows; orders_archive: a standalone table of
// the same columns holding March's rows, with an index matching the
// parent's (attached as it is) and a CHECK of the parent's name.
constexpr const char* kOrders = R"sql(
CREATE TABLE orders (id bigint NOT NULL, created_at date NOT NULL, customer_id bigint,
  total numeric(10,2) NOT NULL, PRIMARY KEY (id, created_at),
  CONSTRAINT orders_total_check CHECK (total >= 0)) PARTITION BY RANGE (created_at);
CREATE INDEX orders_customer_idx ON orders (customer_id);
CREATE INDEX orders_total_idx ON orders (total);
CREATE TABLE orders_2024_01 PARTITION OF orders FOR VALUES FROM ('2024-01-01') TO ('2024-02-01');
CREATE TABLE orders_2024_02 PARTITION OF orders FOR VALUES FROM ('2024-02-01') TO ('2024-03-01');
CREATE TABLE orders_default PARTITION OF orders DEFAULT;
INSERT INTO orders SELECT g, date '2024-01-01' + (g % 60), g % 97, g FROM generate_series(1, 3000) g;
INSERT INTO orders SELECT g, date '2023-06-01' + (g % 30), g % 97, g FROM generate_series(3001, 3500) g;
CREATE TABLE orders_archive (id bigint NOT NULL, created_at date NOT NULL, customer_id bigint,
  total numeric(10,2) NOT NULL, CONSTRAINT orders_total_check CHECK (total >= 0));
CREATE INDEX orders_archive_customer ON orders_archive (customer_id);
INSERT INTO orders_archive SELECT g, date '2024-03-01' + (g % 31), g % 97, g
  FROM generate_series(5001, 7000) g;
ANALYZE;
)sql";

constexpr const char* kOrderColumns =
    "        columns:\n"
    "          id: { type: bigint, nullable: false }\n"
    "          created_at: { type: date, nullable: false }\n"
    "          customer_id: bigint\n"
    "          total: { type: \"numeric(10,2)\", nullable: false }\n";

std::string orders_yaml(const std::string& archive) {
  auto partition = [](const std::string& name, const std::string& bound) {
    return "      " + name + ":\n" + kOrderColumns + "        partition_of: { table: orders, bound: \"" +
           bound + "\" }\n";
  };
  return std::string("schemas:\n  public:\n    tables:\n      orders:\n") + kOrderColumns +
         "        primary_key: [id, created_at]\n"
         "        checks:\n"
         "          orders_total_check: total >= 0\n"
         "        indexes:\n"
         "          orders_customer_idx: { columns: [customer_id] }\n"
         "          orders_total_idx: { columns: [total] }\n"
         "        partition_by: { strategy: range, key: created_at }\n" +
         partition("orders_2024_01", "FOR VALUES FROM ('2024-01-01') TO ('2024-02-01')") +
         partition("orders_2024_02", "FOR VALUES FROM ('2024-02-01') TO ('2024-03-01')") +
         partition("orders_default", "DEFAULT") + archive;
}

}  // namespace

TEST_CASE("an existing populated table is attached with its bound proved by CHECKs first, "
          "nothing scanned or built under ACCESS EXCLUSIVE",
          "[planner][db][partitions][attach]") {
  TestDatabase db;
  db.exec(kOrders);
  const std::string orders = checksum(db, "orders", "id, created_at, customer_id, total");
  const std::string archive = checksum(db, "orders_archive", "id, created_at, customer_id, total");
  const std::string yaml = orders_yaml(
      "      orders_archive:\n" + std::string(kOrderColumns) +
      "        partition_of: { table: orders, bound: \"FOR VALUES FROM ('2024-03-01') TO "
      "('2024-04-01')\" }\n");
  const PlanRun first = run_plan(db, yaml);
  INFO(first.messages);
  REQUIRE(first.exit_code == 2);
  const std::string& sql = first.plan;
  INFO(sql);
  // The parent's index the table lacks and its key are built CONCURRENTLY;
  // its own matching index is kept and attached by ATTACH.
  CHECK(contains(sql, "CREATE INDEX CONCURRENTLY orders_archive_orders_total_idx ON "
                      "public.orders_archive"));
  CHECK(contains(sql, "CREATE UNIQUE INDEX CONCURRENTLY orders_archive_orders_pkey ON "
                      "public.orders_archive (id, created_at)"));
  CHECK(contains(sql, "ALTER TABLE public.orders_archive ADD CONSTRAINT orders_archive_orders_pkey "
                      "PRIMARY KEY USING INDEX orders_archive_orders_pkey"));
  CHECK_FALSE(contains(sql, "orders_archive_customer"));
  CHECK_FALSE(contains(sql, "CREATE INDEX orders_archive"));
  // The bound on the table, its negation on the DEFAULT partition, each
  // NOT VALID then validated, before ATTACH; dropped after.
  const size_t check = position(
      sql, "ALTER TABLE public.orders_archive ADD CONSTRAINT pgshift_attach_orders_archive CHECK "
           "(created_at IS NOT NULL AND created_at >= '2024-03-01' AND created_at < '2024-04-01') "
           "NOT VALID");
  const size_t validate = position(
      sql, "ALTER TABLE public.orders_archive VALIDATE CONSTRAINT pgshift_attach_orders_archive");
  const size_t default_validate = position(
      sql, "ALTER TABLE public.orders_default VALIDATE CONSTRAINT pgshift_attach_orders_archive");
  const size_t attach = position(sql, "ALTER TABLE public.orders ATTACH PARTITION "
                                      "public.orders_archive FOR VALUES FROM ('2024-03-01') TO "
                                      "('2024-04-01')");
  const size_t drop = position(
      sql, "ALTER TABLE public.orders_archive DROP CONSTRAINT pgshift_attach_orders_archive");
  position(sql, "ALTER TABLE public.orders_default DROP CONSTRAINT pgshift_attach_orders_archive");
  CHECK(check < validate);
  CHECK(validate < attach);
  CHECK(default_validate < attach);
  CHECK(attach < drop);
  // Run as planned: the server says it skipped both scans.
  const CommandResult applied = run_psql(db, "SET client_min_messages = debug1;\n" + sql);
  INFO(applied.output);
  REQUIRE(applied.exit_code == 0);
  CHECK(contains(applied.output,
                 "partition constraint for table \"orders_archive\" is implied by existing "
                 "constraints"));
  CHECK(contains(applied.output, "updated partition constraint for default partition "
                                 "\"orders_default\" is implied by existing constraints"));
  CHECK(db.scalar("SELECT inhparent::regclass::text FROM pg_inherits WHERE inhrelid = "
                  "'orders_archive'::regclass") == "orders");
  // The archive's own index now belongs to the parent's; the key too.
  CHECK(db.scalar("SELECT inhparent::regclass::text FROM pg_inherits WHERE inhrelid = "
                  "'orders_archive_customer'::regclass") == "orders_customer_idx");
  CHECK(db.scalar("SELECT count(*) FROM pg_constraint WHERE conrelid = "
                  "'orders_archive'::regclass AND contype = 'p' AND conparentid <> 0") == "1");
  CHECK(db.scalar("SELECT count(*) FROM pg_constraint WHERE conname LIKE 'pgshift_attach%'") ==
        "0");
  CHECK(checksum(db, "orders_archive", "id, created_at, customer_id, total") == archive);
  CHECK(db.scalar("SELECT count(*) FROM orders") == "5500");
  CHECK(checksum(db, "orders WHERE created_at < '2024-03-01' OR created_at >= '2024-04-01'",
                 "id, created_at, customer_id, total") == orders);
  const PlanRun again = run_plan(db, yaml);
  INFO(again.messages);
  INFO(again.plan);
  CHECK(again.exit_code == 0);
}

TEST_CASE("a new partition beside a populated DEFAULT partition is attached with a CHECK there "
          "first, the DEFAULT partition not scanned under ACCESS EXCLUSIVE",
          "[planner][db][partitions][attach]") {
  TestDatabase db;
  db.exec(kOrders);
  db.exec("DROP TABLE orders_archive");
  const std::string kept = checksum(db, "orders", "id, created_at, customer_id, total");
  const std::string yaml = orders_yaml(
      "      orders_2024_03:\n" + std::string(kOrderColumns) +
      "        partition_of: { table: orders, bound: \"FOR VALUES FROM ('2024-03-01') TO "
      "('2024-04-01')\" }\n");
  const PlanRun first = run_plan(db, yaml);
  INFO(first.messages);
  REQUIRE(first.exit_code == 2);
  const std::string& sql = first.plan;
  INFO(sql);
  check_proved_attach(sql, "public.orders_default", "pgshift_attach_orders_2024_03",
                      "(NOT (created_at IS NOT NULL AND created_at >= '2024-03-01' AND "
                      "created_at < '2024-04-01')) NOT VALID",
                      "ALTER TABLE public.orders ATTACH PARTITION public.orders_2024_03 FOR "
                      "VALUES FROM ('2024-03-01') TO ('2024-04-01')");
  // The attach declares the DEFAULT partition's lock and scans nothing.
  CHECK(contains(sql, "ACCESS EXCLUSIVE on public.orders_default"));
  CHECK_FALSE(contains(sql, "access_exclusive_scan"));
  CHECK(contains(apply_with_debug(db, sql),
                 "updated partition constraint for default partition \"orders_default\" is "
                 "implied by existing constraints"));
  CHECK(checksum(db, "orders", "id, created_at, customer_id, total") == kept);
  CHECK(db.scalar("SELECT count(*) FROM pg_constraint WHERE conname LIKE 'pgshift_attach%'") ==
        "0");
  const PlanRun again = run_plan(db, yaml);
  INFO(again.plan);
  CHECK(again.exit_code == 0);
}

TEST_CASE("from the DEFAULT partition's CHECK until the attach a row of the new bound is "
          "refused: writes_refused on the CHECK's add, refused unless allowed",
          "[planner][db][partitions][attach]") {
  TestDatabase db;
  db.exec(kOrders);
  db.exec("DROP TABLE orders_archive");
  const std::string yaml = orders_yaml(
      "      orders_2024_03:\n" + std::string(kOrderColumns) +
      "        partition_of: { table: orders, bound: \"FOR VALUES FROM ('2024-03-01') TO "
      "('2024-04-01')\" }\n");
  const TempDir dir;
  const std::string path = dir.write("schema.yaml", yaml);
  // Not allowed: refused by name, nothing changed.
  const CommandResult refused =
      run_command({PGSHIFT_BIN, "apply", "--db", db.url(), "--schema", path, "--yes"});
  INFO(refused.output);
  CHECK(refused.exit_code != 0);
  CHECK(contains(refused.output, "has hazard writes_refused"));
  CHECK(contains(refused.output, "pgshift_attach_orders_2024_03"));
  CHECK(db.scalar("SELECT count(*) FROM pg_class WHERE relname = 'orders_2024_03'") == "0");
  CHECK(db.scalar("SELECT count(*) FROM pg_constraint WHERE conname LIKE 'pgshift_attach%'") ==
        "0");
  // The hazard is on the add alone: the window opens there.
  const PlanRun planned = run_plan(db, yaml);
  REQUIRE(planned.exit_code == 2);
  const std::string& sql = planned.plan;
  INFO(sql);
  const size_t add = position(sql, "-- Step 2: add the CHECK \"pgshift_attach_orders_2024_03\" on "
                                   "table \"public.orders_default\" NOT VALID");
  const size_t validate = position(sql, "-- Step 3: validate the CHECK");
  CHECK(position(sql, "hazards: writes_refused") > add);
  CHECK(position(sql, "hazards: writes_refused") < validate);
  CHECK(sql.find("writes_refused", validate) == std::string::npos);
  // Run up to the attach: a March row through the parent fails the CHECK;
  // before the plan it went to the DEFAULT partition, after, to March's.
  const size_t attach = position(sql, "-- Step 4: attach");
  REQUIRE(run_psql(db, sql.substr(0, attach)).exit_code == 0);
  CHECK_THROWS_WITH(db.exec("INSERT INTO orders VALUES (9001, '2024-03-05', 1, 1)"),
                    Catch::Contains("pgshift_attach_orders_2024_03"));
  CHECK_NOTHROW(db.exec("INSERT INTO orders VALUES (9002, '2024-05-05', 1, 1)"));
  REQUIRE(run_psql(db, sql.substr(attach)).exit_code == 0);
  db.exec("INSERT INTO orders VALUES (9001, '2024-03-05', 1, 1)");
  CHECK(db.scalar("SELECT tableoid::regclass::text FROM orders WHERE id = 9001") ==
        "orders_2024_03");
  CHECK(run_plan(db, yaml).exit_code == 0);
}

TEST_CASE("a new partition whose bound holds rows of the DEFAULT partition is refused before any "
          "step, with their count",
          "[planner][db][partitions][attach][preflight]") {
  TestDatabase db;
  db.exec(kOrders);
  db.exec("DROP TABLE orders_archive");
  const std::string in_bound =
      db.scalar("SELECT count(*) FROM orders_default WHERE created_at < '2023-06-15'");
  REQUIRE(in_bound != "0");
  const std::string yaml = orders_yaml(
      "      orders_2023_06:\n" + std::string(kOrderColumns) +
      "        partition_of: { table: orders, bound: \"FOR VALUES FROM ('2023-06-01') TO "
      "('2023-06-15')\" }\n");
  const PlanRun plan = run_plan(db, yaml);
  INFO(plan.messages);
  CHECK(plan.exit_code == 1);
  CHECK(contains(plan.messages, "rows breaking CHECK \"pgshift_attach_orders_2023_06\""));
  CHECK(contains(plan.messages, in_bound + " rows violate it"));
  const TempDir dir;
  const CommandResult applied =
      run_command({PGSHIFT_BIN, "apply", "--db", db.url(), "--schema",
                   dir.write("schema.yaml", yaml), "--yes", "--allow-hazard", "all"});
  INFO(applied.output);
  CHECK(applied.exit_code == 1);
  CHECK(db.scalar("SELECT count(*) FROM pg_constraint WHERE conname LIKE 'pgshift_%'") == "0");
  CHECK(db.scalar("SELECT count(*) FROM pg_class WHERE relname = 'orders_2023_06'") == "0");
}

TEST_CASE("the attach CHECKs a stopped plan left NOT VALID are dropped first, without the "
          "data_loss hazard, and the attach runs again",
          "[planner][db][partitions][attach]") {
  TestDatabase db;
  db.exec(kOrders);
  // As a plan stopped after adding both CHECKs (a row arrived before the
  // VALIDATE, then the run was abandoned) leaves them.
  db.exec("ALTER TABLE orders_archive ADD CONSTRAINT pgshift_attach_orders_archive CHECK "
          "(created_at IS NOT NULL AND created_at >= '2024-03-01' AND created_at < "
          "'2024-04-01') NOT VALID;"
          "ALTER TABLE orders_default ADD CONSTRAINT pgshift_attach_orders_archive CHECK (NOT "
          "(created_at IS NOT NULL AND created_at >= '2024-03-01' AND created_at < "
          "'2024-04-01')) NOT VALID");
  const std::string archive = checksum(db, "orders_archive", "id, created_at, customer_id, total");
  const std::string yaml = orders_yaml(
      "      orders_archive:\n" + std::string(kOrderColumns) +
      "        partition_of: { table: orders, bound: \"FOR VALUES FROM ('2024-03-01') TO "
      "('2024-04-01')\" }\n");
  const PlanRun plan = run_plan(db, yaml);
  INFO(plan.messages);
  REQUIRE(plan.exit_code == 2);
  const std::string& sql = plan.plan;
  INFO(sql);
  CHECK_FALSE(contains(sql, "data_loss"));
  for (const std::string table : {"orders_archive", "orders_default"}) {
    const std::string relation = "ALTER TABLE public." + table;
    const size_t dropped = position(sql, relation + " DROP CONSTRAINT pgshift_attach_orders_archive");
    const size_t added = position(sql, relation + " ADD CONSTRAINT pgshift_attach_orders_archive");
    CHECK(dropped < added);
    // Dropped once before the add and once after the attach, no more.
    const size_t again = sql.find(relation + " DROP CONSTRAINT pgshift_attach_orders_archive",
                                  dropped + 1);
    REQUIRE(again != std::string::npos);
    CHECK(again > position(sql, "ATTACH PARTITION public.orders_archive"));
    CHECK(sql.find(relation + " DROP CONSTRAINT pgshift_attach_orders_archive", again + 1) ==
          std::string::npos);
  }
  const TempDir dir;
  const CommandResult applied =
      run_command({PGSHIFT_BIN, "apply", "--db", db.url(), "--schema",
                   dir.write("schema.yaml", yaml), "--yes", "--allow-hazard", "writes_refused"});
  INFO(applied.output);
  CHECK(applied.exit_code == 0);
  CHECK(db.scalar("SELECT count(*) FROM pg_constraint WHERE conname LIKE 'pgshift_%'") == "0");
  CHECK(checksum(db, "orders_archive", "id, created_at, customer_id, total") == archive);
  CHECK(run_plan(db, yaml).exit_code == 0);
}

TEST_CASE("duplicates of the parent's key in a table to attach refuse the plan before any step",
          "[planner][db][partitions][attach][preflight]") {
  TestDatabase db;
  db.exec(kOrders);
  db.exec("INSERT INTO orders_archive SELECT id, created_at, customer_id, total FROM "
          "orders_archive WHERE id IN (5001, 5002)");
  const std::string yaml = orders_yaml(
      "      orders_archive:\n" + std::string(kOrderColumns) +
      "        partition_of: { table: orders, bound: \"FOR VALUES FROM ('2024-03-01') TO "
      "('2024-04-01')\" }\n");
  const PlanRun plan = run_plan(db, yaml);
  INFO(plan.messages);
  CHECK(plan.exit_code == 1);
  CHECK(contains(plan.messages, "groups of rows sharing the key of key \"orders_archive_orders_pkey\""));
  CHECK(contains(plan.messages, "2 duplicate groups"));
}

TEST_CASE("an empty table is attached with a plain ATTACH and its keys added plainly",
          "[planner][db][partitions][attach]") {
  TestDatabase db;
  db.exec(kOrders);
  db.exec("TRUNCATE orders_archive; DROP TABLE orders_default; ANALYZE orders_archive");
  std::string yaml = orders_yaml(
      "      orders_archive:\n" + std::string(kOrderColumns) +
      "        partition_of: { table: orders, bound: \"FOR VALUES FROM ('2024-03-01') TO "
      "('2024-04-01')\" }\n");
  yaml.replace(yaml.find("      orders_default:"), yaml.find("      orders_archive:") -
                                                         yaml.find("      orders_default:"),
               "");
  const std::string sql = converge(db, yaml);
  CHECK(contains(sql, "ALTER TABLE public.orders_archive ADD CONSTRAINT orders_archive_orders_pkey "
                      "PRIMARY KEY (id, created_at)"));
  CHECK(contains(sql, "CREATE INDEX orders_archive_orders_total_idx ON public.orders_archive"));
  CHECK_FALSE(contains(sql, "pgshift_attach"));
  CHECK(db.scalar("SELECT inhparent::regclass::text FROM pg_inherits WHERE inhrelid = "
                  "'orders_archive'::regclass") == "orders");
}

TEST_CASE("attaching a table whose columns differ from the parent's is refused, naming each "
          "difference",
          "[planner][db][partitions][attach]") {
  TestDatabase db;
  db.exec(kOrders);
  db.exec("ALTER TABLE orders_archive ADD COLUMN note text, ALTER COLUMN customer_id TYPE "
          "integer, ALTER COLUMN total DROP NOT NULL, DROP CONSTRAINT orders_total_check");
  db.exec("ALTER TABLE orders_archive DROP COLUMN created_at");
  const PlanRun run = run_plan(
      db, orders_yaml("      orders_archive:\n" + std::string(kOrderColumns) +
                      "        partition_of: { table: orders, bound: \"FOR VALUES FROM "
                      "('2024-03-01') TO ('2024-04-01')\" }\n"));
  INFO(run.messages);
  CHECK(run.exit_code == 1);
  CHECK(contains(run.messages, "cannot attach table \"public.orders_archive\" to table "
                               "\"public.orders\": "));
  CHECK(contains(run.messages, "its column \"customer_id\" is integer, the parent's is bigint"));
  CHECK(contains(run.messages, "its column \"total\" is nullable, the parent's is NOT NULL"));
  CHECK(contains(run.messages, "its column \"note\" is not in the parent"));
  CHECK(contains(run.messages, "it lacks the parent's column \"created_at\""));
}

TEST_CASE("an identity column refuses the attach of a table by name",
          "[planner][db][partitions][attach]") {
  TestDatabase db;
  db.exec(kOrders);
  db.exec("ALTER TABLE orders_archive ALTER COLUMN id ADD GENERATED BY DEFAULT AS IDENTITY");
  const PlanRun run = run_plan(
      db, orders_yaml("      orders_archive:\n" + std::string(kOrderColumns) +
                      "        partition_of: { table: orders, bound: \"FOR VALUES FROM "
                      "('2024-03-01') TO ('2024-04-01')\" }\n"));
  INFO(run.messages);
  CHECK(run.exit_code == 1);
  CHECK(contains(run.messages, "its column \"id\" is an identity column"));
}

TEST_CASE("a primary key of a populated partitioned table replaced by another is rebuilt "
          "partition by partition: the partitions' new keys are added after the old key's drop, "
          "in the parent's step, on indexes built CONCURRENTLY before",
          "[planner][db][partitions][keys]") {
  TestDatabase db;
  db.exec(
      "CREATE TABLE p (id integer NOT NULL, region text NOT NULL, v integer, "
      "  PRIMARY KEY (id, region)) PARTITION BY LIST (region);"
      "CREATE TABLE p_eu PARTITION OF p FOR VALUES IN ('eu');"
      "CREATE TABLE p_us PARTITION OF p FOR VALUES IN ('us') PARTITION BY RANGE (id);"
      "CREATE TABLE p_us_low PARTITION OF p_us FOR VALUES FROM (MINVALUE) TO (1000);"
      "CREATE TABLE p_asia PARTITION OF p FOR VALUES IN ('asia');"
      "INSERT INTO p SELECT g, CASE WHEN g % 2 = 0 THEN 'eu' ELSE 'us' END, g "
      "FROM generate_series(1, 500) g; ANALYZE;");
  const std::string rows = checksum(db, "p", "id, region, v");
  const std::string columns =
      "        columns:\n          id: { type: integer, nullable: false }\n"
      "          region: { type: text, nullable: false }\n          v: integer\n";
  const std::string yaml =
      "schemas:\n  public:\n    tables:\n      p:\n" + columns +
      "        primary_key: { name: p_pkey, columns: [region, id] }\n"
      "        partition_by: { strategy: list, key: region }\n"
      "      p_eu:\n" + columns +
      "        partition_of: { table: p, bound: \"FOR VALUES IN ('eu')\" }\n"
      "      p_us:\n" + columns +
      "        partition_by: { strategy: range, key: id }\n"
      "        partition_of: { table: p, bound: \"FOR VALUES IN ('us')\" }\n"
      "      p_us_low:\n" + columns +
      "        partition_of: { table: p_us, bound: FOR VALUES FROM (MINVALUE) TO (1000) }\n"
      "      p_asia:\n" + columns +
      "        partition_of: { table: p, bound: \"FOR VALUES IN ('asia')\" }\n";
  const std::string sql = converge(db, yaml);
  // The populated leaves' indexes are built CONCURRENTLY, before the step
  // that drops the old key and adds every new one in one transaction.
  const size_t build_eu =
      position(sql, "CREATE UNIQUE INDEX CONCURRENTLY p_eu_p_pkey ON public.p_eu");
  const size_t drop = position(sql, "ALTER TABLE public.p DROP CONSTRAINT p_pkey;");
  const size_t add_eu = position(sql,
                                 "ALTER TABLE public.p_eu ADD CONSTRAINT p_eu_p_pkey PRIMARY KEY "
                                 "USING INDEX p_eu_p_pkey;");
  const size_t add_parent =
      position(sql, "ALTER TABLE public.p ADD CONSTRAINT p_pkey PRIMARY KEY (region, id);");
  CHECK(build_eu < drop);
  CHECK(drop < add_eu);
  CHECK(add_eu < add_parent);
  CHECK(sql.find("COMMIT", drop) > add_parent);
  CHECK(checksum(db, "p", "id, region, v") == rows);
  CHECK(db.scalar("SELECT string_agg(conrelid::regclass || ':' || pg_get_constraintdef(oid), ' ' "
                  "ORDER BY conrelid::regclass::text) FROM pg_constraint WHERE contype = 'p' AND "
                  "connamespace = 'public'::regnamespace") ==
        "p:PRIMARY KEY (region, id) p_asia:PRIMARY KEY (region, id) "
        "p_eu:PRIMARY KEY (region, id) p_us:PRIMARY KEY (region, id) "
        "p_us_low:PRIMARY KEY (region, id)");
}

TEST_CASE(
    "a row-level trigger with transition tables on a table to attach, renamed or not, "
    "refuses the plan before any step, naming it, and a statement-level one does not",
    "[planner][db][partitions][attach][unmodelled]") {
  TestDatabase db;
  db.exec(kOrders);
  db.exec(
      "CREATE FUNCTION archive_audit() RETURNS trigger LANGUAGE plpgsql AS "
      "'BEGIN RETURN NULL; END';"
      "CREATE TRIGGER archive_added AFTER INSERT ON orders_archive REFERENCING NEW TABLE AS added "
      "FOR EACH ROW EXECUTE PROCEDURE archive_audit();");
  const auto yaml = [](const std::string& name, const std::string& hint,
                       const std::string& for_each) {
    return orders_yaml("      " + name + ":\n" + std::string(kOrderColumns) + hint +
                       "        triggers:\n          archive_added: { timing: after, events: "
                       "[insert], for_each: " +
                       for_each +
                       ", function: archive_audit }\n"
                       "        partition_of: { table: orders, bound: \"FOR VALUES FROM "
                       "('2024-03-01') TO ('2024-04-01')\" }\n") +
           "    functions:\n      archive_audit: { returns: trigger, language: plpgsql, body: "
           "\"BEGIN RETURN NULL; END\" }\n";
  };
  const PlanRun run = run_plan(db, yaml("orders_archive", "", "row"));
  INFO(run.messages);
  CHECK(run.exit_code == 1);
  CHECK(contains(run.messages, "cannot attach table \"public.orders_archive\" to table "
                               "\"public.orders\": the database has trigger transition tables "
                               "\"archive_added\" on \"public.orders_archive\""));
  // Renamed by the same plan: its old name is the one the database has.
  const PlanRun renamed = run_plan(
      db, yaml("orders_2024_03", "        renamed_from: orders_archive\n", "row"));
  INFO(renamed.messages);
  CHECK(renamed.exit_code == 1);
  CHECK(contains(renamed.messages, "cannot attach table \"public.orders_2024_03\" to table "
                                   "\"public.orders\": the database has trigger transition "
                                   "tables \"archive_added\""));
  CHECK(db.scalar("SELECT relispartition FROM pg_class WHERE oid = 'orders_archive'::regclass") ==
        "f");
  // A statement-level one may be on a partition from PostgreSQL 13 on:
  // attached. 11 and 12 refuse it too: so does the plan.
  db.exec("DROP TRIGGER archive_added ON orders_archive;"
          "CREATE TRIGGER archive_added AFTER INSERT ON orders_archive REFERENCING NEW TABLE AS "
          "added FOR EACH STATEMENT EXECUTE PROCEDURE archive_audit();");
  if (std::stoi(db.scalar("SHOW server_version_num")) < 130000) {
    const PlanRun statement = run_plan(db, yaml("orders_archive", "", "statement"));
    INFO(statement.messages);
    CHECK(statement.exit_code == 1);
    CHECK(contains(statement.messages,
                   "cannot attach table \"public.orders_archive\" to table \"public.orders\": "
                   "the database has trigger transition tables \"archive_added\" on "
                   "\"public.orders_archive\" (REFERENCING NEW TABLE AS added), which pgshift "
                   "does not model, and the server refuses any trigger with transition tables on "
                   "a partition before PostgreSQL 13; drop it first"));
    // What the plan says is what the server does.
    CHECK_THROWS_WITH(db.exec("ALTER TABLE orders ATTACH PARTITION orders_archive FOR VALUES "
                              "FROM ('2024-03-01') TO ('2024-04-01')"),
                      Catch::Contains("prevents table \"orders_archive\" from becoming a "
                                      "partition"));
    return;
  }
  converge(db, yaml("orders_archive", "", "statement"));
  CHECK(db.scalar("SELECT relispartition FROM pg_class WHERE oid = 'orders_archive'::regclass") ==
        "t");
}

namespace {

// readings: range-partitioned by two columns, one partition of 1,000 rows;
// readings_high: a standalone table of 1,000 rows in the next range.
constexpr const char* kReadings = R"sql(
CREATE TABLE readings (sensor integer NOT NULL, at integer NOT NULL, value numeric)
  PARTITION BY RANGE (sensor, at);
CREATE TABLE readings_low PARTITION OF readings FOR VALUES FROM (0, 0) TO (10, 0);
INSERT INTO readings SELECT g % 10, g, g FROM generate_series(1, 1000) g;
CREATE TABLE readings_high (sensor integer NOT NULL, at integer NOT NULL, value numeric);
INSERT INTO readings_high SELECT 10 + g % 10, g, g FROM generate_series(1, 1000) g;
ANALYZE;
)sql";

std::string readings_yaml(const std::string& high_bound) {
  const std::string columns =
      "        columns:\n"
      "          sensor: { type: integer, nullable: false }\n"
      "          at: { type: integer, nullable: false }\n"
      "          value: numeric\n";
  return "schemas:\n  public:\n    tables:\n      readings:\n" + columns +
         "        partition_by: { strategy: range, key: \"sensor, at\" }\n"
         "      readings_low:\n" +
         columns +
         "        partition_of: { table: readings, bound: \"FOR VALUES FROM (0, 0) TO (10, 0)\" }\n"
         "      readings_high:\n" +
         columns + "        partition_of: { table: readings, bound: \"" + high_bound + "\" }\n";
}

}  // namespace

TEST_CASE("a populated table attached under a key of two columns is proved by the server's own "
          "partition constraint first, scanning nothing under ACCESS EXCLUSIVE",
          "[planner][db][partitions][attach]") {
  TestDatabase db;
  db.exec(kReadings);
  const std::string kHighRows =
      "SELECT count(*) || md5(string_agg(sensor || ' ' || at || ' ' || value, ',' ORDER BY "
      "sensor, at)) FROM readings_high";
  const std::string high = db.scalar(kHighRows);
  const std::string yaml = readings_yaml("FOR VALUES FROM (10, 0) TO (20, 0)");
  const PlanRun first = run_plan(db, yaml);
  INFO(first.messages);
  REQUIRE(first.exit_code == 2);
  const std::string& sql = first.plan;
  INFO(sql);
  // The CHECK is the constraint the scratch database's readings_high has, as
  // pg_get_partition_constraintdef spells it (every row-comparison step).
  check_proved_attach(sql, "public.readings_high", "pgshift_attach_readings_high", "((",
                      "ALTER TABLE public.readings ATTACH PARTITION public.readings_high FOR "
                      "VALUES FROM (10, 0) TO (20, 0)");
  CHECK(contains(sql, "(sensor > 10)"));
  CHECK(contains(sql, "(sensor < 20)"));
  CHECK_FALSE(contains(sql, "access_exclusive_scan"));
  // The server agrees that the CHECK implies the partition constraint.
  CHECK(contains(apply_with_debug(db, sql),
                 "partition constraint for table \"readings_high\" is implied by existing "
                 "constraints"));
  CHECK(db.scalar("SELECT inhparent::regclass::text FROM pg_inherits WHERE inhrelid = "
                  "'readings_high'::regclass") == "readings");
  CHECK(db.scalar(kHighRows) == high);
  CHECK(db.scalar("SELECT count(*) FROM readings") == "2000");
  CHECK(db.scalar("SELECT count(*) FROM pg_constraint WHERE conname LIKE 'pgshift_attach%'") ==
        "0");
  const PlanRun again = run_plan(db, yaml);
  INFO(again.plan);
  CHECK(again.exit_code == 0);
}

TEST_CASE("a populated table with a row outside a two-column bound is refused before any step, "
          "naming the row, and nothing is left on it",
          "[planner][db][partitions][attach][preflight]") {
  TestDatabase db;
  db.exec(kReadings);
  db.exec("INSERT INTO readings_high VALUES (25, 1, 1)");
  const TempDir dir;
  const std::string path =
      dir.write("schema.yaml", readings_yaml("FOR VALUES FROM (10, 0) TO (20, 0)"));
  const CommandResult applied = run_command(
      {PGSHIFT_BIN, "apply", "--db", db.url(), "--schema", path, "--yes"});
  INFO(applied.output);
  CHECK(applied.exit_code == 1);
  CHECK(contains(applied.output, "rows breaking CHECK \"pgshift_attach_readings_high\""));
  CHECK(contains(applied.output, "1 row violates it"));
  // Refused before its first step: no CHECK left NOT VALID, no journal.
  CHECK(db.scalar("SELECT count(*) FROM pg_constraint WHERE conname LIKE 'pgshift_%'") == "0");
  CHECK(db.scalar("SELECT count(*) FROM pg_namespace WHERE nspname = '_pgshift'") == "0");
  CHECK(db.scalar("SELECT count(*) FROM pg_inherits WHERE inhrelid = "
                  "'readings_high'::regclass") == "0");
  CHECK(db.scalar("SELECT count(*) FROM readings_high") == "1001");
  // The row moved out, the same schema applies.
  db.exec("DELETE FROM readings_high WHERE sensor = 25");
  const CommandResult again = run_command(
      {PGSHIFT_BIN, "apply", "--db", db.url(), "--schema", path, "--yes"});
  INFO(again.output);
  CHECK(again.exit_code == 0);
  CHECK(db.scalar("SELECT count(*) FROM pg_inherits WHERE inhrelid = "
                  "'readings_high'::regclass") == "1");
}

TEST_CASE("a new partition beside a populated DEFAULT partition of a two-column key is attached "
          "with the negation of its constraint checked there first",
          "[planner][db][partitions][attach]") {
  TestDatabase db;
  db.exec(kReadings);
  db.exec("DROP TABLE readings_high; CREATE TABLE readings_other PARTITION OF readings DEFAULT; "
          "INSERT INTO readings VALUES (50, 1, 1), (51, 2, 2); ANALYZE readings_other");
  std::string yaml = readings_yaml("FOR VALUES FROM (10, 0) TO (20, 0)");
  yaml += "      readings_other:\n"
          "        columns:\n"
          "          sensor: { type: integer, nullable: false }\n"
          "          at: { type: integer, nullable: false }\n"
          "          value: numeric\n"
          "        partition_of: { table: readings, bound: DEFAULT }\n";
  const PlanRun first = run_plan(db, yaml);
  INFO(first.messages);
  REQUIRE(first.exit_code == 2);
  const std::string& sql = first.plan;
  INFO(sql);
  CHECK(contains(sql, "ALTER TABLE public.readings_other ADD CONSTRAINT "
                      "pgshift_attach_readings_high CHECK (NOT (("));
  CHECK(contains(sql, "ACCESS EXCLUSIVE on public.readings_other"));
  CHECK_FALSE(contains(sql, "access_exclusive_scan"));
  CHECK(contains(apply_with_debug(db, sql),
                 "updated partition constraint for default partition \"readings_other\" is "
                 "implied by existing constraints"));
  CHECK(db.scalar("SELECT count(*) FROM readings_other") == "2");
  CHECK(db.scalar("SELECT count(*) FROM readings") == "1002");
  const PlanRun again = run_plan(db, yaml);
  INFO(again.plan);
  CHECK(again.exit_code == 0);
}

TEST_CASE("a populated table attached as the DEFAULT partition is proved by the negation of "
          "the other bounds, and a row of another partition's bound refuses the plan",
          "[planner][db][partitions][attach]") {
  TestDatabase db;
  db.exec(kReadings);
  const std::string yaml = readings_yaml("DEFAULT");
  const PlanRun first = run_plan(db, yaml);
  INFO(first.messages);
  REQUIRE(first.exit_code == 2);
  INFO(first.plan);
  CHECK(contains(first.plan, "ALTER TABLE public.readings_high ADD CONSTRAINT "
                             "pgshift_attach_readings_high CHECK ((NOT ("));
  CHECK_FALSE(contains(first.plan, "access_exclusive_scan"));
  CHECK(contains(apply_with_debug(db, first.plan),
                 "partition constraint for table \"readings_high\" is implied by existing "
                 "constraints"));
  CHECK(db.scalar("SELECT count(*) FROM readings") == "2000");
  CHECK(run_plan(db, yaml).exit_code == 0);
  // Detached again and given a row of readings_low's bound: the plan is
  // refused, naming the row, and nothing runs.
  db.exec("ALTER TABLE readings DETACH PARTITION readings_high; "
          "INSERT INTO readings_high VALUES (5, 5, 5)");
  const PlanRun plan = run_plan(db, yaml);
  INFO(plan.messages);
  CHECK(plan.exit_code == 1);
  CHECK(contains(plan.messages, "rows breaking CHECK \"pgshift_attach_readings_high\""));
  CHECK(contains(plan.messages, "1 row violates it"));
  CHECK(db.scalar("SELECT count(*) FROM pg_inherits WHERE inhrelid = "
                  "'readings_high'::regclass") == "0");
  CHECK(db.scalar("SELECT count(*) FROM readings_high") == "1001");
}

TEST_CASE("a populated table attached under a hash key of two integer columns is proved by a "
          "CHECK naming the parent, not its OID in the scratch database",
          "[planner][db][partitions][attach]") {
  TestDatabase db;
  db.exec("CREATE TABLE h (a int NOT NULL, b bigint NOT NULL) PARTITION BY HASH (a, b);"
          "CREATE TABLE h0 PARTITION OF h FOR VALUES WITH (modulus 2, remainder 0);"
          "CREATE TABLE h1 PARTITION OF h FOR VALUES WITH (modulus 2, remainder 1);"
          "INSERT INTO h SELECT g, g * 10 FROM generate_series(1, 2000) g;"
          "ALTER TABLE h DETACH PARTITION h1; ANALYZE");
  const std::string columns =
      "        columns:\n"
      "          a: { type: integer, nullable: false }\n"
      "          b: { type: bigint, nullable: false }\n";
  const std::string yaml =
      "schemas:\n  public:\n    tables:\n      h:\n" + columns +
      "        partition_by: { strategy: hash, key: \"a, b\" }\n      h0:\n" + columns +
      "        partition_of: { table: h, bound: \"FOR VALUES WITH (modulus 2, remainder 0)\" }\n"
      "      h1:\n" + columns +
      "        partition_of: { table: h, bound: \"FOR VALUES WITH (modulus 2, remainder 1)\" }\n";
  const PlanRun first = run_plan(db, yaml);
  INFO(first.messages);
  REQUIRE(first.exit_code == 2);
  INFO(first.plan);
  check_proved_attach(first.plan, "public.h1", "pgshift_attach_h1",
                      "(satisfies_hash_partition('public.h'::regclass, 2, 1, a, b)) NOT VALID",
                      "ALTER TABLE public.h ATTACH PARTITION public.h1 FOR VALUES WITH (modulus "
                      "2, remainder 1)");
  CHECK_FALSE(contains(first.plan, "::oid"));
  CHECK(contains(apply_with_debug(db, first.plan),
                 "partition constraint for table \"h1\" is implied by existing constraints"));
  CHECK(db.scalar("SELECT count(*) FROM h") == "2000");
  CHECK(run_plan(db, yaml).exit_code == 0);
}

TEST_CASE("a populated table attached under a hash key of a text column is scanned under ACCESS "
          "EXCLUSIVE with its hazard: no CHECK matches the server's collation-free call",
          "[planner][db][partitions][attach]") {
  TestDatabase db;
  db.exec("CREATE TABLE ht (b text NOT NULL) PARTITION BY HASH (b);"
          "CREATE TABLE ht0 PARTITION OF ht FOR VALUES WITH (modulus 2, remainder 0);"
          "CREATE TABLE ht1 PARTITION OF ht FOR VALUES WITH (modulus 2, remainder 1);"
          "INSERT INTO ht SELECT 'k' || g FROM generate_series(1, 2000) g;"
          "ALTER TABLE ht DETACH PARTITION ht1; ANALYZE");
  const std::string columns = "        columns:\n          b: { type: text, nullable: false }\n";
  const std::string yaml =
      "schemas:\n  public:\n    tables:\n      ht:\n" + columns +
      "        partition_by: { strategy: hash, key: b }\n      ht0:\n" + columns +
      "        partition_of: { table: ht, bound: \"FOR VALUES WITH (modulus 2, remainder 0)\" }\n"
      "      ht1:\n" + columns +
      "        partition_of: { table: ht, bound: \"FOR VALUES WITH (modulus 2, remainder 1)\" }\n";
  const std::string sql = converge(db, yaml);
  CHECK(contains(sql, "hazards: access_exclusive_scan"));
  CHECK(contains(sql, "a hash key over a collatable column"));
  CHECK_FALSE(contains(sql, "pgshift_attach"));
  CHECK(db.scalar("SELECT count(*) FROM ht") == "2000");
}

TEST_CASE("a table attached as the DEFAULT partition while another partition's bound changes "
          "is scanned under ACCESS EXCLUSIVE only with access_exclusive_scan allowed",
          "[planner][db][partitions][attach]") {
  TestDatabase db;
  db.exec(kReadings);
  std::string yaml = readings_yaml("DEFAULT");
  const std::string old_low = "FOR VALUES FROM (0, 0) TO (10, 0)";
  yaml.replace(yaml.find(old_low), old_low.size(), "FOR VALUES FROM (-10, 0) TO (10, 0)");
  const TempDir dir;
  const std::string path = dir.write("schema.yaml", yaml);
  const CommandResult refused = run_command(
      {PGSHIFT_BIN, "apply", "--db", db.url(), "--schema", path, "--yes"});
  INFO(refused.output);
  CHECK(refused.exit_code == 1);
  CHECK(contains(refused.output, "has hazard access_exclusive_scan"));
  CHECK(db.scalar("SELECT count(*) FROM pg_inherits WHERE inhrelid = "
                  "'readings_high'::regclass") == "0");
  const PlanRun json = run_plan(db, yaml, "json");
  INFO(json.messages);
  REQUIRE(json.exit_code == 2);
  CHECK(contains(json.plan, "\"blocking_scan\""));
  CHECK(contains(json.plan, "the other partitions change in the same plan"));
  const std::string sql = converge(db, yaml);
  CHECK(contains(sql, "ALTER TABLE public.readings ATTACH PARTITION public.readings_high DEFAULT"));
  CHECK(contains(sql, "hazards: access_exclusive_scan"));
  CHECK(db.scalar("SELECT count(*) FROM readings") == "2000");
}

namespace {

// orders_2024_02 as a standalone table: what DETACH leaves (its copies of
// the parent's key and indexes under their names, the parent's CHECK),
// without `without`.
std::string detached_yaml(const std::string& without = "") {
  std::string table =
      "      orders_2024_02:\n" + std::string(kOrderColumns) +
      "        primary_key: { name: orders_2024_02_pkey, columns: [id, created_at] }\n"
      "        checks:\n"
      "          orders_total_check: total >= 0\n"
      "        indexes:\n"
      "          orders_2024_02_customer_id_idx: { columns: [customer_id] }\n"
      "          orders_2024_02_total_idx: { columns: [total] }\n";
  if (!without.empty()) table.erase(table.find("          " + without));
  std::string yaml = orders_yaml("");
  const size_t start = yaml.find("      orders_2024_02:");
  yaml.replace(start, yaml.find("      orders_default:") - start, table);
  return yaml;
}

}  // namespace

TEST_CASE("a detached partition keeps its rows and its copies of the parent's key and indexes, "
          "CONCURRENTLY where the server can",
          "[planner][db][partitions][detach]") {
  TestDatabase db;
  db.exec(kOrders);
  db.exec("DROP TABLE orders_archive");
  const bool concurrently = server_version_num(db) >= 140000;
  if (concurrently) db.exec("DROP TABLE orders_default");
  const std::string february = checksum(db, "orders_2024_02", "id, created_at, customer_id, total");
  std::string yaml = detached_yaml("orders_2024_02_total_idx");
  if (concurrently) {
    const size_t start = yaml.find("      orders_default:");
    yaml.replace(start, yaml.find("      orders_2024_02:") - start, "");
  }
  // Without partition_detached allowed the detach is refused, naming it.
  const TempDir dir;
  const std::string path = dir.write("schema.yaml", yaml);
  const CommandResult refused =
      run_command({PGSHIFT_BIN, "apply", "--db", db.url(), "--schema", path, "--yes",
                   "--allow-hazard", "data_loss", "--allow-hazard", "non_transactional"});
  INFO(refused.output);
  CHECK(refused.exit_code == 1);
  CHECK(contains(refused.output, "has hazard partition_detached"));
  CHECK(db.scalar("SELECT count(*) FROM pg_inherits WHERE inhrelid = "
                  "'orders_2024_02'::regclass") == "1");
  const std::string sql = converge(db, yaml);
  CHECK(contains(sql, "partition_detached"));
  if (concurrently) {
    // The CHECK the server would add is ours, dropped after.
    const size_t check = position(sql, "ALTER TABLE public.orders_2024_02 VALIDATE CONSTRAINT "
                                       "pgshift_detach_orders_2024_02");
    const size_t detach = position(sql, "ALTER TABLE public.orders DETACH PARTITION "
                                        "public.orders_2024_02 CONCURRENTLY");
    const size_t drop = position(sql, "ALTER TABLE public.orders_2024_02 DROP CONSTRAINT "
                                      "pgshift_detach_orders_2024_02");
    CHECK(check < detach);
    CHECK(detach < drop);
  } else {
    // Beside a DEFAULT partition (or before 14): plain, catalog only.
    CHECK(contains(sql, "ALTER TABLE public.orders DETACH PARTITION public.orders_2024_02;"));
  }
  // What the desired table lacks goes after the detach; the rest is kept.
  CHECK(position(sql, "DETACH PARTITION") < position(sql, "DROP INDEX CONCURRENTLY IF EXISTS "
                                                          "public.orders_2024_02_total_idx"));
  CHECK_FALSE(contains(sql, "CREATE INDEX"));
  CHECK_FALSE(contains(sql, "ADD CONSTRAINT orders_2024_02_pkey"));
  CHECK(db.scalar("SELECT count(*) FROM pg_inherits WHERE inhrelid = "
                  "'orders_2024_02'::regclass") == "0");
  CHECK(checksum(db, "orders_2024_02", "id, created_at, customer_id, total") == february);
  CHECK(db.scalar("SELECT count(*) FROM orders WHERE created_at >= '2024-02-01' AND created_at < "
                  "'2024-03-01'") == "0");
}

TEST_CASE("a concurrent detach from a parent that foreign keys reference locks their tables, and "
          "is refused before step 1 while their rows reference the partition",
          "[planner][db][partitions][detach][preflight]") {
  TestDatabase db;
  if (server_version_num(db) < 140000) {
    WARN("DETACH ... CONCURRENTLY is PostgreSQL 14+");
    return;
  }
  db.exec(kOrders);
  db.exec(
      "DROP TABLE orders_archive; DROP TABLE orders_default;"
      "CREATE TABLE order_notes (id bigint PRIMARY KEY, order_id bigint, created_at date,"
      "  CONSTRAINT order_notes_order_fkey FOREIGN KEY (order_id, created_at) REFERENCES orders);"
      "INSERT INTO order_notes SELECT id, id, created_at FROM orders"
      "  WHERE created_at < '2024-02-01' AND id % 10 = 0;"
      "INSERT INTO order_notes SELECT id, id, created_at FROM orders"
      "  WHERE created_at >= '2024-02-01' AND id % 500 = 0;"
      "INSERT INTO order_notes SELECT g, NULL, NULL FROM generate_series(100000, 100100) g;"
      "ANALYZE order_notes;");
  const std::string referencing = db.scalar(
      "SELECT count(*) FROM order_notes WHERE created_at >= '2024-02-01'");
  REQUIRE(referencing != "0");
  std::string yaml = detached_yaml();
  const size_t start = yaml.find("      orders_default:");
  yaml.replace(start, yaml.find("      orders_2024_02:") - start, "");
  yaml +=
      "      order_notes:\n        columns:\n"
      "          id: { type: bigint, nullable: false }\n"
      "          order_id: bigint\n          created_at: date\n"
      "        primary_key: [id]\n        foreign_keys:\n"
      "          - { name: order_notes_order_fkey, columns: [order_id, created_at], "
      "references: \"orders(id, created_at)\" }\n";
  const PlanRun refused = run_plan(db, yaml);
  INFO(refused.messages);
  CHECK(refused.exit_code == 1);
  CHECK(contains(refused.messages, "rows of foreign key \"order_notes_order_fkey\" referencing "
                                   "rows of \"public.orders_2024_02\""));
  CHECK(contains(refused.messages, referencing + " rows violate it"));
  CHECK(db.scalar("SELECT count(*) FROM pg_inherits WHERE inhrelid = "
                  "'orders_2024_02'::regclass") == "1");
  // Once nothing references it, the detach runs; its step names the
  // referencing table's locks and the read of it that writes wait for.
  db.exec("DELETE FROM order_notes WHERE created_at >= '2024-02-01'");
  const std::string notes = checksum(db, "order_notes", "id, order_id, created_at");
  const std::string sql = converge(db, yaml);
  const size_t detach = position(sql, "DETACH PARTITION public.orders_2024_02 CONCURRENTLY");
  const size_t header = sql.rfind("-- Step ", detach);
  REQUIRE(header != std::string::npos);
  const std::string step = sql.substr(header, detach - header);
  CHECK(contains(step, "duration: blocking_scan"));
  CHECK(contains(step, "ACCESS EXCLUSIVE on public.order_notes"));
  CHECK(contains(step, "SHARE UPDATE EXCLUSIVE on public.orders"));
  CHECK(db.scalar("SELECT count(*) FROM pg_inherits WHERE inhrelid = "
                  "'orders_2024_02'::regclass") == "0");
  CHECK(checksum(db, "order_notes", "id, order_id, created_at") == notes);
}

namespace {

// A transaction that saw orders_2024_02 as a partition holds its concurrent
// detach in its second wait; cancelled there, the detach stays pending.
void leave_detach_pending(const TestDatabase& db) {
  pqxx::connection reader(db.url());
  pqxx::work snapshot(reader, "snapshot");
  snapshot.exec("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ");
  snapshot.exec("SELECT count(*) FROM orders");
  pqxx::connection detacher(db.url());
  pqxx::nontransaction run(detacher);
  run.exec("SET statement_timeout = 1000");
  CHECK_THROWS(run.exec("ALTER TABLE orders DETACH PARTITION orders_2024_02 CONCURRENTLY"));
  snapshot.commit();
  REQUIRE(db.scalar("SELECT inhdetachpending FROM pg_inherits WHERE inhrelid = "
                    "'orders_2024_02'::regclass") == "t");
}

}  // namespace

TEST_CASE("a pending detach of a partition the desired schema keeps is finished and the table "
          "attached again",
          "[planner][db][partitions][detach]") {
  TestDatabase db;
  if (server_version_num(db) < 140000) {
    WARN("DETACH ... CONCURRENTLY is PostgreSQL 14+");
    return;
  }
  db.exec(kOrders);
  db.exec("DROP TABLE orders_archive; DROP TABLE orders_default");
  const std::string kept = checksum(db, "orders", "id, created_at, customer_id, total");
  leave_detach_pending(db);
  // Its rows are hidden from the parent meanwhile.
  CHECK(db.scalar("SELECT count(*) FROM orders WHERE created_at >= '2024-02-01'") == "0");
  std::string yaml = orders_yaml("");
  const size_t start = yaml.find("      orders_default:");
  yaml.replace(start, std::string::npos, "");
  const std::string sql = converge(db, yaml);
  CHECK(position(sql, "DETACH PARTITION public.orders_2024_02 FINALIZE") <
        position(sql, "ATTACH PARTITION public.orders_2024_02"));
  CHECK_FALSE(contains(sql, "CREATE INDEX"));
  CHECK(checksum(db, "orders", "id, created_at, customer_id, total") == kept);
}

TEST_CASE("a concurrent detach left pending by an interruption is finished by FINALIZE",
          "[planner][db][partitions][detach]") {
  TestDatabase db;
  if (server_version_num(db) < 140000) {
    WARN("DETACH ... CONCURRENTLY is PostgreSQL 14+");
    return;
  }
  db.exec(kOrders);
  db.exec("DROP TABLE orders_archive; DROP TABLE orders_default");
  leave_detach_pending(db);
  std::string yaml = detached_yaml();
  const size_t start = yaml.find("      orders_default:");
  yaml.replace(start, yaml.find("      orders_2024_02:") - start, "");
  const std::string sql = converge(db, yaml);
  CHECK(contains(sql, "ALTER TABLE public.orders DETACH PARTITION public.orders_2024_02 FINALIZE"));
  CHECK_FALSE(contains(sql, "DETACH PARTITION public.orders_2024_02 CONCURRENTLY"));
  CHECK(db.scalar("SELECT count(*) FROM pg_inherits WHERE inhrelid = "
                  "'orders_2024_02'::regclass") == "0");
}

TEST_CASE("a partition moved to another bound is detached then attached, its bound proved first",
          "[planner][db][partitions][detach][attach]") {
  TestDatabase db;
  db.exec(kOrders);
  db.exec("DROP TABLE orders_archive");
  const std::string kept = checksum(db, "orders", "id, created_at, customer_id, total");
  std::string yaml = orders_yaml("");
  const std::string from = "FOR VALUES FROM ('2024-02-01') TO ('2024-03-01')";
  yaml.replace(yaml.find(from), from.size(), "FOR VALUES FROM ('2024-02-01') TO ('2024-06-01')");
  const std::string sql = converge(db, yaml);
  const size_t detach = position(sql, "DETACH PARTITION public.orders_2024_02");
  const size_t attach = position(sql, "ATTACH PARTITION public.orders_2024_02 FOR VALUES FROM "
                                      "('2024-02-01') TO ('2024-06-01')");
  CHECK(detach < attach);
  // The DEFAULT partition's CHECK excluding the new bound is valid before
  // the detach: a row of the old bound written through the parent after the
  // detach is refused there, instead of landing in the DEFAULT partition and
  // failing the validation with the table left detached.
  const size_t default_check = position(
      sql, "ALTER TABLE public.orders_default ADD CONSTRAINT pgshift_attach_orders_2024_02");
  const size_t default_valid = position(
      sql, "ALTER TABLE public.orders_default VALIDATE CONSTRAINT pgshift_attach_orders_2024_02");
  CHECK(default_check < default_valid);
  CHECK(default_valid < detach);
  // Its copies of the parent's key and indexes are attached again, not built.
  CHECK_FALSE(contains(sql, "CREATE INDEX"));
  CHECK_FALSE(contains(sql, "CREATE UNIQUE INDEX"));
  CHECK(contains(sql, "VALIDATE CONSTRAINT pgshift_attach_orders_2024_02"));
  CHECK(checksum(db, "orders", "id, created_at, customer_id, total") == kept);
  CHECK(db.scalar("SELECT pg_get_expr(relpartbound, oid) FROM pg_class WHERE relname = "
                  "'orders_2024_02'") == "FOR VALUES FROM ('2024-02-01') TO ('2024-06-01')");
}

// r: range-partitioned; r_a has a default and a NOT NULL of its own.
constexpr const char* kOwnColumns = R"sql(
CREATE TABLE r (id bigint NOT NULL, at date NOT NULL, kind text, n int) PARTITION BY RANGE (at);
CREATE TABLE r_a PARTITION OF r FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
CREATE TABLE r_b PARTITION OF r FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
ALTER TABLE r_a ALTER COLUMN n SET DEFAULT 7, ALTER COLUMN kind SET NOT NULL;
INSERT INTO r SELECT g, date '2025-01-01' + (g % 700), 'k', g FROM generate_series(1, 1000) g;
ANALYZE;
)sql";

std::string own_columns_yaml(const std::string& parent_extra, const std::string& a_extra,
                             const std::string& b_extra, const std::string& more = "") {
  const std::string base =
      "          id: { type: bigint, nullable: false }\n"
      "          at: { type: date, nullable: false }\n";
  return "schemas:\n  public:\n    tables:\n      r:\n        columns:\n" + base + parent_extra +
         "        partition_by: { strategy: range, key: at }\n"
         "      r_a:\n        columns:\n" +
         base + a_extra +
         "        partition_of: { table: r, bound: \"FOR VALUES FROM ('2025-01-01') TO "
         "('2026-01-01')\" }\n"
         "      r_b:\n        columns:\n" +
         base + b_extra +
         "        partition_of: { table: r, bound: \"FOR VALUES FROM ('2026-01-01') TO "
         "('2027-01-01')\" }\n" +
         more;
}

// The default and NOT NULL of column `column` of `table`, as "t|7".
std::string column_state(const TestDatabase& db, const std::string& table,
                         const std::string& column) {
  return db.scalar(
      "SELECT a.attnotnull::text || '|' || coalesce(pg_get_expr(d.adbin, d.adrelid), '') FROM "
      "pg_attribute a LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum "
      "WHERE a.attrelid = '" + table + "'::regclass AND a.attname = '" + column + "'");
}

TEST_CASE("a partition's own defaults and NOT NULL are kept by a no-op plan, planned when they "
          "change, given to a new partition, and seen by drift",
          "[planner][db][partitions]") {
  TestDatabase db;
  db.exec(kOwnColumns);
  const std::string kept = checksum(db, "r", "id, at, kind, n");
  const std::string as_now = own_columns_yaml(
      "          kind: text\n          n: integer\n",
      "          kind: { type: text, nullable: false }\n          n: { type: integer, default: 7 }\n",
      "          kind: text\n          n: integer\n");
  const PlanRun noop = run_plan(db, as_now);
  INFO(noop.messages);
  CHECK(noop.exit_code == 0);
  const TempDir dir;
  const auto drift = run_pgshift({"drift", "--db", db.url(), "--schema",
                                  dir.write("now.yaml", as_now)});
  INFO(drift.output);
  CHECK(drift.exit_code == 0);

  // The parent's default changes (it recurses into every partition); r_a
  // keeps a default of its own and drops its NOT NULL, r_b drops the default
  // the parent gave it and gets a NOT NULL of its own; r_c, new, has both.
  const std::string changed = own_columns_yaml(
      "          kind: text\n          n: { type: integer, default: 3 }\n",
      "          kind: text\n          n: { type: integer, default: 8 }\n",
      "          kind: { type: text, nullable: false }\n          n: integer\n",
      "      r_c:\n        columns:\n"
      "          id: { type: bigint, nullable: false }\n"
      "          at: { type: date, nullable: false }\n"
      "          kind: text\n"
      "          n: { type: integer, default: 42, nullable: false }\n"
      "        partition_of: { table: r, bound: \"FOR VALUES FROM ('2027-01-01') TO "
      "('2028-01-01')\" }\n");
  const std::string sql = converge(db, changed);
  const size_t parent_default = position(sql, "ALTER TABLE public.r ALTER COLUMN n SET DEFAULT 3");
  CHECK(parent_default < position(sql, "ALTER TABLE public.r_a ALTER COLUMN n SET DEFAULT 8"));
  CHECK(parent_default < position(sql, "ALTER TABLE public.r_b ALTER COLUMN n DROP DEFAULT"));
  CHECK(parent_default < position(sql, "ALTER TABLE public.r_c ALTER COLUMN n SET DEFAULT 42"));
  CHECK(contains(sql, "ALTER TABLE public.r_a ALTER COLUMN kind DROP NOT NULL"));
  // r_b holds rows: its NOT NULL is proved by a CHECK first.
  CHECK(position(sql, "ALTER TABLE public.r_b VALIDATE CONSTRAINT pgshift_nn_kind") <
        position(sql, "ALTER TABLE public.r_b ALTER COLUMN kind SET NOT NULL"));
  CHECK(column_state(db, "r", "n") == "false|3");
  CHECK(column_state(db, "r_a", "n") == "false|8");
  CHECK(column_state(db, "r_a", "kind") == "false|");
  CHECK(column_state(db, "r_b", "n") == "false|");
  CHECK(column_state(db, "r_b", "kind") == "true|");
  CHECK(column_state(db, "r_c", "n") == "true|42");
  CHECK(checksum(db, "r", "id, at, kind, n") == kept);

  // Changed out of band: drift names the partition's column, plan repairs it.
  db.exec("ALTER TABLE r_a ALTER COLUMN n SET DEFAULT 9");
  const std::string path = dir.write("changed.yaml", changed);
  const auto drifted = run_pgshift({"drift", "--db", db.url(), "--schema", path});
  INFO(drifted.output);
  CHECK(drifted.exit_code == 2);
  CHECK(contains(drifted.output, "table \"public.r_a\""));
  CHECK(contains(drifted.output, "columns.n.default"));
  converge(db, changed);
  CHECK(column_state(db, "r_a", "n") == "false|8");
}

TEST_CASE("the parent's DROP NOT NULL reaches its partitions without a step of theirs, and a "
          "partition keeping one sets it again after",
          "[planner][db][partitions]") {
  TestDatabase db;
  db.exec("CREATE TABLE q (id int NOT NULL, v text NOT NULL) PARTITION BY LIST (id);"
          "CREATE TABLE q_1 (LIKE q);"
          "ALTER TABLE q ATTACH PARTITION q_1 FOR VALUES IN (1);"
          "CREATE TABLE q_2 PARTITION OF q FOR VALUES IN (2);"
          "INSERT INTO q VALUES (1, 'x'), (2, 'y')");
  const std::string sql = converge(
      db,
      "schemas:\n  public:\n    tables:\n"
      "      q:\n        columns: { id: { type: integer, nullable: false }, v: text }\n"
      "        partition_by: { strategy: list, key: id }\n"
      "      q_1:\n        columns: { id: { type: integer, nullable: false }, v: text }\n"
      "        partition_of: { table: q, bound: \"FOR VALUES IN (1)\" }\n"
      "      q_2:\n"
      "        columns: { id: { type: integer, nullable: false }, v: { type: text, nullable: "
      "false } }\n"
      "        partition_of: { table: q, bound: \"FOR VALUES IN (2)\" }\n");
  CHECK(position(sql, "ALTER TABLE public.q ALTER COLUMN v DROP NOT NULL") <
        position(sql, "ALTER TABLE public.q_2 ALTER COLUMN v SET NOT NULL"));
  CHECK_FALSE(contains(sql, "ALTER TABLE public.q_1 ALTER COLUMN v"));
  CHECK(column_state(db, "q_1", "v") == "false|");
  CHECK(column_state(db, "q_2", "v") == "true|");
  db.exec("INSERT INTO q VALUES (1, NULL)");
}

TEST_CASE("a partition's column its parent lacks, of another type, or renamed on the partition "
          "alone is an error at its YAML line, before anything is built",
          "[planner][db][partitions]") {
  TestDatabase db;
  db.exec(kOwnColumns);
  const std::string text = "          kind: text\n          n: integer\n";
  struct Case {
    std::string a_columns;
    std::string message;
  };
  const std::vector<Case> cases = {
      {text + "          extra: integer\n",
       "schema.yaml:17:11: column \"extra\" of partition \"public.r_a\" is not a column of its "
       "parent \"public.r\": a partition has exactly its parent's columns"},
      {"          kind: varchar(10)\n          n: integer\n",
       "schema.yaml:15:11: column \"kind\" of partition \"public.r_a\" has type varchar(10), its "
       "parent \"public.r\"'s has text"},
      {"          kind: text\n          n: { type: integer, renamed_from: m }\n",
       "schema.yaml:16:11: renamed_from on column \"n\" of partition \"public.r_a\": a "
       "partition's column is renamed with its parent's"},
  };
  for (const auto& each : cases) {
    const PlanRun run = run_plan(db, own_columns_yaml(text, each.a_columns, text));
    INFO(run.messages);
    CHECK(run.exit_code == 1);
    CHECK(contains(run.messages, each.message));
  }
  // The same spelled another way is the same type; a column left out is
  // the parent's.
  const PlanRun same = run_plan(
      db, own_columns_yaml(text, "          kind: { type: text, nullable: false }\n"
                                 "          n: { type: int4, default: 7 }\n",
                           "          n: integer\n"));
  INFO(same.messages);
  CHECK(same.exit_code == 0);
}
