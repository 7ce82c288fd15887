#include "schemas/yaml_writer.hpp"

#include <rapidcheck/catch.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>

#include "schemas/yaml_loader.hpp"
#include "schemas/yaml_scope.hpp"

using namespace pgshift::schemas;

namespace {

const std::string kExamples = PGSHIFT_EXAMPLES_DIR;

Database customers_and_orders() {
  Table customers{"customers", {{"id", "bigint", true}, {"email", "text", true}}};
  customers.columns[0].identity = IdentityKind::Always;
  customers.primary_key = PrimaryKey{"customers_pkey", {"id"}};
  customers.unique_constraints = {{"customers_email_key", {"email"}}};
  Table orders{"orders", {{"id", "bigint", true}, {"customer_id", "bigint"}}};
  orders.columns[1].default_expr = "'0'";
  ForeignKey key;
  key.name = "orders_customer_id_fkey";
  key.columns = {"customer_id"};
  key.ref_schema = "public";
  key.ref_table = "customers";
  key.ref_columns = {"id"};
  orders.foreign_keys = {key};
  Index index{"orders_customer_idx"};
  index.keys = {IndexKey{std::string("customer_id")}};
  index.where = "customer_id IS NOT NULL";
  orders.indexes = {index};
  Database db;
  db.schemas = {Schema{"public", std::nullopt, {customers, orders}}};
  canonicalize(db);
  return db;
}

// ---------------------------------------------------------------------------
// Random models for the round-trip property. Names carry a counter, unique in
// the whole model, so that generated objects never clash in PostgreSQL's
// namespaces; the random part brings characters YAML treats specially.
// ---------------------------------------------------------------------------

class ModelGenerator {
 public:
  Database database() {
    Database db;
    for (int ext_idx = *rc::gen::inRange(0, 3); ext_idx > 0; --ext_idx) {
      db.extensions.push_back({name("x"), text(), optional_text()});
    }
    db.ignore = *rc::gen::container<std::vector<std::string>>(rc::gen::just(text()));
    for (int schema_idx = *rc::gen::inRange(1, 3); schema_idx > 0; --schema_idx) {
      db.schemas.push_back(schema());
    }
    // Foreign keys and partitions refer to tables that exist, once all do.
    std::vector<std::pair<std::string, const Table*>> tables;
    for (const auto& schema : db.schemas) {
      for (const auto& table : schema.tables) tables.emplace_back(schema.name, &table);
    }
    std::vector<std::pair<std::string, Table*>> sources;
    for (auto& schema : db.schemas) {
      for (auto& table : schema.tables) sources.emplace_back(schema.name, &table);
    }
    for (auto& [schema, table] : sources) {
      if (tables.empty() || table->columns.empty()) continue;
      for (int fk_idx = *rc::gen::inRange(0, 3); fk_idx > 0; --fk_idx) {
        const auto& [target_schema, target] = tables[*rc::gen::inRange<size_t>(0, tables.size())];
        if (target->columns.empty()) continue;
        table->foreign_keys.push_back(foreign_key(*table, target_schema, *target, fk_idx == 1));
      }
      if (*rc::gen::arbitrary<bool>()) {
        const auto& [parent_schema, parent] = tables[*rc::gen::inRange<size_t>(0, tables.size())];
        table->partition_of = PartitionOf{
            parent_schema, parent->name,
            *rc::gen::elementOf(std::vector<std::string>{
                "DEFAULT", "FOR VALUES IN (1)", "FOR VALUES FROM ('a: b') TO (MAXVALUE)"})};
      }
    }
    canonicalize(db);
    return db;
  }

 private:
  // Free text: SQL, comments. Includes what YAML quotes or escapes.
  std::string text() {
    static const std::vector<std::string> pieces = {
        "a",  "Z", "0",        "-",    " ",    "  ",   ":",   "#", "'", "\"", "\\", "\n",
        "\t", ",", "[",        "{",    "}",    "~",    "|",   ">", "&", "*",  "!",  "%",
        "@",  "?", "\xC3\xA9", "\x01", "null", "true", "...", "(", ")", "."};
    std::string result;
    for (const auto& piece :
         *rc::gen::container<std::vector<std::string>>(rc::gen::elementOf(pieces))) {
      result += piece;
    }
    return result;
  }
  std::optional<std::string> optional_text() {
    if (*rc::gen::arbitrary<bool>()) return std::nullopt;
    return text();
  }
  // SQL text the loader accepts in its place (schemas/sql_check.hpp), with
  // what YAML quotes or escapes.
  std::string expression() {
    return *rc::gen::elementOf(std::vector<std::string>{
        "0", "'a: b # c'::text", "'[x]'", "'-'", "\"Q\" > 0", "'line\nbreak'", "E'\\t'",
        "lower('\xC3\xA9')", "- 1", "'null'", "true", "'~'", "'|'", "'*'", "a @> b", "1 -- c\n",
        "'!' || '%'", "x IS NOT NULL"});
  }
  std::optional<std::string> optional_expression() {
    if (*rc::gen::arbitrary<bool>()) return std::nullopt;
    return expression();
  }
  std::string type_name() {
    return *rc::gen::elementOf(std::vector<std::string>{"integer", "text", "\"Q\"",
                                                        "character varying(20)", "public.\"a: b\"",
                                                        "numeric(10, 2)[]", "\"\xC3\xA9\""});
  }
  std::string query() {
    return *rc::gen::elementOf(std::vector<std::string>{"SELECT 1", "SELECT 'a: b # c' AS \"x\"",
                                                        "VALUES (1)", "SELECT '-'\nFROM t"});
  }
  std::string option_value() {
    return *rc::gen::elementOf(std::vector<std::string>{"70", "on", "'a: b'", "true"});
  }
  // A name unique in the model, starting with `prefix`; never holds '_', so
  // PostgreSQL's default constraint names of two tables cannot meet.
  std::string name(const std::string& prefix) {
    static const std::vector<std::string> pieces = {"a", "Q", "1", " ", "-",        ".", "\"",
                                                    ":", "#", "(", ",", "\xC3\xA9", "~"};
    std::string result = prefix + std::to_string(++counter_) + "|";
    for (const auto& piece :
         *rc::gen::container<std::vector<std::string>>(rc::gen::elementOf(pieces))) {
      result += piece;
    }
    return result;
  }
  bool flag() { return *rc::gen::arbitrary<bool>(); }
  template <typename E>
  E one_of(std::initializer_list<E> values) {
    return *rc::gen::elementOf(std::vector<E>(values));
  }
  std::vector<std::string> some_columns(const Table& table, size_t min = 0) {
    std::vector<std::string> names;
    if (table.columns.empty()) return names;
    for (size_t column_idx = *rc::gen::inRange<size_t>(min, 4); column_idx > 0; --column_idx) {
      names.push_back(table.columns[*rc::gen::inRange<size_t>(0, table.columns.size())].name);
    }
    return names;
  }
  SequenceOptions sequence_options() {
    SequenceOptions options;
    auto maybe = [this]() -> std::optional<int64_t> {
      if (flag()) return std::nullopt;
      return *rc::gen::arbitrary<int64_t>();
    };
    options.start = maybe();
    options.increment = maybe();
    options.min_value = maybe();
    options.max_value = maybe();
    options.cache = maybe();
    options.cycle = flag();
    return options;
  }

  Column column() {
    Column column{name("c"), type_name(), flag(), optional_expression()};
    column.identity = one_of({IdentityKind::None, IdentityKind::Always, IdentityKind::ByDefault});
    if (column.identity != IdentityKind::None) column.identity_options = sequence_options();
    column.generated = optional_expression();
    column.collation = optional_text();
    column.comment = optional_text();
    if (flag()) {
      column.storage = *rc::gen::elementOf(
          std::vector<std::string>{"plain", "external", "extended", "main"});
    }
    if (flag()) column.compression = *rc::gen::elementOf(std::vector<std::string>{"pglz", "lz4"});
    if (flag()) column.statistics = *rc::gen::inRange(0, 10001);
    column.backfill = optional_expression();
    column.renamed_from = optional_text();
    return column;
  }

  IndexKey index_key(const Table& table) {
    IndexKey key;
    if (!table.columns.empty() && flag()) {
      key.column = some_columns(table, 1).front();
    } else {
      key.expression = expression();
    }
    key.opclass = optional_text();
    key.collation = optional_text();
    key.order = one_of({SortOrder::Asc, SortOrder::Desc});
    key.nulls = one_of({NullsOrder::Default, NullsOrder::First, NullsOrder::Last});
    return key;
  }

  Index index(const Table& table) {
    Index index{name("i"), flag(), flag(),
                *rc::gen::elementOf(std::vector<std::string>{"btree", "gin", text()})};
    for (int key_idx = *rc::gen::inRange(0, 3); key_idx > 0; --key_idx) {
      index.keys.push_back(index_key(table));
    }
    index.include = some_columns(table);
    index.where = optional_expression();
    for (int option_idx = *rc::gen::inRange(0, 3); option_idx > 0; --option_idx) {
      index.options[name("o")] = option_value();
    }
    index.comment = optional_text();
    index.valid = flag();
    index.renamed_from = optional_text();
    return index;
  }

  ForeignKey foreign_key(const Table& table, const std::string& target_schema, const Table& target,
                         bool default_name) {
    ForeignKey key;
    key.columns = some_columns(table, 1);
    key.ref_schema = target_schema;
    key.ref_table = target.name;
    for (size_t column_idx = 0; column_idx < key.columns.size(); ++column_idx) {
      key.ref_columns.push_back(some_columns(target, 1).front());
    }
    key.name = name("r");
    if (default_name) {
      std::string joined;
      for (const auto& column : key.columns) joined += "_" + column;
      key.name = table.name + joined + "_fkey";
    }
    key.on_delete =
        one_of({ReferentialAction::NoAction, ReferentialAction::Cascade, ReferentialAction::SetNull,
                ReferentialAction::SetDefault, ReferentialAction::Restrict});
    key.on_update = one_of({ReferentialAction::NoAction, ReferentialAction::Cascade});
    key.match = one_of({MatchType::Simple, MatchType::Full, MatchType::Partial});
    key.deferrable = flag();
    key.initially_deferred = flag();
    key.validated = flag();
    key.comment = optional_text();
    key.renamed_from = optional_text();
    return key;
  }

  Table table(const std::string& schema) {
    Table table{name("t")};
    for (int column_idx = *rc::gen::inRange(0, 4); column_idx > 0; --column_idx) {
      table.columns.push_back(column());
    }
    if (flag()) {
      const bool default_name = flag();
      PrimaryKey key{default_name ? table.name + "_pkey" : name("k"),
                     some_columns(table),
                     some_columns(table),
                     flag(),
                     flag(),
                     optional_text()};
      key.renamed_from = optional_text();
      table.primary_key = key;
    }
    for (int unique_idx = *rc::gen::inRange(0, 3); unique_idx > 0; --unique_idx) {
      UniqueConstraint unique{name("u"), some_columns(table), some_columns(table), flag(), flag(),
                              flag(),    optional_text()};
      if (unique_idx == 1 && flag()) {
        unique.name = table.name;
        for (const auto& column : unique.columns) unique.name += "_" + column;
        unique.name += "_key";
      }
      unique.renamed_from = optional_text();
      table.unique_constraints.push_back(unique);
    }
    for (int check_idx = *rc::gen::inRange(0, 3); check_idx > 0; --check_idx) {
      table.check_constraints.push_back(
          {name("k"), expression(), flag(), flag(), optional_text(), optional_text()});
    }
    for (int index_idx = *rc::gen::inRange(0, 3); index_idx > 0; --index_idx) {
      table.indexes.push_back(index(table));
    }
    for (int trigger_idx = *rc::gen::inRange(0, 2); trigger_idx > 0; --trigger_idx) {
      Trigger trigger{name("g"), one_of({TriggerTiming::Before, TriggerTiming::After,
                                         TriggerTiming::InsteadOf})};
      for (const char* event : {"INSERT", "UPDATE", "DELETE", "TRUNCATE"}) {
        if (flag()) trigger.events.push_back(event);
      }
      trigger.update_of = some_columns(table);
      trigger.for_each_row = flag();
      trigger.function = (flag() ? schema : text()) + "." + text();
      trigger.arguments = *rc::gen::container<std::vector<std::string>>(rc::gen::just(text()));
      trigger.when = optional_expression();
      trigger.comment = optional_text();
      table.triggers.push_back(trigger);
    }
    for (int policy_idx = *rc::gen::inRange(0, 3); policy_idx > 0; --policy_idx) {
      Policy policy{name("p"), one_of({PolicyCommand::All, PolicyCommand::Select,
                                       PolicyCommand::Insert, PolicyCommand::Update,
                                       PolicyCommand::Delete})};
      policy.permissive = flag();
      if (flag()) policy.roles = {name("r"), name("r")};
      // What CREATE POLICY (and so the loader) allows per command.
      if (policy.command != PolicyCommand::Insert) policy.using_expr = optional_expression();
      if (policy.command != PolicyCommand::Select && policy.command != PolicyCommand::Delete) {
        policy.with_check = optional_expression();
      }
      policy.comment = optional_text();
      policy.renamed_from = optional_text();
      table.policies.push_back(policy);
    }
    for (int exclusion_idx = *rc::gen::inRange(0, 3); exclusion_idx > 0; --exclusion_idx) {
      ExclusionConstraint exclusion;
      exclusion.name = name("x");
      exclusion.method = flag() ? "gist" : name("m");
      exclusion.elements = *rc::gen::nonEmpty(rc::gen::container<std::vector<std::string>>(
          rc::gen::elementOf(std::vector<std::string>{"a WITH =", "(lower(b)) WITH =",
                                                      "during WITH &&",
                                                      "\"odd name\" text_pattern_ops WITH ="})));
      exclusion.include = some_columns(table);
      exclusion.where = optional_expression();
      exclusion.deferrable = flag();
      exclusion.initially_deferred = flag();
      exclusion.comment = optional_text();
      exclusion.renamed_from = optional_text();
      table.exclusion_constraints.push_back(exclusion);
    }
    table.unlogged = flag();
    for (int option_idx = *rc::gen::inRange(0, 3); option_idx > 0; --option_idx) {
      table.options[(flag() ? "toast." : "") + name("o")] = option_value();
    }
    table.row_security = {flag(), flag()};
    if (flag()) {
      table.partition_by = PartitionBy{
          one_of({PartitionStrategy::Range, PartitionStrategy::List, PartitionStrategy::Hash}),
          *rc::gen::elementOf(std::vector<std::string>{"a", "lower(\"b\")", "a, b"})};
    }
    table.replica_identity = one_of({ReplicaIdentity::Default, ReplicaIdentity::Full,
                                     ReplicaIdentity::Nothing, ReplicaIdentity::UsingIndex});
    if (table.replica_identity == ReplicaIdentity::UsingIndex)
      table.replica_identity_index = text();
    table.comment = optional_text();
    if (flag()) table.backfill_batch_size = *rc::gen::inRange<int64_t>(1, 1000000);
    table.renamed_from = optional_text();
    return table;
  }

  Function routine(const std::string& function_name, int overload, bool procedure) {
    Function function{function_name};
    function.args.push_back({"", "t" + std::to_string(overload)});
    for (int arg_idx = *rc::gen::inRange(0, 3); arg_idx > 0; --arg_idx) {
      function.args.push_back(
          {flag() ? "" : text(), type_name(),
           one_of({ArgMode::In, ArgMode::Out, ArgMode::InOut, ArgMode::Variadic, ArgMode::Table}),
           optional_expression()});
    }
    function.is_procedure = procedure;
    if (!procedure) {
      function.returns = *rc::gen::elementOf(
          std::vector<std::string>{"integer", "SETOF \"t\"", "TABLE(id bigint)", "void"});
      function.volatility =
          one_of({Volatility::Immutable, Volatility::Stable, Volatility::Volatile});
      function.strict = flag();
    }
    function.language = *rc::gen::elementOf(std::vector<std::string>{"sql", "plpgsql", text()});
    function.body =
        function.language == "sql" ? query()
        : function.language == "plpgsql"
            ? *rc::gen::elementOf(std::vector<std::string>{"BEGIN NULL; END",
                                                           "DECLARE x text := 'a: b # c';\nBEGIN "
                                                           "NULL; END"})
            : text();
    if (function.language == "sql" && flag()) {
      function.sql_body = true;
      function.body = *rc::gen::elementOf(std::vector<std::string>{
          "RETURN 1", "BEGIN ATOMIC\n SELECT 1;\n SELECT 2;\nEND", "BEGIN ATOMIC\nEND"});
    }
    function.security_definer = flag();
    function.comment = optional_text();
    return function;
  }

  Schema schema() {
    Schema schema{name("s"), optional_text()};
    for (int table_idx = *rc::gen::inRange(0, 4); table_idx > 0; --table_idx) {
      schema.tables.push_back(table(schema.name));
    }
    for (int view_idx = *rc::gen::inRange(0, 3); view_idx > 0; --view_idx) {
      View view{name("v"), query(), {}, optional_text(), optional_text()};
      if (flag()) view.options[name("o")] = option_value();
      schema.views.push_back(view);
    }
    for (int view_idx = *rc::gen::inRange(0, 3); view_idx > 0; --view_idx) {
      MaterializedView view{name("m"), query(), {}, flag(), {}, {}, optional_text(),
                            optional_text()};
      if (flag()) view.options[name("o")] = option_value();
      for (int column_idx = *rc::gen::inRange(0, 3); column_idx > 0; --column_idx) {
        ColumnSettings settings{name("c")};
        if (flag()) {
          settings.storage = *rc::gen::elementOf(
              std::vector<std::string>{"plain", "external", "extended", "main"});
        }
        if (flag()) settings.compression = *rc::gen::elementOf(std::vector<std::string>{"pglz", "lz4"});
        if (flag()) settings.statistics = *rc::gen::inRange(0, 10001);
        view.columns.push_back(settings);
      }
      if (flag()) view.indexes.push_back(index(Table{}));
      schema.materialized_views.push_back(view);
    }
    for (int sequence_idx = *rc::gen::inRange(0, 3); sequence_idx > 0; --sequence_idx) {
      // owned_by is schema.table.column (the loader qualifies table.column).
      const std::optional<std::string> owned_by =
          flag() ? std::optional<std::string>("s" + std::to_string(sequence_idx) + ".t.c")
                 : std::nullopt;
      schema.sequences.push_back({name("q"), flag() ? "bigint" : type_name(), sequence_options(),
                                  owned_by, optional_text(), optional_text()});
    }
    for (int enum_idx = *rc::gen::inRange(0, 3); enum_idx > 0; --enum_idx) {
      Enum type{name("e"),
                *rc::gen::container<std::vector<std::string>>(rc::gen::just(text())),
                optional_text()};
      for (const auto& label : type.labels) {
        if (flag()) type.label_renamed_from[label] = text();
      }
      schema.enums.push_back(type);
    }
    for (int domain_idx = *rc::gen::inRange(0, 3); domain_idx > 0; --domain_idx) {
      Domain domain{name("d"), type_name(), optional_expression(), flag(), optional_text()};
      for (int check_idx = *rc::gen::inRange(0, 3); check_idx > 0; --check_idx) {
        domain.checks.push_back({name("k"), expression()});
      }
      domain.comment = optional_text();
      schema.domains.push_back(domain);
    }
    for (int type_idx = *rc::gen::inRange(0, 3); type_idx > 0; --type_idx) {
      CompositeType type{name("y")};
      for (int attribute_idx = *rc::gen::inRange(0, 3); attribute_idx > 0; --attribute_idx) {
        type.attributes.push_back({name("a"), type_name(), optional_text()});
      }
      type.comment = optional_text();
      schema.composite_types.push_back(type);
    }
    for (int routine_idx = *rc::gen::inRange(0, 3); routine_idx > 0; --routine_idx) {
      const bool procedure = flag();
      const std::string routine_name = name(procedure ? "p" : "f");
      for (int overload = *rc::gen::inRange(1, 3); overload > 0; --overload) {
        schema.functions.push_back(routine(routine_name, overload, procedure));
      }
    }
    return schema;
  }

  int counter_ = 0;
};

}  // namespace

TEST_CASE("the writer omits defaults and uses short forms", "[schemas]") {
  REQUIRE(write_yaml(customers_and_orders()) ==
          "schemas:\n"
          "  public:\n"
          "    tables:\n"
          "      customers:\n"
          "        columns:\n"
          "          id: { type: bigint, nullable: false, identity: always }\n"
          "          email: { type: text, nullable: false }\n"
          "        primary_key: [id]\n"
          "        unique:\n"
          "          - [email]\n"
          "      orders:\n"
          "        columns:\n"
          "          id: { type: bigint, nullable: false }\n"
          "          customer_id: { type: bigint, default: \"'0'\" }\n"
          "        foreign_keys:\n"
          "          - { columns: [customer_id], references: customers(id) }\n"
          "        indexes:\n"
          "          orders_customer_idx: { columns: [customer_id], where: customer_id IS NOT "
          "NULL }\n");
}

TEST_CASE("a name or text that is not UTF-8 is refused by its path, and no file is written",
          "[schemas]") {
  // A SQL_ASCII database holds whatever bytes it was given; YAML is UTF-8.
  Database named = customers_and_orders();
  named.schemas[0].tables[1].columns[1].name = "caf\xe9";
  CHECK_THROWS_WITH(write_yaml(named),
                    Catch::Contains("the name schemas > public > tables > orders > columns > "
                                    "caf\\xE9 is not UTF-8 (invalid UTF-8: byte 233 does not "
                                    "start a valid sequence)"));
  Database commented = customers_and_orders();
  commented.schemas[0].tables[0].comment = "line one\nthe caf\xe9 line\nline three";
  CHECK_THROWS_WITH(write_yaml(commented),
                    Catch::Contains("the value of schemas > public > tables > customers > "
                                    "comment is not UTF-8 (invalid UTF-8: byte 233 does not "
                                    "start a valid sequence): the caf\\xE9 line:"));
  const auto dir = std::filesystem::temp_directory_path() / "pgshift_writer_not_utf8";
  std::filesystem::remove_all(dir);
  CHECK_THROWS_AS(write_yaml_directory(commented, dir.string() + "/"), pgshift::Error);
  CHECK_FALSE(std::filesystem::exists(dir));
  // UTF-8 itself is written as it is.
  named.schemas[0].tables[1].columns[1].name = "caf\xc3\xa9";
  CHECK(write_yaml(named).find("caf\xc3\xa9") != std::string::npos);
}

TEST_CASE(
    "a schema of many tables is written on two threads as the tables one by one, in their order",
    "[schemas]") {
  // From 512 tables the second half is written on another thread.
  Database db;
  Schema schema{"public"};
  for (int number = 0; number < 1000; ++number) {
    char name[8];
    std::snprintf(name, sizeof name, "t%04d", number);
    Table table{name, {{"id", "bigint", true}, {"note", "text"}}};
    table.primary_key = PrimaryKey{std::string(name) + "_pkey", {"id"}};
    if (number % 7 == 0) table.comment = "table " + std::to_string(number) + "\nsecond line";
    schema.tables.push_back(table);
  }
  db.schemas = {schema};
  canonicalize(db);
  const std::string prefix = "schemas:\n  public:\n    tables:\n";
  std::string expected = prefix;
  for (const Table& table : db.schemas[0].tables) {
    Database alone;
    alone.schemas = {Schema{"public", std::nullopt, {table}}};
    const std::string text = write_yaml(alone);
    REQUIRE(text.rfind(prefix, 0) == 0);
    expected += text.substr(prefix.size());
  }
  CHECK(write_yaml(db) == expected);
  CHECK(load_yaml_string(write_yaml(db)) == db);

  // Text that is not UTF-8 is refused from either half; from both, the
  // first in the document is named.
  Database late = db;
  late.schemas[0].tables[900].comment = "caf\xe9";
  CHECK_THROWS_WITH(write_yaml(late), Catch::Contains("schemas > public > tables > t0900 > comment "
                                                      "is not UTF-8"));
  late.schemas[0].tables[100].comment = "caf\xe9";
  CHECK_THROWS_WITH(write_yaml(late), Catch::Contains("schemas > public > tables > t0100 > comment "
                                                      "is not UTF-8"));
}

TEST_CASE("the writer quotes only what YAML would misread", "[schemas]") {
  Database db;
  Schema schema{"public"};
  for (const char* comment : {"~", "null", "", "a: b", "- x", "-1", "x #y", " pad", "[a]", "a,b",
                              "tab\there", "bell\x07"}) {
    schema.enums.push_back(
        {std::string("e") + std::to_string(schema.enums.size()), {}, std::string(comment)});
  }
  db.schemas = {schema};
  REQUIRE(write_yaml(db) ==
          "schemas:\n"
          "  public:\n"
          "    enums:\n"
          "      e0: { labels: [], comment: \"~\" }\n"
          "      e1: { labels: [], comment: \"null\" }\n"
          "      e2: { labels: [], comment: \"\" }\n"
          "      e3: { labels: [], comment: \"a: b\" }\n"
          "      e4: { labels: [], comment: \"- x\" }\n"
          "      e5: { labels: [], comment: -1 }\n"
          "      e6: { labels: [], comment: \"x #y\" }\n"
          "      e7: { labels: [], comment: \" pad\" }\n"
          "      e8: { labels: [], comment: \"[a]\" }\n"
          "      e9: { labels: [], comment: \"a,b\" }\n"
          "      e10: { labels: [], comment: \"tab\\there\" }\n"
          "      e11: { labels: [], comment: \"bell\\x07\" }\n");
}

TEST_CASE("multi-line text is written as a literal block keeping its last newlines", "[schemas]") {
  Database db;
  Schema schema{"public"};
  schema.views = {{"none", "SELECT 1\nFROM t"},
                  {"one", "SELECT 1\nFROM t\n"},
                  {"two", "SELECT 1\n\nFROM t\n\n"}};
  db.schemas = {schema};
  const std::string text = write_yaml(db);
  REQUIRE(text ==
          "schemas:\n"
          "  public:\n"
          "    views:\n"
          "      none: |-\n"
          "        SELECT 1\n"
          "        FROM t\n"
          "      one: |\n"
          "        SELECT 1\n"
          "        FROM t\n"
          "      two: |+\n"
          "        SELECT 1\n"
          "\n"
          "        FROM t\n"
          "\n");
  REQUIRE(load_yaml_string(text) == db);
}

Function routine(const std::string& name, const std::string& body, bool sql_body = false) {
  Function function{name};
  function.returns = "integer";
  function.language = sql_body ? "sql" : "plpgsql";
  function.body = body;
  function.sql_body = sql_body;
  return function;
}

TEST_CASE("routine bodies are written as literal blocks whenever they read back exactly",
          "[schemas]") {
  Database db;
  Schema schema{"public"};
  schema.functions = {
      routine("a_dollar_quoted", "\nBEGIN\n  RETURN 1;\nEND;\n"),
      routine("b_indented", "  BEGIN\n    RETURN 1;\n  END\n"),
      routine("c_sql_standard", "BEGIN ATOMIC\n SELECT 1;\n SELECT 2;\nEND", true),
      routine("d_trailing_blanks", "BEGIN  \n  RETURN 1;\t\nEND"),
      routine("e_blank_line", "BEGIN\n   \n  RETURN 1;\nEND\n\n\n"),
      routine("f_control", "BEGIN\n  RETURN 1; -- \x07\nEND"),
  };
  db.schemas = {schema};
  const std::string text = write_yaml(db);
  INFO(text);
  CHECK(text.find("      a_dollar_quoted:\n"
                  "        returns: integer\n"
                  "        language: plpgsql\n"
                  "        body: |\n"
                  "\n"
                  "          BEGIN\n"
                  "            RETURN 1;\n"
                  "          END;\n") != std::string::npos);
  CHECK(text.find("        body: |2\n"
                  "            BEGIN\n"
                  "              RETURN 1;\n"
                  "            END\n") != std::string::npos);
  CHECK(text.find("        sql_body: |-\n"
                  "          BEGIN ATOMIC\n"
                  "           SELECT 1;\n"
                  "           SELECT 2;\n"
                  "          END\n") != std::string::npos);
  CHECK(text.find("        body: |-\n          BEGIN  \n") != std::string::npos);
  CHECK(text.find("        body: |+\n          BEGIN\n") != std::string::npos);
  // A control character has no literal form: one double-quoted line.
  CHECK(text.find("body: \"BEGIN\\n  RETURN 1; -- \\x07\\nEND\" }\n") != std::string::npos);
  CHECK(load_yaml_string(text) == db);
}

TEST_CASE("an empty list after a key longer than a line is still written in flow style",
          "[schemas]") {
  Database db;
  Schema schema{"public"};
  // 63 bytes, PostgreSQL's longest name; escaped, the key alone passes the line width.
  const std::string name(63, '"');
  schema.enums.push_back({name, {}, std::nullopt});
  db.schemas = {schema};
  std::string escaped;
  for (size_t quote_idx = 0; quote_idx < name.size(); ++quote_idx) escaped += "\\\"";
  const std::string text = write_yaml(db);
  REQUIRE(text ==
          "schemas:\n"
          "  public:\n"
          "    enums:\n"
          "      \"" +
              escaped + "\": []\n");
  REQUIRE(load_yaml_string(text) == db);
}

TEST_CASE("a collection is written in flow style up to the line width and in block style past it",
          "[schemas]") {
  Database db;
  Schema schema{"public"};
  // "      fits: [" and "]" leave 86 characters of a 100-character line.
  schema.enums.push_back({"fits", {std::string(86, 'a')}, std::nullopt});
  schema.enums.push_back({"past", {std::string(87, 'b')}, std::nullopt});
  Table parent;
  parent.name = "parent";
  parent.columns.push_back({"id", "bigint"});
  parent.primary_key = PrimaryKey{};
  parent.primary_key->name = "parent_pkey";
  parent.primary_key->columns = {"id"};
  Table child;
  child.name = "child";
  child.columns.push_back({"parent_id", "bigint"});
  ForeignKey key;
  key.name = "child_parent_id_fkey";
  key.columns = {"parent_id"};
  key.ref_schema = "public";
  key.ref_table = "parent";
  key.ref_columns = {"id"};
  key.comment = std::string(70, 'c');
  child.foreign_keys.push_back(key);
  schema.tables = {child, parent};
  db.schemas = {schema};
  canonicalize(db);
  const std::string text = write_yaml(db);
  INFO(text);
  CHECK(text.find("\n      fits: [" + std::string(86, 'a') + "]\n") != std::string::npos);
  CHECK(text.find("\n      past:\n        - " + std::string(87, 'b') + "\n") != std::string::npos);
  // A mapping too wide for one line, as a list item, starts after the dash.
  CHECK(text.find("\n          - columns: [parent_id]\n            references: parent(id)\n") !=
        std::string::npos);
  CHECK(write_yaml(load_yaml_string(text)) == text);
}

TEST_CASE("writing the example and loading it back gives the same model", "[schemas]") {
  const Database db = load_yaml_file(kExamples + "/shop.yaml");
  const std::string text = write_yaml(db);
  REQUIRE(load_yaml_string(text) == db);
  REQUIRE(write_yaml(load_yaml_string(text)) == text);
}

TEST_CASE("a database written to a directory loads back the same", "[schemas]") {
  std::string pattern = (std::filesystem::temp_directory_path() / "pgshift-yaml-XXXXXX").string();
  const std::filesystem::path dir = mkdtemp(pattern.data());
  Database db = load_yaml_file(kExamples + "/shop.yaml");
  db.schemas.push_back(Schema{"odd/name"});
  canonicalize(db);
  write_yaml_directory(db, dir.string());
  REQUIRE(std::filesystem::exists(dir / "_database.yaml"));
  REQUIRE(std::filesystem::exists(dir / "public.yaml"));
  REQUIRE(std::filesystem::exists(dir / "odd%2Fname.yaml"));
  const Database loaded = load_yaml_file(dir.string());
  std::filesystem::remove_all(dir);
  REQUIRE(loaded == db);
}

TEST_CASE("load(write(m)) == m for random models", "[schemas]") {
  rc::prop("round trip", [] {
    const Database db = ModelGenerator().database();
    RC_ASSERT(validate(db).empty());
    const std::string text = write_yaml(db);
    RC_LOG() << text;
    RC_ASSERT(load_yaml_string(text) == db);
  });
}

TEST_CASE("the scope scan of a written model names its schemas, or gives up", "[schemas]") {
  rc::prop("scope", [] {
    Database db = ModelGenerator().database();
    db.manage_owners = *rc::gen::arbitrary<bool>();
    if (*rc::gen::arbitrary<bool>()) db.drop_schemas = {"old", "older"};
    const std::string text = write_yaml(db);
    RC_LOG() << text;
    const auto scope = scan_yaml_scope(text);
    RC_CLASSIFY(scope.has_value());
    if (!scope) return;
    std::vector<std::string> names;
    for (const auto& schema : db.schemas) names.push_back(schema.name);
    RC_ASSERT(scope->schemas == names);
    RC_ASSERT(scope->drop_schemas == db.drop_schemas);
    RC_ASSERT(scope->manage_owners == db.manage_owners);
  });
}
