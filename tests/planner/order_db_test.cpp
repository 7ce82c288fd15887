// Ordering and dependency cases of the planner, and constraint state, end to
// end on a real server: a database in the "before" state with rows,
// `pgshift plan --format sql`, the script run by psql (it must succeed), a
// second plan that must find nothing to do, and the rows kept.
#include <catch2/catch.hpp>
#include <string>
#include <tuple>
#include <vector>

#include "tests/support/converge.hpp"
#include "tests/support/run.hpp"
#include "tests/support/server_version.hpp"
#include "tests/support/test_db.hpp"

using namespace pgshift::testing;

namespace {

constexpr const char* kPgshift = PGSHIFT_BIN;

// The schema already matches: the plan must be empty (exit 0).
void plans_nothing(const TestDatabase& db, const std::string& yaml) {
  const PlanRun run = run_plan(db, yaml);
  INFO(run.messages);
  INFO(run.plan);
  REQUIRE(run.exit_code == 0);
}

}  // namespace

// ---------------------------------------------------------------------------
// A foreign key to the columns of a unique index (not a constraint).
// ---------------------------------------------------------------------------

namespace {

constexpr const char* kParentWithUniqueIndex =
    "schemas:\n"
    "  public:\n"
    "    tables:\n"
    "      parent:\n"
    "        columns:\n"
    "          id: { type: integer, nullable: false }\n"
    "          code: { type: text, nullable: false }\n"
    "        indexes:\n"
    "          parent_code_idx: { columns: [code], unique: true }\n"
    "      child:\n"
    "        columns:\n"
    "          id: { type: integer, nullable: false }\n"
    "          code: text\n"
    "        primary_key: [id]\n"
    "        foreign_keys:\n"
    "          - { columns: [code], references: parent(code) }\n";

}  // namespace

TEST_CASE("a foreign key to the columns of a unique index is created after the index",
          "[planner][db][order]") {
  TestDatabase db;
  const std::string sql = converge(db, kParentWithUniqueIndex);
  CHECK(position(sql, "CREATE UNIQUE INDEX parent_code_idx") <
        position(sql, "ADD CONSTRAINT child_code_fkey"));
  CHECK_FALSE(contains(sql, "NOT VALID"));  // new tables: nothing to check
  db.exec("INSERT INTO parent VALUES (1, 'a'); INSERT INTO child VALUES (1, 'a');");
  CHECK_THROWS(db.exec("INSERT INTO child VALUES (2, 'zz')"));
}

TEST_CASE("a database whose foreign key references a unique index plans nothing",
          "[planner][db][order]") {
  TestDatabase db;
  db.exec(
      "CREATE TABLE parent (id integer NOT NULL, code text NOT NULL);"
      "CREATE UNIQUE INDEX parent_code_idx ON parent (code);"
      "CREATE TABLE child (id integer PRIMARY KEY, code text REFERENCES parent (code));"
      "INSERT INTO parent SELECT g, 'c' || g FROM generate_series(1, 500) g;"
      "INSERT INTO child SELECT g, 'c' || g FROM generate_series(1, 500) g; ANALYZE;");
  plans_nothing(db, kParentWithUniqueIndex);
}

TEST_CASE("a foreign key is dropped before the unique index it references",
          "[planner][db][order]") {
  TestDatabase db;
  db.exec(
      "CREATE TABLE parent (id integer NOT NULL, code text NOT NULL);"
      "CREATE UNIQUE INDEX parent_code_idx ON parent (code);"
      "CREATE TABLE child (id integer PRIMARY KEY, code text REFERENCES parent (code));"
      "INSERT INTO parent SELECT g, 'c' || g FROM generate_series(1, 500) g;"
      "INSERT INTO child SELECT g, 'c' || g FROM generate_series(1, 500) g; ANALYZE;");
  const std::string before = checksum(db, "child", "id, code");
  const std::string sql = converge(db,
                                   "schemas:\n"
                                   "  public:\n"
                                   "    tables:\n"
                                   "      parent:\n"
                                   "        columns:\n"
                                   "          id: { type: integer, nullable: false }\n"
                                   "          code: { type: text, nullable: false }\n"
                                   "      child:\n"
                                   "        columns:\n"
                                   "          id: { type: integer, nullable: false }\n"
                                   "          code: text\n"
                                   "        primary_key: [id]\n");
  CHECK(position(sql, "DROP CONSTRAINT child_code_fkey") <
        position(sql, "DROP INDEX CONCURRENTLY IF EXISTS public.parent_code_idx"));
  CHECK(checksum(db, "child", "id, code") == before);
}

// ---------------------------------------------------------------------------
// Drops and replacements that the server orders for us or refuses.
// ---------------------------------------------------------------------------

namespace {

// public.t (id, name, qty) with 1000 rows, analyzed; `qty_column` defines qty.
std::string filled_t(const std::string& qty_column = "qty integer") {
  return "CREATE TABLE t (id integer PRIMARY KEY, name text, " + qty_column +
         ");"
         "INSERT INTO t (id, name) SELECT g, 'n' || g FROM generate_series(1, 1000) g;"
         "UPDATE t SET qty = id % 7; ANALYZE t;";
}

constexpr const char* kTWithoutQty =
    "schemas:\n"
    "  public:\n"
    "    tables:\n"
    "      t:\n"
    "        columns:\n"
    "          id: { type: integer, nullable: false }\n"
    "          name: text\n"
    "        primary_key: [id]\n";

}  // namespace

TEST_CASE("a CHECK on a dropped column is dropped before the column", "[planner][db][order]") {
  TestDatabase db;
  db.exec(filled_t("qty integer CONSTRAINT t_qty_check CHECK (qty >= 0)"));
  const std::string before = checksum(db, "t", "id, name");
  const std::string sql = converge(db, kTWithoutQty);
  CHECK(position(sql, "DROP CONSTRAINT t_qty_check") < position(sql, "DROP COLUMN qty"));
  CHECK(checksum(db, "t", "id, name") == before);
}

TEST_CASE("a dropped serial column takes its owned sequence with it", "[planner][db][order]") {
  TestDatabase db;
  db.exec(filled_t("qty serial"));
  const std::string before = checksum(db, "t", "id, name");
  const std::string sql = converge(db, kTWithoutQty);
  // The sequence is owned by the column: DROP COLUMN drops it, and a DROP
  // SEQUENCE before would be refused while the default uses it.
  CHECK(contains(sql, "DROP COLUMN qty"));
  CHECK_FALSE(contains(sql, "DROP SEQUENCE"));
  CHECK(db.scalar("SELECT count(*) FROM pg_class WHERE relkind = 'S'") == "0");
  CHECK(checksum(db, "t", "id, name") == before);
}

TEST_CASE("a primary key moved to other columns is dropped before NOT NULL of the old ones",
          "[planner][db][order]") {
  TestDatabase db;
  db.exec(
      "CREATE TABLE t (id integer PRIMARY KEY, code integer NOT NULL, name text);"
      "INSERT INTO t SELECT g, 5000 - g, 'n' || g FROM generate_series(1, 1000) g; ANALYZE t;");
  const std::string before = checksum(db, "t", "id, code, name");
  const std::string sql = converge(db,
                                   "schemas:\n"
                                   "  public:\n"
                                   "    tables:\n"
                                   "      t:\n"
                                   "        columns:\n"
                                   "          id: integer\n"
                                   "          code: { type: integer, nullable: false }\n"
                                   "          name: text\n"
                                   "        primary_key: [code]\n");
  CHECK(position(sql, "DROP CONSTRAINT t_pkey") < position(sql, "ALTER COLUMN id DROP NOT NULL"));
  CHECK(db.scalar("SELECT attnotnull FROM pg_attribute WHERE attrelid = 't'::regclass AND "
                  "attname = 'id'") == "f");
  CHECK(checksum(db, "t", "id, code, name") == before);
}

TEST_CASE("an identity added to a nullable filled column is preceded by a safe NOT NULL",
          "[planner][db][order]") {
  TestDatabase db;
  db.exec(
      "CREATE TABLE t (id integer, name text);"
      "INSERT INTO t SELECT g, 'n' || g FROM generate_series(1, 1000) g; ANALYZE t;");
  const std::string before = checksum(db, "t", "id, name");
  const std::string sql = converge(db,
                                   "schemas:\n"
                                   "  public:\n"
                                   "    tables:\n"
                                   "      t:\n"
                                   "        columns:\n"
                                   "          id: { type: integer, identity: by_default }\n"
                                   "          name: text\n");
  // Rule 4's sequence: CHECK NOT VALID, VALIDATE, SET NOT NULL, then the identity.
  const size_t check = position(sql, "CHECK (id IS NOT NULL) NOT VALID");
  const size_t validate = position(sql, "VALIDATE CONSTRAINT pgshift_nn_id");
  const size_t set = position(sql, "ALTER COLUMN id SET NOT NULL");
  const size_t identity = position(sql, "ALTER COLUMN id ADD GENERATED BY DEFAULT AS IDENTITY");
  CHECK(check < validate);
  CHECK(validate < set);
  CHECK(set < identity);
  CHECK(checksum(db, "t", "id, name") == before);
}

TEST_CASE("an identity dropped from a column made nullable is dropped before NOT NULL",
          "[planner][db][order]") {
  TestDatabase db;
  db.exec(
      "CREATE TABLE t (id integer GENERATED ALWAYS AS IDENTITY, name text);"
      "INSERT INTO t (name) SELECT 'n' || g FROM generate_series(1, 1000) g; ANALYZE t;");
  const std::string before = checksum(db, "t", "id, name");
  const std::string sql = converge(db,
                                   "schemas:\n"
                                   "  public:\n"
                                   "    tables:\n"
                                   "      t:\n"
                                   "        columns:\n"
                                   "          id: integer\n"
                                   "          name: text\n");
  CHECK(position(sql, "DROP IDENTITY") < position(sql, "DROP NOT NULL"));
  CHECK(checksum(db, "t", "id, name") == before);
}

TEST_CASE("an identity's options are altered in place, its position kept, and put back to the "
          "defaults when removed",
          "[planner][db][identity]") {
  TestDatabase db;
  db.exec(
      "CREATE TABLE t (id integer GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, name text);"
      "INSERT INTO t (name) SELECT 'n' || g FROM generate_series(1, 100) g; ANALYZE t;");
  const std::string before = checksum(db, "t", "id, name");
  auto yaml = [](const std::string& identity) {
    return "schemas:\n  public:\n    tables:\n      t:\n        columns:\n"
           "          id: { type: integer, nullable: false, identity: " + identity + " }\n"
           "          name: text\n        primary_key: [id]\n";
  };
  const std::string sql = converge(
      db, yaml("{ kind: always, increment: 5, max_value: 100000, cache: 10 }"));
  CHECK(contains(sql, "ALTER COLUMN id SET GENERATED ALWAYS"));
  CHECK(contains(sql, "ALTER TABLE public.t ALTER COLUMN id SET INCREMENT BY 5 SET NO MINVALUE "
                      "SET MAXVALUE 100000 SET START WITH 1 SET CACHE 10 SET NO CYCLE"));
  CHECK_FALSE(contains(sql, "RESTART"));
  CHECK(checksum(db, "t", "id, name") == before);
  CHECK(db.scalar("SELECT seqincrement || ':' || seqmax || ':' || seqcache FROM pg_sequence") ==
        "5:100000:10");
  // The position is kept: the next value follows the last one given.
  CHECK(db.scalar("INSERT INTO t (name) VALUES ('x') RETURNING id") == "105");
  // Removed: every option back to its default, still no restart.
  converge(db, yaml("by_default"));
  CHECK(db.scalar("SELECT seqincrement || ':' || seqmax || ':' || seqcache FROM pg_sequence") ==
        "1:2147483647:1");
  // The next value follows the last one the sequence handed out (a cache
  // of 10 had already taken values past 105).
  const long last = std::stol(db.scalar("SELECT last_value FROM pg_sequences"));
  CHECK(last >= 105);
  CHECK(db.scalar("INSERT INTO t (name) VALUES ('y') RETURNING id") == std::to_string(last + 1));
  // A descending one on bigint.
  db.exec("CREATE TABLE d (id bigint GENERATED ALWAYS AS IDENTITY)");
  converge(db, yaml("by_default") +
                   "      d:\n        columns:\n          id: { type: bigint, nullable: false, "
                   "identity: { kind: always, increment: -1 } }\n");
  CHECK(db.scalar("SELECT seqincrement || ':' || seqmin || ':' || seqmax FROM pg_sequence WHERE "
                  "seqrelid = pg_get_serial_sequence('d', 'id')::regclass") ==
        "-1:-9223372036854775808:-1");
}

TEST_CASE("an identity whose position is outside the desired bounds is refused by name",
          "[planner][db][identity]") {
  TestDatabase db;
  db.exec(
      "CREATE TABLE t (id integer GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY);"
      "INSERT INTO t SELECT FROM generate_series(1, 100);");
  const PlanRun run = run_plan(db,
                               "schemas:\n  public:\n    tables:\n      t:\n        columns:\n"
                               "          id: { type: integer, nullable: false, identity: "
                               "{ kind: by_default, max_value: 50 } }\n"
                               "        primary_key: [id]\n");
  INFO(run.messages);
  CHECK(run.exit_code == 1);
  CHECK(contains(run.messages, "column \"id\" of table \"public.t\""));
  CHECK(contains(run.messages, "handed out 100, outside the desired bounds 1..50"));
  CHECK(db.scalar("SELECT max_value FROM pg_sequences") == "2147483647");
}

// ---------------------------------------------------------------------------
// Foreign keys to a partitioned table.
// ---------------------------------------------------------------------------

namespace {

constexpr const char* kPartitionedParent =
    "CREATE TABLE parent (id integer NOT NULL, region text NOT NULL, PRIMARY KEY (id, region))"
    "  PARTITION BY LIST (region);"
    "CREATE TABLE parent_eu PARTITION OF parent FOR VALUES IN ('eu');"
    "CREATE TABLE parent_us PARTITION OF parent FOR VALUES IN ('us');"
    "CREATE TABLE child (id integer PRIMARY KEY, parent_id integer, region text,"
    "  FOREIGN KEY (parent_id, region) REFERENCES parent (id, region));"
    "INSERT INTO parent SELECT g, CASE WHEN g % 2 = 0 THEN 'eu' ELSE 'us' END"
    "  FROM generate_series(1, 1000) g;"
    "INSERT INTO child SELECT id, id, region FROM parent; ANALYZE;";

constexpr const char* kParentWithoutUs =
    "schemas:\n"
    "  public:\n"
    "    tables:\n"
    "      parent:\n"
    "        columns:\n"
    "          id: { type: integer, nullable: false }\n"
    "          region: { type: text, nullable: false }\n"
    "        primary_key: [id, region]\n"
    "        partition_by: { strategy: list, key: region }\n"
    "      parent_eu:\n"
    "        columns:\n"
    "          id: { type: integer, nullable: false }\n"
    "          region: { type: text, nullable: false }\n"
    "        partition_of: { table: parent, bound: \"FOR VALUES IN ('eu')\" }\n";

}  // namespace

TEST_CASE("a foreign key to a partitioned table is dropped before a partition it has triggers on",
          "[planner][db][order]") {
  TestDatabase db;
  if (pgshift::testing::server_version_num(db) < 120000) {
    WARN("a foreign key may reference a partitioned table from PostgreSQL 12 on");
    return;
  }
  db.exec(kPartitionedParent);
  const std::string before = checksum(db, "child", "id, parent_id, region");
  const std::string sql = converge(db, std::string(kParentWithoutUs) +
                                           "      child:\n"
                                           "        columns:\n"
                                           "          id: { type: integer, nullable: false }\n"
                                           "          parent_id: integer\n"
                                           "          region: text\n"
                                           "        primary_key: [id]\n");
  CHECK(position(sql, "DROP CONSTRAINT child_parent_id_region_fkey") <
        position(sql, "DROP TABLE public.parent_us"));
  CHECK(checksum(db, "child", "id, parent_id, region") == before);
}

TEST_CASE("a table with a foreign key to a partitioned table is dropped before a partition",
          "[planner][db][order]") {
  TestDatabase db;
  if (pgshift::testing::server_version_num(db) < 120000) {
    WARN("a foreign key may reference a partitioned table from PostgreSQL 12 on");
    return;
  }
  db.exec(kPartitionedParent);
  const std::string sql = converge(db, kParentWithoutUs);
  CHECK(position(sql, "DROP TABLE public.child") < position(sql, "DROP TABLE public.parent_us"));
  CHECK(db.scalar("SELECT count(*) FROM parent") == "500");
}

// ---------------------------------------------------------------------------
// Sequences: ALTER SEQUENCE spells every option.
// ---------------------------------------------------------------------------

TEST_CASE("a sequence narrowed to integer with new bounds converges and keeps its position",
          "[planner][db][order]") {
  TestDatabase db;
  db.exec(
      "CREATE SEQUENCE s AS bigint MAXVALUE 5000000000; SELECT setval('s', 50);"
      "CREATE SEQUENCE fresh AS bigint;"
      "CREATE SEQUENCE wide AS integer MINVALUE 5 MAXVALUE 1000 START 7; SELECT setval('wide', "
      "9);");
  const std::string sql =
      converge(db,
               "schemas:\n"
               "  public:\n"
               "    sequences:\n"
               "      s: { type: integer, min_value: 10, max_value: 100000 }\n"
               "      fresh: { type: integer, min_value: 10, max_value: 100000, start: 20 }\n"
               "      wide: { type: bigint }\n");
  CHECK(contains(sql, "ALTER SEQUENCE public.s AS integer"));
  // Never called: restarted at its new start. Called: it goes on.
  CHECK(db.scalar("SELECT nextval('fresh')") == "20");
  CHECK(db.scalar("SELECT nextval('s')") == "51");
  CHECK(db.scalar("SELECT nextval('wide')") == "10");
  CHECK(db.scalar("SELECT max_value FROM pg_sequences WHERE sequencename = 'wide'") ==
        "9223372036854775807");
}

TEST_CASE("a foreign key relying on a key the plan replaces or drops is dropped and added again "
          "around it, in the same transaction, on the desired key of its columns",
          "[planner][db][order]") {
  for (const std::string& parent_keys :
       {std::string("        primary_key: [code]\n        unique:\n          - [id]\n"),
        std::string("        unique:\n          - [id]\n")}) {
    INFO(parent_keys);
    TestDatabase db;
    db.exec(
        "CREATE TABLE p (id integer PRIMARY KEY, code text NOT NULL);"
        "CREATE TABLE c (id integer PRIMARY KEY, pid integer REFERENCES p (id));"
        "INSERT INTO p SELECT g, 'c' || g FROM generate_series(1, 500) g;"
        "INSERT INTO c SELECT g, g FROM generate_series(1, 500) g; ANALYZE;");
    const std::string rows = checksum(db, "c", "id, pid");
    const std::string yaml =
        "schemas:\n  public:\n    tables:\n"
        "      c:\n        columns:\n          id: { type: integer, nullable: false }\n"
        "          pid: integer\n        primary_key: [id]\n"
        "        foreign_keys:\n          - { columns: [pid], references: p(id) }\n"
        "      p:\n        columns:\n          id: { type: integer, nullable: false }\n"
        "          code: { type: text, nullable: false }\n" +
        parent_keys;
    const std::string sql = converge(db, yaml);
    const size_t drop_fk = position(sql, "ALTER TABLE public.c DROP CONSTRAINT c_pid_fkey;");
    const size_t drop_key = position(sql, "ALTER TABLE public.p DROP CONSTRAINT p_pkey;");
    const size_t add_fk = position(sql, "ALTER TABLE public.c ADD CONSTRAINT c_pid_fkey FOREIGN "
                                        "KEY (pid) REFERENCES public.p (id) NOT VALID;");
    CHECK(drop_fk < drop_key);
    CHECK(drop_key < add_fk);
    // One transaction: no COMMIT between the drop of the foreign key and its add.
    CHECK(sql.find("COMMIT", drop_fk) > add_fk);
    CHECK(position(sql, "ALTER TABLE public.c VALIDATE CONSTRAINT c_pid_fkey") > add_fk);
    CHECK(db.scalar("SELECT convalidated || ':' || conindid::regclass FROM pg_constraint WHERE "
                    "conname = 'c_pid_fkey'") == "true:p_id_key");
    CHECK(checksum(db, "c", "id, pid") == rows);
  }
}

TEST_CASE("a foreign key relying on a key of a populated partitioned table the plan rebuilds "
          "partition by partition or drops is dropped and added again around it, in the same "
          "transaction, then validated",
          "[planner][db][order]") {
  // The old key's columns in another order (rebuilt: the partitions' keys
  // built first, the parent's attached in the step that drops the old one),
  // or a primary key dropped for a UNIQUE constraint of its columns.
  for (const auto& [old_key, new_key, dropped] :
       {std::tuple<std::string, std::string, std::string>{
            "CONSTRAINT p_key UNIQUE (id, region)",
            "        unique:\n          - { name: p_key, columns: [region, id] }\n", "p_key"},
        std::tuple<std::string, std::string, std::string>{
            "CONSTRAINT p_pkey PRIMARY KEY (id, region)",
            "        unique:\n          - [id, region]\n", "p_pkey"}}) {
    INFO(new_key);
    TestDatabase db;
    if (pgshift::testing::server_version_num(db) < 120000) {
      WARN("a foreign key may reference a partitioned table from PostgreSQL 12 on");
      return;
    }
    db.exec("CREATE TABLE p (id integer NOT NULL, region text NOT NULL, " + old_key +
            ") PARTITION BY LIST (region);"
            "CREATE TABLE p_eu PARTITION OF p FOR VALUES IN ('eu');"
            "CREATE TABLE p_us PARTITION OF p FOR VALUES IN ('us');"
            "CREATE TABLE c (id integer PRIMARY KEY, pid integer, pregion text,"
            "  FOREIGN KEY (pid, pregion) REFERENCES p (id, region));"
            "INSERT INTO p SELECT g, CASE WHEN g % 2 = 0 THEN 'eu' ELSE 'us' END"
            "  FROM generate_series(1, 500) g;"
            "INSERT INTO c SELECT id, id, region FROM p; ANALYZE;");
    const std::string rows = checksum(db, "c", "id, pid, pregion");
    const std::string partition =
        "        columns:\n          id: { type: integer, nullable: false }\n"
        "          region: { type: text, nullable: false }\n";
    const std::string yaml =
        "schemas:\n  public:\n    tables:\n"
        "      c:\n        columns:\n          id: { type: integer, nullable: false }\n"
        "          pid: integer\n          pregion: text\n        primary_key: [id]\n"
        "        foreign_keys:\n"
        "          - { columns: [pid, pregion], references: \"p(id, region)\" }\n"
        "      p:\n" +
        partition + new_key +
        "        partition_by: { strategy: list, key: region }\n"
        "      p_eu:\n" +
        partition + "        partition_of: { table: p, bound: \"FOR VALUES IN ('eu')\" }\n" +
        "      p_us:\n" + partition +
        "        partition_of: { table: p, bound: \"FOR VALUES IN ('us')\" }\n";
    const std::string sql = converge(db, yaml);
    const size_t drop_fk =
        position(sql, "ALTER TABLE public.c DROP CONSTRAINT c_pid_pregion_fkey;");
    const size_t drop_key = position(sql, "ALTER TABLE public.p DROP CONSTRAINT " + dropped + ";");
    const size_t add_fk =
        position(sql,
                 "ALTER TABLE public.c ADD CONSTRAINT c_pid_pregion_fkey FOREIGN KEY (pid, "
                 "pregion) REFERENCES public.p (id, region) NOT VALID;");
    CHECK(drop_fk < drop_key);
    CHECK(drop_key < add_fk);
    CHECK(sql.find("COMMIT", drop_fk) > add_fk);
    CHECK(position(sql, "ALTER TABLE public.c VALIDATE CONSTRAINT c_pid_pregion_fkey") > add_fk);
    CHECK(db.scalar(
              "SELECT convalidated::text FROM pg_constraint WHERE conname = 'c_pid_pregion_fkey' "
              "AND conrelid = 'c'::regclass") == "true");
    CHECK(checksum(db, "c", "id, pid, pregion") == rows);
    CHECK(db.scalar("SELECT count(*) FROM p") == "500");
  }
}

TEST_CASE("a foreign key of a populated partitioned table relying on a key the plan replaces "
          "is added again NOT VALID on each leaf partition in the key's step (the parent before "
          "PostgreSQL 18 takes none), validated there, then attached by the parent's ADD",
          "[planner][db][order][partitions]") {
  TestDatabase db;
  db.exec(
      "CREATE TABLE p (id integer PRIMARY KEY, code text NOT NULL);"
      "CREATE TABLE c (id integer NOT NULL, pid integer REFERENCES p (id)) PARTITION BY RANGE (id);"
      "CREATE TABLE c_low PARTITION OF c FOR VALUES FROM (MINVALUE) TO (250);"
      "CREATE TABLE c_high PARTITION OF c FOR VALUES FROM (250) TO (1000) PARTITION BY HASH (id);"
      "CREATE TABLE c_high_a PARTITION OF c_high FOR VALUES WITH (MODULUS 2, REMAINDER 0);"
      "CREATE TABLE c_high_b PARTITION OF c_high FOR VALUES WITH (MODULUS 2, REMAINDER 1);"
      "CREATE TABLE c_empty PARTITION OF c FOR VALUES FROM (1000) TO (2000);"
      "INSERT INTO p SELECT g, 'c' || g FROM generate_series(1, 500) g;"
      "INSERT INTO c SELECT g, g FROM generate_series(1, 500) g; ANALYZE;");
  const std::string rows = checksum(db, "c", "id, pid");
  const std::string columns =
      "        columns:\n          id: { type: integer, nullable: false }\n          pid: integer\n";
  const std::string yaml =
      "schemas:\n  public:\n    tables:\n"
      "      c:\n" + columns +
      "        foreign_keys:\n          - { columns: [pid], references: p(id) }\n"
      "        partition_by: { strategy: range, key: id }\n"
      "      c_low:\n" + columns +
      "        partition_of: { table: c, bound: FOR VALUES FROM (MINVALUE) TO (250) }\n"
      "      c_high:\n" + columns +
      "        partition_by: { strategy: hash, key: id }\n"
      "        partition_of: { table: c, bound: FOR VALUES FROM (250) TO (1000) }\n"
      "      c_high_a:\n" + columns +
      "        partition_of: { table: c_high, bound: \"FOR VALUES WITH (modulus 2, remainder 0)\" }\n"
      "      c_high_b:\n" + columns +
      "        partition_of: { table: c_high, bound: \"FOR VALUES WITH (modulus 2, remainder 1)\" }\n"
      "      c_empty:\n" + columns +
      "        partition_of: { table: c, bound: FOR VALUES FROM (1000) TO (2000) }\n"
      "      p:\n        columns:\n          id: { type: integer, nullable: false }\n"
      "          code: { type: text, nullable: false }\n"
      "        primary_key: [code]\n        unique:\n          - [id]\n";
  const std::string sql = converge(db, yaml);
  INFO(sql);
  const std::string fk = " FOREIGN KEY (pid) REFERENCES public.p (id)";
  const size_t drop_fk = position(sql, "ALTER TABLE public.c DROP CONSTRAINT c_pid_fkey;");
  const size_t drop_key = position(sql, "ALTER TABLE public.p DROP CONSTRAINT p_pkey;");
  if (server_version_num(db) >= 180000) {
    const size_t add = position(sql, "ALTER TABLE public.c ADD CONSTRAINT c_pid_fkey" + fk +
                                         " NOT VALID;");
    CHECK(drop_fk < drop_key);
    CHECK(drop_key < add);
    CHECK(sql.find("COMMIT", drop_fk) > add);
    CHECK(position(sql, "ALTER TABLE public.c VALIDATE CONSTRAINT c_pid_fkey") > add);
  } else {
    CHECK_FALSE(contains(sql, "ALTER TABLE public.c ADD CONSTRAINT c_pid_fkey" + fk + " NOT VALID"));
    const size_t add_low =
        position(sql, "ALTER TABLE public.c_low ADD CONSTRAINT c_low_c_pid_fkey" + fk + " NOT VALID;");
    const size_t add_a = position(
        sql, "ALTER TABLE public.c_high_a ADD CONSTRAINT c_high_a_c_pid_fkey" + fk + " NOT VALID;");
    const size_t add_b = position(
        sql, "ALTER TABLE public.c_high_b ADD CONSTRAINT c_high_b_c_pid_fkey" + fk + " NOT VALID;");
    // The empty partition has nothing to check: its copy is valid at once.
    const size_t add_empty =
        position(sql, "ALTER TABLE public.c_empty ADD CONSTRAINT c_empty_c_pid_fkey" + fk + ";");
    // Dropped and added again in the key's transaction: new rows stay checked.
    CHECK(drop_fk < drop_key);
    for (const size_t add : {add_low, add_a, add_b, add_empty}) {
      CHECK(drop_key < add);
      CHECK(sql.find("COMMIT", drop_fk) > add);
    }
    const size_t validate_low =
        position(sql, "ALTER TABLE public.c_low VALIDATE CONSTRAINT c_low_c_pid_fkey");
    const size_t validate_a =
        position(sql, "ALTER TABLE public.c_high_a VALIDATE CONSTRAINT c_high_a_c_pid_fkey");
    const size_t validate_b =
        position(sql, "ALTER TABLE public.c_high_b VALIDATE CONSTRAINT c_high_b_c_pid_fkey");
    CHECK_FALSE(contains(sql, "VALIDATE CONSTRAINT c_empty_c_pid_fkey"));
    const size_t attach_high =
        position(sql, "ALTER TABLE public.c_high ADD CONSTRAINT c_high_c_pid_fkey" + fk + ";");
    const size_t attach = position(sql, "ALTER TABLE public.c ADD CONSTRAINT c_pid_fkey" + fk + ";");
    CHECK(validate_a < attach_high);
    CHECK(validate_b < attach_high);
    CHECK(validate_low < attach);
    CHECK(attach_high < attach);
  }
  // One foreign key on c, valid, backed by the new key, whose copies on
  // every partition are attached to it (through c_high's for its own).
  CHECK(db.scalar("SELECT convalidated || ':' || conindid::regclass FROM pg_constraint WHERE "
                  "conname = 'c_pid_fkey' AND conrelid = 'c'::regclass") == "true:p_id_key");
  CHECK(db.scalar("SELECT string_agg(conrelid::regclass || ':' || convalidated || ':' || "
                  "(SELECT conrelid::regclass::text FROM pg_constraint parent WHERE "
                  "parent.oid = child.conparentid), ' ' ORDER BY conrelid::regclass::text) "
                  "FROM pg_constraint child WHERE contype = 'f' AND conparentid <> 0") ==
        "c_empty:true:c c_high:true:c c_high_a:true:c_high c_high_b:true:c_high c_low:true:c");
  CHECK(checksum(db, "c", "id, pid") == rows);
  // The key still refuses a row of no parent, on every partition.
  CHECK_THROWS(db.exec("INSERT INTO c VALUES (600, 9999)"));
}

TEST_CASE("a column renamed by renamed_from is only renamed: its keys, CHECK, index, trigger, "
          "policy, generated column and the foreign keys referencing it follow in the catalog",
          "[planner][db][order][rename]") {
  TestDatabase db;
  // Generated columns are PostgreSQL 12+.
  const bool generated = pgshift::testing::server_version_num(db) >= 120000;
  db.exec(
      "CREATE TABLE p (pid integer PRIMARY KEY, email text NOT NULL UNIQUE);"
      "CREATE TABLE c (id integer PRIMARY KEY, p_id integer REFERENCES p (pid));"
      "CREATE POLICY pp ON p USING (pid > 0 AND email <> 'x'); "
      "ALTER TABLE p ENABLE ROW LEVEL SECURITY;"
      "CREATE TABLE q (id integer PRIMARY KEY, v integer, w integer" +
      std::string(generated ? " GENERATED ALWAYS AS (v * 2) STORED" : "") +
      ", CONSTRAINT q_v_check CHECK (v > 0));"
      "CREATE INDEX q_v_idx ON q (v) WHERE v > 10;"
      "CREATE INDEX q_expr_idx ON q ((v + id));"
      "CREATE TRIGGER qt BEFORE UPDATE OF v ON q FOR EACH ROW WHEN (new.v > 0) "
      "  EXECUTE PROCEDURE suppress_redundant_updates_trigger();"
      "INSERT INTO p SELECT g, 'e' || g FROM generate_series(1, 300) g;"
      "INSERT INTO c SELECT g, g FROM generate_series(1, 300) g;"
      "INSERT INTO q (id, v) SELECT g, g FROM generate_series(1, 300) g;" +
      std::string(generated ? "" : "UPDATE q SET w = v * 2;") + "ANALYZE;");
  const std::string rows = checksum(db, "c", "id, p_id") + checksum(db, "q", "id, v, w");
  const std::string yaml =
      std::string("schemas:\n  public:\n    tables:\n"
                  "      p:\n        columns:\n"
                  "          id: { type: integer, nullable: false, renamed_from: pid }\n"
                  "          mail: { type: text, nullable: false, renamed_from: email }\n"
                  "        primary_key: { name: p_pkey, columns: [id] }\n"
                  "        unique:\n          - { name: p_email_key, columns: [mail] }\n"
                  "        row_security: { enabled: true }\n"
                  "        policies:\n"
                  "          pp: { using: \"((id > 0) AND (mail <> 'x'::text))\" }\n"
                  "      c:\n        columns:\n          id: { type: integer, nullable: false }\n"
                  "          p_id: integer\n        primary_key: [id]\n"
                  "        foreign_keys:\n"
                  "          - { name: c_p_id_fkey, columns: [p_id], references: p(id) }\n"
                  "      q:\n        columns:\n          id: { type: integer, nullable: false }\n"
                  "          val: { type: integer, renamed_from: v }\n") +
      (generated ? "          w: { type: integer, generated: \"(val * 2)\" }\n"
                 : "          w: integer\n") +
      "        primary_key: [id]\n"
      "        checks:\n          q_v_check: (val > 0)\n"
      "        indexes:\n"
      "          q_v_idx: { columns: [val], where: (val > 10) }\n"
      "          q_expr_idx: { columns: [{ expression: (val + id) }] }\n"
      "        triggers:\n"
      "          qt: { timing: before, events: [update], update_of: [val], for_each: row, "
      "when: \"(new.val > 0)\", function: pg_catalog.suppress_redundant_updates_trigger }\n";
  const std::string sql = converge(db, yaml);
  CHECK(contains(sql, "ALTER TABLE public.p RENAME COLUMN pid TO id;"));
  CHECK(contains(sql, "ALTER TABLE public.p RENAME COLUMN email TO mail;"));
  CHECK(contains(sql, "ALTER TABLE public.q RENAME COLUMN v TO val;"));
  for (const char* rebuilt : {"CREATE INDEX", "CREATE UNIQUE INDEX", "DROP CONSTRAINT",
                              "ADD CONSTRAINT", "TRIGGER", "POLICY", "VALIDATE", "DROP INDEX"}) {
    INFO(rebuilt);
    CHECK_FALSE(contains(sql, rebuilt));
  }
  CHECK(checksum(db, "c", "id, p_id") + checksum(db, "q", "id, val, w") == rows);
  CHECK(db.scalar("SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conname = "
                  "'c_p_id_fkey'") == "FOREIGN KEY (p_id) REFERENCES p(id)");
}

TEST_CASE("a column renamed by renamed_from under views is only renamed: the views and a "
          "materialized view reading it are seen as the server shows them after (t.w2 AS w), "
          "not replaced",
          "[planner][db][order][rename]") {
  TestDatabase db;
  db.exec(
      "CREATE TABLE zt (id integer PRIMARY KEY, w text); CREATE TABLE zu (id integer, w text);"
      "CREATE VIEW v1 AS SELECT w FROM zt;"
      "CREATE VIEW v2 AS SELECT zt.id, zt.w, zt.w AS wt, "
      "  (SELECT max(zu.w) FROM zu WHERE zu.id = zt.id) AS m, s.w AS sw, "
      "  EXISTS (SELECT zt2.w FROM zt zt2) AS e, (SELECT zt3.w FROM zt zt3 LIMIT 1) AS f "
      "  FROM zt JOIN zu ON zu.id = zt.id, (SELECT w FROM zt) s WHERE zt.w <> 'x' ORDER BY zt.w;"
      "CREATE VIEW v3 AS SELECT zt.id, zt.w FROM zt JOIN zu USING (id);"
      "CREATE VIEW v4 AS SELECT zu.w FROM zu UNION SELECT zt.w FROM zt;"
      "CREATE MATERIALIZED VIEW mv AS SELECT id, w FROM zt;"
      "INSERT INTO zt SELECT g, 'w' || g FROM generate_series(1, 20) g;"
      "INSERT INTO zu SELECT g, 'u' || g FROM generate_series(1, 20) g; REFRESH MATERIALIZED "
      "VIEW mv;");
  const std::string oids =
      db.scalar("SELECT string_agg(oid::text, ',' ORDER BY relname) FROM pg_class WHERE relname "
                "IN ('v1', 'v2', 'v4', 'mv')");
  const std::string yaml =
      "schemas:\n  public:\n    tables:\n"
      "      zt:\n        columns:\n          id: { type: integer, nullable: false }\n"
      "          w2: { type: text, renamed_from: w }\n        primary_key: [id]\n"
      "      zu:\n        columns:\n          id: integer\n          w: text\n"
      "    views:\n"
      "      v1: SELECT w2 AS w FROM zt\n"
      "      v2: \"SELECT zt.id, zt.w2 AS w, zt.w2 AS wt, (SELECT max(zu.w) FROM zu WHERE zu.id "
      "= zt.id) AS m, s.w AS sw, EXISTS (SELECT zt2.w2 AS w FROM zt zt2) AS e, (SELECT zt3.w2 "
      "AS w FROM zt zt3 LIMIT 1) AS f FROM zt JOIN zu ON zu.id = zt.id, (SELECT zt_1.w2 AS w "
      "FROM zt zt_1) s WHERE zt.w2 <> 'x' ORDER BY zt.w2\"\n"
      "      v3: SELECT zt.id, zt.w2 AS w FROM zt JOIN zu USING (id)\n"
      "      v4: SELECT zu.w FROM zu UNION SELECT zt.w2 AS w FROM zt\n"
      "    materialized_views:\n"
      "      mv: { definition: \"SELECT zt.id, zt.w2 AS w FROM zt\" }\n";
  const std::string sql = converge(db, yaml);
  INFO(sql);
  CHECK(contains(sql, "ALTER TABLE public.zt RENAME COLUMN w TO w2;"));
  for (const char* replaced : {"VIEW public.v1", "VIEW public.v2", "VIEW public.v4", "public.mv"}) {
    INFO(replaced);
    CHECK_FALSE(contains(sql, replaced));
  }
  // A join with USING is not followed: that view is replaced in place.
  CHECK(contains(sql, "CREATE OR REPLACE VIEW public.v3"));
  CHECK(db.scalar("SELECT string_agg(oid::text, ',' ORDER BY relname) FROM pg_class WHERE "
                  "relname IN ('v1', 'v2', 'v4', 'mv')") == oids);
  CHECK(db.scalar("SELECT count(*) || ':' || max(w) FROM v1") == "20:w9");
  CHECK(db.scalar("SELECT count(*) || ':' || max(w) FROM mv") == "20:w9");
}

TEST_CASE(
    "a column renamed by renamed_from that a view exposes under the new name too gets "
    "the view recreated with its dependent view, and converges",
    "[planner][db][order][rename]") {
  TestDatabase db;
  db.exec(
      "CREATE TABLE zt (id integer PRIMARY KEY, w text);"
      "CREATE VIEW v AS SELECT id, w FROM zt;"
      "CREATE VIEW v_outer AS SELECT w FROM v WHERE id > 0;"
      "INSERT INTO zt SELECT g, 'w' || g FROM generate_series(1, 20) g;");
  // The server refuses to rename a view's column by CREATE OR REPLACE
  // ("cannot change name of view column"): the view is dropped and created
  // again around the rename's step, and so is the view on it.
  const std::string yaml =
      "schemas:\n  public:\n    tables:\n"
      "      zt:\n        columns:\n          id: { type: integer, nullable: false }\n"
      "          w2: { type: text, renamed_from: w }\n        primary_key: [id]\n"
      "    views:\n"
      "      v: SELECT id, w2 FROM zt\n"
      "      v_outer: SELECT w2 FROM v WHERE id > 0\n";
  const std::string sql = converge(db, yaml);
  INFO(sql);
  CHECK(contains(sql, "ALTER TABLE public.zt RENAME COLUMN w TO w2;"));
  CHECK(contains(sql, "DROP VIEW public.v"));
  CHECK(db.scalar("SELECT string_agg(attname, ',' ORDER BY attnum) FROM pg_attribute WHERE "
                  "attrelid = 'v'::regclass AND attnum > 0") == "id,w2");
  CHECK(db.scalar("SELECT count(*) || ':' || max(w2) FROM v_outer") == "20:w9");
}

TEST_CASE("a column renamed_from that the desired table keeps too, or onto a column the table "
          "has already, is an error naming both, not a silent guess",
          "[planner][db][order][rename]") {
  TestDatabase db;
  db.exec("CREATE TABLE t (id integer PRIMARY KEY, v text, w text);"
          "INSERT INTO t SELECT g, 'x' FROM generate_series(1, 100) g;");
  const std::string head =
      "schemas:\n  public:\n    tables:\n      t:\n        columns:\n"
      "          id: { type: integer, nullable: false }\n";
  const PlanRun onto = run_plan(db, head + "          w: { type: text, renamed_from: v }\n"
                                           "        primary_key: [id]\n");
  INFO(onto.messages);
  CHECK(onto.exit_code == 1);
  CHECK(contains(onto.messages, "renamed_from: column \"w\": renamed_from \"v\", but table "
                                "\"public.t\" has both columns: the rename cannot be made"));
  const PlanRun both = run_plan(db, head + "          v: text\n          w: text\n"
                                           "          v2: { type: text, renamed_from: v }\n"
                                           "        primary_key: [id]\n");
  INFO(both.messages);
  CHECK(both.exit_code == 1);
  CHECK(contains(both.messages, "renamed_from: column \"v2\": renamed_from \"v\" names a "
                                "column the desired table keeps as well"));
  CHECK_FALSE(contains(both.plan + both.messages, "RENAME COLUMN"));
  CHECK(db.scalar("SELECT count(v) FROM t") == "100");
}

TEST_CASE("a column of a partitioned table renamed by renamed_from is one RENAME COLUMN on the "
          "parent: its partitions (nested too), partition key, key, CHECK and indexes, local "
          "ones included, follow",
          "[planner][db][order][rename][partition]") {
  TestDatabase db;
  db.exec(
      "CREATE TABLE m (id bigint NOT NULL, region text NOT NULL, amount integer "
      "  CHECK (amount > 0), PRIMARY KEY (id, region)) PARTITION BY LIST (region);"
      "CREATE TABLE m_eu PARTITION OF m FOR VALUES IN ('eu');"
      "CREATE TABLE m_us PARTITION OF m FOR VALUES IN ('us') PARTITION BY RANGE (id);"
      "CREATE TABLE m_us_low PARTITION OF m_us FOR VALUES FROM (MINVALUE) TO (1000);"
      "CREATE INDEX m_amount ON m (amount);"
      "CREATE INDEX m_eu_local ON m_eu (amount) WHERE amount > 1;"
      "INSERT INTO m SELECT g, CASE WHEN g % 2 = 0 THEN 'eu' ELSE 'us' END, g % 90 + 1 "
      "FROM generate_series(1, 400) g;");
  const std::string rows = checksum(db, "m", "id, region, amount");
  const std::string columns =
      "        columns:\n          id: { type: bigint, nullable: false }\n"
      "          zone: { type: text, nullable: false }\n          total: integer\n";
  const std::string yaml =
      "schemas:\n  public:\n    tables:\n"
      "      m:\n        columns:\n          id: { type: bigint, nullable: false }\n"
      "          zone: { type: text, nullable: false, renamed_from: region }\n"
      "          total: { type: integer, renamed_from: amount }\n"
      "        primary_key: { name: m_pkey, columns: [id, zone] }\n"
      "        checks:\n          m_amount_check: (total > 0)\n"
      "        indexes:\n          m_amount: { columns: [total] }\n"
      "        partition_by: { strategy: list, key: zone }\n"
      "      m_eu:\n" +
      columns +
      "        indexes:\n          m_eu_local: { columns: [total], where: (total > 1) }\n"
      "        partition_of: { table: m, bound: \"FOR VALUES IN ('eu')\" }\n"
      "      m_us:\n" +
      columns +
      "        partition_by: { strategy: range, key: id }\n"
      "        partition_of: { table: m, bound: \"FOR VALUES IN ('us')\" }\n"
      "      m_us_low:\n" +
      columns + "        partition_of: { table: m_us, bound: FOR VALUES FROM (MINVALUE) TO (1000) }\n";
  const std::string sql = converge(db, yaml);
  CHECK(contains(sql, "ALTER TABLE public.m RENAME COLUMN region TO zone;"));
  CHECK(contains(sql, "ALTER TABLE public.m RENAME COLUMN amount TO total;"));
  CHECK_FALSE(contains(sql, "ALTER TABLE public.m_"));
  for (const char* rebuilt : {"INDEX", "CONSTRAINT", "ATTACH", "DETACH", "VALIDATE"}) {
    INFO(rebuilt);
    CHECK_FALSE(contains(sql, rebuilt));
  }
  CHECK(checksum(db, "m", "id, zone, total") == rows);
  CHECK(db.scalar("SELECT pg_get_indexdef('m_eu_local'::regclass)") ==
        "CREATE INDEX m_eu_local ON public.m_eu USING btree (total) WHERE (total > 1)");
}

TEST_CASE("a view recreated under an unmodelled trigger, and a type change under a rule, are "
          "refused before step 1, naming them",
          "[planner][db][order][unmodelled]") {
  TestDatabase db;
  db.exec(
      "CREATE FUNCTION trig_fn() RETURNS trigger LANGUAGE plpgsql AS 'BEGIN RETURN NEW; END';"
      "CREATE VIEW vv AS SELECT 1 AS x;"
      "CREATE TRIGGER view_trg INSTEAD OF INSERT ON vv FOR EACH ROW EXECUTE PROCEDURE trig_fn();"
      "CREATE TABLE rr (id integer PRIMARY KEY, a integer);"
      "CREATE TABLE rlog (id integer, b integer);"
      "CREATE RULE keep AS ON INSERT TO rr DO ALSO INSERT INTO rlog VALUES (new.id, new.a);");
  const std::string routine =
      "    functions:\n      trig_fn:\n        returns: trigger\n        language: plpgsql\n"
      "        body: \"BEGIN RETURN NEW; END\"\n";
  const std::string tables =
      "    tables:\n      rr:\n        columns:\n          id: { type: integer, nullable: false }\n"
      "          a: bigint\n        primary_key: [id]\n"
      "      rlog:\n        columns:\n          id: integer\n          b: integer\n";
  const PlanRun run = run_plan(db, "schemas:\n  public:\n" + routine + tables +
                                       "    views:\n      vv: SELECT 1 AS z\n");
  INFO(run.messages);
  CHECK(run.exit_code == 1);
  CHECK(contains(run.messages, "cannot drop (to recreate) view \"public.vv\": the database has "
                               "trigger \"view_trg\" on \"public.vv\""));
  CHECK(contains(run.messages, "the database has rule \"keep\" on \"public.rr\" (ON INSERT), "
                               "which pgshift does not model, and the server refuses ALTER COLUMN "
                               "TYPE under a rule"));
  CHECK(db.scalar("SELECT count(*) FROM pg_trigger WHERE tgname = 'view_trg'") == "1");
}

TEST_CASE("a column type change or drop under a rule on another table that writes the column "
          "is refused before step 1, naming the rule's table and its rules",
          "[planner][db][order][unmodelled]") {
  TestDatabase db;
  db.exec(
      "CREATE TABLE a (id integer PRIMARY KEY, v integer);"
      "CREATE TABLE b (id integer, w integer);"
      "CREATE RULE copy_to_a AS ON INSERT TO b DO ALSO INSERT INTO a VALUES (new.id, new.w);"
      "INSERT INTO a VALUES (1, 1);");
  const std::string yaml =
      "schemas:\n  public:\n    tables:\n"
      "      a:\n        columns:\n          id: { type: integer, nullable: false }\n"
      "          v: bigint\n        primary_key: [id]\n"
      "      b:\n        columns:\n          id: integer\n          w: integer\n";
  const PlanRun run = run_plan(db, yaml);
  INFO(run.messages);
  CHECK(run.exit_code == 1);
  CHECK(contains(run.messages, "cannot change the type of column \"v\" of table \"public.a\" "
                               "from integer to bigint: the database has a rule on \"public.b\" "
                               "whose action uses the column (its rules: copy_to_a (ON INSERT))"));
  // A change the rule does not stand in the way of is planned.
  CHECK_FALSE(contains(run_plan(db,
                                "schemas:\n  public:\n    tables:\n"
                                "      a:\n        columns:\n"
                                "          id: { type: integer, nullable: false }\n"
                                "          v: integer\n          note: text\n"
                                "        primary_key: [id]\n"
                                "      b:\n        columns:\n          id: integer\n"
                                "          w: integer\n")
                           .messages,
                       "rule on"));
  CHECK(db.scalar("SELECT format_type(atttypid, NULL) FROM pg_attribute WHERE attrelid = "
                  "'a'::regclass AND attname = 'v'") == "integer");
  // Dropping the column is refused the same way (the server's 2BP01 came at
  // apply).
  const PlanRun dropped = run_plan(db,
                                   "schemas:\n  public:\n    tables:\n"
                                   "      a:\n        columns:\n"
                                   "          id: { type: integer, nullable: false }\n"
                                   "        primary_key: [id]\n"
                                   "      b:\n        columns:\n          id: integer\n"
                                   "          w: integer\n");
  INFO(dropped.messages);
  CHECK(dropped.exit_code == 1);
  CHECK(contains(dropped.messages, "cannot drop column \"v\" of table \"public.a\": the "
                                   "database has a rule on \"public.b\" whose action uses the "
                                   "column (its rules: copy_to_a (ON INSERT))"));
}

TEST_CASE("a bigint sequence turned into a descending integer one gets the descending bounds",
          "[planner][db][order]") {
  TestDatabase db;
  db.exec("CREATE SEQUENCE s");
  converge(db,
           "schemas:\n"
           "  public:\n"
           "    sequences:\n"
           "      s: { type: integer, increment: -1 }\n");
  CHECK(db.scalar("SELECT min_value || ':' || max_value || ':' || start_value FROM pg_sequences "
                  "WHERE sequencename = 's'") == "-2147483648:-1:-1");
  CHECK(db.scalar("SELECT nextval('s')") == "-1");
}

TEST_CASE("a sequence whose position is outside the desired bounds is refused by name",
          "[planner][db][order]") {
  TestDatabase db;
  db.exec("CREATE SEQUENCE s AS bigint; SELECT setval('s', 5);");
  const PlanRun run = run_plan(db,
                               "schemas:\n"
                               "  public:\n"
                               "    sequences:\n"
                               "      s: { type: integer, min_value: 10 }\n");
  INFO(run.messages);
  CHECK(run.exit_code == 1);
  CHECK(contains(run.messages, "sequence \"public.s\" has handed out 5"));
  CHECK(db.scalar("SELECT min_value FROM pg_sequences WHERE sequencename = 's'") == "1");
}

TEST_CASE("a renamed sequence whose options change keeps its position facts: one never called "
          "restarts at its new start, one outside its new bounds is refused",
          "[planner][db][order]") {
  // plan reads no sequence's position with the catalog; it asks for those
  // of the sequences it may change, a rename's source among them.
  TestDatabase db;
  db.exec("CREATE SEQUENCE old_fresh; CREATE SEQUENCE old_used; SELECT setval('old_used', 5);"
          "CREATE TABLE t (id integer GENERATED BY DEFAULT AS IDENTITY); INSERT INTO t VALUES "
          "(DEFAULT), (DEFAULT), (DEFAULT);");
  converge(db,
           "schemas:\n"
           "  public:\n"
           "    sequences:\n"
           "      fresh: { type: integer, start: 20, min_value: 20, renamed_from: old_fresh }\n"
           "      old_used: { type: bigint }\n"
           "    tables:\n"
           "      t:\n"
           "        columns:\n"
           "          id: { type: integer, nullable: false, identity: by_default }\n");
  CHECK(db.scalar("SELECT nextval('fresh')") == "20");
  const PlanRun run = run_plan(db,
                               "schemas:\n"
                               "  public:\n"
                               "    sequences:\n"
                               "      fresh: { type: integer }\n"
                               "      used: { type: integer, min_value: 10, renamed_from: old_used }\n"
                               "    tables:\n"
                               "      t2:\n"
                               "        renamed_from: t\n"
                               "        columns:\n"
                               "          id: { type: integer, nullable: false, identity: "
                               "{ kind: by_default, max_value: 2 } }\n");
  INFO(run.messages);
  CHECK(run.exit_code == 1);
  CHECK(contains(run.messages, "has handed out 5, outside the desired bounds 10.."));
  CHECK(contains(run.messages, "has handed out 3, outside the desired bounds 1..2"));
}

// ---------------------------------------------------------------------------
// Constraint state: NOT VALID and NO INHERIT.
// ---------------------------------------------------------------------------

namespace {

// p (id) and t (id, qty, pid) with 500 rows each; `violating`: some rows of t
// break CHECK (qty >= 0) and the key to p.
std::string constraint_tables(bool violating) {
  return std::string(
             "CREATE TABLE p (id integer PRIMARY KEY);"
             "CREATE TABLE t (id integer PRIMARY KEY, qty integer, pid integer);"
             "INSERT INTO p SELECT g FROM generate_series(1, 500) g;") +
         (violating ? "INSERT INTO t SELECT g, g - 5, g + 10 FROM generate_series(1, 500) g;"
                    : "INSERT INTO t SELECT g, g, g FROM generate_series(1, 500) g;") +
         "ANALYZE;";
}

// The YAML of p and t with a CHECK, a NO INHERIT CHECK and a foreign key;
// `state` is added to the first CHECK and the key (", validated: false").
std::string constraint_yaml(const std::string& state) {
  return "schemas:\n"
         "  public:\n"
         "    tables:\n"
         "      p:\n"
         "        columns:\n"
         "          id: { type: integer, nullable: false }\n"
         "        primary_key: [id]\n"
         "      t:\n"
         "        columns:\n"
         "          id: { type: integer, nullable: false }\n"
         "          qty: integer\n"
         "          pid: integer\n"
         "        primary_key: [id]\n"
         "        checks:\n"
         "          t_qty_check: { expression: qty >= 0" +
         state +
         " }\n"
         "          t_qty_ni: { expression: qty < 1000000, no_inherit: true }\n"
         "        foreign_keys:\n"
         "          - { columns: [pid], references: p(id)" +
         state + " }\n";
}

std::string convalidated(const TestDatabase& db, const std::string& name) {
  return db.scalar("SELECT convalidated FROM pg_constraint WHERE conname = '" + name + "'");
}

}  // namespace

TEST_CASE("constraints desired NOT VALID are added NOT VALID and left so", "[planner][db][order]") {
  TestDatabase db;
  db.exec(constraint_tables(true));
  const std::string before = checksum(db, "t", "id, qty, pid");
  const std::string sql = converge(db, constraint_yaml(", validated: false"));
  CHECK(contains(sql, "CHECK ((qty >= 0)) NOT VALID"));
  CHECK_FALSE(contains(sql, "VALIDATE CONSTRAINT t_qty_check"));
  CHECK_FALSE(contains(sql, "VALIDATE CONSTRAINT t_pid_fkey"));
  CHECK(contains(sql, "VALIDATE CONSTRAINT t_qty_ni"));
  CHECK(convalidated(db, "t_qty_check") == "f");
  CHECK(convalidated(db, "t_pid_fkey") == "f");
  CHECK(db.scalar("SELECT connoinherit FROM pg_constraint WHERE conname = 't_qty_ni'") == "t");
  CHECK(checksum(db, "t", "id, qty, pid") == before);
  // New rows are checked.
  CHECK_THROWS(db.exec("INSERT INTO t VALUES (1000, -1, 1)"));
}

TEST_CASE("a constraint desired NOT VALID that exists validated is not a difference",
          "[planner][db][order]") {
  TestDatabase db;
  db.exec(constraint_tables(false) +
          "ALTER TABLE t ADD CONSTRAINT t_qty_check CHECK (qty >= 0);"
          "ALTER TABLE t ADD CONSTRAINT t_qty_ni CHECK (qty < 1000000) NO INHERIT;"
          "ALTER TABLE t ADD CONSTRAINT t_pid_fkey FOREIGN KEY (pid) REFERENCES p (id);");
  plans_nothing(db, constraint_yaml(", validated: false"));
  const TempDir dir;
  const CommandResult drift =
      run_command({kPgshift, "drift", "--db", db.url(), "--schema",
                   dir.write("s.yaml", constraint_yaml(", validated: false"))});
  INFO(drift.output);
  CHECK(drift.exit_code == 0);
}

TEST_CASE(
    "NOT VALID constraints are validated when the YAML wants them valid and left when it "
    "wants them NOT VALID",
    "[planner][db][order]") {
  TestDatabase db;
  db.exec(constraint_tables(false) +
          "ALTER TABLE t ADD CONSTRAINT t_qty_check CHECK (qty >= 0) NOT VALID;"
          "ALTER TABLE t ADD CONSTRAINT t_qty_ni CHECK (qty < 1000000) NO INHERIT NOT VALID;"
          "ALTER TABLE t ADD CONSTRAINT t_pid_fkey FOREIGN KEY (pid) REFERENCES p (id) NOT VALID;");
  {
    // Wanted NOT VALID: nothing to do but t_qty_ni's VALIDATE.
    const PlanRun run = run_plan(db, constraint_yaml(", validated: false"));
    INFO(run.messages);
    INFO(run.plan);
    REQUIRE(run.exit_code == 2);
    CHECK(contains(run.plan, "VALIDATE CONSTRAINT t_qty_ni"));
    CHECK_FALSE(contains(run.plan, "t_qty_check"));
    CHECK_FALSE(contains(run.plan, "t_pid_fkey"));
  }
  const std::string sql = converge(db, constraint_yaml(""));
  CHECK(contains(sql, "VALIDATE CONSTRAINT t_qty_check"));
  CHECK(contains(sql, "VALIDATE CONSTRAINT t_pid_fkey"));
  CHECK_FALSE(contains(sql, "DROP CONSTRAINT"));
  CHECK(convalidated(db, "t_qty_check") == "t");
  CHECK(convalidated(db, "t_pid_fkey") == "t");
  CHECK(convalidated(db, "t_qty_ni") == "t");
}

TEST_CASE("a constraint desired NOT VALID whose rows break it stays NOT VALID and drift is clean",
          "[planner][db][order]") {
  TestDatabase db;
  db.exec(constraint_tables(true) +
          "ALTER TABLE t ADD CONSTRAINT t_qty_check CHECK (qty >= 0) NOT VALID;"
          "ALTER TABLE t ADD CONSTRAINT t_qty_ni CHECK (qty < 1000000) NO INHERIT;"
          "ALTER TABLE t ADD CONSTRAINT t_pid_fkey FOREIGN KEY (pid) REFERENCES p (id) NOT VALID;");
  plans_nothing(db, constraint_yaml(", validated: false"));
  const TempDir dir;
  const CommandResult drift =
      run_command({kPgshift, "drift", "--db", db.url(), "--schema",
                   dir.write("s.yaml", constraint_yaml(", validated: false"))});
  INFO(drift.output);
  CHECK(drift.exit_code == 0);
  // Wanted valid, they are drift.
  const CommandResult wanted_valid = run_command(
      {kPgshift, "drift", "--db", db.url(), "--schema", dir.write("v.yaml", constraint_yaml(""))});
  INFO(wanted_valid.output);
  CHECK(wanted_valid.exit_code == 2);
  CHECK(contains(wanted_valid.output, "NOT VALID constraints"));
}

TEST_CASE("a CHECK made NO INHERIT or inheritable is replaced and converges",
          "[planner][db][order]") {
  TestDatabase db;
  db.exec(constraint_tables(false) +
          "ALTER TABLE t ADD CONSTRAINT t_qty_check CHECK (qty >= 0) NO INHERIT;"
          "ALTER TABLE t ADD CONSTRAINT t_qty_ni CHECK (qty < 1000000);"
          "ALTER TABLE t ADD CONSTRAINT t_pid_fkey FOREIGN KEY (pid) REFERENCES p (id);");
  const std::string before = checksum(db, "t", "id, qty, pid");
  converge(db, constraint_yaml(""));
  CHECK(db.scalar("SELECT connoinherit FROM pg_constraint WHERE conname = 't_qty_check'") == "f");
  CHECK(db.scalar("SELECT connoinherit FROM pg_constraint WHERE conname = 't_qty_ni'") == "t");
  CHECK(convalidated(db, "t_qty_check") == "t");
  CHECK(convalidated(db, "t_qty_ni") == "t");
  CHECK(checksum(db, "t", "id, qty, pid") == before);
}

TEST_CASE("pgshift apply of a constraint desired NOT VALID on an empty table verifies",
          "[planner][db][order]") {
  TestDatabase db;
  db.exec(
      "CREATE TABLE p (id integer PRIMARY KEY);"
      "CREATE TABLE t (id integer PRIMARY KEY, qty integer, pid integer);");
  const TempDir dir;
  const CommandResult applied =
      run_command({kPgshift, "apply", "--db", db.url(), "--schema",
                   dir.write("s.yaml", constraint_yaml(", validated: false")), "--yes",
                   "--allow-hazard", "all"});
  INFO(applied.output);
  REQUIRE(applied.exit_code == 0);
  CHECK(convalidated(db, "t_qty_check") == "f");
  CHECK(convalidated(db, "t_pid_fkey") == "f");
  plans_nothing(db, constraint_yaml(", validated: false"));
}
