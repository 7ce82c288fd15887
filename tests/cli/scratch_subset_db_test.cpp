// Building in the scratch database only what differs from the target gives
// the canonical model building everything gives (issue 17): on the
// every-kind fixture, on the objects whose canonical text follows another
// object's (views over changed columns, defaults calling changed functions,
// columns of changed domains and types, partitions of changed parents,
// foreign keys to changed keys), and on random pairs of schemas.
#include <algorithm>
#include <rapidcheck.h>

#include <catch2/catch.hpp>
#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

#include "catalog/connection.hpp"
#include "catalog/reader.hpp"
#include "catalog/script.hpp"
#include "cli/dev_database.hpp"
#include "cli/scratch_subset.hpp"
#include "planner/planner.hpp"
#include "schemas/yaml_loader.hpp"
#include "schemas/yaml_writer.hpp"
#include "tests/support/run.hpp"
#include "tests/support/server_version.hpp"
#include "tests/support/test_db.hpp"

using pgshift::testing::run_command;
using pgshift::testing::server_version_num;
using pgshift::testing::TempDir;
using pgshift::testing::TestDatabase;
namespace schemas = pgshift::schemas;
namespace catalog = pgshift::catalog;
namespace cli = pgshift::cli;

namespace {

// The target's model of the schemas `desired` names, as `plan` reads it.
schemas::Database read_target(const TestDatabase& db, const schemas::Database& desired) {
  auto conn = catalog::connect(db.url());
  catalog::ReadOptions options;
  for (const auto& schema : desired.schemas) options.include_schemas.push_back(schema.name);
  return catalog::read_catalog(*conn, options);
}

struct Both {
  schemas::Database current;  // the target's, read as plan reads it
  schemas::Database full;
  schemas::Database partial;
  cli::ScratchSubset subset;
  std::string full_error;  // what building everything threw, if it did
  std::string partial_error;
};

Both canonicalize_both(const schemas::Database& desired, const TestDatabase& target) {
  Both both;
  both.current = read_target(target, desired);
  const schemas::Database& current = both.current;
  try {
    both.full = cli::canonicalize_on_server(desired, target.url());
  } catch (const std::exception& e) {
    both.full_error = e.what();
  }
  try {
    both.partial = cli::canonicalize_on_server(desired, target.url(), &current, &both.subset);
  } catch (const std::exception& e) {
    both.partial_error = e.what();
  }
  return both;
}

// The dependencies of `db`'s facts, one line each, sorted.
std::vector<std::string> dependency_lines(const schemas::Database& db) {
  std::vector<std::string> lines;
  for (const auto& dependency : db.facts.dependencies) {
    lines.push_back(schemas::describe(dependency.dependent) + " uses " +
                    schemas::describe(dependency.referenced) + " " +
                    dependency.referenced_column);
  }
  std::sort(lines.begin(), lines.end());
  lines.erase(std::unique(lines.begin(), lines.end()), lines.end());
  return lines;
}

// Equal models, and equal facts where the planner reads the desired side's;
// or both refused.
bool same(const Both& both) {
  if (!both.full_error.empty() || !both.partial_error.empty()) {
    return !both.full_error.empty() && !both.partial_error.empty();
  }
  return both.full == both.partial &&
         both.full.facts.volatile_defaults == both.partial.facts.volatile_defaults &&
         both.full.facts.view_columns == both.partial.facts.view_columns &&
         both.full.facts.unmodelled == both.partial.facts.unmodelled &&
         dependency_lines(both.full) == dependency_lines(both.partial);
}

std::string describe(const Both& both) {
  std::ostringstream text;
  text << "built " << both.subset.differing << " differing, " << both.subset.needed << " needed, "
       << both.subset.reduced << " reduced" << (both.subset.everything ? " (everything)" : "")
       << "\nfull build refused: " << both.full_error
       << "\npartial build refused: " << both.partial_error << "\n--- full:\n"
       << schemas::write_yaml(both.full) << "--- partial:\n"
       << schemas::write_yaml(both.partial);
  return text.str();
}

void check_same(const Both& both) {
  INFO(describe(both));
  REQUIRE(both.full_error.empty());
  REQUIRE(both.partial_error.empty());
  CHECK(both.full == both.partial);
  CHECK(both.full.facts.volatile_defaults == both.partial.facts.volatile_defaults);
  CHECK(both.full.facts.view_columns == both.partial.facts.view_columns);
  CHECK(both.full.facts.unmodelled == both.partial.facts.unmodelled);
  CHECK(dependency_lines(both.full) == dependency_lines(both.partial));
}

std::string every_kind_yaml(const TestDatabase& db) {
  std::ifstream file(PGSHIFT_EVERY_KIND);
  std::ostringstream text;
  text << file.rdbuf();
  std::string yaml = text.str();
  const auto replace_once = [&](const std::string& from, const std::string& to) {
    const size_t pos = yaml.find(from);
    REQUIRE(pos != std::string::npos);
    yaml.replace(pos, from.size(), to);
  };
  replace_once("pgshift_every_kind_me", db.scalar("SELECT current_user"));
  const int version = server_version_num(db);
  if (version < 150000) {
    replace_once("- { columns: [email], nulls_not_distinct: true }", "- [email]");
  }
  if (version < 140000) {
    replace_once("storage: external, compression: pglz,", "storage: external,");
  }
  if (version < 120000) {
    replace_once(
        "          email_domain: { type: text, generated: "
        "\"split_part((email)::text, '@'::text, 2)\" }\n",
        "");
  }
  return yaml;
}

schemas::Schema& schema_named(schemas::Database& db, const std::string& name) {
  for (auto& schema : db.schemas) {
    if (schema.name == name) return schema;
  }
  FAIL("no schema " << name);
  throw std::logic_error("unreachable");
}

template <typename T>
T& named(std::vector<T>& items, const std::string& name) {
  for (auto& item : items) {
    if (item.name == name) return item;
  }
  FAIL("no object " << name);
  throw std::logic_error("unreachable");
}

// Builds `model` in `db` from what `db` holds, as a plan would.
void build_in(const TestDatabase& db, const schemas::Database& model) {
  auto conn = catalog::connect(db.url());
  const schemas::Database now = catalog::read_catalog(*conn);
  const auto plan = pgshift::planner::plan_changes(now, model, pgshift::planner::PlanOptions{});
  std::vector<catalog::BatchStatement> statements;
  for (const auto& step : plan.steps) {
    for (const auto& statement : step.statements) statements.push_back({statement, false});
  }
  const auto failure = catalog::run_batch(db.url(), statements);
  if (failure) throw std::runtime_error("the model does not build: " + failure->message);
}

// Changes to the every-kind fixture, each with what it does.
using Change = std::pair<const char*, std::function<void(schemas::Database&)>>;
std::vector<Change> every_kind_changes() {
  return {
      {"a column of the table under a view and a materialized view changes type",
       [](schemas::Database& db) {
         named(named(schema_named(db, "public").tables, "customers").columns, "email").type =
             "text";
       }},
      {"the composite type of a column gains an attribute",
       [](schemas::Database& db) {
         named(schema_named(db, "public").composite_types, "money_amount")
             .attributes.push_back({"cents", "bigint", std::nullopt});
       }},
      {"an enum used by a column and its default gains a label",
       [](schemas::Database& db) {
         named(schema_named(db, "billing").enums, "invoice_state").labels.push_back("void");
       }},
      {"the domain of a column changes its check",
       [](schemas::Database& db) {
         named(schema_named(db, "public").domains, "email_address").checks[0].expression =
             "VALUE ~ '@.'";
       }},
      {"a trigger's function changes its body",
       [](schemas::Database& db) {
         auto& touch = named(schema_named(db, "public").functions, "touch");
         touch.body = "BEGIN NEW.updated_at := clock_timestamp(); RETURN NEW; END";
       }},
      {"the referenced table of a foreign key gains a column",
       [](schemas::Database& db) {
         auto& customers = named(schema_named(db, "public").tables, "customers");
         schemas::Column column;
         column.name = "nickname";
         column.type = "text";
         customers.columns.push_back(column);
       }},
      {"the referencing table of a foreign key gains an index",
       [](schemas::Database& db) {
         auto& invoices = named(schema_named(db, "billing").tables, "invoices");
         schemas::Index index;
         index.name = "invoices_customer_idx";
         index.keys.push_back(schemas::IndexKey{std::string("customer_id")});
         invoices.indexes.push_back(index);
       }},
      {"a partition's parent gains a column",
       [](schemas::Database& db) {
         schemas::Column column;
         column.name = "source";
         column.type = "text";
         named(schema_named(db, "public").tables, "events").columns.push_back(column);
         named(schema_named(db, "public").tables, "events_2025").columns.push_back(column);
       }},
      {"the sequence a default calls changes",
       [](schemas::Database& db) {
         named(schema_named(db, "billing").sequences, "invoice_number").options.increment = 10;
       }},
      {"a schema comment changes",
       [](schemas::Database& db) { schema_named(db, "billing").comment = "Money"; }},
      {"a table is dropped and a new one references another",
       [](schemas::Database& db) {
         auto& billing = schema_named(db, "billing");
         schemas::Table notes;
         notes.name = "notes";
         notes.columns.push_back({"id", "bigint", true});
         notes.columns.push_back({"customer_id", "bigint"});
         notes.primary_key = schemas::PrimaryKey{"notes_pkey", {"id"}};
         schemas::ForeignKey key;
         key.name = "notes_customer_id_fkey";
         key.columns = {"customer_id"};
         key.ref_schema = "public";
         key.ref_table = "customers";
         key.ref_columns = {"id"};
         notes.foreign_keys.push_back(key);
         billing.tables.push_back(notes);
         auto& views = schema_named(db, "public").views;
         views.erase(views.begin());
         // The dropped view's privileges go with it.
         auto& privileges = schema_named(db, "public").privileges;
         privileges.erase(std::remove_if(privileges.begin(), privileges.end(),
                                         [&](const schemas::Privileges& entry) {
                                           return !schemas::privileges_target_exists(
                                               schema_named(db, "public"), entry.object);
                                         }),
                          privileges.end());
       }},
  };
}

// The every-kind fixture applied to `target` (its YAML written in `dir` as
// every_kind.yaml), and the model of what `inspect` writes of it.
schemas::Database applied_and_inspected(const TestDatabase& target, const TempDir& dir) {
  const std::string every_kind = dir.write("every_kind.yaml", every_kind_yaml(target));
  const auto applied = run_command({PGSHIFT_BIN, "apply", "--db", target.url(), "--schema",
                                    every_kind, "--yes", "--allow-hazard", "all"});
  INFO(applied.output);
  REQUIRE(applied.exit_code == 0);
  REQUIRE(run_command({PGSHIFT_BIN, "inspect", "--db", target.url(), "-o", dir.path() + "/a.yaml"})
              .exit_code == 0);
  return schemas::load_yaml_file(dir.path() + "/a.yaml");
}

}  // namespace

TEST_CASE("the no-op canonicalisation of an inspected every-kind schema builds nothing",
          "[cli][db]") {
  TestDatabase target;
  TempDir dir;
  const schemas::Database inspected = applied_and_inspected(target, dir);
  const Both noop = canonicalize_both(inspected, target);
  check_same(noop);
  CHECK_FALSE(noop.subset.everything);
  CHECK(noop.subset.differing == 0);
  CHECK(noop.subset.build.schemas.empty());
  // Everything is the target's, its dependencies too: shared, not copied.
  REQUIRE_FALSE(noop.current.facts.dependencies.empty());
  CHECK(noop.partial.facts.dependencies.shares(noop.current.facts.dependencies));

  // The hand-written fixture spells some objects its own way: those are built.
  check_same(canonicalize_both(schemas::load_yaml_file(dir.path() + "/every_kind.yaml"), target));
}

TEST_CASE("every-kind changes built alone give the model building everything gives", "[cli][db]") {
  TestDatabase target;
  TempDir dir;
  const schemas::Database inspected = applied_and_inspected(target, dir);

  for (const auto& [what, change] : every_kind_changes()) {
    INFO(what);
    schemas::Database desired = inspected;
    change(desired);
    schemas::canonicalize(desired);
    REQUIRE(schemas::validate(desired).empty());
    const Both both = canonicalize_both(desired, target);
    check_same(both);
    CHECK_FALSE(both.subset.everything);
    CHECK(both.subset.differing + both.subset.changed_schemas.size() > 0);
  }
}

TEST_CASE("a build the columns read make certain is one the subset makes, and a no-op is none",
          "[cli][db]") {
  TestDatabase target;
  TempDir dir;
  const schemas::Database inspected = applied_and_inspected(target, dir);

  // The shapes a plan's read of the target gives its hook.
  cli::TableShapes shapes;
  {
    auto conn = catalog::connect(target.url());
    catalog::ReadOptions options;
    for (const auto& schema : inspected.schemas) options.include_schemas.push_back(schema.name);
    options.columns_read = [&](const std::vector<catalog::TableSoFar>& tables) {
      shapes = cli::table_shapes(tables);
    };
    catalog::read_catalog(*conn, options);
  }
  REQUIRE(shapes.size() >= 5);
  CHECK_FALSE(cli::build_is_certain(inspected, shapes));

  const std::vector<std::string> certain_ones = {
      "a column of the table under a view and a materialized view changes type",
      "the referenced table of a foreign key gains a column",
      "a partition's parent gains a column",
      "a table is dropped and a new one references another",
  };
  for (const auto& [what, change] : every_kind_changes()) {
    INFO(what);
    schemas::Database desired = inspected;
    change(desired);
    schemas::canonicalize(desired);
    const bool certain = cli::build_is_certain(desired, shapes);
    CHECK(certain ==
          (std::find(certain_ones.begin(), certain_ones.end(), what) != certain_ones.end()));
    if (!certain) continue;
    const schemas::Database current = read_target(target, desired);
    const cli::ScratchSubset subset = cli::choose_scratch_subset(desired, current, {});
    CHECK((subset.everything || !subset.build.schemas.empty()));
  }

  // A column ignored by a pattern may be missing from the target's model:
  // its columns say nothing then.
  schemas::Database ignoring = inspected;
  named(schema_named(ignoring, "public").tables, "customers").columns.pop_back();
  CHECK(cli::build_is_certain(ignoring, shapes));
  ignoring.ignore.push_back("column:public.customers.*");
  CHECK_FALSE(cli::build_is_certain(ignoring, shapes));
}

TEST_CASE("canonical text that follows another object is read from the scratch database",
          "[cli][db]") {
  TestDatabase target;
  target.exec(R"sql(
    CREATE DOMAIN posint AS integer CHECK (VALUE > 0);
    CREATE FUNCTION f(a integer) RETURNS integer LANGUAGE sql IMMUTABLE AS 'SELECT a';
    CREATE TABLE p (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, a integer,
                    d posint DEFAULT f(1), k integer UNIQUE);
    CREATE VIEW v AS SELECT a + 1 AS b, d FROM p WHERE a > 2;
    CREATE TABLE c (id bigint PRIMARY KEY, p_id bigint REFERENCES p (id),
                    k integer REFERENCES p (k));
    CREATE TABLE parted (id bigint, at date) PARTITION BY RANGE (at);
    CREATE TABLE parted_2024 PARTITION OF parted FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
    CREATE SEQUENCE s OWNED BY p.a;
  )sql");
  schemas::Database inspected;
  inspected.schemas.push_back(schemas::Schema{"public"});
  inspected = read_target(target, inspected);
  inspected.facts = {};

  const std::vector<std::pair<const char*, std::function<void(schemas::Database&)>>> changes = {
      {"a view over a column whose type changes gains casts",
       [](schemas::Database& db) {
         named(named(db.schemas[0].tables, "p").columns, "a").type = "numeric";
       }},
      {"a default calling a function whose argument type changes",
       [](schemas::Database& db) {
         named(db.schemas[0].functions, "f").args[0].type = "bigint";
         // An explicit cast: before PostgreSQL 13 a SQL function's result is
         // not cast to its declared type.
         named(db.schemas[0].functions, "f").body = "SELECT a::integer";
         named(db.schemas[0].functions, "f").volatility = schemas::Volatility::Volatile;
       }},
      {"a column of a domain whose base type changes",
       [](schemas::Database& db) { named(db.schemas[0].domains, "posint").base_type = "bigint"; }},
      {"a partition of a parent whose key type changes",
       [](schemas::Database& db) {
         for (auto& table : db.schemas[0].tables) {
           if (table.name == "parted" || table.name == "parted_2024") {
             named(table.columns, "at").type = "timestamp without time zone";
           }
         }
       }},
      {"a foreign key to a key whose type changes",
       [](schemas::Database& db) {
         named(named(db.schemas[0].tables, "p").columns, "k").type = "bigint";
       }},
      {"a sequence owned by a changed table",
       [](schemas::Database& db) {
         named(named(db.schemas[0].tables, "p").columns, "a").comment = "owned";
       }},
  };
  for (const auto& [what, change] : changes) {
    INFO(what);
    schemas::Database desired = inspected;
    change(desired);
    schemas::canonicalize(desired);
    REQUIRE(schemas::validate(desired).empty());
    check_same(canonicalize_both(desired, target));
  }
}

TEST_CASE("a changed table's unchanged indexes and foreign keys are taken from the target",
          "[cli][db]") {
  TestDatabase target;
  target.exec(R"sql(
    CREATE FUNCTION norm(t text) RETURNS text LANGUAGE sql IMMUTABLE AS 'SELECT lower(t)';
    CREATE TABLE parent (id bigint PRIMARY KEY, code text CONSTRAINT parent_code_key UNIQUE);
    CREATE TABLE child (id bigint PRIMARY KEY, parent_id bigint REFERENCES parent (id),
                        code text REFERENCES parent (code), name text, email varchar(100),
                        score integer);
    CREATE INDEX child_name_idx ON child (name);
    CREATE UNIQUE INDEX child_email_key ON child (lower(email)) WHERE email IS NOT NULL;
    CREATE INDEX child_score_idx ON child (score) INCLUDE (name);
    CREATE INDEX child_norm_idx ON child (norm(name));
    CREATE UNIQUE INDEX child_id_name_key ON child (id, name);
    CREATE TABLE grandchild (id bigint PRIMARY KEY, child_id bigint, child_name text,
                             FOREIGN KEY (child_id, child_name) REFERENCES child (id, name));
  )sql");
  schemas::Database inspected;
  inspected.schemas.push_back(schemas::Schema{"public"});
  inspected = read_target(target, inspected);
  inspected.facts = {};
  const auto child = [](schemas::Database& db) -> schemas::Table& {
    return named(db.schemas[0].tables, "child");
  };
  const auto taken = [](const Both& both) {
    const auto found = both.subset.taken_members.find(cli::unit_key("table", "public", "child"));
    return found == both.subset.taken_members.end() ? cli::TakenMembers{} : found->second;
  };
  const auto built_child = [](const Both& both) -> const schemas::Table* {
    for (const auto& schema : both.subset.build.schemas) {
      if (const auto* table = schemas::find_named(schema.tables, "child")) return table;
    }
    return nullptr;
  };
  const auto canonical = [&](const std::function<void(schemas::Database&)>& change) {
    schemas::Database desired = inspected;
    change(desired);
    schemas::canonicalize(desired);
    REQUIRE(schemas::validate(desired).empty());
    Both both = canonicalize_both(desired, target);
    check_same(both);
    REQUIRE(built_child(both) != nullptr);
    return both;
  };

  SECTION("a new column: every index and foreign key but the key grandchild references") {
    const Both both = canonical([&](schemas::Database& db) {
      child(db).columns.push_back({"note", "text"});
    });
    const cli::TakenMembers members = taken(both);
    CHECK(members.indexes == std::set<std::string>{"child_email_key", "child_name_idx",
                                                   "child_norm_idx", "child_score_idx"});
    CHECK(members.foreign_keys == std::set<std::string>{"child_code_fkey", "child_parent_id_fkey"});
    const schemas::Table& built = *built_child(both);
    REQUIRE(built.indexes.size() == 1);
    CHECK(built.indexes[0].name == "child_id_name_key");
    CHECK(built.foreign_keys.empty());
    CHECK(both.subset.reduced == 0);  // no foreign key left to need parent
    CHECK(both.subset.members_taken() == 6);
    // The canonical model has them all, as the target spells them.
    const schemas::Table* canonical_child = schemas::find_table(both.partial, "public", "child");
    REQUIRE(canonical_child != nullptr);
    CHECK(canonical_child->indexes.size() == 5);
    CHECK(canonical_child->foreign_keys.size() == 2);
  }
  SECTION("a column whose type changes: the indexes on it are built") {
    const Both both = canonical([&](schemas::Database& db) {
      named(child(db).columns, "name").type = "character varying(200)";
    });
    const cli::TakenMembers members = taken(both);
    CHECK(members.indexes == std::set<std::string>{"child_email_key"});
    CHECK(members.foreign_keys == std::set<std::string>{"child_code_fkey", "child_parent_id_fkey"});
  }
  SECTION("a function an index calls changes: that index is built") {
    const Both both = canonical([&](schemas::Database& db) {
      named(db.schemas[0].functions, "norm").body = "SELECT upper(t)";
    });
    CHECK(taken(both).indexes.count("child_norm_idx") == 0);
    CHECK(taken(both).indexes.count("child_name_idx") == 1);
  }
  SECTION("a referenced key whose type changes: the foreign keys to its table are built") {
    const Both both = canonical([&](schemas::Database& db) {
      named(named(db.schemas[0].tables, "parent").columns, "code").type = "character varying(20)";
      child(db).columns.push_back({"note", "text"});
    });
    CHECK(taken(both).foreign_keys.empty());
    CHECK(taken(both).indexes.count("child_name_idx") == 1);
  }
}

namespace {

const std::vector<std::string> kTypes = {
    "integer", "bigint", "text", "boolean", "character varying(30)", "numeric(10,2)", "mood"};

// A random valid schema: an enum, a function, tables with columns (some of
// the enum's type, some defaulting to the function), indexes, checks,
// foreign keys to earlier tables, and views over some tables.
schemas::Database random_schema() {
  schemas::Schema schema{"public"};
  schema.enums.push_back({"mood", {"sad", "ok"}});
  if (*rc::gen::arbitrary<bool>()) schema.enums[0].labels.push_back("happy");
  schemas::Function function{"pick"};
  function.returns = *rc::gen::element<std::string>("integer", "bigint");
  // Cast to the result type: before PostgreSQL 13 a SQL function's result
  // is not cast to it.
  function.body = "SELECT " + std::to_string(*rc::gen::inRange(1, 4)) + "::" + function.returns;
  function.volatility =
      *rc::gen::element(schemas::Volatility::Immutable, schemas::Volatility::Volatile);
  schema.functions.push_back(function);
  const int table_count = *rc::gen::inRange(1, 6);
  for (int t = 0; t < table_count; ++t) {
    schemas::Table table;
    table.name = "t" + std::to_string(t);
    table.columns.push_back({"id", *rc::gen::element<std::string>("bigint", "integer"), true});
    table.primary_key = schemas::PrimaryKey{table.name + "_pkey", {"id"}};
    const int column_count = *rc::gen::inRange(0, 4);
    for (int c = 0; c < column_count; ++c) {
      schemas::Column column{"c" + std::to_string(c), *rc::gen::elementOf(kTypes)};
      column.not_null = *rc::gen::arbitrary<bool>();
      if (column.type == "integer" && *rc::gen::arbitrary<bool>()) column.default_expr = "pick()";
      if (column.type == "mood" && *rc::gen::arbitrary<bool>()) column.default_expr = "'ok'";
      table.columns.push_back(column);
    }
    if (column_count > 0 && *rc::gen::arbitrary<bool>()) {
      schemas::Index index{table.name + "_c0_idx"};
      index.keys.push_back(schemas::IndexKey{std::string("c0")});
      table.indexes.push_back(index);
    }
    if (column_count > 0 && table.columns[1].type != "mood" && *rc::gen::arbitrary<bool>()) {
      // Its canonical text follows c0's type: (c0)::text, or c0 for text (an
      // enum's text is not immutable).
      schemas::Index index{table.name + "_c0_text_idx"};
      index.keys.push_back(schemas::IndexKey{std::nullopt, std::string("(c0::text)")});
      if (*rc::gen::arbitrary<bool>()) index.where = "id > 0";
      table.indexes.push_back(index);
    }
    if (*rc::gen::arbitrary<bool>()) {
      table.check_constraints.push_back({table.name + "_id_check", "id > 0"});
    }
    if (t > 0 && *rc::gen::arbitrary<bool>()) {
      const std::string parent = "t" + std::to_string(*rc::gen::inRange(0, t));
      table.columns.push_back({"parent_id", "bigint"});
      schemas::ForeignKey key;
      key.name = table.name + "_parent_fkey";
      key.columns = {"parent_id"};
      key.ref_schema = "public";
      key.ref_table = parent;
      key.ref_columns = {"id"};
      table.foreign_keys.push_back(key);
    }
    if (*rc::gen::arbitrary<bool>()) {
      schema.views.push_back({"v" + std::to_string(t),
                              *rc::gen::element<std::string>(
                                  "SELECT * FROM " + table.name,
                                  "SELECT id + 1 AS next FROM " + table.name + " WHERE id > 1")});
    }
    schema.tables.push_back(table);
  }
  schemas::Database db;
  db.schemas.push_back(schema);
  schemas::canonicalize(db);
  return db;
}

// `current` (a catalog's model, so its unchanged objects match exactly)
// with random changes.
schemas::Database changed(schemas::Database db) {
  auto& schema = db.schemas[0];
  if (*rc::gen::arbitrary<bool>()) schema.enums[0].labels.push_back("meh");
  if (*rc::gen::arbitrary<bool>()) schema.functions[0].volatility = schemas::Volatility::Stable;
  for (auto& table : schema.tables) {
    switch (*rc::gen::inRange(0, 8)) {
      case 0:
        table.columns.push_back({"added", *rc::gen::elementOf(kTypes)});
        break;
      case 1:
        if (table.columns.size() > 1) {
          table.columns[1].type = *rc::gen::elementOf(kTypes);
          table.columns[1].default_expr.reset();
          if (*rc::gen::arbitrary<bool>()) table.indexes.clear();
        }
        break;
      case 2:
        table.columns[0].type = table.columns[0].type == "bigint" ? "integer" : "bigint";
        break;
      case 3:
        table.check_constraints.clear();
        break;
      default:
        break;  // unchanged
    }
  }
  if (*rc::gen::arbitrary<bool>() && !schema.views.empty()) schema.views.pop_back();
  schemas::canonicalize(db);
  return db;
}

}  // namespace

TEST_CASE("random schema pairs: building what differs gives the model building everything gives",
          "[cli][db]") {
  auto params = rc::detail::configuration().testParams;
  params.maxSuccess = 15;
  params.maxSize = 20;
  const auto result = rc::detail::checkTestable(
      [] {
        TestDatabase target;
        const schemas::Database before = random_schema();
        build_in(target, before);
        schemas::Database current = read_target(target, before);
        current.facts = {};
        const schemas::Database desired = changed(current);
        RC_PRE(schemas::validate(desired).empty());
        const Both both = canonicalize_both(desired, target);
        RC_LOG() << describe(both);
        RC_TAG(!both.full_error.empty()            ? "both refused"
               : both.subset.build.schemas.empty() ? "nothing built"
               : both.subset.clean.empty()         ? "everything built"
                                                   : "built in part");
        RC_TAG(both.subset.members_taken() > 0 ? "members taken" : "no member taken");
        RC_ASSERT(same(both));
      },
      rc::detail::TestMetadata{}, params);
  std::ostringstream message;
  rc::detail::printResultMessage(result, message);
  INFO(message.str());
  CHECK(result.template is<rc::detail::SuccessResult>());
  if (std::getenv("PGSHIFT_TEST_VERBOSE") != nullptr) WARN(message.str());
}
