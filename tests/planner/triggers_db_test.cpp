// Constraint triggers end to end: created by plan and apply, read back by
// inspect, changed by drop and create in one transaction (PostgreSQL has no
// OR REPLACE for them), an out-of-band change found by drift and repaired.
#include <catch2/catch.hpp>

#include <string>

#include "tests/support/pgshift_cli.hpp"
#include "tests/support/test_db.hpp"

using namespace pgshift::testing;

namespace {

constexpr const char* kSetup =
    "CREATE TABLE accounts (id integer PRIMARY KEY, balance integer NOT NULL);"
    "CREATE TABLE ledger (id integer PRIMARY KEY, account_id integer NOT NULL, amount integer);"
    "INSERT INTO accounts SELECT g, 100 FROM generate_series(1, 50) g;"
    "INSERT INTO ledger SELECT g, g % 50 + 1, g FROM generate_series(1, 500) g;"
    "CREATE FUNCTION check_balance() RETURNS trigger LANGUAGE plpgsql AS "
    "$$BEGIN IF (SELECT balance FROM accounts WHERE id = NEW.account_id) < 0 THEN "
    "RAISE EXCEPTION 'negative balance'; END IF; RETURN NULL; END$$;";

// The schema with ledger's trigger block `trigger` (YAML under triggers:).
std::string schema_yaml(const std::string& trigger) {
  return "schemas:\n"
         "  public:\n"
         "    tables:\n"
         "      accounts:\n"
         "        columns:\n"
         "          id: { type: integer, nullable: false }\n"
         "          balance: { type: integer, nullable: false }\n"
         "        primary_key: [id]\n"
         "      ledger:\n"
         "        columns:\n"
         "          id: { type: integer, nullable: false }\n"
         "          account_id: { type: integer, nullable: false }\n"
         "          amount: integer\n"
         "        primary_key: [id]\n"
         "        triggers:\n"
         "          ledger_balanced:\n"
         "            timing: after\n"
         "            events: [insert, update]\n"
         "            for_each: row\n"
         "            function: check_balance\n" +
         trigger +
         "    functions:\n"
         "      check_balance:\n"
         "        returns: trigger\n"
         "        language: plpgsql\n"
         "        body: BEGIN IF (SELECT balance FROM accounts WHERE id = NEW.account_id) < 0 THEN "
         "RAISE EXCEPTION 'negative balance'; END IF; RETURN NULL; END\n";
}

std::string trigger_state(const TestDatabase& db) {
  return db.scalar(
      "SELECT string_agg(concat_ws(' ', tgname, tgconstraint <> 0, tgdeferrable, tginitdeferred, "
      "tgconstrrelid::regclass), ', ' ORDER BY tgname) FROM pg_trigger "
      "WHERE tgrelid = 'ledger'::regclass AND NOT tgisinternal");
}

}  // namespace

TEST_CASE("a constraint trigger is created, read back, changed by drop and create in one "
          "transaction, and repaired after an out-of-band change",
          "[planner][db][triggers]") {
  const TestDatabase db;
  db.exec(kSetup);
  const std::string rows = db.scalar("SELECT count(*) || ':' || sum(amount) FROM ledger");
  const TempDir dir;
  const std::string deferred = dir.write(
      "deferred.yaml", schema_yaml("            constraint: true\n"
                                   "            deferrable: true\n"
                                   "            initially_deferred: true\n"
                                   "            from: accounts\n"));

  const CommandResult planned = run_pgshift({"plan", "--db", db.url(), "--schema", deferred});
  INFO(planned.output);
  CHECK(contains(planned.output, "CREATE CONSTRAINT TRIGGER ledger_balanced AFTER INSERT OR UPDATE "
                                 "ON public.ledger FROM public.accounts DEFERRABLE INITIALLY "
                                 "DEFERRED FOR EACH ROW"));
  const CommandResult created = apply_schema(db.url(), deferred, {"all"});
  INFO(created.output);
  REQUIRE(created.exit_code == 0);
  CHECK(trigger_state(db) == "ledger_balanced t t t accounts");
  CHECK(replan(db.url(), deferred) == 0);

  // inspect writes it as the YAML says it.
  const CommandResult inspected = run_pgshift({"inspect", "--db", db.url()});
  REQUIRE(inspected.exit_code == 0);
  CHECK(contains(inspected.output, "            constraint: true\n"
                                   "            deferrable: true\n"
                                   "            initially_deferred: true\n"
                                   "            from: accounts\n"));

  // Deferred: the check runs at commit, so a transaction may pass through
  // a negative balance and repair it before committing.
  db.exec(
      "BEGIN; UPDATE accounts SET balance = -1 WHERE id = 1; INSERT INTO ledger VALUES (1000, 1, "
      "0); UPDATE accounts SET balance = 100 WHERE id = 1; COMMIT;");
  CHECK_THROWS(db.exec("UPDATE accounts SET balance = -1 WHERE id = 2; "
                       "INSERT INTO ledger VALUES (1001, 2, 0)"));
  db.exec("UPDATE accounts SET balance = 100 WHERE id = 2");

  // Made immediate: CREATE OR REPLACE cannot change a constraint trigger,
  // so it is dropped and created in the same step.
  const std::string immediate = dir.write(
      "immediate.yaml", schema_yaml("            constraint: true\n"));
  const CommandResult plan =
      run_pgshift({"plan", "--db", db.url(), "--schema", immediate, "--allow-hazard", "all"});
  INFO(plan.output);
  CHECK(contains(plan.output, "-- Step 1: replace trigger \"ledger_balanced\""));
  CHECK(contains(plan.output, "DROP TRIGGER ledger_balanced ON public.ledger;\n"
                              "CREATE CONSTRAINT TRIGGER ledger_balanced AFTER INSERT OR UPDATE "
                              "ON public.ledger NOT DEFERRABLE FOR EACH ROW"));
  CHECK_FALSE(contains(plan.output, "CREATE OR REPLACE"));
  const CommandResult changed = apply_schema(db.url(), immediate, {"all"});
  INFO(changed.output);
  REQUIRE(changed.exit_code == 0);
  CHECK(trigger_state(db) == "ledger_balanced t f f -");
  CHECK(replan(db.url(), immediate) == 0);

  // Changed behind pgshift's back to a plain trigger: drift sees it, plan
  // puts the constraint trigger back.
  db.exec(
      "DROP TRIGGER ledger_balanced ON ledger; CREATE TRIGGER ledger_balanced AFTER INSERT OR "
      "UPDATE ON ledger FOR EACH ROW EXECUTE FUNCTION check_balance()");
  const CommandResult drift = run_pgshift({"drift", "--db", db.url(), "--schema", immediate});
  INFO(drift.output);
  CHECK(drift.exit_code == 2);
  CHECK(contains(drift.output, "ledger_balanced"));
  REQUIRE(apply_schema(db.url(), immediate, {"all"}).exit_code == 0);
  CHECK(trigger_state(db) == "ledger_balanced t f f -");
  CHECK(db.scalar("SELECT count(*) || ':' || sum(amount) FROM ledger WHERE id < 1000") == rows);
}

TEST_CASE("a constraint trigger that is not AFTER ... FOR EACH ROW, and constraint keys on a plain "
          "trigger, are errors at their YAML position",
          "[planner][db][triggers]") {
  const TestDatabase db;
  const TempDir dir;
  std::string yaml = schema_yaml("            constraint: true\n");
  yaml.replace(yaml.find("timing: after"), std::string("timing: after").size(), "timing: before");
  const std::string before = dir.write("before.yaml", yaml);
  const CommandResult refused =
      run_pgshift({"plan", "--db", db.url(), "--schema", before});
  INFO(refused.output);
  CHECK(refused.exit_code == 1);
  CHECK(contains(refused.output, "before.yaml:21:25: "));
  CHECK(contains(refused.output, ".ledger_balanced.constraint: a constraint trigger is timing: "
                                 "after and for_each: row"));
  const std::string plain =
      dir.write("plain.yaml", schema_yaml("            initially_deferred: true\n"));
  const CommandResult keys = run_pgshift({"plan", "--db", db.url(), "--schema", plain});
  INFO(keys.output);
  CHECK(keys.exit_code == 1);
  CHECK(contains(keys.output, "plain.yaml:21:33: "));
  CHECK(contains(keys.output, ".ledger_balanced.initially_deferred: initially_deferred is for a "
                              "constraint trigger (constraint: true)"));
  CHECK_FALSE(contains(keys.output, "needs deferrable"));
}

TEST_CASE(
    "a trigger's firing is created, read back, narrowed only with data_loss, and a trigger "
    "disabled out of band is drift",
    "[planner][db][triggers]") {
  const TestDatabase db;
  db.exec(kSetup);
  const TempDir dir;
  const auto firing = [&db] {
    return db.scalar("SELECT tgenabled FROM pg_trigger WHERE tgname = 'ledger_balanced'");
  };
  // Created firing only in replica sessions: in the step that creates it, no
  // hazard (nothing fired before).
  const std::string replica =
      dir.write("replica.yaml", schema_yaml("            firing: replica\n"));
  const CommandResult created_plan = run_pgshift({"plan", "--db", db.url(), "--schema", replica});
  INFO(created_plan.output);
  CHECK(created_plan.exit_code == 0);
  CHECK(contains(created_plan.output,
                 "EXECUTE FUNCTION public.check_balance();\n"
                 "ALTER TABLE public.ledger ENABLE REPLICA TRIGGER ledger_balanced;"));
  REQUIRE(apply_schema(db.url(), replica).exit_code == 0);
  CHECK(firing() == "R");
  CHECK(replan(db.url(), replica) == 0);
  const CommandResult inspected = run_pgshift({"inspect", "--db", db.url()});
  CHECK(contains(inspected.output, "            firing: replica\n"));

  // Always: fires in more sessions, no hazard.
  const std::string always = dir.write("always.yaml", schema_yaml("            firing: always\n"));
  const CommandResult widened = run_pgshift({"plan", "--db", db.url(), "--schema", always});
  INFO(widened.output);
  CHECK(widened.exit_code == 0);
  CHECK(
      contains(widened.output, "ALTER TABLE public.ledger ENABLE ALWAYS TRIGGER ledger_balanced;"));
  CHECK_FALSE(contains(widened.output, "data_loss"));
  REQUIRE(apply_schema(db.url(), always).exit_code == 0);
  CHECK(firing() == "A");

  // Disabled: what it checked is no longer checked: refused without data_loss.
  const std::string disabled =
      dir.write("disabled.yaml", schema_yaml("            firing: disabled\n"));
  const CommandResult narrowed = run_pgshift({"plan", "--db", db.url(), "--schema", disabled});
  INFO(narrowed.output);
  CHECK(narrowed.exit_code == 1);
  CHECK(contains(narrowed.output, "has hazard data_loss"));
  CHECK(contains(narrowed.output, "ALTER TABLE public.ledger DISABLE TRIGGER ledger_balanced;"));
  REQUIRE(apply_schema(db.url(), disabled, {"data_loss"}).exit_code == 0);
  CHECK(firing() == "D");
  CHECK(replan(db.url(), disabled) == 0);

  // The YAML says nothing (origin): the trigger disabled behind pgshift's
  // back is drift, and apply enables it again.
  const std::string origin = dir.write("origin.yaml", schema_yaml(""));
  const CommandResult drift = run_pgshift({"drift", "--db", db.url(), "--schema", origin});
  INFO(drift.output);
  CHECK(drift.exit_code == 2);
  CHECK(contains(drift.output, "ledger_balanced"));
  REQUIRE(apply_schema(db.url(), origin).exit_code == 0);
  CHECK(firing() == "O");
  CHECK(run_pgshift({"drift", "--db", db.url(), "--schema", origin}).exit_code == 0);
}
