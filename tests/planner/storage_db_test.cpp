// Exclusion constraints, UNLOGGED / LOGGED, storage parameters and columns'
// STORAGE, COMPRESSION and STATISTICS end to end,
// through the binary against a real server: created with a new table, added,
// changed and dropped on one with rows (its rows kept), each change behind
// the hazard and lock the statement table gives it; inspect reads them back
// into a YAML that plans nothing; an out-of-band change of each is drift that
// plan repairs; the SQL rendering run by psql converges.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tests/support/converge.hpp"
#include "tests/support/server_version.hpp"

using namespace pgshift::testing;
using Json = nlohmann::json;

namespace {

// bookings, with `extra` (exclusion_constraints, unlogged, options) under the table.
std::string bookings_yaml(const std::string& extra) {
  return "schemas:\n"
         "  public:\n"
         "    tables:\n"
         "      bookings:\n"
         "        columns:\n"
         "          id: { type: bigint, nullable: false }\n"
         "          room: { type: integer, nullable: false }\n"
         "          during: { type: tstzrange, nullable: false }\n"
         "          cancelled: { type: boolean, nullable: false, default: \"false\" }\n"
         "        primary_key: [id]\n" +
         extra;
}

constexpr const char* kBookingsSql = R"sql(
CREATE TABLE bookings (id bigint PRIMARY KEY, room integer NOT NULL,
  during tstzrange NOT NULL, cancelled boolean NOT NULL DEFAULT false);
INSERT INTO bookings SELECT g, g % 10,
  tstzrange(timestamptz '2025-01-01' + g * interval '1 hour',
            timestamptz '2025-01-01' + (g + 1) * interval '1 hour'), g % 7 = 0
  FROM generate_series(1, 2000) g;
ANALYZE bookings;
)sql";

constexpr const char* kNoOverlap =
    "        exclusion_constraints:\n"
    "          bookings_no_overlap:\n"
    "            elements: [\"during WITH &&\"]\n"
    "            where: NOT cancelled\n"
    "            comment: one booking at a time\n";

const char* const kChecksumColumns = "id, room, during, cancelled";

// The plan as JSON, every hazard allowed.
Json plan_json(const TestDatabase& db, const std::string& yaml) {
  const PlanRun run = run_plan(db, yaml, "json");
  INFO(run.messages);
  REQUIRE(run.exit_code == 2);
  return Json::parse(run.plan);
}

// The steps whose statements include one containing `text`.
std::vector<Json> steps_with(const Json& plan, const std::string& text) {
  std::vector<Json> steps;
  for (const auto& step : plan.at("steps")) {
    for (const auto& statement : step.at("statements")) {
      if (contains(statement.get<std::string>(), text)) {
        steps.push_back(step);
        break;
      }
    }
  }
  return steps;
}

std::vector<std::string> hazards_of(const Json& step) {
  return step.at("hazards").get<std::vector<std::string>>();
}

std::string lock_on(const Json& step, const std::string& relation) {
  for (const auto& lock : step.at("locks")) {
    if (lock.at("relation") == relation) return lock.at("mode").get<std::string>();
  }
  return "";
}

int plan_exit(const TestDatabase& db, const std::string& path,
              const std::vector<std::string>& extra = {}) {
  std::vector<std::string> args = {"plan", "--db", db.url(), "--schema", path,
                                   "--detailed-exitcode"};
  args.insert(args.end(), extra.begin(), extra.end());
  return run_pgshift(args).exit_code;
}

std::string exclusion_defs(const TestDatabase& db) {
  return db.scalar(
      "SELECT coalesce(string_agg(conname || ': ' || pg_get_constraintdef(oid), ' | ' "
      "ORDER BY conname), '') FROM pg_constraint WHERE contype = 'x' "
      "AND conrelid = 'public.bookings'::regclass");
}

}  // namespace

TEST_CASE("a new table is created UNLOGGED with its storage parameters and exclusion constraints",
          "[planner][db][storage]") {
  TestDatabase db;
  TempDir dir;
  const std::string yaml = bookings_yaml(
      std::string(kNoOverlap) +
      "          bookings_room_excl: { using: btree, elements: [\"room WITH =\", \"id WITH =\"], "
      "deferrable: true, initially_deferred: true }\n"
      "        unlogged: true\n"
      "        options: { fillfactor: 70, autovacuum_enabled: \"false\", "
      "toast.autovacuum_enabled: \"false\" }\n");
  const Json plan = plan_json(db, yaml);
  for (const auto& step : plan.at("steps")) CHECK(hazards_of(step).empty());
  const auto creates = steps_with(plan, "CREATE UNLOGGED TABLE");
  REQUIRE(creates.size() == 1);
  CHECK(contains(creates[0].dump(),
                 "WITH (autovacuum_enabled = false, fillfactor = 70, "
                 "toast.autovacuum_enabled = false)"));
  const std::string path = dir.write("s.yaml", yaml);
  const auto applied = run_pgshift({"apply", "--db", db.url(), "--schema", path, "--yes"});
  INFO(applied.output);
  REQUIRE(applied.exit_code == 0);
  CHECK(db.scalar("SELECT relpersistence::text || ':' || array_to_string(reloptions, ',') || ':' || "
                  "(SELECT array_to_string(t.reloptions, ',') FROM pg_class t "
                  "WHERE t.oid = c.reltoastrelid) FROM pg_class c "
                  "WHERE c.oid = 'public.bookings'::regclass") ==
        "u:autovacuum_enabled=false,fillfactor=70:autovacuum_enabled=false");
  CHECK(exclusion_defs(db) ==
        "bookings_no_overlap: EXCLUDE USING gist (during WITH &&) WHERE ((NOT cancelled)) | "
        "bookings_room_excl: EXCLUDE USING btree (room WITH =, id WITH =) DEFERRABLE "
        "INITIALLY DEFERRED");
  CHECK(db.scalar("SELECT obj_description(oid, 'pg_constraint') FROM pg_constraint "
                  "WHERE conname = 'bookings_no_overlap'") == "one booking at a time");
  CHECK(plan_exit(db, path) == 0);

  // inspect writes them; the YAML plans nothing and builds the same elsewhere.
  const auto inspected = run_pgshift({"inspect", "--db", db.url(), "-o", dir.path() + "/a.yaml"});
  INFO(inspected.output);
  REQUIRE(inspected.exit_code == 0);
  const std::string written = dir.read("a.yaml");
  INFO(written);
  CHECK(contains(written, "unlogged: true"));
  CHECK(contains(written, "toast.autovacuum_enabled: false"));
  CHECK(contains(written, "during WITH &&"));
  CHECK_FALSE(contains(inspected.output, "not modelled"));
  CHECK(plan_exit(db, dir.path() + "/a.yaml", {"--strict"}) == 0);
  TestDatabase second;
  REQUIRE(run_pgshift({"apply", "--db", second.url(), "--schema", dir.path() + "/a.yaml", "--yes"})
              .exit_code == 0);
  REQUIRE(run_pgshift({"inspect", "--db", second.url(), "-o", dir.path() + "/b.yaml"})
              .exit_code == 0);
  CHECK(dir.read("b.yaml") == written);
}

TEST_CASE("an exclusion constraint added to a table with rows is a blocking build behind a hazard",
          "[planner][db][storage]") {
  TestDatabase db;
  db.exec(kBookingsSql);
  const std::string before = checksum(db, "bookings", kChecksumColumns);
  const std::string yaml = bookings_yaml(kNoOverlap);
  const Json plan = plan_json(db, yaml);
  const auto adds = steps_with(plan, "EXCLUDE USING gist");
  REQUIRE(adds.size() == 1);
  CHECK(hazards_of(adds[0]) == std::vector<std::string>{"access_exclusive_scan"});
  CHECK(lock_on(adds[0], "bookings") == "ACCESS EXCLUSIVE");
  CHECK(adds[0].at("transactional").get<bool>());

  // Refused unless the hazard is allowed.
  TempDir dir;
  const std::string path = dir.write("s.yaml", yaml);
  const auto refused = run_pgshift({"plan", "--db", db.url(), "--schema", path});
  INFO(refused.output);
  CHECK(refused.exit_code == 1);
  CHECK(contains(refused.output, "access_exclusive_scan"));

  const std::string sql = converge(db, yaml);
  CHECK(contains(sql, "ADD CONSTRAINT bookings_no_overlap EXCLUDE USING gist (during WITH &&) "
                      "WHERE ((NOT cancelled))"));
  CHECK(checksum(db, "bookings", kChecksumColumns) == before);
  CHECK(exclusion_defs(db) ==
        "bookings_no_overlap: EXCLUDE USING gist (during WITH &&) WHERE ((NOT cancelled))");
}

TEST_CASE("an exclusion constraint on an empty table is added without a hazard",
          "[planner][db][storage]") {
  TestDatabase db;
  db.exec(kBookingsSql);
  db.exec("TRUNCATE bookings; ANALYZE bookings");
  const Json plan = plan_json(db, bookings_yaml(kNoOverlap));
  const auto adds = steps_with(plan, "EXCLUDE USING gist");
  REQUIRE(adds.size() == 1);
  CHECK(hazards_of(adds[0]).empty());
  CHECK(adds[0].at("duration") == "catalog_only");
}

TEST_CASE("a changed exclusion constraint is dropped and added in one step, and a removed one dropped",
          "[planner][db][storage]") {
  TestDatabase db;
  db.exec(kBookingsSql);
  db.exec(
      "ALTER TABLE bookings ADD CONSTRAINT bookings_no_overlap EXCLUDE USING gist "
      "(during WITH &&) WHERE (NOT cancelled);"
      "ALTER TABLE bookings ADD CONSTRAINT bookings_id_excl EXCLUDE USING btree (id WITH =)");
  const std::string before = checksum(db, "bookings", kChecksumColumns);
  // Wider: cancelled bookings may not overlap either.
  const std::string yaml = bookings_yaml(
      "        exclusion_constraints:\n"
      "          bookings_no_overlap: { elements: [\"during WITH &&\"], deferrable: true }\n");
  const Json plan = plan_json(db, yaml);
  const auto replaced = steps_with(plan, "EXCLUDE USING gist");
  REQUIRE(replaced.size() == 1);
  const auto statements = replaced[0].at("statements").get<std::vector<std::string>>();
  REQUIRE(statements.size() == 2);
  CHECK(contains(statements[0], "DROP CONSTRAINT bookings_no_overlap"));
  CHECK(contains(statements[1], "ADD CONSTRAINT bookings_no_overlap"));
  CHECK(replaced[0].at("transactional").get<bool>());
  CHECK(hazards_of(replaced[0]) == std::vector<std::string>{"access_exclusive_scan"});
  const auto dropped = steps_with(plan, "DROP CONSTRAINT bookings_id_excl");
  REQUIRE(dropped.size() == 1);
  CHECK(hazards_of(dropped[0]) == std::vector<std::string>{"data_loss"});
  converge(db, yaml);
  CHECK(checksum(db, "bookings", kChecksumColumns) == before);
  CHECK(exclusion_defs(db) == "bookings_no_overlap: EXCLUDE USING gist (during WITH &&) DEFERRABLE");
}

TEST_CASE("SET UNLOGGED and SET LOGGED rewrite a table with rows behind table_rewrite",
          "[planner][db][storage]") {
  TestDatabase db;
  db.exec(kBookingsSql);
  const std::string before = checksum(db, "bookings", kChecksumColumns);
  for (const bool unlogged : {true, false}) {
    INFO("unlogged: " << unlogged);
    const std::string yaml = bookings_yaml(unlogged ? "        unlogged: true\n" : "");
    const Json plan = plan_json(db, yaml);
    const auto steps = steps_with(plan, unlogged ? "SET UNLOGGED" : "SET LOGGED");
    REQUIRE(steps.size() == 1);
    CHECK(hazards_of(steps[0]) == std::vector<std::string>{"table_rewrite"});
    CHECK(lock_on(steps[0], "bookings") == "ACCESS EXCLUSIVE");
    CHECK(steps[0].at("duration") == "rewrite");
    converge(db, yaml);
    CHECK(db.scalar("SELECT relpersistence FROM pg_class WHERE oid = 'bookings'::regclass") ==
          (unlogged ? "u" : "p"));
    CHECK(checksum(db, "bookings", kChecksumColumns) == before);
  }
}

TEST_CASE("storage parameters are SET and RESET under SHARE UPDATE EXCLUSIVE",
          "[planner][db][storage]") {
  TestDatabase db;
  db.exec(kBookingsSql);
  db.exec("ALTER TABLE bookings SET (fillfactor = 70, toast.autovacuum_enabled = false)");
  const std::string yaml = bookings_yaml(
      "        options: { fillfactor: 50, autovacuum_vacuum_scale_factor: 0.01 }\n");
  const Json plan = plan_json(db, yaml);
  REQUIRE(plan.at("steps").size() == 1);
  const Json& step = plan.at("steps")[0];
  CHECK(step.at("statements").get<std::vector<std::string>>() ==
        std::vector<std::string>{
            "ALTER TABLE public.bookings SET (autovacuum_vacuum_scale_factor = 0.01, "
            "fillfactor = 50)",
            "ALTER TABLE public.bookings RESET (toast.autovacuum_enabled)"});
  CHECK(lock_on(step, "bookings") == "SHARE UPDATE EXCLUSIVE");
  CHECK(hazards_of(step).empty());
  converge(db, yaml);
  CHECK(db.scalar("SELECT array_to_string(c.reloptions, ',') || ':' || "
                  "coalesce(array_to_string(t.reloptions, ','), '') FROM pg_class c "
                  "JOIN pg_class t ON t.oid = c.reltoastrelid "
                  "WHERE c.oid = 'bookings'::regclass") ==
        "autovacuum_vacuum_scale_factor=0.01,fillfactor=50:");

  // user_catalog_table takes ACCESS EXCLUSIVE.
  const Json exclusive =
      plan_json(db, bookings_yaml("        options: { fillfactor: 50, "
                                  "autovacuum_vacuum_scale_factor: 0.01, "
                                  "user_catalog_table: \"true\" }\n"));
  REQUIRE(exclusive.at("steps").size() == 1);
  CHECK(lock_on(exclusive.at("steps")[0], "bookings") == "ACCESS EXCLUSIVE");
}

TEST_CASE("drift names an out-of-band change of each kind and plan puts it back",
          "[planner][db][storage]") {
  TestDatabase db;
  TempDir dir;
  db.exec(kBookingsSql);
  const std::string path = dir.write(
      "s.yaml", bookings_yaml(std::string(kNoOverlap) +
                              "        options: { fillfactor: 70 }\n"));
  const auto applied = run_pgshift(
      {"apply", "--db", db.url(), "--schema", path, "--yes", "--allow-hazard", "all"});
  INFO(applied.output);
  REQUIRE(applied.exit_code == 0);
  const std::string before = checksum(db, "bookings", kChecksumColumns);
  REQUIRE(run_pgshift({"drift", "--db", db.url(), "--schema", path, "--strict"}).exit_code == 0);

  const std::vector<std::pair<std::string, std::string>> changes = {
      {"ALTER TABLE bookings SET UNLOGGED", "unlogged"},
      {"ALTER TABLE bookings SET (fillfactor = 30)", "options.fillfactor"},
      {"ALTER TABLE bookings SET (toast.autovacuum_enabled = false)",
       "options.toast.autovacuum_enabled"},
      {"ALTER TABLE bookings DROP CONSTRAINT bookings_no_overlap; ALTER TABLE bookings ADD "
       "CONSTRAINT bookings_no_overlap EXCLUDE USING gist (during WITH &&)",
       "exclusion_constraints.bookings_no_overlap.where"},
      {"ALTER TABLE bookings DROP CONSTRAINT bookings_no_overlap", "exclusion_constraints"},
      {"ALTER TABLE bookings ADD CONSTRAINT extra_excl EXCLUDE USING btree (id WITH =)",
       "exclusion_constraints.extra_excl"},
  };
  for (const auto& [change, field] : changes) {
    INFO(change);
    db.exec(change);
    const auto drift = run_pgshift({"drift", "--db", db.url(), "--schema", path});
    INFO(drift.output);
    CHECK(drift.exit_code == 2);
    CHECK(contains(drift.output, field));
    const auto repaired = run_pgshift(
        {"apply", "--db", db.url(), "--schema", path, "--yes", "--allow-hazard", "all"});
    INFO(repaired.output);
    REQUIRE(repaired.exit_code == 0);
    CHECK(run_pgshift({"drift", "--db", db.url(), "--schema", path}).exit_code == 0);
  }
  CHECK(checksum(db, "bookings", kChecksumColumns) == before);
  CHECK(exclusion_defs(db) ==
        "bookings_no_overlap: EXCLUDE USING gist (during WITH &&) WHERE ((NOT cancelled))");
}

// ---------------------------------------------------------------------------
// Column STORAGE, COMPRESSION and STATISTICS.
// ---------------------------------------------------------------------------

namespace {

constexpr const char* kDocumentsSql = R"sql(
CREATE TABLE documents (id bigint PRIMARY KEY, title varchar(200), body text);
INSERT INTO documents SELECT g, 'title ' || g, repeat('body of ' || g || ' ', 400)
  FROM generate_series(1, 500) g;
ANALYZE documents;
)sql";

const char* const kDocumentColumns = "id, title, body";
// The tests set COMPRESSION pglz: lz4 needs a server built with it (the
// PostgreSQL 17 and 18 of scripts/pg are not).

// documents with `body` and `id` as given (YAML flow mappings' contents after
// the type, e.g. ", storage: external").
std::string documents_yaml(const std::string& body, const std::string& id = "") {
  return "schemas:\n"
         "  public:\n"
         "    tables:\n"
         "      documents:\n"
         "        columns:\n"
         "          id: { type: bigint, nullable: false" + id + " }\n"
         "          title: character varying(200)\n"
         "          body: { type: text" + body + " }\n"
         "        primary_key: [id]\n";
}

// "storage:compression:statistics" of a column, as the catalog has them:
// attstorage, attcompression (14+, else ""), attstattarget (-1 for the
// default, also where PostgreSQL 17+ stores NULL).
std::string settings_of(const TestDatabase& db, const std::string& table,
                        const std::string& column) {
  const bool compression = server_version_num(db) >= 140000;
  return db.scalar("SELECT attstorage::text || ':' || " +
                   std::string(compression ? "attcompression::text" : "''") +
                   " || ':' || coalesce(attstattarget::int, -1) FROM pg_attribute "
                   "WHERE attrelid = '" + table + "'::regclass AND attname = '" + column + "'");
}

}  // namespace

TEST_CASE("column storage, compression and statistics are set on a table with rows and put back",
          "[planner][db][storage][columns]") {
  TestDatabase db;
  TempDir dir;
  db.exec(kDocumentsSql);
  const bool compression = server_version_num(db) >= 140000;
  const std::string before = checksum(db, "documents", kDocumentColumns);
  const std::string yaml =
      documents_yaml(std::string(", storage: external") +
                         (compression ? ", compression: pglz" : "") + ", statistics: 500",
                     ", statistics: 1000");
  const Json plan = plan_json(db, yaml);
  const auto storage = steps_with(plan, "SET STORAGE EXTERNAL");
  REQUIRE(storage.size() == 1);
  CHECK(hazards_of(storage[0]).empty());
  CHECK(lock_on(storage[0], "documents") == "ACCESS EXCLUSIVE");
  CHECK(storage[0].at("duration") == "catalog_only");
  if (compression) CHECK(steps_with(plan, "SET COMPRESSION pglz").size() == 1);
  // The statistics target alone: SHARE UPDATE EXCLUSIVE, reads and writes go on.
  const auto statistics = steps_with(plan, "ALTER COLUMN id SET STATISTICS 1000");
  REQUIRE(statistics.size() == 1);
  CHECK(statistics[0].at("statements").size() == 1);
  CHECK(lock_on(statistics[0], "documents") == "SHARE UPDATE EXCLUSIVE");
  CHECK(hazards_of(statistics[0]).empty());

  converge(db, yaml);
  CHECK(settings_of(db, "documents", "body") ==
        std::string("e:") + (compression ? "p" : "") + ":500");
  CHECK(settings_of(db, "documents", "id") == "p::1000");
  CHECK(checksum(db, "documents", kDocumentColumns) == before);

  // inspect writes them; the YAML plans nothing, even with --strict.
  const auto inspected = run_pgshift({"inspect", "--db", db.url(), "-o", dir.path() + "/a.yaml"});
  INFO(inspected.output);
  REQUIRE(inspected.exit_code == 0);
  const std::string written = dir.read("a.yaml");
  INFO(written);
  CHECK(contains(written, "storage: external"));
  CHECK(contains(written, "statistics: 500"));
  CHECK(contains(written, "statistics: 1000"));
  if (compression) CHECK(contains(written, "compression: pglz"));
  CHECK_FALSE(contains(written, "storage: plain"));
  CHECK_FALSE(contains(inspected.output, "not modelled"));
  CHECK(plan_exit(db, dir.path() + "/a.yaml", {"--strict"}) == 0);

  // Back to the defaults: the type's storage, no compression, -1.
  const std::string sql = converge(db, documents_yaml(""));
  CHECK(contains(sql, server_version_num(db) >= 160000 ? "SET STORAGE DEFAULT"
                                                        : "SET STORAGE EXTENDED"));
  CHECK(contains(sql, "SET STATISTICS -1"));
  if (compression) CHECK(contains(sql, "SET COMPRESSION default"));
  CHECK(settings_of(db, "documents", "body") == "x::-1");
  CHECK(settings_of(db, "documents", "id") == "p::-1");
  CHECK(checksum(db, "documents", kDocumentColumns) == before);
}

TEST_CASE("a type's default storage written in the YAML plans nothing",
          "[planner][db][storage][columns]") {
  TestDatabase db;
  db.exec(kDocumentsSql);
  const PlanRun run = run_plan(db, documents_yaml(", storage: extended, statistics: -1"));
  INFO(run.messages);
  INFO(run.plan);
  CHECK(run.exit_code == 0);
}

TEST_CASE("a new table and a new column are created with their storage settings",
          "[planner][db][storage][columns]") {
  TestDatabase db;
  const bool compression = server_version_num(db) >= 140000;
  const std::string with = std::string(", storage: main") +
                           (compression ? ", compression: pglz" : "") + ", statistics: 250";
  const std::string sql = converge(db, documents_yaml(with));
  if (compression) CHECK(contains(sql, "body text COMPRESSION pglz"));
  CHECK(settings_of(db, "documents", "body") ==
        std::string("m:") + (compression ? "p" : "") + ":250");
  db.exec("INSERT INTO documents SELECT g, 't', 'b' FROM generate_series(1, 100) g; "
          "ANALYZE documents");
  const std::string before = checksum(db, "documents", kDocumentColumns);
  std::string yaml = documents_yaml(with);
  yaml.insert(yaml.find("        primary_key"),
              std::string("          summary: { type: text, storage: external") +
                  (compression ? ", compression: pglz" : "") + ", statistics: 10 }\n");
  converge(db, yaml);
  CHECK(settings_of(db, "documents", "summary") ==
        std::string("e:") + (compression ? "p" : "") + ":10");
  CHECK(checksum(db, "documents", kDocumentColumns) == before);
}

TEST_CASE("a type change sets the column's storage and compression again after it",
          "[planner][db][storage][columns]") {
  TestDatabase db;
  db.exec(kDocumentsSql);
  const bool compression = server_version_num(db) >= 140000;
  const std::string with = std::string(", storage: external") +
                           (compression ? ", compression: pglz" : "") + ", statistics: 300";
  converge(db, documents_yaml(with));
  const std::string before = checksum(db, "documents", "id, title");
  std::string yaml = documents_yaml(with);
  yaml.replace(yaml.find("body: { type: text"), 18, "body: { type: character varying(8000)");
  const std::string sql = converge(db, yaml);
  CHECK(position(sql, "TYPE character varying(8000)") < position(sql, "SET STORAGE EXTERNAL"));
  CHECK(settings_of(db, "documents", "body") ==
        std::string("e:") + (compression ? "p" : "") + ":300");
  CHECK(checksum(db, "documents", "id, title") == before);
}

TEST_CASE("COMPRESSION before PostgreSQL 14 is refused, naming the column",
          "[planner][db][storage][columns]") {
  TestDatabase db;
  if (server_version_num(db) >= 140000) {
    SUCCEED("PostgreSQL 14+ has COMPRESSION");
    return;
  }
  db.exec(kDocumentsSql);
  const PlanRun run = run_plan(db, documents_yaml(", compression: pglz"));
  INFO(run.messages);
  CHECK(run.exit_code == 1);
  CHECK(contains(run.messages, "column \"body\""));
  CHECK(contains(run.messages, "COMPRESSION is 14+"));
}

TEST_CASE("drift names an out-of-band change of a column's storage settings and plan puts it back",
          "[planner][db][storage][columns]") {
  TestDatabase db;
  TempDir dir;
  db.exec(kDocumentsSql);
  const std::string path = dir.write("s.yaml", documents_yaml(", storage: external, statistics: 500"));
  const auto applied = run_pgshift({"apply", "--db", db.url(), "--schema", path, "--yes"});
  INFO(applied.output);
  REQUIRE(applied.exit_code == 0);
  const std::string before = checksum(db, "documents", kDocumentColumns);
  REQUIRE(run_pgshift({"drift", "--db", db.url(), "--schema", path, "--strict"}).exit_code == 0);

  std::vector<std::pair<std::string, std::string>> changes = {
      {"ALTER TABLE documents ALTER COLUMN body SET STATISTICS 50", "columns.body.statistics"},
      {"ALTER TABLE documents ALTER COLUMN body SET STATISTICS -1", "columns.body.statistics"},
      {"ALTER TABLE documents ALTER COLUMN title SET STATISTICS 10", "columns.title.statistics"},
      {"ALTER TABLE documents ALTER COLUMN body SET STORAGE MAIN", "columns.body.storage"},
      {"ALTER TABLE documents ALTER COLUMN body SET STORAGE EXTENDED", "columns.body.storage"},
  };
  if (server_version_num(db) >= 140000) {
    changes.push_back({"ALTER TABLE documents ALTER COLUMN title SET COMPRESSION pglz",
                       "columns.title.compression"});
  }
  for (const auto& [change, field] : changes) {
    INFO(change);
    db.exec(change);
    const auto drift = run_pgshift({"drift", "--db", db.url(), "--schema", path});
    INFO(drift.output);
    CHECK(drift.exit_code == 2);
    CHECK(contains(drift.output, field));
    const auto repaired = run_pgshift({"apply", "--db", db.url(), "--schema", path, "--yes"});
    INFO(repaired.output);
    REQUIRE(repaired.exit_code == 0);
    CHECK(run_pgshift({"drift", "--db", db.url(), "--schema", path}).exit_code == 0);
  }
  CHECK(settings_of(db, "documents", "body") == "e::500");
  CHECK(settings_of(db, "documents", "title") == "x::-1");
  CHECK(checksum(db, "documents", kDocumentColumns) == before);
}

namespace {

// documents with a materialized view of it, whose columns get `columns`.
std::string digest_yaml(const std::string& columns, const std::string& where = "") {
  return documents_yaml("") +
         "    materialized_views:\n"
         "      digest:\n"
         "        definition: SELECT id, body FROM documents" + where + "\n" +
         (columns.empty() ? "" : "        columns:\n" + columns);
}

}  // namespace

TEST_CASE("a materialized view's column storage and statistics are set after it is created, "
          "changed in place, set again when it is recreated, and drift sees them",
          "[planner][db][storage][columns][materialized_views]") {
  TestDatabase db;
  TempDir dir;
  db.exec(kDocumentsSql);
  const std::string first = digest_yaml(
      "          body: { storage: external, statistics: 300 }\n"
      "          id: { statistics: 20 }\n");
  const std::string created = converge(db, first);
  CHECK(position(created, "CREATE MATERIALIZED VIEW public.digest") <
        position(created, "ALTER MATERIALIZED VIEW public.digest ALTER COLUMN body SET STORAGE "
                          "EXTERNAL"));
  CHECK(settings_of(db, "digest", "body") == "e::300");
  CHECK(settings_of(db, "digest", "id") == "p::20");

  // Changed in place: the view is kept (no DROP), the rows with it.
  const std::string changed = converge(db, digest_yaml("          body: { storage: main }\n"));
  CHECK_FALSE(contains(changed, "DROP MATERIALIZED VIEW"));
  CHECK(contains(changed, "ALTER MATERIALIZED VIEW public.digest ALTER COLUMN id SET "
                          "STATISTICS -1"));
  CHECK(settings_of(db, "digest", "body") == "m::-1");
  CHECK(settings_of(db, "digest", "id") == "p::-1");

  // Recreated for a new query: the settings are set again on the new one.
  const std::string narrowed = digest_yaml("          body: { storage: main }\n", " WHERE id > 10");
  const std::string recreated = converge(db, narrowed);
  CHECK(position(recreated, "DROP MATERIALIZED VIEW public.digest") <
        position(recreated, "ALTER MATERIALIZED VIEW public.digest ALTER COLUMN body SET STORAGE "
                            "MAIN"));
  CHECK(settings_of(db, "digest", "body") == "m::-1");

  // An out-of-band change is drift, and plan puts it back.
  const std::string path = dir.write("s.yaml", narrowed);
  db.exec("ALTER MATERIALIZED VIEW digest ALTER COLUMN id SET STATISTICS 5");
  const auto drift = run_pgshift({"drift", "--db", db.url(), "--schema", path});
  INFO(drift.output);
  CHECK(drift.exit_code == 2);
  CHECK(contains(drift.output, "column \"id\" of materialized view \"public.digest\""));
  converge(db, narrowed);
  CHECK(settings_of(db, "digest", "id") == "p::-1");
  CHECK(run_pgshift({"drift", "--db", db.url(), "--schema", path}).exit_code == 0);
}

TEST_CASE("a generated column added again under a type change keeps its storage and statistics "
          "target in the same plan",
          "[planner][db][storage][columns]") {
  TestDatabase db;
  if (server_version_num(db) < 120000) return;  // generated columns are 12+
  db.exec("CREATE TABLE items (id bigint PRIMARY KEY, qty integer,"
          "  label text GENERATED ALWAYS AS ('n' || qty::text) STORED);"
          "ALTER TABLE items ALTER COLUMN label SET STORAGE EXTERNAL;"
          "ALTER TABLE items ALTER COLUMN label SET STATISTICS 300;"
          "INSERT INTO items (id, qty) SELECT g, g FROM generate_series(1, 200) g");
  const std::string sql = converge(db, R"yaml(
schemas:
  public:
    tables:
      items:
        primary_key: [id]
        columns:
          id: { type: bigint, nullable: false }
          qty: bigint
          label:
            type: text
            generated: "('n'::text || (qty)::text)"
            storage: external
            statistics: 300
)yaml");
  CHECK(contains(sql, "DROP COLUMN label"));
  CHECK(settings_of(db, "items", "label") == "e::300");
  CHECK(db.scalar("SELECT label FROM items WHERE id = 7") == "n7");
}

TEST_CASE("a partition created by PARTITION OF has the storage it wants, not the one it copies "
          "from its parent",
          "[planner][db][storage][columns][partitions]") {
  TestDatabase db;
  db.exec("CREATE SCHEMA app");
  const std::string parent = R"yaml(
schemas:
  app:
    tables:
      events:
        partition_by: { strategy: list, key: kind }
        columns:
          kind: { type: text, nullable: false }
          body: { type: text, storage: external }
          note: text
      events_b:
        partition_of:
          table: events
          bound: FOR VALUES IN ('b')
        columns:
          body: { type: text, storage: external }
)yaml";
  converge(db, parent);
  CHECK(settings_of(db, "app.events", "body").substr(0, 1) == "e");
  CHECK(settings_of(db, "app.events_b", "body").substr(0, 1) == "e");
  CHECK(settings_of(db, "app.events_b", "note").substr(0, 1) == "x");
  // A partition of the existing parent: PARTITION OF on PostgreSQL 11
  // (copying the parent's STORAGE EXTERNAL), LIKE and ATTACH from 12 on.
  const std::string sql = converge(db, parent + R"yaml(
      events_a:
        partition_of:
          table: events
          bound: FOR VALUES IN ('a')
        columns:
          note: { type: text, storage: main }
)yaml");
  CHECK(contains(sql, server_version_num(db) < 120000 ? "PARTITION OF" : "(LIKE"));
  CHECK(settings_of(db, "app.events_a", "body").substr(0, 1) == "x");
  CHECK(settings_of(db, "app.events_a", "note").substr(0, 1) == "m");
}
