// Renames declared by renamed_from, end to end through the binary against a
// real server: indexes, constraints, sequences, views, materialized views
// and enum labels are renamed in place (never dropped and created), their
// dependents keep working, the rows stay, the hint left in place plans
// nothing, and a hint that matches nothing is an error with a suggestion.
#include <algorithm>
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "tests/support/pgshift_cli.hpp"
#include "tests/support/run.hpp"
#include "tests/support/server_version.hpp"
#include "tests/support/test_db.hpp"

using pgshift::testing::apply_schema;
using pgshift::testing::contains;
using pgshift::testing::replan;
using pgshift::testing::run_pgshift;
using pgshift::testing::TempDir;
using pgshift::testing::TestDatabase;

namespace {

// `yaml` with every `from` replaced by `to`.
std::string replaced(std::string yaml, const std::string& from, const std::string& to) {
  for (auto at = yaml.find(from); at != std::string::npos; at = yaml.find(from, at + to.size())) {
    yaml.replace(at, from.size(), to);
  }
  return yaml;
}

// The 1-based line of `yaml` where `text` first appears.
int line_of(const std::string& yaml, const std::string& text) {
  const auto at = yaml.find(text);
  return 1 + static_cast<int>(std::count(yaml.begin(), yaml.begin() + static_cast<long>(at), '\n'));
}

std::string plan_text(const TestDatabase& db, const std::string& path) {
  return run_pgshift({"plan", "--db", db.url(), "--schema", path, "--allow-hazard", "rename"})
      .output;
}

// No statement of the plan `sql` contains any of `absent`.
void check_absent(const std::string& sql, const std::vector<std::string>& absent) {
  for (const auto& text : absent) {
    INFO(text);
    CHECK_FALSE(contains(sql, text));
  }
}

// Applies `path` allowing renames (and `more`); it must succeed and verify.
void apply_renames(const TestDatabase& db, const std::string& path,
                   const std::vector<std::string>& more = {}) {
  std::vector<std::string> allowed = {"rename"};
  allowed.insert(allowed.end(), more.begin(), more.end());
  const auto applied = apply_schema(db.url(), path, allowed);
  INFO(applied.output);
  REQUIRE(applied.exit_code == 0);
  CHECK(contains(applied.output, "verified: the schema is the plan's target"));
}

std::string checksum(const TestDatabase& db, const std::string& relation) {
  return db.scalar("SELECT md5(coalesce(string_agg(t::text, ',' ORDER BY t::text), '')) FROM " +
                   relation + " t");
}

// customers (unique email) <- orders (foreign key to the email), with
// checks, an exclusion constraint, indexes and 50 rows each.
constexpr const char* kTables = R"yaml(
schemas:
  public:
    tables:
      customers:
        columns:
          id: { type: bigint, nullable: false }
          email: { type: text, nullable: false }
        primary_key: [id]
        unique:
          - { name: customers_email_key, columns: [email] }
      orders:
        columns:
          id: { type: bigint, nullable: false }
          customer_email: text
          amount: numeric
          during: tstzrange
          created_at: timestamptz
        primary_key: [id]
        checks:
          orders_amount_check: amount >= 0
        exclusion_constraints:
          orders_no_overlap: { elements: ["during WITH &&"] }
        foreign_keys:
          - { name: orders_customer_email_fkey, columns: [customer_email], references: customers(email) }
        indexes:
          orders_created_at_idx: { columns: [created_at], comment: by time }
          orders_amount_idx: { columns: [amount] }
)yaml";

void fill(const TestDatabase& db) {
  db.exec(
      "INSERT INTO customers SELECT g, 'c' || g || '@x' FROM generate_series(1, 50) g;"
      "INSERT INTO orders SELECT g, 'c' || g || '@x', g, "
      "  tstzrange(timestamptz '2024-01-01' + g * interval '1 day', "
      "            timestamptz '2024-01-01' + (g + 1) * interval '1 day'), now() "
      "FROM generate_series(1, 50) g; ANALYZE customers; ANALYZE orders;");
}

}  // namespace

TEST_CASE("renamed_from renames an index in place: not rebuilt, comment kept, re-plan empty",
          "[cli][db][renames]") {
  TestDatabase db;
  TempDir dir;
  REQUIRE(apply_schema(db.url(), dir.write("a.yaml", kTables)).exit_code == 0);
  fill(db);
  const std::string oid = db.scalar("SELECT 'public.orders_created_at_idx'::regclass::oid");
  const std::string renamed = dir.write(
      "b.yaml", replaced(kTables, "orders_created_at_idx: { columns: [created_at], comment",
                         "orders_created_idx: { renamed_from: orders_created_at_idx, columns: "
                         "[created_at], comment"));
  const auto planned = run_pgshift({"plan", "--db", db.url(), "--schema", renamed});
  INFO(planned.output);
  CHECK(planned.exit_code == 0);  // no hazard: no query names an index
  CHECK(contains(planned.output,
                 "ALTER INDEX public.orders_created_at_idx RENAME TO orders_created_idx;"));
  CHECK_FALSE(contains(planned.output, "DROP INDEX"));
  CHECK_FALSE(contains(planned.output, "CREATE INDEX"));
  CHECK_FALSE(contains(planned.output, "COMMENT ON"));
  const auto applied = apply_schema(db.url(), renamed);
  INFO(applied.output);
  REQUIRE(applied.exit_code == 0);
  CHECK(db.scalar("SELECT 'public.orders_created_idx'::regclass::oid") == oid);
  CHECK(db.scalar("SELECT obj_description('public.orders_created_idx'::regclass)") == "by time");
  CHECK(replan(db.url(), renamed) == 0);
}

TEST_CASE("unnamed constraints on a renamed column are renamed with it, not dropped and made again",
          "[cli][db][renames]") {
  TestDatabase db;
  TempDir dir;
  // As inspect writes them: the unique constraint, the CHECK whose name is
  // the server's default and the foreign key carry no name in the YAML.
  const std::string before = R"yaml(
schemas:
  public:
    tables:
      customers:
        columns:
          id: { type: bigint, nullable: false }
          email: text
        primary_key: [id]
        unique:
          - [email]
      orders:
        columns:
          id: { type: bigint, nullable: false }
          customer_id: bigint
          seller_id: bigint
          qty: integer
        primary_key: [id]
        checks:
          orders_qty_check: (qty > 0)
        foreign_keys:
          - { columns: [customer_id], references: customers(id) }
          - { columns: [seller_id], references: customers(id), on_delete: cascade }
)yaml";
  REQUIRE(apply_schema(db.url(), dir.write("a.yaml", before)).exit_code == 0);
  db.exec(
      "INSERT INTO customers SELECT g, 'c' || g FROM generate_series(1, 50) g;"
      "INSERT INTO orders SELECT g, g, g, 1 FROM generate_series(1, 50) g;");
  const std::string index_oid = db.scalar("SELECT 'public.customers_email_key'::regclass::oid");
  std::string after = replaced(before, "          email: text\n",
                               "          mail: { type: text, renamed_from: email }\n");
  after = replaced(after, "- [email]", "- [mail]");
  after = replaced(after, "          customer_id: bigint\n",
                   "          client_id: { type: bigint, renamed_from: customer_id }\n");
  after = replaced(after, "columns: [customer_id]", "columns: [client_id]");
  // The other foreign key's column is renamed and the key itself changes: it
  // is made again, not renamed.
  after = replaced(after, "          seller_id: bigint\n",
                   "          vendor_id: { type: bigint, renamed_from: seller_id }\n");
  after = replaced(after, "[seller_id], references: customers(id), on_delete: cascade",
                   "[vendor_id], references: customers(id), on_delete: restrict");
  const std::string path = dir.write("b.yaml", after);
  const std::string sql = plan_text(db, path);
  INFO(sql);
  CHECK(contains(sql,
                 "ALTER TABLE public.customers RENAME CONSTRAINT customers_email_key TO "
                 "customers_mail_key;"));
  CHECK(contains(sql,
                 "ALTER TABLE public.orders RENAME CONSTRAINT orders_customer_id_fkey TO "
                 "orders_client_id_fkey;"));
  check_absent(sql, {"CREATE UNIQUE INDEX", "DROP CONSTRAINT customers_email_key",
                     "DROP CONSTRAINT orders_customer_id_fkey;"});
  CHECK(contains(sql, "DROP CONSTRAINT orders_seller_id_fkey"));
  CHECK(contains(sql, "ADD CONSTRAINT orders_vendor_id_fkey"));
  apply_renames(db, path, {"data_loss"});
  CHECK(db.scalar("SELECT 'public.customers_mail_key'::regclass::oid") == index_oid);
  CHECK(db.scalar("SELECT count(*) FROM pg_constraint WHERE conname = 'orders_client_id_fkey' AND "
                  "convalidated") == "1");
  CHECK(replan(db.url(), path) == 0);
}

TEST_CASE("an index renamed and redefined is renamed first, then rebuilt under its new name",
          "[cli][db][renames]") {
  TestDatabase db;
  TempDir dir;
  REQUIRE(apply_schema(db.url(), dir.write("a.yaml", kTables)).exit_code == 0);
  fill(db);
  const std::string renamed = dir.write(
      "b.yaml", replaced(kTables, "orders_amount_idx: { columns: [amount] }",
                         "orders_amount_desc_idx: { renamed_from: orders_amount_idx, columns: "
                         "[{ column: amount, order: desc }] }"));
  const std::string sql = plan_text(db, renamed);
  INFO(sql);
  const auto rename_at =
      sql.find("ALTER INDEX public.orders_amount_idx RENAME TO orders_amount_desc_idx;");
  const auto build_at = sql.find("CREATE INDEX CONCURRENTLY orders_amount_desc_idx_pgshift_new");
  REQUIRE(rename_at != std::string::npos);
  REQUIRE(build_at != std::string::npos);
  CHECK(rename_at < build_at);
  REQUIRE(apply_schema(db.url(), renamed).exit_code == 0);
  CHECK(contains(db.scalar("SELECT indexdef FROM pg_indexes WHERE indexname = "
                           "'orders_amount_desc_idx'"),
                 "(amount DESC)"));
  CHECK(db.scalar("SELECT count(*) FROM pg_indexes WHERE indexname LIKE 'orders_amount%'") == "1");
  CHECK(replan(db.url(), renamed) == 0);
}

TEST_CASE(
    "renamed_from renames check, unique, primary key, foreign key and exclusion constraints in "
    "place, and the foreign key on the renamed unique constraint still holds",
    "[cli][db][renames]") {
  TestDatabase db;
  TempDir dir;
  REQUIRE(apply_schema(db.url(), dir.write("a.yaml", kTables)).exit_code == 0);
  fill(db);
  const std::string before = checksum(db, "orders") + checksum(db, "customers");
  std::string yaml = kTables;
  yaml = replaced(yaml, "{ name: customers_email_key, columns: [email] }",
                  "{ name: customers_email_uq, columns: [email], renamed_from: "
                  "customers_email_key }");
  yaml = replaced(yaml, "        primary_key: [id]\n        unique:",
                  "        primary_key: { name: customers_pk, columns: [id], renamed_from: "
                  "customers_pkey }\n        unique:");
  yaml = replaced(yaml, "orders_amount_check: amount >= 0",
                  "orders_amount_positive: { expression: amount >= 0, renamed_from: "
                  "orders_amount_check }");
  yaml = replaced(yaml, "orders_no_overlap: { elements",
                  "orders_during_excl: { renamed_from: orders_no_overlap, elements");
  yaml = replaced(yaml, "{ name: orders_customer_email_fkey,",
                  "{ name: orders_customer_fk, renamed_from: orders_customer_email_fkey,");
  const std::string renamed = dir.write("b.yaml", yaml);
  const auto refused = run_pgshift({"plan", "--db", db.url(), "--schema", renamed});
  INFO(refused.output);
  CHECK(refused.exit_code == 1);  // hazard rename, not allowed
  CHECK(contains(refused.output, "rename"));
  const std::string sql = plan_text(db, renamed);
  INFO(sql);
  for (const char* statement :
       {"ALTER TABLE public.customers RENAME CONSTRAINT customers_email_key TO customers_email_uq;",
        "ALTER TABLE public.customers RENAME CONSTRAINT customers_pkey TO customers_pk;",
        "ALTER TABLE public.orders RENAME CONSTRAINT orders_amount_check TO "
        "orders_amount_positive;",
        "ALTER TABLE public.orders RENAME CONSTRAINT orders_no_overlap TO orders_during_excl;",
        "ALTER TABLE public.orders RENAME CONSTRAINT orders_customer_email_fkey TO "
        "orders_customer_fk;"}) {
    CHECK(contains(sql, statement));
  }
  CHECK_FALSE(contains(sql, "DROP CONSTRAINT"));
  CHECK_FALSE(contains(sql, "ADD CONSTRAINT"));
  CHECK_FALSE(contains(sql, "CREATE UNIQUE INDEX"));
  const auto applied = apply_schema(db.url(), renamed, {"rename"});
  INFO(applied.output);
  REQUIRE(applied.exit_code == 0);
  // The key's index took the new name with it.
  CHECK(db.scalar("SELECT to_regclass('public.customers_email_uq') IS NOT NULL") == "t");
  CHECK(db.scalar("SELECT to_regclass('public.customers_pk') IS NOT NULL") == "t");
  CHECK(before == checksum(db, "orders") + checksum(db, "customers"));
  CHECK_THROWS(db.exec("INSERT INTO orders (id, customer_email) VALUES (100, 'nobody@x')"));
  CHECK_THROWS(db.exec("INSERT INTO orders (id, amount) VALUES (101, -1)"));
  CHECK_THROWS(db.exec("INSERT INTO customers VALUES (100, 'c1@x')"));
  CHECK(replan(db.url(), renamed) == 0);
  // inspect writes the new names (and no hint).
  const auto inspected = run_pgshift({"inspect", "--db", db.url()});
  INFO(inspected.output);
  CHECK(contains(inspected.output, "orders_amount_positive"));
  CHECK_FALSE(contains(inspected.output, "renamed_from"));
}

TEST_CASE("a renamed sequence keeps its position, and the default calling it follows it",
          "[cli][db][renames]") {
  TestDatabase db;
  TempDir dir;
  const std::string yaml = R"yaml(
schemas:
  public:
    sequences:
      invoice_seq: { start: 100 }
    tables:
      invoices:
        columns:
          id: { type: bigint, nullable: false, default: "nextval('invoice_seq'::regclass)" }
          note: text
        primary_key: [id]
)yaml";
  REQUIRE(apply_schema(db.url(), dir.write("a.yaml", yaml)).exit_code == 0);
  db.exec("INSERT INTO invoices (note) SELECT 'n' || g FROM generate_series(1, 5) g");
  const std::string before = checksum(db, "invoices");
  std::string next = replaced(yaml, "invoice_seq: { start: 100 }",
                              "invoice_number_seq: { start: 100, renamed_from: invoice_seq }");
  next = replaced(next, "nextval('invoice_seq'::regclass)",
                  "nextval('invoice_number_seq'::regclass)");
  const std::string renamed = dir.write("b.yaml", next);
  const std::string sql = plan_text(db, renamed);
  INFO(sql);
  CHECK(contains(sql, "ALTER SEQUENCE public.invoice_seq RENAME TO invoice_number_seq;"));
  CHECK_FALSE(contains(sql, "DROP SEQUENCE"));
  CHECK_FALSE(contains(sql, "SET DEFAULT"));
  const auto applied = apply_schema(db.url(), renamed, {"rename"});
  INFO(applied.output);
  REQUIRE(applied.exit_code == 0);
  CHECK(before == checksum(db, "invoices"));
  db.exec("INSERT INTO invoices (note) VALUES ('after')");
  CHECK(db.scalar("SELECT id FROM invoices WHERE note = 'after'") == "105");
  CHECK(db.scalar("SELECT pg_get_expr(adbin, adrelid) FROM pg_attrdef WHERE adrelid = "
                  "'public.invoices'::regclass") == "nextval('invoice_number_seq'::regclass)");
  CHECK(replan(db.url(), renamed) == 0);
}

TEST_CASE("a renamed view and materialized view keep the view over them, their rows and index",
          "[cli][db][renames]") {
  TestDatabase db;
  TempDir dir;
  const std::string yaml = R"yaml(
schemas:
  public:
    tables:
      items:
        columns:
          id: { type: bigint, nullable: false }
          price: numeric
        primary_key: [id]
    views:
      cheap_items: SELECT id, price FROM items WHERE price < 10
      cheap_ids: SELECT id FROM cheap_items
    materialized_views:
      item_totals:
        definition: SELECT count(*) AS n, sum(price) AS total FROM items
        indexes:
          item_totals_n_idx: { columns: [n] }
)yaml";
  REQUIRE(apply_schema(db.url(), dir.write("a.yaml", yaml)).exit_code == 0);
  db.exec("INSERT INTO items SELECT g, g FROM generate_series(1, 20) g;"
          "REFRESH MATERIALIZED VIEW item_totals");
  const std::string view_oid = db.scalar("SELECT 'public.cheap_items'::regclass::oid");
  const std::string totals = checksum(db, "item_totals");
  std::string next = replaced(
      yaml, "      cheap_items: SELECT id, price FROM items WHERE price < 10\n",
      "      bargain_items:\n        definition: SELECT id, price FROM items WHERE price < 10\n"
      "        renamed_from: cheap_items\n");
  next = replaced(next, "cheap_ids: SELECT id FROM cheap_items",
                  "cheap_ids: SELECT id FROM bargain_items");
  next = replaced(next, "      item_totals:\n",
                  "      item_summary:\n        renamed_from: item_totals\n");
  const std::string renamed = dir.write("b.yaml", next);
  const std::string sql = plan_text(db, renamed);
  INFO(sql);
  CHECK(contains(sql, "ALTER VIEW public.cheap_items RENAME TO bargain_items;"));
  CHECK(contains(sql, "ALTER MATERIALIZED VIEW public.item_totals RENAME TO item_summary;"));
  CHECK_FALSE(contains(sql, "DROP VIEW"));
  CHECK_FALSE(contains(sql, "DROP MATERIALIZED VIEW"));
  CHECK_FALSE(contains(sql, "CREATE VIEW"));
  CHECK_FALSE(contains(sql, "CREATE MATERIALIZED VIEW"));
  const auto applied = apply_schema(db.url(), renamed, {"rename"});
  INFO(applied.output);
  REQUIRE(applied.exit_code == 0);
  CHECK(db.scalar("SELECT 'public.bargain_items'::regclass::oid") == view_oid);
  CHECK(db.scalar("SELECT count(*) FROM cheap_ids") == "9");
  CHECK(checksum(db, "item_summary") == totals);
  CHECK(db.scalar("SELECT to_regclass('public.item_totals_n_idx') IS NOT NULL") == "t");
  CHECK(replan(db.url(), renamed) == 0);
}

TEST_CASE("a renamed enum label is renamed in place: stored values follow, no replacement",
          "[cli][db][renames]") {
  TestDatabase db;
  TempDir dir;
  const std::string yaml = R"yaml(
schemas:
  public:
    enums:
      ticket_state: [open, closed]
    tables:
      tickets:
        columns:
          id: { type: bigint, nullable: false }
          state: { type: ticket_state, nullable: false, default: "'open'::ticket_state" }
        primary_key: [id]
)yaml";
  REQUIRE(apply_schema(db.url(), dir.write("a.yaml", yaml)).exit_code == 0);
  db.exec("INSERT INTO tickets SELECT g, CASE WHEN g % 2 = 0 THEN 'closed' ELSE 'open' END::"
          "ticket_state FROM generate_series(1, 10) g");
  const std::string renamed = dir.write(
      "b.yaml", replaced(yaml, "[open, closed]",
                         "[open, { name: resolved, renamed_from: closed }, reopened]"));
  const std::string sql = plan_text(db, renamed);
  INFO(sql);
  const auto rename_at =
      sql.find("ALTER TYPE public.ticket_state RENAME VALUE 'closed' TO 'resolved';");
  const auto add_at = sql.find("ADD VALUE IF NOT EXISTS 'reopened' AFTER 'resolved'");
  REQUIRE(rename_at != std::string::npos);
  REQUIRE(add_at != std::string::npos);
  CHECK(rename_at < add_at);
  CHECK_FALSE(contains(sql, "pgshift_old"));
  const auto applied = apply_schema(db.url(), renamed, {"rename"});
  INFO(applied.output);
  REQUIRE(applied.exit_code == 0);
  CHECK(db.scalar("SELECT count(*) FROM tickets WHERE state = 'resolved'") == "5");
  CHECK(db.scalar("SELECT string_agg(enumlabel, ',' ORDER BY enumsortorder) FROM pg_enum "
                  "WHERE enumtypid = 'public.ticket_state'::regtype") == "open,resolved,reopened");
  CHECK(replan(db.url(), renamed) == 0);
}

TEST_CASE("enum labels that swap names, or rename along a chain, are renamed in place in an order "
          "the server accepts, their constants seen swapped, and planned once only",
          "[cli][db][renames]") {
  TestDatabase db;
  TempDir dir;
  const std::string yaml = R"yaml(
schemas:
  public:
    enums:
      st: [open, closed, old, older]
    tables:
      t:
        columns:
          id: { type: bigint, nullable: false }
          s: { type: st, nullable: false, default: "'open'::st" }
        primary_key: [id]
        checks:
          t_s_check: "(s <> 'closed'::st)"
)yaml";
  REQUIRE(apply_schema(db.url(), dir.write("a.yaml", yaml)).exit_code == 0);
  db.exec("INSERT INTO t VALUES (1, 'open'), (2, 'old'), (3, 'older')");
  // open <-> closed; older -> old -> aged (a chain from its free end).
  std::string changed = replaced(
      yaml, "[open, closed, old, older]",
      "[{ name: closed, renamed_from: open }, { name: open, renamed_from: closed }, "
      "{ name: aged, renamed_from: old }, { name: old, renamed_from: older }]");
  changed = replaced(changed, "\"'open'::st\"", "\"'closed'::st\"");
  changed = replaced(changed, "\"(s <> 'closed'::st)\"", "\"(s <> 'open'::st)\"");
  const std::string path = dir.write("b.yaml", changed);
  const std::string sql = plan_text(db, path);
  INFO(sql);
  const auto position = [](const std::string& text, const std::string& part) {
    INFO("looking for: " << part);
    const size_t found = text.find(part);
    REQUIRE(found != std::string::npos);
    return found;
  };
  const size_t aside = position(sql, "RENAME VALUE 'closed' TO 'pgshift_label';");
  CHECK(aside < position(sql, "RENAME VALUE 'open' TO 'closed';"));
  CHECK(position(sql, "RENAME VALUE 'open' TO 'closed';") <
        position(sql, "RENAME VALUE 'pgshift_label' TO 'open';"));
  CHECK(position(sql, "RENAME VALUE 'old' TO 'aged';") <
        position(sql, "RENAME VALUE 'older' TO 'old';"));
  // The swap's step names the two renames asked for, not the temporary label.
  CHECK(contains(sql, "rename values 'open' to 'closed', 'closed' to 'open' of enum"));
  // Only renames: the default and the CHECK are seen swapped, not set again.
  CHECK_FALSE(contains(sql, "pgshift_old"));
  CHECK_FALSE(contains(sql, "SET DEFAULT"));
  CHECK_FALSE(contains(sql, "t_s_check"));
  const auto applied = apply_schema(db.url(), path, {"rename"});
  INFO(applied.output);
  REQUIRE(applied.exit_code == 0);
  CHECK(db.scalar("SELECT string_agg(id || '=' || s, ',' ORDER BY id) FROM t") ==
        "1=closed,2=aged,3=old");
  CHECK(db.scalar("SELECT string_agg(enumlabel, ',' ORDER BY enumsortorder) FROM pg_enum "
                  "WHERE enumtypid = 'public.st'::regtype") == "closed,open,aged,old");
  CHECK_THROWS(db.exec("INSERT INTO t VALUES (4, 'open')"));  // the CHECK, swapped
  CHECK(db.scalar("INSERT INTO t (id) VALUES (5) RETURNING s") == "closed");
  // The same hints again: the order is the desired one, nothing to swap back.
  CHECK(replan(db.url(), path) == 0);
}

TEST_CASE("a renamed enum label is only RENAME VALUE: the default, CHECK, partial index, policy "
          "and view naming it are seen as the server shows them after, not rebuilt",
          "[cli][db][renames]") {
  TestDatabase db;
  TempDir dir;
  db.exec(
      "CREATE SCHEMA app;"
      "CREATE TYPE app.ticket_state AS ENUM ('open', 'closed');"
      "CREATE TABLE app.tickets (id bigint PRIMARY KEY, "
      "  state app.ticket_state NOT NULL DEFAULT 'closed', "
      "  CONSTRAINT closed_late CHECK (state <> 'closed' OR id > 0));"
      "CREATE INDEX closed_ones ON app.tickets (id) WHERE state = 'closed';"
      "CREATE VIEW app.closed_tickets AS SELECT id FROM app.tickets WHERE state = 'closed';"
      "CREATE POLICY not_closed ON app.tickets USING (state <> 'closed');"
      "CREATE DOMAIN app.closed_state AS app.ticket_state DEFAULT 'closed';"
      "INSERT INTO app.tickets SELECT g, CASE WHEN g % 2 = 0 THEN 'closed' ELSE 'open' END::"
      "app.ticket_state FROM generate_series(1, 10) g;");
  const std::string index_oid = db.scalar("SELECT 'app.closed_ones'::regclass::oid");
  const std::string view_oid = db.scalar("SELECT 'app.closed_tickets'::regclass::oid");
  const std::string label = "'closed'::app.ticket_state";
  const std::string renamed_label = "'resolved'::app.ticket_state";
  const std::string yaml =
      "schemas:\n  app:\n    enums:\n"
      "      ticket_state: [open, { name: resolved, renamed_from: closed }]\n"
      "    tables:\n      tickets:\n        columns:\n"
      "          id: { type: bigint, nullable: false }\n"
      "          state: { type: app.ticket_state, nullable: false, default: \"" +
      renamed_label +
      "\" }\n"
      "        primary_key: [id]\n"
      "        checks:\n          closed_late: \"((state <> " +
      renamed_label +
      ") OR (id > 0))\"\n"
      "        indexes:\n          closed_ones: { columns: [id], where: \"(state = " +
      renamed_label +
      ")\" }\n"
      "        policies:\n          not_closed: { using: \"(state <> " +
      renamed_label +
      ")\" }\n"
      "    views:\n      closed_tickets: \"SELECT tickets.id FROM app.tickets WHERE "
      "(tickets.state = " +
      renamed_label +
      ")\"\n"
      "    domains:\n      closed_state: { type: app.ticket_state, default: \"" +
      renamed_label + "\" }\n";
  const std::string schema = dir.write("schema.yaml", yaml);
  const std::string sql = plan_text(db, schema);
  INFO(sql);
  CHECK(contains(sql, "ALTER TYPE app.ticket_state RENAME VALUE 'closed' TO 'resolved';"));
  for (const char* rebuilt : {"INDEX", "CONSTRAINT", "POLICY", "VIEW", "DEFAULT", label.c_str()}) {
    INFO(rebuilt);
    CHECK_FALSE(contains(sql, rebuilt));
  }
  const auto applied = apply_schema(db.url(), schema, {"rename"});
  INFO(applied.output);
  REQUIRE(applied.exit_code == 0);
  CHECK(db.scalar("SELECT 'app.closed_ones'::regclass::oid") == index_oid);
  CHECK(db.scalar("SELECT 'app.closed_tickets'::regclass::oid") == view_oid);
  CHECK(db.scalar("SELECT count(*) FROM app.closed_tickets") == "5");
  CHECK(replan(db.url(), schema) == 0);
  // The domain's default is read as the server deparses it now, not as the
  // text CREATE DOMAIN kept.
  const auto drift = run_pgshift({"drift", "--db", db.url(), "--schema", schema});
  INFO(drift.output);
  CHECK(drift.exit_code == 0);
}

TEST_CASE("renamed enum labels inside an array constant ('{closed,\"in progress\"}'::st[]) of a "
          "default and a view are seen renamed, quoted as the server quotes them: only RENAME "
          "VALUE is planned",
          "[cli][db][renames]") {
  TestDatabase db;
  TempDir dir;
  db.exec(
      "CREATE SCHEMA app;"
      "CREATE TYPE app.st AS ENUM ('open', 'in progress', 'closed');"
      "CREATE TABLE app.tk (id bigint PRIMARY KEY, state app.st,"
      "  tags app.st[] DEFAULT '{closed,\"in progress\"}');"
      "CREATE VIEW app.done AS SELECT id FROM app.tk WHERE state = ANY ('{closed,open}'::app.st[]);"
      "INSERT INTO app.tk VALUES (1, 'closed', DEFAULT), (2, 'open', '{open}');");
  const std::string view_oid = db.scalar("SELECT 'app.done'::regclass::oid");
  // The labels trade places too: 'in progress' becomes 'active', 'closed'
  // becomes 'shut down' (quoted inside the array: it has a space).
  const std::string yaml =
      "schemas:\n  app:\n    enums:\n"
      "      st: [open, { name: active, renamed_from: in progress }, "
      "{ name: shut down, renamed_from: closed }]\n"
      "    tables:\n      tk:\n        columns:\n"
      "          id: { type: bigint, nullable: false }\n"
      "          state: app.st\n"
      "          tags: { type: \"app.st[]\", default: \"'{\\\"shut down\\\",active}'::app.st[]\" }\n"
      "        primary_key: [id]\n"
      "    views:\n      done: \"SELECT tk.id FROM app.tk WHERE (tk.state = ANY "
      "('{\\\"shut down\\\",open}'::app.st[]))\"\n";
  const std::string schema = dir.write("schema.yaml", yaml);
  const std::string sql = plan_text(db, schema);
  INFO(sql);
  CHECK(contains(sql, "ALTER TYPE app.st RENAME VALUE 'closed' TO 'shut down';"));
  CHECK(contains(sql, "ALTER TYPE app.st RENAME VALUE 'in progress' TO 'active';"));
  check_absent(sql, {"DEFAULT", "VIEW", "app.st[]"});
  apply_renames(db, schema);
  CHECK(db.scalar("SELECT 'app.done'::regclass::oid") == view_oid);
  CHECK(db.scalar("SELECT string_agg(id || ':' || state || ':' || tags::text, ' ' ORDER BY id) "
                  "FROM app.tk") == "1:shut down:{\"shut down\",active} 2:open:{open}");
  CHECK(replan(db.url(), schema) == 0);
  const auto drift = run_pgshift({"drift", "--db", db.url(), "--schema", schema});
  INFO(drift.output);
  CHECK(drift.exit_code == 0);
}

TEST_CASE("a renamed enum label a list partition's bound names is only RENAME VALUE: the bound "
          "follows, the partition is not detached",
          "[cli][db][renames][partitions]") {
  TestDatabase db;
  TempDir dir;
  db.exec(
      "CREATE TYPE st AS ENUM ('open', 'closed', 'archived');"
      "CREATE TABLE tk (id integer NOT NULL, s st NOT NULL, PRIMARY KEY (id, s)) "
      "  PARTITION BY LIST (s);"
      "CREATE TABLE tk_open PARTITION OF tk FOR VALUES IN ('open');"
      "CREATE TABLE tk_done PARTITION OF tk FOR VALUES IN ('closed', 'archived');"
      "INSERT INTO tk SELECT g, (ARRAY['open', 'closed', 'archived'])[1 + g % 3]::st "
      "FROM generate_series(1, 90) g;");
  const std::string columns =
      "        columns:\n          id: { type: integer, nullable: false }\n"
      "          s: { type: st, nullable: false }\n";
  const std::string schema = dir.write(
      "schema.yaml",
      "schemas:\n  public:\n    enums:\n"
      "      st: [open, { name: resolved, renamed_from: closed }, archived]\n"
      "    tables:\n      tk:\n" +
          columns +
          "        primary_key: [id, s]\n        partition_by: { strategy: list, key: s }\n"
          "      tk_open:\n" +
          columns +
          "        partition_of: { table: tk, bound: \"FOR VALUES IN ('open')\" }\n"
          "      tk_done:\n" +
          columns +
          "        partition_of: { table: tk, bound: \"FOR VALUES IN ('resolved', "
          "'archived')\" }\n");
  const std::string sql = plan_text(db, schema);
  INFO(sql);
  CHECK(contains(sql, "ALTER TYPE public.st RENAME VALUE 'closed' TO 'resolved';"));
  for (const char* rebuilt : {"DETACH", "ATTACH", "CONSTRAINT", "INDEX"}) {
    INFO(rebuilt);
    CHECK_FALSE(contains(sql, rebuilt));
  }
  const auto applied = apply_schema(db.url(), schema, {"rename"});
  INFO(applied.output);
  REQUIRE(applied.exit_code == 0);
  CHECK(db.scalar("SELECT count(*) FROM tk_done WHERE s = 'resolved'") == "30");
  CHECK(replan(db.url(), schema) == 0);
}

namespace {

// A sequence, an enum, a table with a CHECK and an index, and a view over it.
constexpr const char* kItems = R"yaml(
schemas:
  public:
    sequences:
      invoice_seq: {}
    enums:
      ticket_state: [open, closed]
    tables:
      items:
        columns:
          id: { type: bigint, nullable: false }
          price: numeric
        primary_key: [id]
        checks:
          items_price_check: { expression: price > 0 }
        indexes:
          items_price_idx: { columns: [price] }
    views:
      cheap_items: SELECT id, price FROM items WHERE price < 10
)yaml";

}  // namespace

TEST_CASE("a renamed_from of an index, sequence, view or enum label that matches nothing is an "
          "error suggesting the nearest current name",
          "[cli][db][renames]") {
  TestDatabase db;
  TempDir dir;
  const std::string yaml = kItems;
  REQUIRE(apply_schema(db.url(), dir.write("a.yaml", yaml)).exit_code == 0);
  std::string next = replaced(yaml, "items_price_idx: { columns",
                              "items_by_price: { renamed_from: items_prise_idx, columns");
  next = replaced(next, "invoice_seq: {}", "invoice_no_seq: { renamed_from: invoce_seq }");
  next = replaced(next, "[open, closed]", "[open, { name: resolved, renamed_from: clossed }]");
  next = replaced(next, "      cheap_items: SELECT",
                  "      bargain_items:\n        renamed_from: cheap_item\n        definition: "
                  "SELECT");
  const auto planned =
      run_pgshift({"plan", "--db", db.url(), "--schema", dir.write("b.yaml", next)});
  INFO(planned.output);
  CHECK(planned.exit_code == 1);
  CHECK(contains(planned.output, "renamed_from \"items_prise_idx\" matches no index of table "
                                 "\"public.items\""));
  CHECK(contains(planned.output, "did you mean \"items_price_idx\"?"));
  CHECK(contains(planned.output, "did you mean \"invoice_seq\"?"));
  CHECK(contains(planned.output, "did you mean \"cheap_items\"?"));
  CHECK(contains(planned.output, "did you mean \"closed\"?"));
  // Each says where in the YAML the hint is (the object's line).
  CHECK(contains(planned.output, "b.yaml:" + std::to_string(line_of(next, "items_by_price")) +
                                     ":11: renamed_from \"items_prise_idx\""));
  CHECK(contains(planned.output, "b.yaml:" + std::to_string(line_of(next, "invoice_no_seq")) +
                                     ":7: renamed_from \"invoce_seq\""));
  const int label_line = line_of(next, "renamed_from: clossed");
  CHECK(contains(planned.output, "b.yaml:" + std::to_string(label_line) +
                                     ":7: renamed_from \"clossed\" of label \"resolved\""));
}

TEST_CASE("a renamed_from naming a table, sequence, view, index or constraint the desired state "
          "keeps as well is an error naming the hint, never a new object beside the kept one",
          "[cli][db][renames]") {
  TestDatabase db;
  TempDir dir;
  const std::string yaml = kItems;
  REQUIRE(apply_schema(db.url(), dir.write("a.yaml", yaml)).exit_code == 0);
  // Each renamed away with a change, while an object of the old name stays.
  std::string next = replaced(yaml, "      invoice_seq: {}\n",
                              "      invoice_seq: {}\n"
                              "      invoice_no: { min_value: 10, renamed_from: invoice_seq }\n");
  next = replaced(next, "          items_price_idx: { columns: [price] }\n",
                  "          items_price_idx: { columns: [price] }\n"
                  "          items_by_price: { columns: [price, id], renamed_from: "
                  "items_price_idx }\n");
  next = replaced(next, "          items_price_check: { expression: price > 0 }\n",
                  "          items_price_check: { expression: price > 0 }\n"
                  "          items_price_positive: { expression: price >= 1, renamed_from: "
                  "items_price_check }\n");
  next = replaced(next, "      cheap_items: SELECT id, price FROM items WHERE price < 10\n",
                  "      cheap_items: SELECT id, price FROM items WHERE price < 10\n"
                  "      bargains:\n        renamed_from: cheap_items\n        definition: "
                  "SELECT id FROM items WHERE price < 5\n");
  next = replaced(next, "    tables:\n",
                  "    tables:\n      items_v2:\n        renamed_from: items\n        columns:\n"
                  "          id: { type: bigint, nullable: false }\n");
  const auto planned =
      run_pgshift({"plan", "--db", db.url(), "--schema", dir.write("b.yaml", next)});
  INFO(planned.output);
  CHECK(planned.exit_code == 1);
  for (const std::string kind : {"sequence", "table", "view", "index", "check constraint"}) {
    INFO(kind);
    CHECK(contains(planned.output, "that the desired state keeps as well: a" +
                                       std::string(kind == "index" ? "n " : " ") + kind +
                                       " is renamed or kept, not both"));
  }
  CHECK(contains(planned.output, "b.yaml:" + std::to_string(line_of(next, "invoice_no:")) +
                                     ":7: renamed_from \"invoice_seq\" names the sequence of schema "
                                     "\"public\" that the desired state keeps as well"));
  CHECK(contains(planned.output, "renamed_from \"items_price_idx\" names the index of table "
                                 "\"public.items\" that the desired state keeps as well: an "
                                 "index is renamed"));
  CHECK(contains(planned.output, "refused: the plan above cannot be applied"));
  // Without the hints, the same state plans new objects beside the kept ones.
  std::string unhinted = next;
  for (const std::string hint :
       {", renamed_from: invoice_seq", ", renamed_from: items_price_idx",
        ", renamed_from: items_price_check", "        renamed_from: cheap_items\n",
        "        renamed_from: items\n"}) {
    unhinted = replaced(unhinted, hint, "");
  }
  const auto replanned =
      run_pgshift({"plan", "--db", db.url(), "--schema", dir.write("c.yaml", unhinted)});
  INFO(replanned.output);
  CHECK(replanned.exit_code == 0);
  CHECK(contains(replanned.output, "CREATE SEQUENCE public.invoice_no"));
}

namespace {

// public.audit_events (serial id, index, 30 rows) <- public.audit_notes
// (foreign key), and a view over it; written as `inspect` writes them.
constexpr const char* kAuditBefore = R"yaml(schemas:
  public:
    tables:
      audit_events:
        columns:
          id:
            type: integer
            nullable: false
            default: "nextval('audit_events_id_seq'::regclass)"
          kind: { type: text, nullable: false }
          created_at: { type: timestamp with time zone, default: now() }
        primary_key: [id]
        indexes:
          audit_events_kind_idx: { columns: [kind] }
      audit_notes:
        columns:
          id: { type: bigint, nullable: false }
          event_id: integer
        primary_key: [id]
        foreign_keys:
          - { columns: [event_id], references: audit_events(id) }
    views:
      event_kinds: |2-
         SELECT audit_events.id,
            audit_events.kind
           FROM audit_events
    sequences:
      audit_events_id_seq: { type: integer, owned_by: public.audit_events.id }
)yaml";

// The same with audit_events moved to schema archive.
constexpr const char* kAuditMoved = R"yaml(schemas:
  archive:
    tables:
      audit_events:
        renamed_from: public.audit_events
        columns:
          id:
            type: integer
            nullable: false
            default: "nextval('archive.audit_events_id_seq'::regclass)"
          kind: { type: text, nullable: false }
          created_at: { type: timestamp with time zone, default: now() }
        primary_key: [id]
        indexes:
          audit_events_kind_idx: { columns: [kind] }
    sequences:
      audit_events_id_seq: { type: integer, owned_by: archive.audit_events.id }
  public:
    tables:
      audit_notes:
        columns:
          id: { type: bigint, nullable: false }
          event_id: integer
        primary_key: [id]
        foreign_keys:
          - { columns: [event_id], references: archive.audit_events(id) }
    views:
      event_kinds: |2-
         SELECT audit_events.id,
            audit_events.kind
           FROM archive.audit_events
)yaml";

}  // namespace

// No ": " in the name past Catch2's line width: its console reporter then
// wraps the name's header forever.
TEST_CASE(
    "a table moved to another schema by a qualified renamed_from is one SET SCHEMA, and rows, "
    "serial sequence, index, foreign key and the view over it follow, re-plan empty",
    "[cli][db][renames]") {
  TestDatabase db;
  TempDir dir;
  REQUIRE(apply_schema(db.url(), dir.write("a.yaml", kAuditBefore)).exit_code == 0);
  db.exec("INSERT INTO audit_events (kind) SELECT 'k' || g % 3 FROM generate_series(1, 30) g;"
          "INSERT INTO audit_notes SELECT g, g FROM generate_series(1, 10) g; ANALYZE");
  const std::string before = checksum(db, "audit_events");
  const std::string oid = db.scalar("SELECT 'public.audit_events'::regclass::oid");
  const std::string moved = dir.write("b.yaml", kAuditMoved);
  const auto refused = run_pgshift({"plan", "--db", db.url(), "--schema", moved});
  CHECK(refused.exit_code == 1);  // hazard rename, not allowed
  const std::string sql = plan_text(db, moved);
  INFO(sql);
  const auto create_at = sql.find("CREATE SCHEMA archive;");
  const auto move_at = sql.find("ALTER TABLE public.audit_events SET SCHEMA archive;");
  REQUIRE(create_at != std::string::npos);
  REQUIRE(move_at != std::string::npos);
  CHECK(create_at < move_at);
  check_absent(sql, {"DROP", "CREATE TABLE", "CREATE SEQUENCE", "CREATE INDEX", "SET DEFAULT",
                     "ADD CONSTRAINT", "VIEW", "RENAME"});
  apply_renames(db, moved);
  CHECK(db.scalar("SELECT 'archive.audit_events'::regclass::oid") == oid);
  CHECK(checksum(db, "archive.audit_events") == before);
  // The serial sequence moved with it and keeps counting.
  CHECK(db.scalar("SELECT to_regclass('archive.audit_events_id_seq') IS NOT NULL") == "t");
  db.exec("INSERT INTO archive.audit_events (kind) VALUES ('after')");
  CHECK(db.scalar("SELECT id FROM archive.audit_events WHERE kind = 'after'") == "31");
  CHECK(db.scalar("SELECT count(*) FROM event_kinds") == "31");
  CHECK_THROWS(db.exec("INSERT INTO audit_notes VALUES (100, 1000)"));
  CHECK(db.scalar("SELECT to_regclass('archive.audit_events_kind_idx') IS NOT NULL") == "t");
  // inspect writes the desired state (without the hint); the hint left in
  // place plans nothing.
  const auto inspected = run_pgshift({"inspect", "--db", db.url()});
  std::string expected = replaced(kAuditMoved, "        renamed_from: public.audit_events\n", "");
  if (pgshift::testing::server_version_num(db) >= 180000) {
    // PostgreSQL 18 deparses a one-table view's columns unqualified.
    expected = replaced(expected, "SELECT audit_events.id,", "SELECT id,");
    expected = replaced(expected, "    audit_events.kind\n", "    kind\n");
  }
  CHECK(inspected.output == expected);
  CHECK(replan(db.url(), moved) == 0);
}

TEST_CASE("a table moved and renamed keeps its identity column counting, and moves out of a "
          "schema the plan drops before the drop",
          "[cli][db][renames]") {
  TestDatabase db;
  TempDir dir;
  const std::string yaml = R"yaml(
schemas:
  public: {}
  legacy:
    tables:
      events:
        columns:
          id: { type: bigint, identity: always }
          kind: text
        primary_key: [id]
)yaml";
  REQUIRE(apply_schema(db.url(), dir.write("a.yaml", yaml)).exit_code == 0);
  db.exec("INSERT INTO legacy.events (kind) SELECT 'k' FROM generate_series(1, 20)");
  const std::string before = checksum(db, "legacy.events");
  const std::string moved = dir.write("b.yaml", R"yaml(
schemas:
  public:
    tables:
      audit_events:
        renamed_from: legacy.events
        columns:
          id: { type: bigint, identity: always }
          kind: text
        primary_key: { name: events_pkey, columns: [id] }
        indexes:
          audit_events_kind_idx: { columns: [kind] }
drop_schemas: [legacy]
)yaml");
  const std::string sql = plan_text(db, moved);
  INFO(sql);
  const auto move_at = sql.find("ALTER TABLE legacy.events SET SCHEMA public;");
  const auto rename_at = sql.find("ALTER TABLE public.events RENAME TO audit_events;");
  // CONCURRENTLY or not, by what the catalog says of its rows (PostgreSQL
  // 11 shows a never analyzed table empty).
  const auto index_at = sql.find("audit_events_kind_idx ON public.audit_events");
  const auto drop_at = sql.find("DROP SCHEMA legacy;");
  REQUIRE(move_at != std::string::npos);
  REQUIRE(rename_at != std::string::npos);
  REQUIRE(index_at != std::string::npos);
  REQUIRE(drop_at != std::string::npos);
  CHECK(move_at < rename_at);
  CHECK(rename_at < index_at);
  CHECK(rename_at < drop_at);
  CHECK_FALSE(contains(sql, "DROP TABLE"));
  apply_renames(db, moved, {"data_loss"});
  CHECK(checksum(db, "public.audit_events") == before);
  CHECK(db.scalar("SELECT count(*) FROM pg_namespace WHERE nspname = 'legacy'") == "0");
  db.exec("INSERT INTO audit_events (kind) VALUES ('after')");
  CHECK(db.scalar("SELECT id FROM audit_events WHERE kind = 'after'") == "21");
  CHECK(replan(db.url(), moved) == 0);
}

TEST_CASE("a qualified renamed_from that matches nothing is an error suggesting the nearest "
          "qualified name, and one naming an unmanaged schema says so",
          "[cli][db][renames]") {
  TestDatabase db;
  TempDir dir;
  REQUIRE(apply_schema(db.url(), dir.write("a.yaml", kAuditBefore)).exit_code == 0);
  const auto misspelt = run_pgshift(
      {"plan", "--db", db.url(), "--schema",
       dir.write("b.yaml", replaced(kAuditMoved, "renamed_from: public.audit_events",
                                    "renamed_from: public.audit_event"))});
  INFO(misspelt.output);
  CHECK(misspelt.exit_code == 1);
  CHECK(contains(misspelt.output, "renamed_from \"public.audit_event\" matches no table of schema "
                                  "\"public\", and none is named \"audit_events\" yet: did you "
                                  "mean \"public.audit_events\"?"));
  const auto unmanaged = run_pgshift(
      {"plan", "--db", db.url(), "--schema",
       dir.write("c.yaml", replaced(kAuditMoved, "renamed_from: public.audit_events",
                                    "renamed_from: staging.audit_events"))});
  INFO(unmanaged.output);
  CHECK(unmanaged.exit_code == 1);
  CHECK(contains(unmanaged.output, "renamed_from \"staging.audit_events\" names schema "
                                   "\"staging\", which the desired state does not manage"));
}

namespace {

// A sequence a default calls, a view another view reads, a materialized
// view with an index, and a grant on the view, all in public.
constexpr const char* kReportsBefore = R"yaml(
schemas:
  public:
    tables:
      invoices:
        columns:
          id: { type: bigint, nullable: false, default: "nextval('invoice_numbers'::regclass)" }
          total: { type: numeric, nullable: false }
        primary_key: [id]
    views:
      daily_totals: SELECT id % 7 AS day, sum(total) AS total FROM invoices GROUP BY 1
      big_days: SELECT day FROM daily_totals WHERE total > 10
    materialized_views:
      invoice_counts:
        definition: SELECT count(*) AS n FROM invoices
        indexes:
          invoice_counts_n: { columns: [n], unique: true }
    sequences:
      invoice_numbers: { start: 1000 }
    privileges:
      - view: daily_totals
        grants:
          - { to: PUBLIC, privileges: [SELECT] }
)yaml";

// The same, with the sequence, the view (renamed) and the materialized
// view moved to a new schema `reports`.
constexpr const char* kReportsMoved = R"yaml(
schemas:
  public:
    tables:
      invoices:
        columns:
          id: { type: bigint, nullable: false, default: "nextval('reports.invoice_numbers'::regclass)" }
          total: { type: numeric, nullable: false }
        primary_key: [id]
    views:
      big_days: SELECT day FROM reports.day_totals WHERE total > 10
  reports:
    views:
      day_totals:
        renamed_from: public.daily_totals
        definition: SELECT id % 7 AS day, sum(total) AS total FROM public.invoices GROUP BY 1
    materialized_views:
      invoice_counts:
        renamed_from: public.invoice_counts
        definition: SELECT count(*) AS n FROM public.invoices
        indexes:
          invoice_counts_n: { columns: [n], unique: true }
    sequences:
      invoice_numbers: { start: 1000, renamed_from: public.invoice_numbers }
    privileges:
      - view: day_totals
        grants:
          - { to: PUBLIC, privileges: [SELECT] }
)yaml";

}  // namespace

TEST_CASE(
    "a sequence, view and materialized view moved by a qualified renamed_from are moved "
    "by SET SCHEMA, and what uses them follows, re-plan empty",
    "[cli][db][renames]") {
  TestDatabase db;
  TempDir dir;
  REQUIRE(apply_schema(db.url(), dir.write("a.yaml", kReportsBefore)).exit_code == 0);
  db.exec(
      "INSERT INTO invoices (total) SELECT g FROM generate_series(1, 30) g;"
      "REFRESH MATERIALIZED VIEW invoice_counts");
  const std::string view_oid = db.scalar("SELECT 'public.daily_totals'::regclass::oid");
  const std::string big_days = checksum(db, "big_days");
  const std::string moved = dir.write("b.yaml", kReportsMoved);
  const std::string sql = plan_text(db, moved);
  INFO(sql);
  const auto create_at = sql.find("CREATE SCHEMA reports;");
  REQUIRE(create_at != std::string::npos);
  for (const char* statement :
       {"ALTER SEQUENCE public.invoice_numbers SET SCHEMA reports;",
        "ALTER VIEW public.daily_totals SET SCHEMA reports;",
        "ALTER VIEW reports.daily_totals RENAME TO day_totals;",
        "ALTER MATERIALIZED VIEW public.invoice_counts SET SCHEMA reports;"}) {
    const auto at = sql.find(statement);
    CHECK(at != std::string::npos);
    CHECK(create_at < at);
  }
  check_absent(sql, {"DROP", "CREATE VIEW", "CREATE OR REPLACE", "CREATE SEQUENCE",
                     "CREATE MATERIALIZED", "CREATE INDEX", "CREATE UNIQUE", "SET DEFAULT", "GRANT",
                     "REVOKE"});
  apply_renames(db, moved);
  CHECK(db.scalar("SELECT 'reports.day_totals'::regclass::oid") == view_oid);
  CHECK(checksum(db, "big_days") == big_days);
  CHECK(db.scalar("SELECT n FROM reports.invoice_counts") == "30");
  CHECK(db.scalar("SELECT to_regclass('reports.invoice_counts_n') IS NOT NULL") == "t");
  db.exec("INSERT INTO invoices (total) VALUES (1)");
  CHECK(db.scalar("SELECT max(id) FROM invoices") == "1030");
  CHECK(db.scalar("SELECT has_table_privilege('public', 'reports.day_totals', 'SELECT')") == "t");
  CHECK(replan(db.url(), moved) == 0);
}

TEST_CASE(
    "a qualified renamed_from of a sequence a column owns, of a name taken in the new "
    "schema, or matching nothing is refused by name",
    "[cli][db][renames]") {
  TestDatabase db;
  TempDir dir;
  const std::string yaml = R"yaml(
schemas:
  public:
    tables:
      tickets:
        columns:
          id: { type: integer, nullable: false, default: "nextval('tickets_id_seq'::regclass)" }
        primary_key: [id]
    sequences:
      tickets_id_seq: { type: integer, owned_by: tickets.id }
    views:
      open_tickets: SELECT id FROM tickets
    materialized_views:
      ticket_counts:
        definition: SELECT count(*) AS n FROM tickets
        indexes:
          ticket_counts_n: { columns: [n] }
  reports:
    tables:
      counters:
        columns:
          n: bigint
        indexes:
          ticket_counts_n: { columns: [n] }
    views:
      summary: SELECT 1 AS one
)yaml";
  REQUIRE(apply_schema(db.url(), dir.write("a.yaml", yaml)).exit_code == 0);
  const auto plan_of = [&](const std::string& name, const std::string& text) {
    const auto result = run_pgshift(
        {"plan", "--db", db.url(), "--schema", dir.write(name, text), "--allow-hazard", "rename"});
    INFO(result.output);
    CHECK(result.exit_code == 1);
    return result.output;
  };
  std::string owned_yaml = replaced(
      yaml, "    sequences:\n      tickets_id_seq: { type: integer, owned_by: tickets.id }\n", "");
  owned_yaml = replaced(owned_yaml, "nextval('tickets_id_seq'", "nextval('reports.tickets_id_seq'");
  owned_yaml = replaced(owned_yaml, "  reports:\n",
                        "  reports:\n    sequences:\n      tickets_id_seq: { type: integer, "
                        "renamed_from: public.tickets_id_seq }\n");
  const std::string owned = plan_of("owned.yaml", owned_yaml);
  CHECK(contains(owned,
                 "moves sequence \"public.tickets_id_seq\", which column "
                 "\"public.tickets.id\" owns: it moves only with its table"));
  // The materialized view's index keeps its name, which the index of a
  // table the plan drops has in the new schema.
  const std::string counts =
      "    materialized_views:\n      ticket_counts:\n"
      "        definition: SELECT count(*) AS n FROM tickets\n"
      "        indexes:\n          ticket_counts_n: { columns: [n] }\n";
  const std::string moved_counts =
      "    materialized_views:\n      ticket_counts:\n"
      "        renamed_from: public.ticket_counts\n"
      "        definition: SELECT count(*) AS n FROM public.tickets\n"
      "        indexes:\n          ticket_counts_n: { columns: [n] }\n";
  const std::string counters =
      "    tables:\n      counters:\n        columns:\n          n: bigint\n"
      "        indexes:\n          ticket_counts_n: { columns: [n] }\n";
  const std::string taken =
      plan_of("taken.yaml", replaced(replaced(replaced(yaml, counts, ""), counters, ""),
                                     "      summary: SELECT 1 AS one\n",
                                     "      summary: SELECT 1 AS one\n" + moved_counts));
  CHECK(contains(taken,
                 "cannot move materialized view \"public.ticket_counts\" to schema "
                 "\"reports\": \"ticket_counts_n\" is taken there"));
  const std::string misspelt = plan_of(
      "misspelt.yaml", replaced(replaced(yaml, "      open_tickets: SELECT id FROM tickets\n", ""),
                                "      summary: SELECT 1 AS one\n",
                                "      summary: SELECT 1 AS one\n      open:\n"
                                "        renamed_from: public.open_ticket\n"
                                "        definition: SELECT id FROM public.tickets\n"));
  CHECK(contains(misspelt,
                 "renamed_from \"public.open_ticket\" matches no view of schema "
                 "\"public\", and none is named \"open\" yet: did you mean "
                 "\"public.open_tickets\"?"));
}

TEST_CASE(
    "a NOT NULL or CHECK added to a table the plan moves is checked at plan time where the "
    "table is then",
    "[cli][db][renames]") {
  TestDatabase db;
  TempDir dir;
  db.exec(
      "CREATE SCHEMA archive; CREATE TABLE public.events (id integer PRIMARY KEY, kind text);"
      "INSERT INTO public.events SELECT g, CASE WHEN g % 10 = 0 THEN NULL ELSE 'k' || g END "
      "FROM generate_series(1, 100) g; ANALYZE public.events");
  const std::string yaml = R"yaml(
schemas:
  public: {}
  archive:
    tables:
      events:
        renamed_from: public.events
        columns:
          id: { type: integer, nullable: false }
          kind: { type: text, nullable: false }
        primary_key: [id]
        checks:
          kind_short: length(kind) < 3
)yaml";
  const auto result = run_pgshift({"plan", "--db", db.url(), "--schema", dir.write("m.yaml", yaml),
                                   "--allow-hazard", "rename", "--format", "json"});
  INFO(result.output);
  CHECK(result.exit_code == 1);
  // Both refusals come from plan-time checks of public.events, none from a
  // query naming archive.events, which does not exist yet.
  CHECK(contains(result.output, "rows where \\\"kind\\\" is NULL: 10 rows violate it"));
  CHECK(contains(result.output, "81 rows violate it"));  // k10 to k99 but the NULLs
  CHECK(contains(result.output, "\"plan_schema\": \"public\""));
  CHECK_FALSE(contains(result.output, "could not be checked"));
}

TEST_CASE(
    "a foreign key added to a table the plan moves is checked at plan time where the referenced "
    "table is then",
    "[cli][db][renames]") {
  TestDatabase db;
  TempDir dir;
  // Orders whose customer_id is 0 or 11 (16 of 100) have no customer.
  db.exec(
      "CREATE SCHEMA archive; CREATE TABLE public.customers (id integer PRIMARY KEY);"
      "INSERT INTO public.customers SELECT generate_series(1, 10);"
      "CREATE TABLE public.orders (id integer PRIMARY KEY, customer_id integer);"
      "INSERT INTO public.orders SELECT g, g % 12 FROM generate_series(1, 100) g;"
      "ANALYZE public.customers; ANALYZE public.orders");
  const std::string yaml = R"yaml(
schemas:
  public:
    tables:
      orders:
        columns:
          id: { type: integer, nullable: false }
          customer_id: integer
        primary_key: [id]
        foreign_keys:
          - name: orders_customer_id_fkey
            columns: [customer_id]
            references: { schema: archive, table: customers, columns: [id] }
  archive:
    tables:
      customers:
        renamed_from: public.customers
        columns:
          id: { type: integer, nullable: false }
        primary_key: [id]
)yaml";
  const auto result = run_pgshift({"plan", "--db", db.url(), "--schema", dir.write("m.yaml", yaml),
                                   "--allow-hazard", "rename", "--format", "json"});
  INFO(result.output);
  CHECK(result.exit_code == 1);
  // Read from public.customers, where the table is when the plan is made;
  // archive.customers does not exist yet.
  CHECK(contains(result.output,
                 "rows of foreign key \\\"orders_customer_id_fkey\\\" without a row in "
                 "\\\"archive.customers\\\": 16 rows violate it"));
  CHECK_FALSE(contains(result.output, "could not be checked"));
}
