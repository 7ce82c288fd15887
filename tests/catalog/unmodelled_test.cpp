// Never silent: every object of a managed schema that the model does not hold
// is listed by the catalog reader, by kind and name; modelled objects are not.
#include <catch2/catch.hpp>
#include <map>
#include <optional>
#include <pqxx/pqxx>
#include <set>
#include <string>
#include <vector>
#include <tuple>

#include "catalog/connection.hpp"
#include "catalog/reader.hpp"
#include "tests/support/server_version.hpp"
#include "tests/support/test_db.hpp"

namespace pgshift::catalog {
namespace {

// One object of every kind the model has no place for, in schema "odd", next
// to modelled objects they need (a table, functions, a view, an enum).
constexpr const char* kUnmodelledSql = R"sql(
  CREATE SCHEMA odd;
  CREATE TABLE odd.t (id int PRIMARY KEY, body text, n int);
  CREATE FUNCTION odd.trg() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN RETURN NULL; END$$;
  CREATE FUNCTION odd.int_eq(int, int) RETURNS boolean LANGUAGE sql IMMUTABLE
    AS 'SELECT $1 = $2';
  CREATE VIEW odd.v AS SELECT id, body FROM odd.t;
  CREATE TYPE odd.e AS ENUM ('a');
  CREATE TYPE odd.pair AS (a int, b int);
  CREATE DOMAIN odd.pos AS int;
  -- row-level security (modelled: not reported)
  ALTER TABLE odd.t ENABLE ROW LEVEL SECURITY;
  ALTER TABLE odd.t FORCE ROW LEVEL SECURITY;
  CREATE POLICY t_read ON odd.t FOR SELECT USING (true);
  -- privileges (modelled: not reported)
  GRANT SELECT ON odd.t TO PUBLIC;
  GRANT UPDATE (body) ON odd.t TO PUBLIC;
  REVOKE EXECUTE ON FUNCTION odd.int_eq(int, int) FROM PUBLIC;
  GRANT USAGE ON SCHEMA odd TO PUBLIC;
  REVOKE USAGE ON TYPE odd.e FROM PUBLIC;
  -- constraints, storage (exclusion constraints, UNLOGGED tables with their
  -- serial's sequence, storage parameters and a table column's STORAGE,
  -- COMPRESSION and STATISTICS are modelled: not reported; per-column
  -- options such as n_distinct are)
  CREATE TABLE odd.rooms (during int4range, EXCLUDE USING gist (during WITH &&));
  CREATE UNLOGGED TABLE odd.scratch (x serial);
  ALTER TABLE odd.t SET (fillfactor = 70, toast.autovacuum_enabled = false);
  ALTER TABLE odd.t ALTER body SET STORAGE EXTERNAL, ALTER n SET STATISTICS 500,
    ALTER n SET (n_distinct = 10);
  ALTER TABLE odd.t CLUSTER ON t_pkey;
  CREATE INDEX t_n_expr ON odd.t ((n + 1));
  ALTER INDEX odd.t_n_expr ALTER COLUMN 1 SET STATISTICS 400;
  CREATE TABLE odd.parent (x int);
  CREATE TABLE odd.child () INHERITS (odd.parent);
  CREATE TABLE odd.typed OF odd.pair;
  ALTER DOMAIN odd.pos ADD CONSTRAINT pos_check CHECK (VALUE > 0) NOT VALID;
  -- rules, views
  CREATE RULE t_no_delete AS ON DELETE TO odd.t DO INSTEAD NOTHING;
  ALTER VIEW odd.v ALTER COLUMN body SET DEFAULT 'x';
  COMMENT ON COLUMN odd.v.body IS 'the body';
  -- triggers
  CREATE CONSTRAINT TRIGGER t_check AFTER INSERT ON odd.t DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION odd.trg();
  CREATE TRIGGER t_audit AFTER UPDATE ON odd.t FOR EACH ROW EXECUTE FUNCTION odd.trg();
  ALTER TABLE odd.t DISABLE TRIGGER t_audit;
  -- A foreign key's own triggers disabled (DISABLE TRIGGER ALL): not modelled.
  CREATE TABLE odd.notes (t_id int REFERENCES odd.t (id));
  ALTER TABLE odd.notes DISABLE TRIGGER ALL;
  CREATE TRIGGER t_batch AFTER INSERT ON odd.t REFERENCING NEW TABLE AS inserted
    FOR EACH STATEMENT EXECUTE FUNCTION odd.trg();
  CREATE TRIGGER v_insert INSTEAD OF INSERT ON odd.v FOR EACH ROW EXECUTE FUNCTION odd.trg();
  -- schema objects
  CREATE STATISTICS odd.t_stats (dependencies) ON id, n FROM odd.t;
  CREATE OPERATOR odd.=== (LEFTARG = int, RIGHTARG = int, FUNCTION = odd.int_eq);
  CREATE OPERATOR CLASS odd.int_ops FOR TYPE int USING btree
    AS OPERATOR 3 =, FUNCTION 1 btint4cmp(int, int);
  CREATE OPERATOR FAMILY odd.fam USING hash;
  CREATE COLLATION odd.c_copy FROM "C";
  CREATE CONVERSION odd.conv FOR 'LATIN1' TO 'UTF8' FROM iso8859_1_to_utf8;
  CREATE TEXT SEARCH CONFIGURATION odd.cfg (COPY = simple);
  CREATE TEXT SEARCH DICTIONARY odd.dict (TEMPLATE = simple);
  CREATE TEXT SEARCH PARSER odd.prs (START = prsd_start, GETTOKEN = prsd_nexttoken,
    END = prsd_end, LEXTYPES = prsd_lextype);
  CREATE TEXT SEARCH TEMPLATE odd.tmpl (LEXIZE = dsimple_lexize);
  CREATE AGGREGATE odd.total(int) (SFUNC = int4pl, STYPE = int);
  CREATE FUNCTION odd.rn() RETURNS bigint LANGUAGE internal WINDOW AS 'window_row_number';
  CREATE TYPE odd.floatrange AS RANGE (subtype = float8);
  CREATE TYPE odd.later;
  CREATE TYPE odd.int_like;
  CREATE FUNCTION odd.int_like_in(cstring) RETURNS odd.int_like LANGUAGE internal IMMUTABLE
    STRICT AS 'int4in';
  CREATE FUNCTION odd.int_like_out(odd.int_like) RETURNS cstring LANGUAGE internal IMMUTABLE
    STRICT AS 'int4out';
  CREATE TYPE odd.int_like (INPUT = odd.int_like_in, OUTPUT = odd.int_like_out, LIKE = int4);
  CREATE FUNCTION odd.secure() RETURNS int LANGUAGE sql SECURITY DEFINER
    SET search_path = pg_catalog PARALLEL SAFE COST 5 AS 'SELECT 1';
  CREATE FOREIGN DATA WRAPPER odd_fdw;
  CREATE SERVER odd_server FOREIGN DATA WRAPPER odd_fdw;
  CREATE FOREIGN TABLE odd.ft (x int) SERVER odd_server;
  CREATE PUBLICATION odd_pub FOR TABLE odd.t;
  CREATE CAST (odd.e AS int) WITH INOUT;
  CREATE FUNCTION odd.on_ddl() RETURNS event_trigger LANGUAGE plpgsql AS $$BEGIN END$$;
  CREATE EVENT TRIGGER odd_ddl ON ddl_command_end EXECUTE FUNCTION odd.on_ddl();
  -- privileges of objects the model does not hold
  GRANT SELECT ON odd.ft TO PUBLIC;
  REVOKE EXECUTE ON FUNCTION odd.total(int) FROM PUBLIC;
  REVOKE USAGE ON TYPE odd.floatrange FROM PUBLIC;
)sql";

// What the fixture holds from a given release on.
struct Versioned {
  int since;
  int before;
  const char* sql;
};
constexpr Versioned kVersionedSql[] = {
    {0, 120000, "CREATE TABLE odd.oids (x int) WITH OIDS;"},
    {120000, 0,
     "CREATE ACCESS METHOD odd_heap TYPE TABLE HANDLER heap_tableam_handler;"
     "CREATE TABLE odd.other_am (x int) USING odd_heap;"},
    {140000, 0,
     "ALTER TABLE odd.t ALTER body SET COMPRESSION pglz;"
     "CREATE FUNCTION odd.add(a int, b int) RETURNS int LANGUAGE sql RETURN a + b;"},
    {150000, 0,
     "CREATE UNLOGGED SEQUENCE odd.useq;"
     "CREATE PUBLICATION odd_schema_pub FOR TABLES IN SCHEMA odd;"},
    {180000, 0,
     "CREATE TABLE odd.temporal (zone int4range, during tsrange,"
     "  PRIMARY KEY (zone, during WITHOUT OVERLAPS));"
     "CREATE TABLE odd.lax (a int, b int, CONSTRAINT lax_a CHECK (a > 0) NOT ENFORCED);"
     "ALTER TABLE odd.lax ADD CONSTRAINT lax_b_nn NOT NULL b NOT VALID;"},
};

using Entry = std::tuple<std::string, std::string, std::string>;  // kind, relation, name

std::set<Entry> expected_entries(int version) {
  std::set<Entry> entries = {
      {"privileges", "ft", ""},
      {"routine privileges", "", "total(integer)"},
      {"type privileges", "", "floatrange"},
      {"column settings", "t", "n"},
      {"CLUSTER ON", "t", "t_pkey"},
      {"index column statistics", "t_n_expr", "expr"},
      {"inheritance", "child", ""},
      {"typed table", "typed", ""},
      {"NOT VALID domain constraint", "pos", "pos_check"},
      {"rule", "t", "t_no_delete"},
      {"view column default", "v", "body"},
      {"column comment", "v", "body"},
      {"trigger firing", "notes", "notes_t_id_fkey"},
      {"trigger transition tables", "t", "t_batch"},
      {"trigger", "v", "v_insert"},
      {"extended statistics", "", "t_stats"},
      {"operator", "", "===(integer, integer)"},
      {"operator class", "", "int_ops"},
      {"operator family", "", "fam"},
      {"collation", "", "c_copy"},
      {"conversion", "", "conv"},
      {"text search configuration", "", "cfg"},
      {"text search dictionary", "", "dict"},
      {"text search parser", "", "prs"},
      {"text search template", "", "tmpl"},
      {"aggregate", "", "total(integer)"},
      {"window function", "", "rn()"},
      {"range type", "", "floatrange"},
      {"shell type", "", "later"},
      {"base type", "", "int_like"},
      {"tablespace", "spaced", ""},
      {"tablespace", "spaced_x_idx", ""},
      {"routine options", "", "secure()"},
      {"foreign table", "", "ft"},
      {"publication membership", "t", "odd_pub"},
      {"cast", "", "odd.e AS integer"},
      {"event trigger", "", "odd_ddl"},
  };
  if (version < 120000) entries.insert({"WITH OIDS", "oids", ""});
  if (version >= 120000) entries.insert({"access method", "other_am", ""});
  if (version >= 150000) {
    entries.insert({"UNLOGGED", "useq", ""});
    entries.insert({"publication membership", "", ""});
  }
  if (version >= 180000) {
    entries.insert({"temporal constraint", "temporal", "temporal_pkey"});
    entries.insert({"NOT ENFORCED constraint", "lax", "lax_a"});
    entries.insert({"NOT VALID NOT NULL constraint", "lax", "lax_b_nn"});
  }
  return entries;
}

// A tablespace belongs to the server, not to a database: one per test
// database, created in place (allow_in_place_tablespaces: no directory to
// prepare), dropped once the database that used it is gone.
class Tablespace {
 public:
  explicit Tablespace(std::string name) : name_(std::move(name)) {}
  Tablespace(const Tablespace&) = delete;
  Tablespace& operator=(const Tablespace&) = delete;
  ~Tablespace() {
    try {
      auto conn = connect(testing::server_url());
      pqxx::nontransaction work(*conn);
      work.exec("DROP TABLESPACE IF EXISTS " + work.quote_name(name_));
    } catch (const std::exception&) {
      // Left behind: empty, named after a database that no longer exists.
    }
  }
  void create(const std::string& url) const {
    auto conn = connect(url);
    pqxx::nontransaction work(*conn);
    work.exec("SET allow_in_place_tablespaces = on");
    work.exec("CREATE TABLESPACE " + work.quote_name(name_) + " LOCATION ''");
  }
  const std::string& name() const { return name_; }

 private:
  std::string name_;
};

schemas::Database read_odd(const testing::TestDatabase& db) {
  auto conn = connect(db.url());
  ReadOptions options;
  options.include_schemas = {"odd"};
  return read_catalog(*conn, options);
}

TEST_CASE("every object kind the model does not hold is reported by kind and name",
          "[catalog][db]") {
  std::optional<Tablespace> space;  // outlives the database
  testing::TestDatabase db;
  space.emplace("odd_space_" + db.scalar("SELECT current_database()"));
  space->create(db.url());
  const int version = testing::server_version_num(db);
  db.exec(kUnmodelledSql);
  const std::string quoted = "\"" + space->name() + "\"";
  db.exec("CREATE TABLE odd.spaced (x int) TABLESPACE " + quoted +
          "; CREATE INDEX spaced_x_idx ON odd.spaced (x) TABLESPACE " + quoted);
  for (const auto& part : kVersionedSql) {
    if (version >= part.since && (part.before == 0 || version < part.before)) db.exec(part.sql);
  }
  db.exec("ALTER DEFAULT PRIVILEGES IN SCHEMA odd GRANT SELECT ON TABLES TO PUBLIC");
  const schemas::Database model = read_odd(db);

  std::set<Entry> reported;
  for (const auto& object : model.facts.unmodelled) {
    INFO(schemas::describe(object));
    CHECK((object.schema == "odd" || object.schema.empty()));
    reported.insert({object.kind, object.relation, object.name});
  }
  const auto expected = expected_entries(version);
  for (const auto& entry : expected) {
    INFO(std::get<0>(entry) << " " << std::get<1>(entry) << " " << std::get<2>(entry));
    CHECK(reported.count(entry) == 1);
  }
  // Nothing else: the modelled objects next to them (tables, functions, the
  // view, the enum, the domain, the composite type, the multirange and array
  // types that come with types) are not reported.
  for (const auto& entry : reported) {
    INFO(std::get<0>(entry) << " " << std::get<1>(entry) << " " << std::get<2>(entry));
    CHECK(expected.count(entry) == 1);
  }

  // Details say what exactly, in SQL words.
  const auto detail = [&](const std::string& kind, const std::string& name) {
    for (const auto& object : model.facts.unmodelled) {
      if (object.kind == kind && (object.name == name || object.relation == name)) {
        return object.detail;
      }
    }
    return std::string("<none>");
  };
  // Privileges of modelled objects are modelled: in the schema, not in the list.
  const schemas::Schema* odd = schemas::find_schema(model, "odd");
  REQUIRE(odd != nullptr);
  std::set<std::string> privileges;
  for (const auto& entry : odd->privileges) privileges.insert(schemas::describe(entry.object));
  CHECK(privileges == std::set<std::string>{"schema \"odd\"", "table \"odd.t\"",
                                            "column \"body\" of table \"odd.t\"",
                                            "function \"odd.int_eq(integer, integer)\"",
                                            "enum \"odd.e\""});
  // Default privileges are modelled: in the schema, not in the list.
  REQUIRE(odd->default_privileges.size() == 1);
  CHECK(schemas::describe(odd->default_privileges[0].object) ==
        "default privileges for role \"" + db.scalar("SELECT current_user") +
            "\" on tables in schema \"odd\"");
  REQUIRE(odd->default_privileges[0].grants.size() == 1);
  CHECK(odd->default_privileges[0].grants[0].role == schemas::kPublicRole);
  CHECK(odd->default_privileges[0].grants[0].privileges == std::vector<std::string>{"SELECT"});
  // Row-level security is modelled: in the table, not in the list.
  const schemas::Table* t = schemas::find_table(model, "odd", "t");
  REQUIRE(t != nullptr);
  CHECK(t->row_security.enabled);
  CHECK(t->row_security.forced);
  REQUIRE(t->policies.size() == 1);
  CHECK(t->policies[0].name == "t_read");
  CHECK(t->policies[0].command == schemas::PolicyCommand::Select);
  CHECK(t->options == std::map<std::string, std::string>{{"fillfactor", "70"},
                                                         {"toast.autovacuum_enabled", "false"}});
  // A column's STORAGE, COMPRESSION and STATISTICS are modelled; its options
  // (n_distinct) are reported.
  const schemas::Column* body = schemas::find_named(t->columns, "body");
  REQUIRE(body != nullptr);
  CHECK(body->storage == std::optional<std::string>("external"));
  const schemas::Column* n = schemas::find_named(t->columns, "n");
  REQUIRE(n != nullptr);
  CHECK(n->statistics == std::optional<int>(500));
  CHECK(detail("column settings", "n") == "(n_distinct=10)");
  const schemas::Table* scratch = schemas::find_table(model, "odd", "scratch");
  REQUIRE(scratch != nullptr);
  CHECK(scratch->unlogged);
  const schemas::Table* rooms = schemas::find_table(model, "odd", "rooms");
  REQUIRE(rooms != nullptr);
  REQUIRE(rooms->exclusion_constraints.size() == 1);
  CHECK(rooms->exclusion_constraints[0].name == "rooms_during_excl");
  CHECK(rooms->exclusion_constraints[0].elements == std::vector<std::string>{"during WITH &&"});
  // A range type's constructors come and go with it: not read as functions.
  for (const auto& function : odd->functions) {
    INFO(function.name);
    CHECK(function.name != "floatrange");
    CHECK(function.name != "floatmultirange");
  }
  CHECK(detail("trigger firing", "notes_t_id_fkey") ==
        "DISABLE: the internal triggers of this constraint");
  // A trigger's own firing is modelled, not reported.
  const schemas::Table* t_table = schemas::find_table(model, "odd", "t");
  REQUIRE(t_table != nullptr);
  const schemas::Trigger* audit = schemas::find_named(t_table->triggers, "t_audit");
  REQUIRE(audit != nullptr);
  CHECK(audit->firing == schemas::TriggerFiring::Disabled);
  CHECK(detail("routine options", "secure()") ==
        "SET search_path=pg_catalog, PARALLEL SAFE, COST 5");
}

TEST_CASE("the public schema's initdb privileges are no difference, changed ones are modelled",
          "[catalog][db]") {
  testing::TestDatabase db;
  db.exec("CREATE TABLE public.t (id int)");
  auto conn = connect(db.url());
  ReadOptions options;
  options.include_schemas = {"public"};
  const auto untouched = read_catalog(*conn, options);
  CHECK(untouched.facts.unmodelled.empty());
  CHECK(untouched.schemas.at(0).privileges.empty());
  db.exec("REVOKE ALL ON SCHEMA public FROM PUBLIC");
  const auto revoked = read_catalog(*conn, options);
  CHECK(revoked.facts.unmodelled.empty());
  const auto& privileges = revoked.schemas.at(0).privileges;
  REQUIRE(privileges.size() == 1);
  CHECK(privileges[0].object == schemas::ObjectId{schemas::ObjectKind::Schema, "", "", "public"});
  CHECK(privileges[0].grants.empty());
  REQUIRE(privileges[0].revoked.size() == 1);
  CHECK(privileges[0].revoked[0].role == schemas::kPublicRole);
  // USAGE from PostgreSQL 15 on; USAGE and CREATE before.
  CHECK(privileges[0].revoked[0].privileges.at(0) == "USAGE");
}

TEST_CASE("grants that give back exactly the owner's default are not reported", "[catalog][db]") {
  testing::TestDatabase db;
  db.exec(
      "CREATE SCHEMA odd; CREATE TABLE odd.t (id int);"
      "GRANT SELECT ON odd.t TO PUBLIC; REVOKE SELECT ON odd.t FROM PUBLIC");
  CHECK(db.scalar("SELECT relacl IS NOT NULL FROM pg_class WHERE oid = 'odd.t'::regclass") == "t");
  const auto model = read_odd(db);
  CHECK(model.facts.unmodelled.empty());
  CHECK(model.schemas.at(0).privileges.empty());
}

TEST_CASE("objects of a table the read excludes are not reported", "[catalog][db]") {
  testing::TestDatabase db;
  db.exec("CREATE SCHEMA odd; CREATE TABLE odd.t (id int); CREATE TABLE odd.u (id int);"
          "GRANT SELECT ON odd.t, odd.u TO PUBLIC");
  auto conn = connect(db.url());
  ReadOptions options;
  options.include_schemas = {"odd"};
  options.exclude_tables = {"odd.u"};
  db.exec("CREATE SEQUENCE odd.s; GRANT USAGE ON odd.s TO PUBLIC;"
          "CREATE TABLE odd.w (id int GENERATED ALWAYS AS IDENTITY);"
          "GRANT USAGE ON SEQUENCE odd.w_id_seq TO PUBLIC");
  const auto model = read_catalog(*conn, options);
  // odd.t's privileges are modelled, odd.u's excluded with it; an identity
  // column's sequence is not a model object: its privileges are reported.
  REQUIRE(model.facts.unmodelled.size() == 1);
  CHECK(model.facts.unmodelled[0].kind == "privileges");
  CHECK(model.facts.unmodelled[0].relation == "w_id_seq");
  std::set<std::string> privileges;
  for (const auto& entry : model.schemas.at(0).privileges) {
    privileges.insert(schemas::describe(entry.object));
  }
  CHECK(privileges == std::set<std::string>{"table \"odd.t\"", "sequence \"odd.s\""});
}

}  // namespace
}  // namespace pgshift::catalog
