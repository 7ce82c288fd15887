#include "schemas/yaml_loader.hpp"

#include <catch2/catch.hpp>

using namespace pgshift::schemas;

namespace {

const std::string kExamples = PGSHIFT_EXAMPLES_DIR;

const Database& shop() {
  static const Database db = load_yaml_file(kExamples + "/shop.yaml");
  return db;
}

const Schema& shop_public() {
  return *find_schema(shop(), "public");
}

const Table& shop_table(const std::string& name) {
  return *find_table(shop(), "public", name);
}

}  // namespace

TEST_CASE("extensions default to the public schema and keep their version", "[schemas]") {
  REQUIRE(shop().extensions == std::vector<Extension>{{"citext", "extensions", "1.6"},
                                                      {"pg_trgm", "public", std::nullopt},
                                                      {"pgcrypto", "public", std::nullopt}});
}

TEST_CASE("ignore patterns are kept in the order written", "[schemas]") {
  REQUIRE(shop().ignore == std::vector<std::string>{"public.audit_*", "index:public.*_hotfix"});
}

TEST_CASE("a schema carries its comment and an empty schema is a schema", "[schemas]") {
  REQUIRE(shop_public().comment == "Customers and their orders");
  REQUIRE(find_schema(shop(), "extensions") != nullptr);
}

TEST_CASE("a column given as a bare type is a nullable column of that type", "[schemas]") {
  const Column& name = shop_table("customers").columns[2];
  REQUIRE(name == Column{"name", "text"});
}

TEST_CASE("columns keep their order and every column field", "[schemas]") {
  const Table& customers = shop_table("customers");
  REQUIRE(customers.columns.size() == 8);
  REQUIRE(customers.columns[0].name == "id");
  REQUIRE(customers.columns[0].identity == IdentityKind::Always);
  REQUIRE(customers.columns[1].not_null);
  REQUIRE(customers.columns[1].collation == "C");
  REQUIRE(customers.columns[3].default_expr == "now()");
  const Column& tier = customers.columns[4];
  REQUIRE(tier.default_expr == "'bronze'");
  REQUIRE(tier.backfill ==
          "CASE WHEN created_at < now() - interval '1 year' THEN 'silver' ELSE 'bronze' END");
  REQUIRE(customers.columns[5].generated == "split_part(email, '@', 2)");
  REQUIRE(customers.columns[6].renamed_from == "handle");
  REQUIRE(customers.columns[6].comment == "Shown in the shop");
  REQUIRE(customers.columns[7].name == "updated_at");
}

TEST_CASE("an identity column takes sequence options in its long form", "[schemas]") {
  const Column& id = shop_table("orders").columns[0];
  REQUIRE(id.identity == IdentityKind::ByDefault);
  SequenceOptions expected;
  expected.start = 1000;
  expected.increment = 1;
  expected.cache = 10;
  REQUIRE(id.identity_options == expected);
}

TEST_CASE("table options and planning hints are loaded", "[schemas]") {
  const Table& customers = shop_table("customers");
  REQUIRE(customers.comment == "One row per customer");
  REQUIRE(customers.renamed_from == "clients");
  REQUIRE(customers.backfill_batch_size == 5000);
}

TEST_CASE("a primary key in short form gets PostgreSQL's default name", "[schemas]") {
  REQUIRE(shop_table("customers").primary_key == PrimaryKey{"customers_pkey", {"id"}});
}

TEST_CASE("a primary key in long form keeps its name", "[schemas]") {
  // Not deferrable: a foreign key references it (PostgreSQL refuses a
  // foreign key to a deferrable key).
  PrimaryKey expected{"orders_pk", {"id", "created_at"}};
  REQUIRE(shop_table("orders").primary_key == expected);
}

TEST_CASE("unique constraints in short and long form, sorted by name", "[schemas]") {
  const auto& unique = shop_table("customers").unique_constraints;
  REQUIRE(unique.size() == 2);
  REQUIRE(unique[0] == UniqueConstraint{"customers_email_key", {"email"}});
  UniqueConstraint named{"customers_name_uq", {"name"}};
  named.nulls_not_distinct = true;
  named.deferrable = true;
  REQUIRE(unique[1] == named);
}

TEST_CASE("a check constraint is a name and an expression", "[schemas]") {
  REQUIRE(shop_table("customers").check_constraints ==
          std::vector<CheckConstraint>{{"customers_email_check", "position('@' in email) > 1"}});
}

TEST_CASE("a short foreign key references a table of its own schema", "[schemas]") {
  ForeignKey expected;
  expected.name = "orders_customer_id_fkey";
  expected.columns = {"customer_id"};
  expected.ref_schema = "public";
  expected.ref_table = "customers";
  expected.ref_columns = {"id"};
  expected.on_delete = ReferentialAction::Cascade;
  REQUIRE(shop_table("orders").foreign_keys == std::vector<ForeignKey>{expected});
}

TEST_CASE("a long foreign key carries match, deferral and validation state", "[schemas]") {
  const ForeignKey& key = shop_table("order_notes").foreign_keys.at(0);
  REQUIRE(key.name == "order_notes_order_fkey");
  REQUIRE(key.ref_table == "orders");
  REQUIRE(key.ref_columns == std::vector<std::string>{"id", "created_at"});
  REQUIRE(key.match == MatchType::Full);
  REQUIRE(key.deferrable);
  REQUIRE(key.initially_deferred);
  REQUIRE_FALSE(key.validated);
}

TEST_CASE("index keys are columns or expressions with their options", "[schemas]") {
  const auto& indexes = shop_table("customers").indexes;
  REQUIRE(indexes.size() == 3);
  IndexKey created{std::string("created_at")};
  created.order = SortOrder::Desc;
  created.nulls = NullsOrder::Last;
  REQUIRE(indexes[0].keys == std::vector<IndexKey>{created});
  IndexKey lower_email;
  lower_email.expression = "lower(email)";
  lower_email.opclass = "text_pattern_ops";
  REQUIRE(indexes[1].keys == std::vector<IndexKey>{lower_email});
  REQUIRE(indexes[1].where == "email IS NOT NULL");
  IndexKey trigram{std::string("name")};
  trigram.opclass = "gin_trgm_ops";
  REQUIRE(indexes[2].keys == std::vector<IndexKey>{trigram});
  REQUIRE(indexes[2].method == "gin");
  REQUIRE(indexes[2].options == std::map<std::string, std::string>{{"fastupdate", "off"}});
  const Index& notes = shop_table("order_notes").indexes.at(1);
  REQUIRE(notes.name == "order_notes_order_idx");
  REQUIRE(notes.include == std::vector<std::string>{"note"});
  REQUIRE_FALSE(notes.valid);
}

TEST_CASE("a trigger's events are ordered and its function qualified", "[schemas]") {
  Trigger expected{"customers_touch", TriggerTiming::Before, {"UPDATE"}, {"email"}, true,
                   "public.touch"};
  expected.when = "NEW.email IS DISTINCT FROM OLD.email";
  REQUIRE(shop_table("customers").triggers == std::vector<Trigger>{expected});
}

TEST_CASE("partitioning, partitions and replica identity are loaded", "[schemas]") {
  REQUIRE(shop_table("orders").partition_by == PartitionBy{PartitionStrategy::Range, "created_at"});
  REQUIRE(shop_table("orders").replica_identity == ReplicaIdentity::Full);
  REQUIRE(shop_table("orders_2024").partition_of ==
          PartitionOf{"public", "orders", "FOR VALUES FROM ('2024-01-01') TO ('2025-01-01')"});
  REQUIRE(shop_table("order_notes").replica_identity == ReplicaIdentity::UsingIndex);
  REQUIRE(shop_table("order_notes").replica_identity_index == "order_notes_identity_idx");
}

TEST_CASE("views in short and long form", "[schemas]") {
  const auto& views = shop_public().views;
  REQUIRE(views.size() == 2);
  REQUIRE(views[0] == View{"active_customers",
                           "SELECT id, email FROM customers WHERE loyalty_tier <> 'bronze'"});
  REQUIRE(views[1] == View{"customer_emails",
                           "SELECT id, email FROM customers",
                           {{"security_barrier", "true"}},
                           "For the mailing tool"});
}

TEST_CASE("a materialized view carries its data option and indexes", "[schemas]") {
  const MaterializedView& view = shop_public().materialized_views.at(0);
  REQUIRE(view.definition ==
          "SELECT customer_id, sum((amount).value) AS total\nFROM orders\nGROUP BY customer_id\n");
  REQUIRE_FALSE(view.with_data);
  REQUIRE(view.indexes.at(0).name == "order_totals_customer_idx");
  REQUIRE(view.indexes.at(0).unique);
}

TEST_CASE("sequences take a type, options and an owner", "[schemas]") {
  const auto& sequences = shop_public().sequences;
  Sequence invoice{"invoice_number", "integer"};
  invoice.options.start = 1000;
  invoice.options.cycle = true;
  Sequence order_id{"order_id_seq"};
  order_id.owned_by = "public.orders.id";
  REQUIRE(sequences == std::vector<Sequence>{invoice, order_id});
}

TEST_CASE(
    "a sequence owned by table.column is owned in its own schema, and another spelling is an "
    "error at its place",
    "[schemas]") {
  const Database db = load_yaml_string(
      "schemas:\n  app:\n    sequences:\n      s: { owned_by: tickets.id }\n", "f.yaml");
  CHECK(db.schemas.at(0).sequences.at(0).owned_by == std::optional<std::string>("app.tickets.id"));
  try {
    load_yaml_string("schemas:\n  app:\n    sequences:\n      s: { owned_by: id }\n", "f.yaml");
    FAIL("loaded");
  } catch (const LoadError& error) {
    CHECK(std::string(error.what())
              .find("f.yaml:4:22: schemas.app.sequences.s.owned_by: expected the owning column as "
                    "table.column or schema.table.column, found \"id\"") != std::string::npos);
  }
}

TEST_CASE("enums in short and long form keep label order", "[schemas]") {
  REQUIRE(shop_public().enums ==
          std::vector<Enum>{{"order_status", {"new", "paid", "shipped"}},
                            {"priority", {"low", "high"}, "Support ticket priority"}});
}

TEST_CASE("a domain has a base type, nullability and named checks", "[schemas]") {
  Domain expected{"email_address", "extensions.citext"};
  expected.not_null = true;
  expected.checks = {{"email_address_check", "VALUE ~ '@'"}};
  REQUIRE(shop_public().domains == std::vector<Domain>{expected});
}

TEST_CASE("a composite type keeps attribute order", "[schemas]") {
  REQUIRE(shop_public().composite_types ==
          std::vector<CompositeType>{
              {"money_amount", {{"value", "numeric(12,2)"}, {"currency", "text", "C"}}}});
}

TEST_CASE("functions, overloads and procedures are loaded", "[schemas]") {
  const auto& functions = shop_public().functions;
  REQUIRE(functions.size() == 4);
  REQUIRE(function_signature(functions[0]) == "add(integer, integer)");
  REQUIRE(functions[0].volatility == Volatility::Immutable);
  REQUIRE(functions[0].strict);
  REQUIRE(function_signature(functions[1]) == "add(numeric, numeric)");
  REQUIRE(functions[1].args[1] == FunctionArg{"b", "numeric", ArgMode::In, "0"});
  REQUIRE(function_signature(functions[2]) == "archive_orders(date)");
  REQUIRE(functions[2].is_procedure);
  REQUIRE(functions[2].security_definer);
  REQUIRE(functions[3].name == "touch");
  REQUIRE(functions[3].language == "plpgsql");
  REQUIRE(functions[3].returns == "trigger");
}

TEST_CASE("null and absence mean the same", "[schemas]") {
  const Database with_nulls = load_yaml_string(
      "extensions: { pgcrypto: ~ }\n"
      "schemas:\n"
      "  public:\n"
      "    comment: ~\n"
      "    tables:\n"
      "      t:\n"
      "        columns: { id: { type: int, default: ~, nullable: ~ } }\n");
  const Database without = load_yaml_string(
      "extensions: { pgcrypto: {} }\n"
      "schemas: { public: { tables: { t: { columns: { id: int } } } } }\n");
  REQUIRE(with_nulls == without);
}

TEST_CASE("an empty document is an empty database", "[schemas]") {
  REQUIRE(load_yaml_string("") == Database{});
}

TEST_CASE("a directory's files are merged, one schema spread over several", "[schemas]") {
  const Database db = load_yaml_file(kExamples + "/split");
  REQUIRE(db.schemas.size() == 2);
  REQUIRE(db.schemas[0].name == "billing");
  REQUIRE(db.schemas[0].tables[0].foreign_keys[0].ref_schema == "public");
  REQUIRE(db.schemas[1].tables.size() == 2);
  REQUIRE(db.schemas[1].tables[1].name == "orders");
}

TEST_CASE("drop_schemas lists the schemas to drop, sorted and without repeats", "[schemas]") {
  const Database db = load_yaml_string(
      "drop_schemas: [legacy, archive, legacy]\nschemas:\n  public: {}\n", "f.yaml");
  CHECK(db.drop_schemas == std::vector<std::string>{"archive", "legacy"});
  CHECK(find_schema(db, "legacy") == nullptr);
}

TEST_CASE("a schema both defined and listed in drop_schemas is an error at its place",
          "[schemas]") {
  try {
    load_yaml_string("drop_schemas: [public]\nschemas:\n  public: {}\n", "f.yaml");
    FAIL("loaded");
  } catch (const LoadError& error) {
    CHECK(std::string(error.what()).find(
              "schema \"public\" is both defined and listed in drop_schemas") != std::string::npos);
  }
}

TEST_CASE("renamed_from is read on constraints, indexes, sequences, views and enum labels",
          "[schemas]") {
  const Database db = load_yaml_string(R"(
schemas:
  public:
    sequences:
      invoice_number_seq: { renamed_from: invoice_seq }
    enums:
      state: [open, { name: resolved, renamed_from: closed }]
      priority: { labels: [{ name: urgent, renamed_from: high }, low] }
    views:
      bargains: { definition: SELECT 1 AS one, renamed_from: cheap }
    materialized_views:
      totals:
        definition: SELECT 1 AS n
        renamed_from: sums
        indexes:
          totals_n_idx: { columns: [n], renamed_from: sums_n_idx }
    tables:
      t:
        columns:
          id: bigint
          r: bigint
          during: tstzrange
        primary_key: { columns: [id], name: t_pk, renamed_from: t_pkey }
        unique:
          - { columns: [r], name: t_r_uq, renamed_from: t_r_key }
        checks:
          t_id_positive: { expression: id > 0, renamed_from: t_id_check }
        exclusion_constraints:
          t_during_excl: { elements: ["during WITH &&"], renamed_from: t_during_excl_old }
        foreign_keys:
          - { columns: [r], references: t(id), name: t_r_fk, renamed_from: t_r_fkey }
        indexes:
          t_r_idx: { columns: [r], renamed_from: t_r_index }
)");
  const Schema& schema = *find_schema(db, "public");
  const Table& table = *find_table(db, "public", "t");
  const std::optional<std::string> none;
  CHECK(schema.sequences[0].renamed_from == std::optional<std::string>("invoice_seq"));
  const Enum& state = *find_named(schema.enums, "state");
  CHECK(state.labels == std::vector<std::string>{"open", "resolved"});
  CHECK(state.label_renamed_from == std::map<std::string, std::string>{{"resolved", "closed"}});
  CHECK(find_named(schema.enums, "priority")->label_renamed_from ==
        std::map<std::string, std::string>{{"urgent", "high"}});
  CHECK(schema.views[0].renamed_from == std::optional<std::string>("cheap"));
  CHECK(schema.materialized_views[0].renamed_from == std::optional<std::string>("sums"));
  CHECK(schema.materialized_views[0].indexes[0].renamed_from ==
        std::optional<std::string>("sums_n_idx"));
  CHECK(table.primary_key->renamed_from == std::optional<std::string>("t_pkey"));
  CHECK(table.unique_constraints[0].renamed_from == std::optional<std::string>("t_r_key"));
  CHECK(table.check_constraints[0].renamed_from == std::optional<std::string>("t_id_check"));
  CHECK(table.exclusion_constraints[0].renamed_from ==
        std::optional<std::string>("t_during_excl_old"));
  CHECK(table.foreign_keys[0].renamed_from == std::optional<std::string>("t_r_fkey"));
  CHECK(table.indexes[0].renamed_from == std::optional<std::string>("t_r_index"));
  Database without = db;
  remove_planning_hints(without);
  CHECK(find_named(find_schema(without, "public")->enums, "state")->label_renamed_from.empty());
  CHECK(find_table(without, "public", "t")->indexes[0].renamed_from == none);
  CHECK(find_schema(without, "public")->views[0].renamed_from == none);
}

TEST_CASE("an enum label mapping needs name and takes only renamed_from", "[schemas]") {
  for (const auto& [labels, message] : std::vector<std::pair<std::string, std::string>>{
           {"[{ renamed_from: closed }]", "missing required key \"name\""},
           {"[{ name: a, renamed: b }]", "unknown key \"renamed\""}}) {
    try {
      load_yaml_string("schemas:\n  public:\n    enums:\n      state: " + labels + "\n", "f.yaml");
      FAIL("loaded " << labels);
    } catch (const LoadError& error) {
      INFO(error.what());
      CHECK(std::string(error.what()).find(message) != std::string::npos);
    }
  }
}

TEST_CASE("a column may take its fields from another by a YAML merge key", "[schemas]") {
  const Database db = load_yaml_string(
      "schemas:\n"
      "  public:\n"
      "    tables:\n"
      "      a:\n"
      "        columns:\n"
      "          created_at: &stamp { type: timestamptz, nullable: false, default: now() }\n"
      "      b:\n"
      "        columns:\n"
      "          created_at: *stamp\n"
      "          updated_at: { <<: *stamp, nullable: true }\n");
  const Table& b = *find_table(db, "public", "b");
  REQUIRE(b.columns.size() == 2);
  CHECK(b.columns[0] == find_table(db, "public", "a")->columns[0]);
  CHECK(b.columns[1].type == "timestamptz");
  CHECK_FALSE(b.columns[1].not_null);
  CHECK(b.columns[1].default_expr == std::optional<std::string>("now()"));
}
