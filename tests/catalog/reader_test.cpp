#include "catalog/reader.hpp"

#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <tuple>
#include <vector>

#include "catalog/connection.hpp"
#include "catalog/null_counts.hpp"
#include "catalog/sequence_usage.hpp"
#include "tests/support/server_version.hpp"
#include "tests/support/sql_ascii_db.hpp"
#include "tests/support/test_db.hpp"

namespace pgshift::catalog {
namespace {

using namespace schemas;

Database read(const testing::TestDatabase& db, const ReadOptions& options = {}) {
  auto conn = connect(db.url());
  return read_catalog(*conn, options);
}

const Table& table_of(const Database& model, const std::string& schema, const std::string& name) {
  const Table* table = find_table(model, schema, name);
  REQUIRE(table != nullptr);
  return *table;
}

const Schema& schema_of(const Database& model, const std::string& name) {
  const Schema* schema = find_schema(model, name);
  REQUIRE(schema != nullptr);
  return *schema;
}

std::vector<std::string> schema_names(const Database& model) {
  std::vector<std::string> names;
  for (const auto& schema : model.schemas) names.push_back(schema.name);
  return names;
}

bool has_dependency(const Database& model, const ObjectId& dependent, const ObjectId& referenced,
                    const std::string& column) {
  return std::any_of(model.facts.dependencies.begin(), model.facts.dependencies.end(),
                     [&](const Dependency& dependency) {
                       return dependency.dependent == dependent &&
                              dependency.referenced == referenced &&
                              dependency.referenced_column == column;
                     });
}

TEST_CASE("a read spliced with a re-read of the changed schemas equals a full read again",
          "[catalog][db]") {
  testing::TestDatabase db;
  db.exec(
      "CREATE SCHEMA a; CREATE SCHEMA b; CREATE SCHEMA c;"
      "CREATE TABLE a.t (id bigint PRIMARY KEY, v int DEFAULT random()::int);"
      "CREATE TABLE b.u (id bigint PRIMARY KEY, t_id bigint REFERENCES a.t (id));"
      "CREATE VIEW b.w AS SELECT id FROM b.u; CREATE SEQUENCE c.s;");
  ReadOptions options;
  options.include_schemas = {"a", "b", "c"};
  const Database before = read(db, options);
  db.exec(
      "ALTER TABLE b.u ADD COLUMN note text; CREATE TABLE b.x (id int);"
      "CREATE OR REPLACE VIEW b.w AS SELECT id, note FROM b.u; DROP SEQUENCE c.s;"
      "DROP SCHEMA c; CREATE EXTENSION IF NOT EXISTS pgcrypto SCHEMA a");
  ReadOptions touched = options;
  touched.include_schemas = {"b", "c"};
  const Database spliced = splice_schemas(before, read(db, touched), {"b", "c"});
  const Database again = read(db, options);
  CHECK(spliced == again);
  CHECK(spliced.facts.fingerprint == again.facts.fingerprint);
  CHECK(spliced.facts.view_columns == again.facts.view_columns);
  CHECK(spliced.facts.volatile_defaults == again.facts.volatile_defaults);
  CHECK(schema_names(spliced) == std::vector<std::string>{"a", "b"});
}

TEST_CASE("columns_read is given every table with its columns before its constraints are read",
          "[catalog][db]") {
  testing::TestDatabase db;
  db.exec(
      "CREATE SCHEMA a; CREATE SCHEMA b; CREATE SCHEMA empty;"
      "CREATE TABLE a.t (id bigint PRIMARY KEY, gone int, v text CHECK (v <> ''));"
      "ALTER TABLE a.t DROP COLUMN gone;"
      "CREATE TABLE b.u (id bigint REFERENCES a.t (id), n numeric(10, 2));"
      "CREATE INDEX ON b.u (n); CREATE VIEW b.w AS SELECT id FROM b.u;");
  for (const std::size_t parallel_from : {std::size_t{1}, static_cast<std::size_t>(-1)}) {
    INFO("read ahead from " << parallel_from << " tables");
    ReadOptions options;
    options.include_schemas = {"a", "b"};
    options.parallel_from_tables = parallel_from;
    int calls = 0;
    std::vector<std::string> seen;
    options.columns_read = [&](const std::vector<TableSoFar>& tables) {
      ++calls;
      for (const auto& entry : tables) {
        std::string line = *entry.schema + "." + entry.table->name + ":";
        for (const auto& column : entry.table->columns)
          line += " " + column.name + " " + column.type;
        // Not read yet: nothing but the table's own fields and its columns.
        CHECK_FALSE(entry.table->primary_key);
        CHECK(entry.table->check_constraints.empty());
        CHECK(entry.table->foreign_keys.empty());
        CHECK(entry.table->indexes.empty());
        seen.push_back(line);
      }
    };
    const Database model = read(db, options);
    CHECK(calls == 1);
    std::sort(seen.begin(), seen.end());
    CHECK(seen ==
          std::vector<std::string>{"a.t: id bigint v text", "b.u: id bigint n numeric(10,2)"});
    // The read itself is whole.
    CHECK(table_of(model, "a", "t").primary_key);
    CHECK(table_of(model, "b", "u").indexes.size() == 1);
  }

  ReadOptions nothing;
  nothing.include_schemas = {"empty", "missing"};
  int calls = 0;
  std::size_t tables = 1;
  nothing.columns_read = [&](const std::vector<TableSoFar>& read) {
    ++calls;
    tables = read.size();
  };
  read(db, nothing);
  CHECK(calls == 1);
  CHECK(tables == 0);
}

TEST_CASE("columns are read with type, default, identity, generation and collation",
          "[catalog][db]") {
  testing::TestDatabase db;
  // Generated columns exist from PostgreSQL 12.
  const bool has_generated = server_version_num(db) >= 120000;
  db.exec(std::string(R"sql(
    CREATE TABLE public.items (
      id bigint GENERATED ALWAYS AS IDENTITY,
      code integer GENERATED BY DEFAULT AS IDENTITY (START WITH 100 INCREMENT BY 5 CACHE 10),
      name character varying(20) COLLATE "C" NOT NULL,
      price numeric(12,2) DEFAULT 0,
      created_at timestamptz NOT NULL DEFAULT now(),)sql") +
          (has_generated ? "doubled numeric GENERATED ALWAYS AS (price * 2) STORED," : "") +
          R"sql(
      note text
    );
    ALTER TABLE public.items DROP COLUMN note;
    COMMENT ON TABLE public.items IS 'things we sell';
    COMMENT ON COLUMN public.items.name IS 'display name';
  )sql");
  const Database model = read(db);
  const Table& items = table_of(model, "public", "items");
  CHECK(items.comment == std::optional<std::string>("things we sell"));
  REQUIRE(items.columns.size() == (has_generated ? 6 : 5));

  const Column& id = items.columns[0];
  CHECK(id.name == "id");
  CHECK(id.type == "bigint");
  CHECK(id.not_null);
  CHECK(id.identity == IdentityKind::Always);
  CHECK(id.identity_options == SequenceOptions{});
  CHECK_FALSE(id.default_expr);

  const Column& code = items.columns[1];
  CHECK(code.type == "integer");
  CHECK(code.identity == IdentityKind::ByDefault);
  CHECK(code.identity_options.start == std::optional<int64_t>(100));
  CHECK(code.identity_options.increment == std::optional<int64_t>(5));
  CHECK(code.identity_options.cache == std::optional<int64_t>(10));
  CHECK_FALSE(code.identity_options.min_value);
  CHECK_FALSE(code.identity_options.max_value);
  CHECK_FALSE(code.identity_options.cycle);

  const Column& name = items.columns[2];
  CHECK(name.type == "character varying(20)");
  CHECK(name.not_null);
  CHECK(name.collation == std::optional<std::string>("C"));
  CHECK(name.comment == std::optional<std::string>("display name"));

  const Column& price = items.columns[3];
  CHECK(price.type == "numeric(12,2)");
  CHECK_FALSE(price.not_null);
  CHECK(price.default_expr == std::optional<std::string>("0"));
  CHECK_FALSE(price.collation);

  const Column& created_at = items.columns[4];
  CHECK(created_at.type == "timestamp with time zone");
  CHECK(created_at.default_expr == std::optional<std::string>("now()"));

  if (has_generated) {
    const Column& doubled = items.columns[5];
    CHECK(doubled.generated == std::optional<std::string>("(price * (2)::numeric)"));
    CHECK_FALSE(doubled.default_expr);
    CHECK(doubled.identity == IdentityKind::None);
  }

  CHECK(schema_of(model, "public").sequences.empty());  // identity sequences live on columns
}

TEST_CASE("a virtual generated column is refused rather than read as a default", "[catalog][db]") {
  testing::TestDatabase db;
  // VIRTUAL exists from PostgreSQL 18, STORED from 12; before 12 the column is plain.
  const int version = server_version_num(db);
  const std::string generation = version >= 180000   ? " GENERATED ALWAYS AS (side * side) VIRTUAL"
                                 : version >= 120000 ? " GENERATED ALWAYS AS (side * side) STORED"
                                                     : "";
  db.exec("CREATE TABLE public.boxes (side integer, area integer" + generation + ")");
  if (version >= 180000) {
    CHECK_THROWS_WITH(read(db),
                      "could not read columns: column \"area\" of table \"boxes\" is a virtual "
                      "generated column, which pgshift does not support");
  } else {
    const Database model = read(db);
    const Column& area = table_of(model, "public", "boxes").columns[1];
    CHECK(area.generated ==
          (version >= 120000 ? std::optional<std::string>("(side * side)") : std::nullopt));
    CHECK_FALSE(area.default_expr);
  }
}

TEST_CASE("primary keys, unique, check and foreign keys are read field by field", "[catalog][db]") {
  testing::TestDatabase db;
  // UNIQUE NULLS NOT DISTINCT exists from PostgreSQL 15.
  const bool has_nulls_not_distinct = server_version_num(db) >= 150000;
  db.exec(std::string(R"sql(
    CREATE TABLE public.accounts (
      region text, id bigint, label text, email text,
      CONSTRAINT accounts_pkey PRIMARY KEY (region, id) INCLUDE (label),
      CONSTRAINT accounts_email_key UNIQUE )sql") +
          (has_nulls_not_distinct ? "NULLS NOT DISTINCT " : "") + R"sql((email)
        DEFERRABLE INITIALLY DEFERRED
    );
    COMMENT ON CONSTRAINT accounts_pkey ON public.accounts IS 'natural key';
    CREATE TABLE public.transfers (
      id bigint PRIMARY KEY,
      region text NOT NULL, account_id bigint, amount numeric,
      CONSTRAINT transfers_account_fkey FOREIGN KEY (region, account_id)
        REFERENCES public.accounts (region, id) MATCH FULL ON DELETE CASCADE ON UPDATE SET NULL
        DEFERRABLE,
      CONSTRAINT transfers_amount_check CHECK (amount > 0) NO INHERIT
    );
    ALTER TABLE public.transfers ADD CONSTRAINT transfers_small CHECK (amount < 1000) NOT VALID;
    ALTER TABLE public.transfers ADD CONSTRAINT transfers_region_fkey
      FOREIGN KEY (region, account_id) REFERENCES public.accounts NOT VALID;
  )sql");
  const Database model = read(db);
  const Table& accounts = table_of(model, "public", "accounts");
  REQUIRE(accounts.primary_key);
  CHECK(accounts.primary_key->name == "accounts_pkey");
  CHECK(accounts.primary_key->columns == std::vector<std::string>{"region", "id"});
  CHECK(accounts.primary_key->include == std::vector<std::string>{"label"});
  CHECK_FALSE(accounts.primary_key->deferrable);
  CHECK(accounts.primary_key->comment == std::optional<std::string>("natural key"));
  REQUIRE(accounts.unique_constraints.size() == 1);
  const UniqueConstraint& unique = accounts.unique_constraints[0];
  CHECK(unique.name == "accounts_email_key");
  CHECK(unique.columns == std::vector<std::string>{"email"});
  CHECK(unique.include.empty());
  CHECK(unique.nulls_not_distinct == has_nulls_not_distinct);
  CHECK(unique.deferrable);
  CHECK(unique.initially_deferred);
  CHECK(accounts.indexes.empty());  // backing indexes are the constraints

  const Table& transfers = table_of(model, "public", "transfers");
  CHECK(transfers.columns[1].not_null);
  // From PostgreSQL 18, NOT NULL is a pg_constraint row too (contype 'n'): a
  // column property in the model, never a check constraint.
  REQUIRE(transfers.check_constraints.size() == 2);
  const CheckConstraint& amount = transfers.check_constraints[0];
  CHECK(amount.name == "transfers_amount_check");
  CHECK(amount.expression == "(amount > (0)::numeric)");
  CHECK(amount.no_inherit);
  CHECK(amount.validated);
  const CheckConstraint& small = transfers.check_constraints[1];
  CHECK(small.name == "transfers_small");
  CHECK(small.expression == "(amount < (1000)::numeric)");
  CHECK_FALSE(small.no_inherit);
  CHECK_FALSE(small.validated);

  REQUIRE(transfers.foreign_keys.size() == 2);
  const ForeignKey& key = transfers.foreign_keys[0];
  CHECK(key.name == "transfers_account_fkey");
  CHECK(key.columns == std::vector<std::string>{"region", "account_id"});
  CHECK(key.ref_schema == "public");
  CHECK(key.ref_table == "accounts");
  CHECK(key.ref_columns == std::vector<std::string>{"region", "id"});
  CHECK(key.on_delete == ReferentialAction::Cascade);
  CHECK(key.on_update == ReferentialAction::SetNull);
  CHECK(key.match == MatchType::Full);
  CHECK(key.deferrable);
  CHECK_FALSE(key.initially_deferred);
  CHECK(key.validated);
  const ForeignKey& unvalidated = transfers.foreign_keys[1];
  CHECK(unvalidated.name == "transfers_region_fkey");
  CHECK(unvalidated.on_delete == ReferentialAction::NoAction);
  CHECK(unvalidated.match == MatchType::Simple);
  CHECK_FALSE(unvalidated.validated);
}

TEST_CASE("a CHECK several tables hold is read on each as the server deparses it there",
          "[catalog][db]") {
  testing::TestDatabase db;
  // The read deparses each distinct CHECK once (catalog/deparse_key.hpp):
  // the same expression over columns at other positions or named otherwise,
  // a whole row, a system column, NOT VALID and NO INHERIT must each still
  // read as pg_get_constraintdef gives it on its own table.
  db.exec(R"sql(
    CREATE SCHEMA other;
    CREATE TABLE public.a1 (x int, y int, CHECK (x > 0), CHECK (x < y),
      CONSTRAINT w CHECK (a1 IS NOT NULL), CHECK (tableoid <> 0));
    CREATE TABLE public.a2 (y int, x int, CHECK (x > 0), CHECK (x < y),
      CONSTRAINT w CHECK (a2 IS NOT NULL), CHECK (tableoid <> 0));
    CREATE TABLE public.a3 (x int, "Y y" int, CHECK (x > 0), CHECK (x < "Y y"));
    CREATE TABLE public.a4 (p int, q int, CHECK (p > 0) NO INHERIT);
    ALTER TABLE public.a4 ADD CONSTRAINT nv CHECK (p > 0) NOT VALID;
    CREATE TABLE public.a5 (p int, q int, CHECK (p > 0));
    ALTER TABLE public.a5 DROP COLUMN q;
    ALTER TABLE public.a5 ADD COLUMN q int CHECK (q > 0);
    CREATE TABLE public.a6 (q int, CHECK (q > 0));
    CREATE TABLE public.a7 (s text COLLATE "C", CHECK (s > 'a' COLLATE "C"));
    CREATE TABLE public.a8 (s text, CHECK (s > 'a' COLLATE "C"));
    CREATE TABLE other.a1 (x int, y int, CHECK (x > 0), CHECK (x < y),
      CONSTRAINT w CHECK (a1 IS NOT NULL));
  )sql");
  const Database model = read(db);
  int compared = 0;
  for (const Schema& schema : model.schemas) {
    for (const Table& table : schema.tables) {
      for (const CheckConstraint& check : table.check_constraints) {
        const std::string alone = db.scalar(
            "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conname = '" + check.name +
            "' AND conrelid = '" + schema.name + "." + table.name + "'::regclass");
        // pg_get_constraintdef: CHECK (<expression>)[ NO INHERIT][ NOT VALID]
        const std::string expression = "CHECK (" + check.expression + ")";
        INFO(schema.name << "." << table.name << " " << check.name << ": " << alone);
        CHECK(alone.rfind(expression, 0) == 0);
        CHECK((alone.find(" NOT VALID") != std::string::npos) == !check.validated);
        CHECK((alone.find(" NO INHERIT") != std::string::npos) == check.no_inherit);
        ++compared;
      }
    }
  }
  CHECK(compared == 20);
  const Table& a2 = table_of(model, "public", "a2");
  const auto a2_check = [&](const std::string& name) {
    for (const CheckConstraint& check : a2.check_constraints) {
      if (check.name == name) return check.expression;
    }
    return std::string("(none)");
  };
  CHECK(a2_check("a2_check") == "(x < y)");
  CHECK(a2_check("w") == "(a2.* IS NOT NULL)");
}

TEST_CASE("a CHECK holding bytes no encoding accepts is read in a SQL_ASCII database",
          "[catalog][db]") {
  // The read keys each CHECK by its stored tree (shared_deparse_key); a named
  // argument keeps its name in the tree, in whatever bytes a SQL_ASCII
  // database was given. When the server hashed the tree as UTF8, the read
  // failed on them.
  testing::TestDatabase admin;
  const testing::SqlAsciiDatabase ascii(admin);
  const std::string url = ascii.url();
  Database model;
  {
    auto conn = connect(url);
    pqxx::nontransaction work(*conn);
    work.exec(
        "CREATE FUNCTION public.f(\"caf\xe9\" int) RETURNS int LANGUAGE sql IMMUTABLE "
        "AS 'SELECT 1';"
        "CREATE TABLE public.t1 (a int, CONSTRAINT c CHECK (public.f(\"caf\xe9\" => a) > 0));"
        "CREATE TABLE public.t2 (a int, CONSTRAINT c CHECK (public.f(\"caf\xe9\" => a) > 0));");
  }
  {
    auto conn = connect(url);
    model = read_catalog(*conn, {});
  }
  for (const char* table : {"t1", "t2"}) {
    const auto& checks = table_of(model, "public", table).check_constraints;
    REQUIRE(checks.size() == 1);
    INFO(table << ": " << checks[0].expression);
    CHECK(checks[0].expression.find("f(\"caf\xe9\" => a) > 0") != std::string::npos);
  }
}

TEST_CASE("an index predicate or expression several tables hold is read on each as deparsed there",
          "[catalog][db]") {
  testing::TestDatabase db;
  // Index predicates and expression keys are deparsed once per distinct
  // index too (catalog/deparse_key.hpp).
  db.exec(R"sql(
    CREATE SCHEMA other;
    CREATE TABLE public.a1 (x int, y int, s text);
    CREATE TABLE public.a2 (y int, x int, s text);
    CREATE TABLE public.a3 (x int, "Y y" int, s text);
    CREATE TABLE other.a1 (x int, y int, s text);
    CREATE MATERIALIZED VIEW public.m1 AS SELECT x, y, s FROM public.a1;
    CREATE INDEX ON public.a1 (x) WHERE x < y;
    CREATE INDEX ON public.a2 (x) WHERE x < y;
    CREATE INDEX ON public.a3 (x) WHERE x < "Y y";
    CREATE INDEX ON other.a1 (x) WHERE x < y;
    CREATE INDEX ON public.m1 (x) WHERE x < y;
    CREATE INDEX ON public.a1 (lower(s), x, (x + y)) WHERE s IS NOT NULL;
    CREATE INDEX ON public.a2 (lower(s), x, (x + y)) WHERE s IS NOT NULL;
    CREATE INDEX ON public.a1 (x, lower(s), (x + y));
    CREATE INDEX ON public.a1 (upper(s)) WHERE a1 IS NOT NULL;
    CREATE INDEX ON other.a1 (upper(s)) WHERE a1 IS NOT NULL;
    CREATE INDEX ON public.a3 (upper(s) DESC, ("Y y" * 2));
  )sql");
  const Database model = read(db);
  int compared = 0;
  const auto compare = [&](const std::string& schema, const Index& index) {
    const std::string oid = "'" + schema + "." + index.name + "'::regclass";
    INFO(schema << "." << index.name);
    const std::string where = db.scalar(
        "SELECT COALESCE(pg_get_expr(indpred, indrelid), '(none)') FROM pg_index "
        "WHERE indexrelid = " +
        oid);
    CHECK(index.where.value_or("(none)") == where);
    for (std::size_t key_idx = 0; key_idx < index.keys.size(); ++key_idx) {
      if (!index.keys[key_idx].expression) continue;
      CHECK(*index.keys[key_idx].expression == db.scalar("SELECT pg_get_indexdef(" + oid + ", " +
                                                         std::to_string(key_idx + 1) + ", true)"));
    }
    ++compared;
  };
  for (const Schema& schema : model.schemas) {
    for (const Table& table : schema.tables) {
      for (const Index& index : table.indexes) compare(schema.name, index);
    }
    for (const MaterializedView& view : schema.materialized_views) {
      for (const Index& index : view.indexes) compare(schema.name, index);
    }
  }
  CHECK(compared == 11);
  const Table& a2 = table_of(model, "public", "a2");
  REQUIRE(a2.indexes.size() == 2);
  for (const Index& index : a2.indexes) {
    if (index.keys.size() == 1) CHECK(index.where == std::optional<std::string>("(x < y)"));
  }
}

TEST_CASE("indexes are read with keys, options, predicate and validity", "[catalog][db]") {
  testing::TestDatabase db;
  db.exec(R"sql(
    CREATE TABLE public.docs (id bigint PRIMARY KEY, title text, body text, tags text[],
                              created_at timestamptz);
    CREATE INDEX docs_title_idx ON public.docs (lower(title) DESC NULLS LAST, title COLLATE "C"
      text_pattern_ops) INCLUDE (id) WITH (fillfactor = 70) WHERE body IS NOT NULL;
    CREATE INDEX docs_created_idx ON public.docs (created_at NULLS FIRST);
    CREATE INDEX docs_tags_idx ON public.docs USING gin (tags);
    COMMENT ON INDEX public.docs_tags_idx IS 'tag search';
    INSERT INTO public.docs (id, title) VALUES (1, 'a'), (2, 'a');
  )sql");
  CHECK_THROWS(db.exec("CREATE UNIQUE INDEX CONCURRENTLY docs_title_key ON public.docs (title)"));
  const Database model = read(db);
  const Table& docs = table_of(model, "public", "docs");
  REQUIRE(docs.indexes.size() == 4);

  const Index& created = docs.indexes[0];
  CHECK(created.name == "docs_created_idx");
  REQUIRE(created.keys.size() == 1);
  CHECK(created.keys[0].column == std::optional<std::string>("created_at"));
  CHECK(created.keys[0].order == SortOrder::Asc);
  CHECK(created.keys[0].nulls == NullsOrder::First);

  const Index& tags = docs.indexes[1];
  CHECK(tags.name == "docs_tags_idx");
  CHECK(tags.method == "gin");
  CHECK(tags.comment == std::optional<std::string>("tag search"));
  REQUIRE(tags.keys.size() == 1);
  CHECK_FALSE(tags.keys[0].opclass);

  const Index& title = docs.indexes[2];
  CHECK(title.name == "docs_title_idx");
  CHECK_FALSE(title.unique);
  CHECK(title.method == "btree");
  REQUIRE(title.keys.size() == 2);
  CHECK_FALSE(title.keys[0].column);
  CHECK(title.keys[0].expression == std::optional<std::string>("lower(title)"));
  CHECK(title.keys[0].order == SortOrder::Desc);
  CHECK(title.keys[0].nulls == NullsOrder::Last);
  CHECK_FALSE(title.keys[0].opclass);
  CHECK_FALSE(title.keys[0].collation);
  CHECK(title.keys[1].column == std::optional<std::string>("title"));
  CHECK(title.keys[1].opclass == std::optional<std::string>("text_pattern_ops"));
  CHECK(title.keys[1].collation == std::optional<std::string>("C"));
  CHECK(title.keys[1].nulls == NullsOrder::Default);
  CHECK(title.include == std::vector<std::string>{"id"});
  CHECK(title.where == std::optional<std::string>("(body IS NOT NULL)"));
  CHECK(title.options == std::map<std::string, std::string>{{"fillfactor", "70"}});
  CHECK(title.valid);

  const Index& invalid = docs.indexes[3];
  CHECK(invalid.name == "docs_title_key");
  CHECK(invalid.unique);
  CHECK_FALSE(invalid.valid);
}

TEST_CASE("key columns are named past dropped columns, across schemas and on excluded tables",
          "[catalog][db]") {
  testing::TestDatabase db;
  db.exec(R"sql(
    CREATE SCHEMA crm;
    CREATE TABLE crm.customers (gone int, code text COLLATE "C", id bigint,
                                CONSTRAINT customers_pkey PRIMARY KEY (id, code));
    ALTER TABLE crm.customers DROP COLUMN gone;
    CREATE SCHEMA billing;
    CREATE TABLE billing.tmp_rates (gone int, rate_id int PRIMARY KEY);
    ALTER TABLE billing.tmp_rates DROP COLUMN gone;
    CREATE TABLE billing.invoices (
      gone int, id bigint, customer_id bigint, customer_code text COLLATE "C", rate_id int,
      CONSTRAINT invoices_pkey PRIMARY KEY (id) INCLUDE (customer_code),
      CONSTRAINT invoices_customer_fkey FOREIGN KEY (customer_id, customer_code)
        REFERENCES crm.customers (id, code),
      CONSTRAINT invoices_rate_fkey FOREIGN KEY (rate_id) REFERENCES billing.tmp_rates);
    ALTER TABLE billing.invoices DROP COLUMN gone;
    CREATE INDEX invoices_code_idx ON billing.invoices (customer_code, rate_id) INCLUDE (id);
  )sql");
  ReadOptions only_billing;
  only_billing.include_schemas = {"billing"};
  only_billing.exclude_tables = {"billing.tmp_*"};
  const Database model = read(db, only_billing);
  REQUIRE(model.schemas.size() == 1);
  REQUIRE(model.schemas[0].tables.size() == 1);
  const Table& invoices = table_of(model, "billing", "invoices");
  REQUIRE(invoices.primary_key);
  CHECK(invoices.primary_key->columns == std::vector<std::string>{"id"});
  CHECK(invoices.primary_key->include == std::vector<std::string>{"customer_code"});

  REQUIRE(invoices.foreign_keys.size() == 2);
  // crm is not read: its column names come from the constraints query itself.
  const ForeignKey& customer = invoices.foreign_keys[0];
  CHECK(customer.columns == std::vector<std::string>{"customer_id", "customer_code"});
  CHECK(customer.ref_schema == "crm");
  CHECK(customer.ref_columns == std::vector<std::string>{"id", "code"});
  // tmp_rates is excluded, yet its columns name the key.
  const ForeignKey& rate = invoices.foreign_keys[1];
  CHECK(rate.columns == std::vector<std::string>{"rate_id"});
  CHECK(rate.ref_table == "tmp_rates");
  CHECK(rate.ref_columns == std::vector<std::string>{"rate_id"});

  REQUIRE(invoices.indexes.size() == 1);
  const Index& code = invoices.indexes[0];
  REQUIRE(code.keys.size() == 2);
  CHECK(code.keys[0].column == std::optional<std::string>("customer_code"));
  CHECK_FALSE(code.keys[0].collation);  // the column's own collation
  CHECK(code.keys[1].column == std::optional<std::string>("rate_id"));
  CHECK(code.include == std::vector<std::string>{"id"});
  CHECK(has_dependency(model, {ObjectKind::Index, "billing", "invoices", "invoices_code_idx"},
                       {ObjectKind::Table, "billing", "", "invoices"}, "rate_id"));
}

TEST_CASE("replica identity is read, with its index when it uses one", "[catalog][db]") {
  testing::TestDatabase db;
  db.exec(R"sql(
    CREATE TABLE public.events (id bigint NOT NULL, at timestamptz NOT NULL);
    CREATE UNIQUE INDEX events_id_at_key ON public.events (id, at);
    ALTER TABLE public.events REPLICA IDENTITY USING INDEX events_id_at_key;
    CREATE TABLE public.notes (id bigint);
    ALTER TABLE public.notes REPLICA IDENTITY FULL;
  )sql");
  const Database model = read(db);
  const Table& events = table_of(model, "public", "events");
  CHECK(events.replica_identity == ReplicaIdentity::UsingIndex);
  CHECK(events.replica_identity_index == std::optional<std::string>("events_id_at_key"));
  const Table& notes = table_of(model, "public", "notes");
  CHECK(notes.replica_identity == ReplicaIdentity::Full);
  CHECK_FALSE(notes.replica_identity_index);
}

TEST_CASE("sequences are read with non-default options, owner and usage", "[catalog][db]") {
  testing::TestDatabase db;
  db.exec(R"sql(
    CREATE TABLE public.tickets (id integer NOT NULL);
    CREATE SEQUENCE public.tickets_id_seq AS integer INCREMENT BY 2 MAXVALUE 1000 CYCLE
      OWNED BY public.tickets.id;
    ALTER TABLE public.tickets ALTER id SET DEFAULT nextval('public.tickets_id_seq');
    CREATE SEQUENCE public.countdown INCREMENT BY -1;
    COMMENT ON SEQUENCE public.countdown IS 'goes down';
    SELECT nextval('public.tickets_id_seq'), nextval('public.tickets_id_seq');
  )sql");
  const Database model = read(db);
  const Schema& schema = schema_of(model, "public");
  REQUIRE(schema.sequences.size() == 2);
  const Sequence& countdown = schema.sequences[0];
  CHECK(countdown.name == "countdown");
  CHECK(countdown.type == "bigint");
  CHECK(countdown.options.increment == std::optional<int64_t>(-1));
  CHECK_FALSE(countdown.options.start);
  CHECK_FALSE(countdown.options.min_value);
  CHECK_FALSE(countdown.options.max_value);
  CHECK_FALSE(countdown.owned_by);
  CHECK(countdown.comment == std::optional<std::string>("goes down"));

  const Sequence& tickets = schema.sequences[1];
  CHECK(tickets.name == "tickets_id_seq");
  CHECK(tickets.type == "integer");
  CHECK(tickets.options.increment == std::optional<int64_t>(2));
  CHECK(tickets.options.max_value == std::optional<int64_t>(1000));
  CHECK(tickets.options.cycle);
  CHECK_FALSE(tickets.options.cache);
  CHECK(tickets.owned_by == std::optional<std::string>("public.tickets.id"));
  CHECK(table_of(model, "public", "tickets").columns[0].default_expr ==
        std::optional<std::string>("nextval('tickets_id_seq'::regclass)"));

  CHECK(model.facts.sequence_usage.at("public.tickets_id_seq").last_value == 3);
  CHECK(model.facts.sequence_usage.at("public.tickets_id_seq").is_called);
  CHECK(model.facts.sequence_usage.at("public.countdown").last_value == -1);
  CHECK_FALSE(model.facts.sequence_usage.at("public.countdown").is_called);
  CHECK(model.facts.volatile_defaults.count("public.tickets.id") == 1);
}

TEST_CASE(
    "constraints, indexes and sequences read ahead on a second connection equal a read on one",
    "[catalog][db]") {
  testing::TestDatabase db;
  db.exec(R"sql(
    CREATE SCHEMA app;
    CREATE TABLE app.accounts (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      email text UNIQUE, balance numeric CHECK (balance >= 0) NOT NULL);
    CREATE TABLE app.orders (id serial PRIMARY KEY,
      account_id bigint, total numeric CONSTRAINT positive CHECK (total > 0));
    ALTER TABLE app.orders ADD FOREIGN KEY (account_id) REFERENCES app.accounts (id)
      ON DELETE CASCADE NOT VALID;
    COMMENT ON CONSTRAINT positive ON app.orders IS 'no free orders';
    CREATE SEQUENCE app.invoice_numbers START 100;
    SELECT nextval('app.invoice_numbers'), nextval('app.invoice_numbers');
    CREATE INDEX orders_big ON app.orders (lower(total::text)) WHERE total > 1000;
    CREATE VIEW app.big_orders AS SELECT id, total FROM app.orders WHERE total > 1000;
    CREATE RULE keep AS ON DELETE TO app.accounts DO INSTEAD NOTHING;
    GRANT SELECT ON app.orders TO PUBLIC;
    GRANT UPDATE (total) ON app.orders TO PUBLIC;
    GRANT SELECT (id, total) ON app.big_orders TO PUBLIC;
  )sql");
  ReadOptions ahead;
  ahead.parallel_from_tables = 1;
  ReadOptions one;
  one.parallel_from_tables = static_cast<std::size_t>(-1);
  const Database read_ahead = read(db, ahead);
  const Database read_on_one = read(db, one);
  CHECK(read_ahead == read_on_one);
  CHECK(read_ahead.facts.fingerprint == read_on_one.facts.fingerprint);
  CHECK(read_ahead.facts.sequence_usage.size() == read_on_one.facts.sequence_usage.size());
  // The rows the first connection fetches while the second reads ahead
  // (dependencies, objects not modelled, privileges) are the same.
  const auto dependencies = [](const Database& model) {
    std::vector<std::tuple<ObjectId, ObjectId, std::string>> rows;
    for (const auto& d : model.facts.dependencies) {
      rows.emplace_back(d.dependent, d.referenced, d.referenced_column);
    }
    std::sort(rows.begin(), rows.end());
    return rows;
  };
  CHECK_FALSE(read_ahead.facts.dependencies.empty());
  CHECK(dependencies(read_ahead) == dependencies(read_on_one));
  REQUIRE(read_ahead.facts.unmodelled.size() == 1);
  CHECK(read_ahead.facts.unmodelled == read_on_one.facts.unmodelled);
  CHECK(schema_of(read_ahead, "app").privileges == schema_of(read_on_one, "app").privileges);
  CHECK_FALSE(schema_of(read_ahead, "app").privileges.empty());
  // Column grants, looked for in the relations whose columns the column
  // query saw carry privileges of their own: a table's and a view's.
  const auto column_grant = [](const Database& model, const std::string& relation,
                               const std::string& column) -> std::optional<Grant> {
    for (const auto& entry : schema_of(model, "app").privileges) {
      if (entry.object.kind == ObjectKind::Column && entry.object.table == relation &&
          entry.object.name == column && entry.grants.size() == 1) {
        return entry.grants[0];
      }
    }
    return std::nullopt;
  };
  for (const Database* model : {&read_ahead, &read_on_one}) {
    CHECK(column_grant(*model, "orders", "total") ==
          std::optional<Grant>(Grant{"public", {"UPDATE"}, false}));
    CHECK(column_grant(*model, "big_orders", "id") ==
          std::optional<Grant>(Grant{"public", {"SELECT"}, false}));
    CHECK(column_grant(*model, "big_orders", "total") ==
          std::optional<Grant>(Grant{"public", {"SELECT"}, false}));
    CHECK_FALSE(column_grant(*model, "orders", "id"));
  }
  // A grant by a role other than the owner (the privileges are read ahead
  // too).
  const std::string granter = db.name() + "_granter";
  db.exec(
      "CREATE ROLE " + granter + "; GRANT USAGE ON SCHEMA app TO " + granter +
      "; GRANT SELECT ON app.accounts TO " + granter + " WITH GRANT OPTION;" +
      "GRANT UPDATE (email) ON app.accounts TO " + granter + " WITH GRANT OPTION; SET ROLE " +
      granter +
      "; GRANT SELECT ON app.accounts TO PUBLIC; GRANT UPDATE (email) ON app.accounts TO PUBLIC;"
      "RESET ROLE");
  const Database granted_ahead = read(db, ahead);
  const Database granted_on_one = read(db, one);
  db.exec("REVOKE ALL ON app.accounts FROM PUBLIC CASCADE; REVOKE ALL ON app.accounts FROM " +
          granter + " CASCADE; REVOKE USAGE ON SCHEMA app FROM " + granter + "; DROP ROLE " +
          granter);
  CHECK(granted_ahead.facts.grants_by_others.size() == 2);
  CHECK(granted_ahead.facts.grants_by_others == granted_on_one.facts.grants_by_others);
  CHECK(granted_ahead == granted_on_one);
  // What the read-ahead queries bring is there.
  const Table& orders = table_of(read_ahead, "app", "orders");
  REQUIRE(orders.foreign_keys.size() == 1);
  CHECK_FALSE(orders.foreign_keys[0].validated);
  REQUIRE(orders.check_constraints.size() == 1);
  CHECK(orders.check_constraints[0].comment == std::optional<std::string>("no free orders"));
  CHECK(table_of(read_ahead, "app", "accounts").unique_constraints.size() == 1);
  REQUIRE(orders.indexes.size() == 1);
  CHECK(orders.indexes[0].where == std::optional<std::string>("(total > (1000)::numeric)"));
  // Without the sequences' last values (inspect, a scratch database): the
  // same objects, and no usage.
  ReadOptions without_usage = ahead;
  without_usage.sequence_usage = false;
  const Database read_without_usage = read(db, without_usage);
  CHECK(read_without_usage.schemas == read_ahead.schemas);
  CHECK(read_without_usage.facts.sequence_usage.empty());
  CHECK(read_ahead.facts.sequence_usage.at("app.invoice_numbers").last_value == 101);
  CHECK(read_ahead.facts.sequence_usage.at("app.orders_id_seq").last_value ==
        read_on_one.facts.sequence_usage.at("app.orders_id_seq").last_value);
  // Without the fingerprint (inspect): the same model, and none.
  ReadOptions without_fingerprint = ahead;
  without_fingerprint.fingerprint = false;
  Database read_without_fingerprint = read(db, without_fingerprint);
  CHECK(read_without_fingerprint.facts.fingerprint.empty());
  CHECK_FALSE(read_ahead.facts.fingerprint.empty());
  read_without_fingerprint.facts.fingerprint = read_ahead.facts.fingerprint;
  CHECK(read_without_fingerprint == read_ahead);
}

TEST_CASE("the positions asked for some sequences and identity columns equal a full read's",
          "[catalog][db]") {
  testing::TestDatabase db;
  db.exec(R"sql(
    CREATE SCHEMA app;
    CREATE TABLE app.accounts (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name text);
    INSERT INTO app.accounts (name) VALUES ('a'), ('b'), ('c');
    CREATE TABLE app.fresh (id integer GENERATED BY DEFAULT AS IDENTITY (START 7));
    CREATE TABLE app.orders (id serial PRIMARY KEY);
    CREATE SEQUENCE app.invoice_numbers START 100;
    SELECT nextval('app.invoice_numbers'), nextval('app.invoice_numbers');
    CREATE SEQUENCE app.unused START 40;
  )sql");
  const Database full = read(db);
  CatalogFacts asked;
  auto conn = connect(db.url());
  read_sequence_usage(*conn, {"app.invoice_numbers", "app.unused", "app.no_such_sequence"},
                      {"app.accounts.id", "app.fresh.id", "app.accounts.name"}, asked);
  // Only what was asked for, each as the full read has it.
  CHECK(asked.sequence_usage.size() == 4);  // two by name, two by identity column
  CHECK(asked.identity_usage.size() == 2);
  for (const auto& [key, usage] : asked.sequence_usage) {
    INFO(key);
    REQUIRE(full.facts.sequence_usage.count(key) == 1);
    CHECK(usage.last_value == full.facts.sequence_usage.at(key).last_value);
    CHECK(usage.is_called == full.facts.sequence_usage.at(key).is_called);
  }
  CHECK(asked.sequence_usage.count("app.orders_id_seq") == 0);
  CHECK(asked.sequence_usage.at("app.invoice_numbers").last_value == 101);
  CHECK(asked.sequence_usage.at("app.invoice_numbers").is_called);
  CHECK(asked.sequence_usage.at("app.unused").last_value == 40);
  CHECK_FALSE(asked.sequence_usage.at("app.unused").is_called);
  CHECK(asked.identity_usage.at("app.accounts.id").last_value == 3);
  CHECK(asked.identity_usage.at("app.accounts.id").is_called);
  CHECK(asked.identity_usage.at("app.fresh.id").last_value == 7);
  CHECK_FALSE(asked.identity_usage.at("app.fresh.id").is_called);
  CHECK(asked.identity_usage.at("app.accounts.id").last_value ==
        full.facts.identity_usage.at("app.accounts.id").last_value);
  // Nothing asked, nothing read.
  CatalogFacts none;
  read_sequence_usage(*conn, {}, {}, none);
  CHECK(none.sequence_usage.empty());
}

TEST_CASE("a read the session's statement_timeout cancels says which setting and how to lengthen it",
          "[catalog][db]") {
  testing::TestDatabase db;
  db.exec("CREATE SCHEMA app; CREATE TABLE app.ledger (id int PRIMARY KEY, amount int "
          "CHECK (amount > 0))");
  // The read waits behind another session's lock longer than the role's
  // statement_timeout lets a statement run: the timeout, not lock_timeout,
  // ends it.
  auto holder = connect(db.url());
  pqxx::work hold(*holder);
  hold.exec0("LOCK TABLE app.ledger IN ACCESS EXCLUSIVE MODE");
  ReadOptions options;
  options.lock_wait = std::chrono::seconds(30);
  auto conn = connect(db.url() + "?options=-c%20statement_timeout%3D300ms");
  try {
    read_catalog(*conn, options);
    FAIL("the read was not cancelled");
  } catch (const ReadError& e) {
    const std::string message = e.what();
    CHECK(e.sqlstate() == "57014");
    CHECK(message.find("statement_timeout (300ms,") != std::string::npos);
    CHECK(message.find("PGOPTIONS='-c statement_timeout=10min'") != std::string::npos);
  }
  hold.commit();
  CHECK(find_table(read_catalog(*conn, options), "app", "ledger") != nullptr);
}

TEST_CASE("a read blocked by another session's exclusive lock fails in time naming it",
          "[catalog][db]") {
  testing::TestDatabase db;
  db.exec("CREATE SCHEMA app; CREATE TABLE app.ledger (id serial PRIMARY KEY, note text);"
          "CREATE TABLE app.other (id int PRIMARY KEY)");
  auto holder = connect(db.url());
  pqxx::work hold(*holder);
  hold.exec0("SET application_name = 'night_batch'");
  hold.exec0("LOCK TABLE app.ledger IN ACCESS EXCLUSIVE MODE");
  hold.exec0("ALTER SEQUENCE app.ledger_id_seq OWNER TO CURRENT_USER");  // ACCESS EXCLUSIVE too
  // The sequence's last value waits: on one connection, and with the
  // sequences read ahead on a second connection, which then must not leave
  // the first connection waiting as long again. The message names every
  // relation of the schemas read the session locks.
  ReadOptions one;
  one.lock_wait = std::chrono::seconds(2);
  ReadOptions ahead = one;
  ahead.parallel_from_tables = 1;
  for (const ReadOptions& options : {one, ahead}) {
    const auto started = std::chrono::steady_clock::now();
    try {
      read(db, options);
      FAIL("the read did not wait for the lock");
    } catch (const ReadError& e) {
      const std::string message = e.what();
      CHECK(e.sqlstate() == "55P03");
      CHECK(message.find("holds ACCESS EXCLUSIVE on table \"app.ledger\"") != std::string::npos);
      CHECK(message.find("holds ACCESS EXCLUSIVE on sequence \"app.ledger_id_seq\"") !=
            std::string::npos);
      CHECK(message.find("night_batch") != std::string::npos);
      CHECK(message.find("ALTER SEQUENCE app.ledger_id_seq OWNER") != std::string::npos);
      CHECK(message.find("app.other") == std::string::npos);
      UNSCOPED_INFO(message);
    }
    // Well under the two waits a read-ahead failure followed by the same
    // query on the first connection would take.
    CHECK(std::chrono::steady_clock::now() - started < std::chrono::milliseconds(3500));
  }
  hold.commit();
  CHECK(find_table(read(db, one), "app", "ledger") != nullptr);
}

TEST_CASE(
    "counting a column's NULLs behind another session's exclusive lock fails in time naming it",
    "[catalog][db]") {
  testing::TestDatabase db;
  db.exec(
      "CREATE SCHEMA app; CREATE TABLE app.ledger (id int PRIMARY KEY, note text);"
      "INSERT INTO app.ledger VALUES (1, NULL), (2, 'paid'), (3, NULL)");
  auto conn = connect(db.url());
  CHECK(count_nulls(*conn, "app", "ledger", "note", std::chrono::seconds(1)) == 2);
  auto holder = connect(db.url());
  pqxx::work hold(*holder);
  hold.exec0("SET application_name = 'night_batch'");
  hold.exec0("LOCK TABLE app.ledger IN ACCESS EXCLUSIVE MODE");
  const auto started = std::chrono::steady_clock::now();
  try {
    count_nulls(*conn, "app", "ledger", "note", std::chrono::seconds(1));
    FAIL("the count did not give up waiting");
  } catch (const ReadError& e) {
    const std::string message = e.what();
    UNSCOPED_INFO(message);
    CHECK(e.sqlstate() == "55P03");
    CHECK(message.find("the NULLs of column \"note\" of table \"app.ledger\"") !=
          std::string::npos);
    CHECK(message.find("gave up after waiting 1 s for a lock") != std::string::npos);
    CHECK(message.find("holds ACCESS EXCLUSIVE on table \"app.ledger\"") != std::string::npos);
    CHECK(message.find("night_batch") != std::string::npos);
  }
  const auto waited = std::chrono::steady_clock::now() - started;
  CHECK(waited >= std::chrono::milliseconds(900));
  CHECK(waited < std::chrono::seconds(5));
  hold.commit();
  CHECK(count_nulls(*conn, "app", "ledger", "note", std::chrono::seconds(1)) == 2);
}

TEST_CASE("tables asked together for rows answer as each asked alone, a locked one unknown",
          "[catalog][db]") {
  testing::TestDatabase db;
  db.exec(
      "CREATE SCHEMA app; CREATE TABLE app.full_one (id int); INSERT INTO app.full_one VALUES (1);"
      "CREATE TABLE app.empty_one (id int); CREATE TABLE app.\"Odd Name\" (id int);"
      "INSERT INTO app.\"Odd Name\" VALUES (2);"
      "CREATE TABLE app.locked (id int)");
  const std::vector<std::pair<std::string, std::string>> tables = {
      {"app", "full_one"}, {"app", "empty_one"}, {"app", "Odd Name"}, {"app", "locked"}};
  auto conn = connect(db.url());
  CHECK(has_rows(*conn, tables) == std::vector<std::optional<bool>>{true, false, true, false});
  auto holder = connect(db.url());
  pqxx::work hold(*holder);
  hold.exec0("LOCK TABLE app.locked IN ACCESS EXCLUSIVE MODE");
  // The query of all of them fails on the lock; each is then asked alone.
  CHECK(has_rows(*conn, tables) ==
        std::vector<std::optional<bool>>{true, false, true, std::nullopt});
  hold.commit();
  for (std::size_t i = 0; i < tables.size(); ++i) {
    CHECK(has_rows(*conn, tables)[i] == has_rows(*conn, tables[i].first, tables[i].second));
  }
}

TEST_CASE("asking for a sequence's position another session locks fails in time naming it",
          "[catalog][db]") {
  testing::TestDatabase db;
  db.exec("CREATE SCHEMA app; CREATE SEQUENCE app.ticket_no; CREATE SEQUENCE app.free_no;"
          "CREATE TABLE app.orders (id int GENERATED ALWAYS AS IDENTITY)");
  auto holder = connect(db.url());
  pqxx::work hold(*holder);
  hold.exec0("SET application_name = 'night_batch'");
  // What a migration run by hand does: ACCESS EXCLUSIVE on the sequence.
  hold.exec0("ALTER SEQUENCE app.ticket_no RENAME TO ticket_no_old");
  hold.exec0("ALTER SEQUENCE app.ticket_no_old RENAME TO ticket_no");
  ReadOptions options;
  options.include_schemas = {"app"};
  options.lock_wait = std::chrono::milliseconds(1500);
  auto conn = connect(db.url());
  CatalogFacts facts;
  const auto started = std::chrono::steady_clock::now();
  try {
    read_sequence_usage(*conn, {"app.ticket_no"}, {}, facts, options);
    FAIL("the position was read through another session's ACCESS EXCLUSIVE lock");
  } catch (const ReadError& e) {
    const std::string message = e.what();
    CHECK(e.sqlstate() == "55P03");
    CHECK(e.what_was_read() == "sequence positions");
    CHECK(message.find("gave up after waiting 1500 ms") != std::string::npos);
    CHECK(message.find("holds ACCESS EXCLUSIVE on sequence \"app.ticket_no\"") !=
          std::string::npos);
    CHECK(message.find("night_batch") != std::string::npos);
  }
  CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(5));
  // What the lock does not cover is read as before, on the same connection.
  read_sequence_usage(*conn, {"app.free_no"}, {"app.orders.id"}, facts, options);
  CHECK(facts.sequence_usage.count("app.free_no") == 1);
  CHECK(facts.identity_usage.count("app.orders.id") == 1);
  hold.commit();
  read_sequence_usage(*conn, {"app.ticket_no"}, {}, facts, options);
  CHECK(facts.sequence_usage.count("app.ticket_no") == 1);
}

TEST_CASE("enums, domains and composite types are read", "[catalog][db]") {
  testing::TestDatabase db;
  db.exec(R"sql(
    CREATE TYPE public.mood AS ENUM ('sad', 'ok');
    ALTER TYPE public.mood ADD VALUE 'happy' BEFORE 'ok';
    COMMENT ON TYPE public.mood IS 'how it feels';
    CREATE DOMAIN public.short_code AS character varying(8) COLLATE "C" DEFAULT 'x' NOT NULL
      CONSTRAINT short_code_upper CHECK (VALUE = upper(VALUE))
      CONSTRAINT short_code_len CHECK (length(VALUE) > 1);
    CREATE TYPE public.money_amount AS (amount numeric(12,2), currency text COLLATE "C");
  )sql");
  const Database model = read(db);
  const Schema& schema = schema_of(model, "public");
  REQUIRE(schema.enums.size() == 1);
  CHECK(schema.enums[0].name == "mood");
  CHECK(schema.enums[0].labels == std::vector<std::string>{"sad", "happy", "ok"});
  CHECK(schema.enums[0].comment == std::optional<std::string>("how it feels"));

  REQUIRE(schema.domains.size() == 1);
  const Domain& domain = schema.domains[0];
  CHECK(domain.name == "short_code");
  CHECK(domain.base_type == "character varying(8)");
  CHECK(domain.default_expr == std::optional<std::string>("'x'::character varying"));
  CHECK(domain.not_null);
  CHECK(domain.collation == std::optional<std::string>("C"));
  REQUIRE(domain.checks.size() == 2);
  CHECK(domain.checks[0].name == "short_code_len");
  CHECK(domain.checks[0].expression == "(length((VALUE)::text) > 1)");
  CHECK(domain.checks[1].name == "short_code_upper");
  CHECK(domain.checks[1].expression == "((VALUE)::text = upper((VALUE)::text))");

  REQUIRE(schema.composite_types.size() == 1);
  const CompositeType& type = schema.composite_types[0];
  CHECK(type.name == "money_amount");
  REQUIRE(type.attributes.size() == 2);
  CHECK(type.attributes[0].name == "amount");
  CHECK(type.attributes[0].type == "numeric(12,2)");
  CHECK_FALSE(type.attributes[0].collation);
  CHECK(type.attributes[1].name == "currency");
  CHECK(type.attributes[1].type == "text");
  CHECK(type.attributes[1].collation == std::optional<std::string>("C"));
}

TEST_CASE("views and materialized views are read with options and indexes", "[catalog][db]") {
  testing::TestDatabase db;
  db.exec(R"sql(
    CREATE TABLE public.orders (id bigint PRIMARY KEY, total numeric, status text);
    CREATE VIEW public.open_orders WITH (security_barrier = true) AS
      SELECT id, total FROM public.orders WHERE status = 'open';
    COMMENT ON VIEW public.open_orders IS 'not shipped';
    CREATE MATERIALIZED VIEW public.order_totals AS SELECT status, sum(total) AS total
      FROM public.orders GROUP BY status WITH NO DATA;
    CREATE UNIQUE INDEX order_totals_status ON public.order_totals (status);
  )sql");
  const Database model = read(db);
  const Schema& schema = schema_of(model, "public");
  REQUIRE(schema.views.size() == 1);
  const View& view = schema.views[0];
  CHECK(view.name == "open_orders");
  // PostgreSQL 16 stopped qualifying columns of a single-table query. The
  // final ";" of pg_get_viewdef is not part of the query.
  CHECK(view.definition ==
        (server_version_num(db) >= 160000
             ? " SELECT id,\n    total\n   FROM orders\n  WHERE (status = 'open'::text)"
             : " SELECT orders.id,\n    orders.total\n   FROM orders\n  WHERE (orders.status = "
               "'open'::text)"));
  CHECK(view.options == std::map<std::string, std::string>{{"security_barrier", "true"}});
  CHECK(view.comment == std::optional<std::string>("not shipped"));

  REQUIRE(schema.materialized_views.size() == 1);
  const MaterializedView& totals = schema.materialized_views[0];
  CHECK(totals.name == "order_totals");
  CHECK_FALSE(totals.with_data);
  CHECK(totals.options.empty());
  REQUIRE(totals.indexes.size() == 1);
  CHECK(totals.indexes[0].name == "order_totals_status");
  CHECK(totals.indexes[0].unique);

  const ObjectId open_orders{ObjectKind::View, "public", "", "open_orders"};
  const ObjectId orders{ObjectKind::Table, "public", "", "orders"};
  CHECK(has_dependency(model, open_orders, orders, "status"));
  CHECK(has_dependency(model, open_orders, orders, "total"));
  CHECK(has_dependency(model, {ObjectKind::MaterializedView, "public", "", "order_totals"}, orders,
                       "total"));
  CHECK(has_dependency(model, {ObjectKind::Index, "public", "order_totals", "order_totals_status"},
                       {ObjectKind::MaterializedView, "public", "", "order_totals"}, "status"));
}

TEST_CASE("functions and procedures are read with arguments and attributes", "[catalog][db]") {
  testing::TestDatabase db;
  db.exec(R"sql(
    CREATE FUNCTION public.add_tax(amount numeric, rate numeric DEFAULT 0.2)
      RETURNS numeric LANGUAGE sql IMMUTABLE STRICT AS $$SELECT amount * (1 + rate)$$;
    COMMENT ON FUNCTION public.add_tax(numeric, numeric) IS 'gross price';
    CREATE FUNCTION public.pairs(n integer, OUT a integer, OUT b text)
      RETURNS SETOF record LANGUAGE sql STABLE SECURITY DEFINER
      AS $$SELECT g, g::text FROM generate_series(1, n) g$$;
    CREATE FUNCTION public.listing(VARIADIC names text[]) RETURNS TABLE(name text)
      LANGUAGE sql AS $$SELECT unnest(names)$$;
    CREATE PROCEDURE public.cleanup(INOUT removed bigint)
      LANGUAGE plpgsql AS $$BEGIN removed := 0; END$$;
  )sql");
  const Database model = read(db);
  const Schema& schema = schema_of(model, "public");
  REQUIRE(schema.functions.size() == 4);

  const Function& add_tax = schema.functions[0];
  CHECK(function_signature(add_tax) == "add_tax(numeric, numeric)");
  CHECK_FALSE(add_tax.is_procedure);
  CHECK(add_tax.returns == "numeric");
  CHECK(add_tax.language == "sql");
  CHECK(add_tax.body == "SELECT amount * (1 + rate)");
  CHECK(add_tax.volatility == Volatility::Immutable);
  CHECK(add_tax.strict);
  CHECK_FALSE(add_tax.security_definer);
  CHECK(add_tax.comment == std::optional<std::string>("gross price"));
  REQUIRE(add_tax.args.size() == 2);
  CHECK(add_tax.args[0] == FunctionArg{"amount", "numeric", ArgMode::In, std::nullopt});
  CHECK(add_tax.args[1] == FunctionArg{"rate", "numeric", ArgMode::In, std::string("0.2")});

  const Function& cleanup = schema.functions[1];
  CHECK(function_signature(cleanup) == "cleanup(bigint)");
  CHECK(cleanup.is_procedure);
  CHECK(cleanup.returns.empty());
  CHECK(cleanup.language == "plpgsql");
  REQUIRE(cleanup.args.size() == 1);
  CHECK(cleanup.args[0] == FunctionArg{"removed", "bigint", ArgMode::InOut, std::nullopt});

  const Function& listing = schema.functions[2];
  CHECK(function_signature(listing) == "listing(VARIADIC text[])");
  CHECK(listing.returns == "TABLE(name text)");
  REQUIRE(listing.args.size() == 2);
  CHECK(listing.args[0] == FunctionArg{"names", "text[]", ArgMode::Variadic, std::nullopt});
  CHECK(listing.args[1] == FunctionArg{"name", "text", ArgMode::Table, std::nullopt});

  const Function& pairs = schema.functions[3];
  CHECK(pairs.returns == "SETOF record");
  CHECK(pairs.volatility == Volatility::Stable);
  CHECK(pairs.security_definer);
  REQUIRE(pairs.args.size() == 3);
  CHECK(pairs.args[1] == FunctionArg{"a", "integer", ArgMode::Out, std::nullopt});

  CHECK(model.facts.function_volatility.at("public.add_tax") == Volatility::Immutable);
  CHECK(model.facts.function_volatility.at("pg_catalog.random") == Volatility::Volatile);
  CHECK(model.facts.function_volatility.at("pg_catalog.now") == Volatility::Stable);
}

TEST_CASE("triggers are read with timing, events, arguments and condition", "[catalog][db]") {
  testing::TestDatabase db;
  db.exec(R"sql(
    CREATE TABLE public.notes (id bigint, body text, updated_at timestamptz);
    CREATE FUNCTION public.touch() RETURNS trigger LANGUAGE plpgsql
      AS $$BEGIN NEW.updated_at := now(); RETURN NEW; END$$;
    CREATE TRIGGER notes_touch BEFORE INSERT OR UPDATE OF body ON public.notes FOR EACH ROW
      WHEN (NEW.body IS NOT NULL) EXECUTE FUNCTION public.touch('a', 'b c');
    CREATE TRIGGER notes_audit AFTER DELETE OR TRUNCATE ON public.notes
      FOR EACH STATEMENT EXECUTE FUNCTION public.touch();
    COMMENT ON TRIGGER notes_audit ON public.notes IS 'audit';
  )sql");
  const Database model = read(db);
  const Table& notes = table_of(model, "public", "notes");
  REQUIRE(notes.triggers.size() == 2);
  const Trigger& audit = notes.triggers[0];
  CHECK(audit.name == "notes_audit");
  CHECK(audit.timing == TriggerTiming::After);
  CHECK(audit.events == std::vector<std::string>{"DELETE", "TRUNCATE"});
  CHECK_FALSE(audit.for_each_row);
  CHECK(audit.function == "public.touch");
  CHECK(audit.arguments.empty());
  CHECK_FALSE(audit.when);
  CHECK(audit.comment == std::optional<std::string>("audit"));
  const Trigger& touch = notes.triggers[1];
  CHECK(touch.timing == TriggerTiming::Before);
  CHECK(touch.events == std::vector<std::string>{"INSERT", "UPDATE"});
  CHECK(touch.update_of == std::vector<std::string>{"body"});
  CHECK(touch.for_each_row);
  CHECK(touch.arguments == std::vector<std::string>{"a", "b c"});
  CHECK(touch.when == std::optional<std::string>("(new.body IS NOT NULL)"));
}

TEST_CASE("partitioned tables and partitions are read, inherited objects on the parent only",
          "[catalog][db]") {
  testing::TestDatabase db;
  db.exec(R"sql(
    CREATE TABLE public.events (id bigint, created_at date NOT NULL, kind text,
      PRIMARY KEY (id, created_at)) PARTITION BY RANGE (created_at);
    CREATE INDEX events_kind_idx ON public.events (kind);
    CREATE TABLE public.events_2024 PARTITION OF public.events
      FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
    CREATE TABLE public.events_other PARTITION OF public.events DEFAULT;
    CREATE TABLE public.tags (name text) PARTITION BY LIST (lower(name));
  )sql");
  const Database model = read(db);
  const Table& events = table_of(model, "public", "events");
  REQUIRE(events.partition_by);
  CHECK(events.partition_by->strategy == PartitionStrategy::Range);
  CHECK(events.partition_by->key == "created_at");
  CHECK_FALSE(events.partition_of);
  CHECK(events.indexes.size() == 1);

  const Table& year = table_of(model, "public", "events_2024");
  REQUIRE(year.partition_of);
  CHECK(year.partition_of->parent_schema == "public");
  CHECK(year.partition_of->parent_table == "events");
  CHECK(year.partition_of->bound == "FOR VALUES FROM ('2024-01-01') TO ('2025-01-01')");
  CHECK(year.columns.size() == 3);
  CHECK(year.indexes.empty());
  CHECK(table_of(model, "public", "events_other").partition_of->bound == "DEFAULT");

  const Table& tags = table_of(model, "public", "tags");
  CHECK(tags.partition_by->strategy == PartitionStrategy::List);
  CHECK(tags.partition_by->key == "lower(name)");
}

TEST_CASE("extensions are reported and the objects they own are not", "[catalog][db]") {
  testing::TestDatabase db;
  db.exec(R"sql(
    CREATE SCHEMA ext;
    CREATE EXTENSION citext SCHEMA ext;
    CREATE EXTENSION pg_trgm;
    CREATE TABLE public.users (email ext.citext);
  )sql");
  const Database model = read(db);
  REQUIRE(model.extensions.size() == 2);
  CHECK(model.extensions[0].name == "citext");
  CHECK(model.extensions[0].schema == "ext");
  CHECK(model.extensions[0].version);
  CHECK(model.extensions[1].name == "pg_trgm");
  CHECK(model.extensions[1].schema == "public");
  const Schema& ext = schema_of(model, "ext");
  CHECK(ext.functions.empty());
  CHECK(ext.domains.empty());
  const Schema& schema = schema_of(model, "public");
  CHECK(schema.functions.empty());
  CHECK(table_of(model, "public", "users").columns[0].type == "ext.citext");
}

// No ';' in test names: catch_discover_tests splits names there.
TEST_CASE("system schemas and pgshift's journal are skipped and filters apply", "[catalog][db]") {
  testing::TestDatabase db;
  db.exec(R"sql(
    CREATE SCHEMA _pgshift; CREATE TABLE _pgshift.journal (id int);
    CREATE SCHEMA billing; CREATE TABLE billing.invoices (id int); CREATE TABLE billing.tmp_x (id int);
    CREATE SCHEMA audit; CREATE TABLE audit.log (id int);
    COMMENT ON SCHEMA audit IS 'who did what';
    CREATE TEMP TABLE scratch (id int);
  )sql");
  const Database all = read(db);
  CHECK(schema_names(all) == std::vector<std::string>{"audit", "billing", "public"});
  CHECK(schema_of(all, "audit").comment == std::optional<std::string>("who did what"));

  ReadOptions only_billing;
  only_billing.include_schemas = {"billing"};
  only_billing.exclude_tables = {"billing.tmp_*"};
  const Database billing = read(db, only_billing);
  CHECK(schema_names(billing) == std::vector<std::string>{"billing"});
  REQUIRE(billing.schemas[0].tables.size() == 1);
  CHECK(billing.schemas[0].tables[0].name == "invoices");

  ReadOptions no_audit;
  no_audit.exclude_schemas = {"audit", "public"};
  CHECK(schema_names(read(db, no_audit)) == std::vector<std::string>{"billing"});
}

TEST_CASE("facts: version, statistics, dependencies, casts and volatile defaults",
          "[catalog][db]") {
  testing::TestDatabase db;
  db.exec(R"sql(
    CREATE FUNCTION public.next_code() RETURNS text LANGUAGE sql VOLATILE
      AS $$SELECT md5(random()::text)$$;
    CREATE TABLE public.parents (id bigint PRIMARY KEY);
    CREATE TABLE public.kids (
      id bigint PRIMARY KEY, parent_id bigint REFERENCES public.parents,
      code text DEFAULT public.next_code(), token double precision DEFAULT random(),
      born timestamptz DEFAULT now(), score integer CHECK (score > 0));
    CREATE INDEX kids_parent_idx ON public.kids (parent_id);
    INSERT INTO public.parents SELECT generate_series(1, 100);
    ANALYZE public.parents;
    CREATE MATERIALIZED VIEW public.parent_ids AS SELECT id FROM public.parents;
  )sql");
  const Database model = read(db);
  CHECK(model.facts.server_version_num / 10000 ==
        std::stoi(db.scalar("SHOW server_version_num")) / 10000);
  const TableStats& parents = model.facts.table_stats.at("public.parents");
  CHECK(parents.reltuples == 100);
  CHECK(parents.relpages == 1);
  // Sizes are read for materialized views only (a table's would open it and
  // each of its indexes).
  CHECK(parents.total_bytes == 0);
  CHECK(model.facts.table_stats.at("public.parent_ids").total_bytes >= 8192);

  const ObjectId kids{ObjectKind::Table, "public", "", "kids"};
  CHECK(has_dependency(model, {ObjectKind::Index, "public", "kids", "kids_parent_idx"}, kids,
                       "parent_id"));
  CHECK(has_dependency(model, {ObjectKind::CheckConstraint, "public", "kids", "kids_score_check"},
                       kids, "score"));
  CHECK(has_dependency(model, {ObjectKind::ForeignKey, "public", "kids", "kids_parent_id_fkey"},
                       {ObjectKind::Table, "public", "", "parents"}, "id"));
  // NOT NULL constraints (pg_constraint rows from PostgreSQL 18) are no dependents.
  CHECK(std::none_of(
      model.facts.dependencies.begin(), model.facts.dependencies.end(),
      [](const Dependency& dependency) { return dependency.dependent.kind == ObjectKind::Table; }));
  // Never analyzed: reltuples is -1 from PostgreSQL 14, 0 before.
  CHECK(model.facts.table_stats.at("public.kids").reltuples ==
        (server_version_num(db) >= 140000 ? -1 : 0));

  CHECK(model.facts.binary_coercible_casts.count({"character varying", "text"}) == 1);
  CHECK(model.facts.binary_coercible_casts.count({"integer", "bigint"}) == 0);
  CHECK(model.facts.volatile_defaults ==
        std::set<std::string>{"public.kids.code", "public.kids.token"});
}

TEST_CASE("dependents and owning columns of relations the read does not hold are named",
          "[catalog][db]") {
  testing::TestDatabase db;
  db.exec(R"sql(
    CREATE SCHEMA app; CREATE SCHEMA other;
    CREATE TABLE app.parents (id bigint PRIMARY KEY);
    CREATE TABLE other.kids (id bigint PRIMARY KEY,
      parent_id bigint CONSTRAINT kids_parent_fkey REFERENCES app.parents);
    CREATE TABLE app.events (id int, at date) PARTITION BY RANGE (at);
    CREATE TABLE app.events_2026 PARTITION OF app.events
      FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
    CREATE INDEX events_at_idx ON app.events (at);
    CREATE TABLE app.tmp_codes (gone int, code int);
    ALTER TABLE app.tmp_codes DROP COLUMN gone;
    CREATE SEQUENCE app.code_seq OWNED BY app.tmp_codes.code;
    CREATE TABLE app.tickets (id int GENERATED ALWAYS AS IDENTITY (START WITH 7), v int);
    CREATE SEQUENCE app.shared_seq;
    CREATE TABLE other.uses (n bigint DEFAULT nextval('app.shared_seq'));
  )sql");
  ReadOptions only_app;
  only_app.include_schemas = {"app"};
  only_app.exclude_tables = {"app.tmp_*"};
  const Database model = read(db, only_app);
  // A foreign key from a schema not read, on a table of one read.
  CHECK(has_dependency(model, {ObjectKind::ForeignKey, "other", "kids", "kids_parent_fkey"},
                       {ObjectKind::Table, "app", "", "parents"}, "id"));
  // A partition's index (not read: its parent's index stands for it). On
  // PostgreSQL 11 its dependency on the column is internal (deptype 'I'),
  // which no dependency query reads.
  if (server_version_num(db) >= 120000) {
    CHECK(has_dependency(model, {ObjectKind::Index, "app", "events_2026", "events_2026_at_idx"},
                         {ObjectKind::Table, "app", "", "events_2026"}, "at"));
  }
  CHECK(has_dependency(model, {ObjectKind::Index, "app", "events", "events_at_idx"},
                       {ObjectKind::Table, "app", "", "events"}, "at"));
  // A sequence owned by a column of an excluded table (after a dropped one).
  const Sequence* code_seq = find_named(schema_of(model, "app").sequences, "code_seq");
  REQUIRE(code_seq != nullptr);
  CHECK(code_seq->owned_by == std::optional<std::string>("app.tmp_codes.code"));
  // An identity column's sequence, named from the columns read.
  const Column* id = find_named(table_of(model, "app", "tickets").columns, "id");
  REQUIRE(id != nullptr);
  CHECK(id->identity_options.start == std::optional<int64_t>(7));
  CHECK(model.facts.identity_usage.count("app.tickets.id") == 1);
  // A default of a schema not read that uses a sequence of one read.
  CHECK(model.facts.sequence_defaults.at("app.shared_seq") ==
        std::vector<ObjectId>{{ObjectKind::Column, "other", "uses", "n"}});

  // inspect's YAML reads no dependencies at all.
  ReadOptions without = only_app;
  without.dependencies = false;
  const Database objects_only = read(db, without);
  CHECK(objects_only.facts.dependencies.empty());
  CHECK(objects_only.facts.sequence_defaults.empty());
  CHECK(objects_only.facts.fingerprint == model.facts.fingerprint);
}

TEST_CASE("dependencies are read alike whatever join methods and parallel query the server uses",
          "[catalog][db]") {
  testing::TestDatabase db;
  const bool sql_bodies = server_version_num(db) >= 140000;
  db.exec(std::string(R"sql(
    CREATE TABLE public.parents (id bigint PRIMARY KEY, name text UNIQUE);
    CREATE TABLE public.kids (id bigint PRIMARY KEY, parent_id bigint REFERENCES public.parents,
      score integer CHECK (score > 0));
    CREATE INDEX kids_parent_idx ON public.kids (parent_id) WHERE score > 10;
    CREATE VIEW public.named_kids AS SELECT k.id, p.name FROM public.kids k
      JOIN public.parents p ON p.id = k.parent_id;
  )sql") + (sql_bodies ? "CREATE FUNCTION public.kid_count() RETURNS bigint LANGUAGE sql "
                         "BEGIN ATOMIC SELECT count(*) FROM public.kids; END;"
                       : ""));
  const auto dependencies = [&](const std::string& settings) {
    auto conn = connect(db.url() + (settings.empty() ? "" : "?options=" + settings));
    const Database model = read_catalog(*conn);
    std::vector<std::tuple<ObjectId, ObjectId, std::string>> rows;
    for (const auto& d : model.facts.dependencies) {
      rows.emplace_back(d.dependent, d.referenced, d.referenced_column);
    }
    std::sort(rows.begin(), rows.end());
    return rows;
  };
  const auto usual = dependencies("");
  // Each kind of dependent is there: view, function, constraint, index.
  const auto depends = [&](const ObjectId& dependent, const std::string& table,
                           const std::string& column) {
    return std::count(usual.begin(), usual.end(),
                      std::make_tuple(dependent, ObjectId{ObjectKind::Table, "public", "", table},
                                      column)) != 0;
  };
  CHECK(depends({ObjectKind::View, "public", "", "named_kids"}, "parents", "name"));
  CHECK(depends({ObjectKind::Index, "public", "kids", "kids_parent_idx"}, "kids", "score"));
  CHECK(depends({ObjectKind::CheckConstraint, "public", "kids", "kids_score_check"}, "kids",
                "score"));
  CHECK(depends({ObjectKind::ForeignKey, "public", "kids", "kids_parent_id_fkey"}, "parents",
                "id"));
  if (sql_bodies) {
    CHECK(std::any_of(usual.begin(), usual.end(), [](const auto& row) {
      return std::get<0>(row).kind == ObjectKind::Function &&
             std::get<1>(row) == ObjectId{ObjectKind::Table, "public", "", "kids"};
    }));
  }
  // A server without parallel query (a setting some hosted services use)
  // and one steered off hash joins or nested loops read the same rows.
  CHECK(dependencies("-c%20max_parallel_workers_per_gather%3D0") == usual);
  CHECK(dependencies("-c%20enable_hashjoin%3Doff%20-c%20enable_mergejoin%3Doff") == usual);
  CHECK(dependencies("-c%20enable_nestloop%3Doff%20-c%20max_parallel_workers_per_gather%3D0") ==
        usual);
}

TEST_CASE("date, time and interval constants are read in ISO and UTC whatever the session's style",
          "[catalog][db]") {
  testing::TestDatabase db;
  db.exec("CREATE TABLE public.ev (id int PRIMARY KEY, "
          "at timestamptz DEFAULT '2020-01-01 00:00:00+00' CHECK (at > '2019-06-01 12:00+00'), "
          "day date DEFAULT '2020-03-04', span interval DEFAULT '1 day 02:00:00')");
  const auto columns_and_checks = [&](const std::string& settings) {
    auto conn = connect(db.url() + (settings.empty() ? "" : "?options=" + settings));
    const Table ev = table_of(read_catalog(*conn), "public", "ev");
    std::vector<std::string> texts;
    for (const auto& column : ev.columns) texts.push_back(column.default_expr.value_or(""));
    for (const auto& check : ev.check_constraints) texts.push_back(check.expression);
    return texts;
  };
  const auto usual = columns_and_checks("");
  CHECK(usual == std::vector<std::string>{
                     "", "'2020-01-01 00:00:00+00'::timestamp with time zone",
                     "'2020-03-04'::date", "'1 day 02:00:00'::interval",
                     "(at > '2019-06-01 12:00:00+00'::timestamp with time zone)"});
  // A session (database, role, PGDATESTYLE, PGTZ) in another style reads the
  // same texts: the read sets its own.
  CHECK(columns_and_checks("-c%20DateStyle%3DSQL%2CDMY%20-c%20TimeZone%3DAsia%2FTokyo"
                           "%20-c%20IntervalStyle%3Dsql_standard") == usual);
}

TEST_CASE("a read's own settings end with its transaction: the session keeps its own",
          "[catalog][db]") {
  testing::TestDatabase db;
  db.exec("CREATE TABLE public.t (id int PRIMARY KEY, at date DEFAULT '2020-03-04')");
  // Enough tables that the read runs its second connection too.
  ReadOptions options;
  options.parallel_from_tables = 1;
  auto conn = connect(db.url() +
                      "?options=-c%20max_parallel_workers_per_gather%3D3"
                      "%20-c%20DateStyle%3DSQL%2CDMY%20-c%20jit%3Don"
                      "%20-c%20lock_timeout%3D7s%20-c%20work_mem%3D1MB");
  const auto settings = [&] {
    pqxx::nontransaction tx(*conn);
    const auto row = tx.exec1(
        "SELECT current_setting('max_parallel_workers_per_gather'), "
        "current_setting('DateStyle'), current_setting('jit'), current_setting('lock_timeout'), "
        "current_setting('work_mem')");
    return std::vector<std::string>{row[0].as<std::string>(), row[1].as<std::string>(),
                                    row[2].as<std::string>(), row[3].as<std::string>(),
                                    row[4].as<std::string>()};
  };
  const auto before = settings();
  CHECK(before == std::vector<std::string>{"3", "SQL, DMY", "on", "7s", "1MB"});
  const Table t = table_of(read_catalog(*conn, options), "public", "t");
  CHECK(t.columns.at(1).default_expr == std::optional<std::string>("'2020-03-04'::date"));
  CHECK(settings() == before);
}

TEST_CASE("the fingerprint follows the schema, not the data", "[catalog][db]") {
  testing::TestDatabase db;
  db.exec("CREATE TABLE public.t (id int PRIMARY KEY, label text)");
  const std::string before = read(db).facts.fingerprint;
  CHECK(before.size() == 16);
  db.exec("INSERT INTO public.t SELECT g, 'x' FROM generate_series(1, 500) g; ANALYZE public.t");
  CHECK(read(db).facts.fingerprint == before);
  db.exec("ALTER TABLE public.t ALTER label SET NOT NULL");
  CHECK(read(db).facts.fingerprint != before);
}

TEST_CASE("a catalog the role may not read is reported with its SQLSTATE", "[catalog][db]") {
  testing::TestDatabase db;
  const std::string role = db.name() + "_reader";
  // Something to read: the queries of a schema's objects are sent only when
  // it holds some (pg_sequence is read first to know whether it holds any).
  db.exec("CREATE TABLE public.t (id int GENERATED ALWAYS AS IDENTITY); CREATE ROLE " + role +
          " LOGIN; REVOKE SELECT ON pg_catalog.pg_sequence FROM PUBLIC");
  try {
    auto conn = connect(db.url() + "?user=" + role);
    CHECK_THROWS_WITH(read_catalog(*conn),
                      "could not read schema contents: permission denied for table pg_sequence "
                      "(SQLSTATE 42501)");
  } catch (...) {
    db.exec("DROP ROLE " + role);
    throw;
  }
  db.exec("DROP ROLE " + role);
}

// The read leaves out the queries of a schema's objects when nothing is in
// the schemas read (catalog/reader.cpp, read_database_wide): each kind of
// object that can be alone in a schema must still make the schema read as
// holding it, modelled or reported.
TEST_CASE("a schema holding one object of any kind alone is read with that object",
          "[catalog][db]") {
  testing::TestDatabase db;
  const int version = testing::server_version_num(db);
  std::vector<std::pair<std::string, std::string>> lone = {
      {"a_table", "CREATE TABLE a_table.t (id int)"},
      {"a_view", "CREATE VIEW a_view.v AS SELECT 1 AS one"},
      {"a_matview", "CREATE MATERIALIZED VIEW a_matview.m AS SELECT 1 AS one"},
      {"a_sequence", "CREATE SEQUENCE a_sequence.s"},
      {"an_enum", "CREATE TYPE an_enum.e AS ENUM ('x')"},
      {"a_domain", "CREATE DOMAIN a_domain.d AS int"},
      {"a_composite", "CREATE TYPE a_composite.c AS (x int)"},
      {"a_range", "CREATE TYPE a_range.r AS RANGE (subtype = float8)"},
      {"a_shell", "CREATE TYPE a_shell.s"},
      {"a_function", "CREATE FUNCTION a_function.f() RETURNS int LANGUAGE sql AS 'SELECT 1'"},
      {"a_procedure", "CREATE PROCEDURE a_procedure.p() LANGUAGE sql AS 'SELECT 1'"},
      {"an_aggregate", "CREATE AGGREGATE an_aggregate.total(int) (SFUNC = int4pl, STYPE = int)"},
      {"an_operator",
       "CREATE OPERATOR an_operator.=== (LEFTARG = int, RIGHTARG = int, FUNCTION = int4eq)"},
      {"a_collation", "CREATE COLLATION a_collation.c FROM \"C\""},
      {"a_conversion",
       "CREATE CONVERSION a_conversion.c FOR 'LATIN1' TO 'UTF8' FROM iso8859_1_to_utf8"},
      {"a_ts_config", "CREATE TEXT SEARCH CONFIGURATION a_ts_config.c (COPY = english)"},
      {"a_ts_dictionary", "CREATE TEXT SEARCH DICTIONARY a_ts_dictionary.d (TEMPLATE = simple)"},
      {"an_opfamily", "CREATE OPERATOR FAMILY an_opfamily.f USING btree"},
      {"a_grant", "GRANT USAGE ON SCHEMA a_grant TO PUBLIC"},
      {"a_comment", "COMMENT ON SCHEMA a_comment IS 'hello'"},
      {"default_grants",
       "ALTER DEFAULT PRIVILEGES IN SCHEMA default_grants GRANT SELECT ON TABLES TO PUBLIC"},
  };
  if (version >= 150000) {
    lone.push_back(
        {"a_publication", "CREATE PUBLICATION lone_pub FOR TABLES IN SCHEMA a_publication"});
  }
  for (const auto& [schema, sql] : lone) {
    INFO(sql);
    db.exec("CREATE SCHEMA " + schema + "; " + sql);
    ReadOptions options;
    options.include_schemas = {schema};
    const Database model = read(db, options);
    const Schema& read_schema = schema_of(model, schema);
    Schema bare;
    bare.name = schema;
    const bool reported =
        std::any_of(model.facts.unmodelled.begin(), model.facts.unmodelled.end(),
                    [&](const UnmodelledObject& object) { return object.schema == schema; });
    CHECK((!(read_schema == bare) || reported));
  }
  db.exec("DROP PUBLICATION IF EXISTS lone_pub");
}

TEST_CASE("a read of schemas that do not exist still reads what is database-wide",
          "[catalog][db]") {
  testing::TestDatabase db;
  db.exec(
      "CREATE SCHEMA app; CREATE TABLE app.t (id int PRIMARY KEY);"
      "CREATE EXTENSION IF NOT EXISTS pgcrypto SCHEMA app;"
      "ALTER DEFAULT PRIVILEGES GRANT SELECT ON TABLES TO PUBLIC;"
      "CREATE FUNCTION app.on_ddl() RETURNS event_trigger LANGUAGE plpgsql AS "
      "'BEGIN END';"
      "CREATE EVENT TRIGGER lone_ddl ON ddl_command_end EXECUTE PROCEDURE app.on_ddl()");
  const Database everything = read(db);
  ReadOptions options;
  options.include_schemas = {"nosuch"};
  const Database none = read(db, options);
  db.exec("DROP EVENT TRIGGER lone_ddl");
  CHECK(none.schemas.empty());
  CHECK(none.extensions == everything.extensions);
  CHECK(none.default_privileges == everything.default_privileges);
  CHECK_FALSE(none.default_privileges.empty());
  CHECK(none.facts.roles == everything.facts.roles);
  CHECK(none.facts.current_role == everything.facts.current_role);
  CHECK(none.facts.function_volatility == everything.facts.function_volatility);
  CHECK(none.facts.binary_coercible_casts == everything.facts.binary_coercible_casts);
  std::vector<UnmodelledObject> database_wide;
  for (const auto& object : everything.facts.unmodelled) {
    if (object.schema.empty()) database_wide.push_back(object);
  }
  CHECK(none.facts.unmodelled == database_wide);
  CHECK_FALSE(database_wide.empty());  // the event trigger
  CHECK(none.facts.session.search_path == everything.facts.session.search_path);
}

// Each of these is read only when the schemas read hold one of its kind
// (kContentsQuery): one schema each, beside a table and nothing else.
TEST_CASE("a table's trigger, policy, exclusion constraint and partitions' copies are read",
          "[catalog][db]") {
  testing::TestDatabase db;
  db.exec(
      "CREATE SCHEMA with_policy; CREATE TABLE with_policy.t (id int);"
      "CREATE POLICY own ON with_policy.t USING (id > 0);"
      "CREATE SCHEMA with_exclusion;"
      "CREATE TABLE with_exclusion.t (r int4range, EXCLUDE USING gist (r WITH &&));"
      "CREATE SCHEMA with_partitions;"
      "CREATE TABLE with_partitions.p (id int) PARTITION BY RANGE (id);"
      "CREATE TABLE with_partitions.p1 PARTITION OF with_partitions.p FOR VALUES FROM (0) TO (9);"
      "CREATE INDEX p_id_idx ON with_partitions.p (id);"
      "CREATE SCHEMA with_trigger; CREATE TABLE with_trigger.t (id int);"
      "CREATE SCHEMA funcs; CREATE FUNCTION funcs.touch() RETURNS trigger LANGUAGE plpgsql AS "
      "'BEGIN RETURN NEW; END';"
      "CREATE TRIGGER touch BEFORE INSERT ON with_trigger.t FOR EACH ROW "
      "EXECUTE PROCEDURE funcs.touch()");
  const auto read_only = [&](const std::string& schema) {
    ReadOptions options;
    options.include_schemas = {schema};
    return read(db, options);
  };
  const Database policy = read_only("with_policy");
  CHECK(table_of(policy, "with_policy", "t").policies.size() == 1);
  const Database exclusion = read_only("with_exclusion");
  CHECK(table_of(exclusion, "with_exclusion", "t").exclusion_constraints.size() == 1);
  const Database partitions = read_only("with_partitions");
  CHECK(partitions.facts.partition_copies.count("with_partitions.p1") == 1);
  const Database trigger = read_only("with_trigger");
  CHECK(table_of(trigger, "with_trigger", "t").triggers.size() == 1);
}

}  // namespace
}  // namespace pgshift::catalog
