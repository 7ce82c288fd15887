#include "plans/render_sql.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "plans/render_json.hpp"
#include "plans/sql_text.hpp"
#include "schemas/model.hpp"

namespace pgshift::plans {

namespace {

std::string timeout_literal(std::chrono::milliseconds timeout) {
  return quote_literal(std::to_string(timeout.count()) + "ms");
}

std::string locks_text(const Step& step) {
  if (step.locks.empty()) return "none on tables";
  std::string text;
  for (const auto& lock : step.locks) {
    if (!text.empty()) text += ", ";
    text += fmt::format("{} on {}.{}", lock_mode_name(lock.mode), lock.schema, lock.relation);
  }
  return text;
}

std::string hazards_text(const Step& step) {
  if (step.hazards.empty()) return "none";
  std::string text;
  for (Hazard hazard : step.hazards) {
    if (!text.empty()) text += ", ";
    text += hazard_name(hazard);
  }
  return text;
}

// A dollar-quote tag that does not occur in `body`: $pgshift$, $pgshift1$, ...
std::string dollar_tag(const std::string& body) {
  std::string tag = "$pgshift$";
  for (int suffix = 1; body.find(tag) != std::string::npos; ++suffix) {
    tag = "$pgshift" + std::to_string(suffix) + "$";
  }
  return tag;
}

std::string key_list(const std::vector<std::string>& columns, const std::string& prefix,
                     const char* suffix) {
  std::string text;
  for (std::size_t idx = 0; idx < columns.size(); ++idx) {
    text += (idx == 0 ? "" : ", ") +
            (prefix.empty() ? quote_ident(columns[idx]) : prefix + std::to_string(idx + 1)) +
            suffix;
  }
  return text;
}

// The backfill as one DO block that COMMITs between batches (PostgreSQL 11+,
// run outside a transaction block, as any client in autocommit mode does),
// as the applier runs it (plans/apply_backfill.cpp), without its journal:
// by keyset over the key, or by block ranges then a sweep. Plain SQL: no
// psql meta-command. The variables are prefixed: PL/pgSQL refuses (rather
// than guesses) a name that is both a variable and a column of the table.
std::string backfill_sql(const BackfillSpec& spec) {
  const std::string relation = quote_qualified(spec.schema, spec.table);
  const std::string where = spec.where.empty() ? "true" : spec.where;
  std::string body;
  if (spec.key_columns.empty()) {
    body = fmt::format(
        "\nDECLARE\n"
        "  pgshift_block bigint := 0;\n"
        "  pgshift_blocks bigint;\n"
        "  pgshift_step bigint;\n"
        "  pgshift_found bigint;\n"
        "BEGIN\n"
        "  SELECT pg_relation_size(c.oid) / current_setting('block_size')::bigint,\n"
        "         greatest(1, {batch} / greatest(1, c.reltuples / greatest(1, c.relpages)))::bigint\n"
        "    INTO pgshift_blocks, pgshift_step FROM pg_class c WHERE c.oid = {literal}::regclass;\n"
        "  WHILE pgshift_block < pgshift_blocks LOOP\n"
        "    UPDATE {rel} SET {column} = ({expression})\n"
        "     WHERE ctid >= format('(%s,0)', pgshift_block)::tid\n"
        "       AND ctid < format('(%s,0)', pgshift_block + pgshift_step)::tid AND ({where});\n"
        "    COMMIT;\n"
        "    pgshift_block := pgshift_block + pgshift_step;\n"
        "  END LOOP;\n"
        "  LOOP\n"
        "    WITH pgshift_rows AS (SELECT ctid AS pgshift_ctid FROM {rel} WHERE ({where}) LIMIT {batch}),\n"
        "         pgshift_updated AS (UPDATE {rel} SET {column} = ({expression})\n"
        "           WHERE ctid = ANY (ARRAY(SELECT pgshift_ctid FROM pgshift_rows)) AND ({where}))\n"
        "    SELECT count(*) INTO pgshift_found FROM pgshift_rows;\n"
        "    COMMIT;\n"
        "    EXIT WHEN pgshift_found < {batch};\n"
        "  END LOOP;\n"
        "END\n",
        fmt::arg("rel", relation), fmt::arg("literal", quote_literal(relation)),
        fmt::arg("column", quote_ident(spec.set_column)), fmt::arg("expression", spec.set_expression),
        fmt::arg("batch", spec.batch_size), fmt::arg("where", where));
  } else {
    // pgshift_k: the last key done; pgshift_b: the batch's last key, `batch`
    // keys on (no row: fewer are left, and the last UPDATE takes the rest).
    std::string declare;
    std::string advance;
    for (std::size_t idx = 0; idx < spec.key_columns.size(); ++idx) {
      const std::string type =
          fmt::format("{}.{}%TYPE", relation, quote_ident(spec.key_columns[idx]));
      declare += fmt::format("  pgshift_k{0} {1};\n  pgshift_b{0} {1};\n", idx + 1, type);
      advance += fmt::format("    pgshift_k{0} := pgshift_b{0};\n", idx + 1);
    }
    const std::string keys = key_list(spec.key_columns, "", "");
    const std::string done = key_list(spec.key_columns, "pgshift_k", "");
    const std::string bound = key_list(spec.key_columns, "pgshift_b", "");
    const std::string after = fmt::format("({}) > ({})", keys, done);
    const std::string update = fmt::format("UPDATE {} SET {} = ({})", relation,
                                           quote_ident(spec.set_column), spec.set_expression);
    const auto find_bound = [&](const std::string& where_after) {
      return fmt::format("      SELECT {keys} INTO {bound} FROM {rel}{where}\n"
                         "       ORDER BY {keys} OFFSET {skip} LIMIT 1;\n",
                         fmt::arg("keys", keys), fmt::arg("bound", bound),
                         fmt::arg("rel", relation), fmt::arg("where", where_after),
                         fmt::arg("skip", std::max<int64_t>(0, spec.batch_size - 1)));
    };
    body = fmt::format(
        "\nDECLARE\n"
        "{declare}"
        "  pgshift_first boolean := true;\n"
        "BEGIN\n"
        "  LOOP\n"
        "    IF pgshift_first THEN\n"
        "{first_bound}"
        "    ELSE\n"
        "{next_bound}"
        "    END IF;\n"
        "    EXIT WHEN NOT FOUND;\n"
        "    IF pgshift_first THEN\n"
        "      {update} WHERE ({keys}) <= ({bound}) AND ({where});\n"
        "    ELSE\n"
        "      {update} WHERE {after} AND ({keys}) <= ({bound}) AND ({where});\n"
        "    END IF;\n"
        "    COMMIT;\n"
        "{advance}"
        "    pgshift_first := false;\n"
        "  END LOOP;\n"
        "  IF pgshift_first THEN\n"
        "    {update} WHERE ({where});\n"
        "  ELSE\n"
        "    {update} WHERE {after} AND ({where});\n"
        "  END IF;\n"
        "END\n",
        fmt::arg("declare", declare), fmt::arg("first_bound", find_bound("")),
        fmt::arg("next_bound", find_bound(" WHERE " + after)), fmt::arg("update", update),
        fmt::arg("keys", keys), fmt::arg("bound", bound), fmt::arg("after", after),
        fmt::arg("where", where), fmt::arg("advance", advance));
  }
  const std::string tag = dollar_tag(body);
  return "DO " + tag + body + tag + ";\n";
}

// One comment line: whatever a name holds, it cannot end the comment and
// start a line psql would run (schemas::printable escapes line breaks).
std::string comment(const std::string& text) {
  return "-- " + schemas::printable(text) + "\n";
}

}  // namespace

std::string render_step_sql(const Step& step) {
  std::string text = comment(fmt::format("Step {}: {}", step.id, step.summary));
  text += comment(fmt::format("{}phase: {}; duration: {}; locks: {}",
                              step.stage == Stage::Contract ? "stage: contract; " : "",
                              phase_name(step.phase),
                              duration_class_name(step.duration), locks_text(step)));
  std::string hazards = fmt::format("hazards: {}", hazards_text(step));
  if (step.estimated_rows) hazards += fmt::format("; estimated rows: {}", *step.estimated_rows);
  if (step.estimated_ms) hazards += "; estimated time: about " + format_duration_ms(*step.estimated_ms);
  text += comment(hazards);
  text += comment("why: " + step.rationale);
  for (const auto& check : step.data_checks) {
    std::string line = std::string("data check (") + data_check_kind_name(check.kind) +
                       "): " + describe_finding(check);
    if (check.finding) line += fmt::format("; {} ms", check.finding->elapsed_ms);
    text += comment(line);
    text += comment("  lists them: " + plan_time_query(check, false));
  }
  if (may_wait_for_locks(step) && step.statement_timeout.count() > 0) {
    // As pgshift apply runs it: a concurrent build waits for every older
    // transaction, and its queued lock blocks no reads or writes.
    text += "SET lock_timeout = 0;  -- its locks block no reads or writes: it may wait, up to its "
            "statement_timeout\n";
  } else {
    text += fmt::format("SET lock_timeout = {};\n", timeout_literal(step.lock_timeout));
  }
  if (step.backfill) {
    // statement_timeout would time the whole DO statement, every batch
    // together; lock_timeout still bounds each batch's wait for its lock.
    // (pgshift apply times each batch with the step's statement_timeout.)
    text += fmt::format("SET statement_timeout = 0;  -- per batch: {} under pgshift apply\n",
                        timeout_literal(step.statement_timeout));
    text += backfill_sql(*step.backfill);
    return text;
  }
  text += fmt::format("SET statement_timeout = {};\n", timeout_literal(step.statement_timeout));
  if (step.transactional) text += "BEGIN;\n";
  for (const auto& statement : step.statements) text += statement + ";\n";
  if (step.transactional) text += "COMMIT;\n";
  return text;
}

std::string render_sql(const Plan& plan) {
  std::string text = "-- pgshift plan\n";
  text += fmt::format("-- server_version_num: {}\n", plan.server_version_num);
  text += comment("catalog fingerprint: " + plan.fingerprint);
  text += fmt::format("-- plan hash: {}\n", plan_content_hash(plan));
  text += fmt::format("-- steps: {}\n", plan.steps.size());
  for (const auto& diagnostic : plan.diagnostics) {
    text += comment(fmt::format("{}: {}", severity_name(diagnostic.severity), diagnostic.message));
  }
  if (plan.preflight) text += comment("data checks: " + describe_preflight(plan));
  if (plan.throughput) text += comment("estimated: " + describe_estimates(plan));
  // Plain SQL for any client or linter; the one requirement is to stop at
  // the first error, which SQL cannot ask for itself.
  text += "-- Run in autocommit mode, stopping at the first error, e.g.\n";
  text += "--   psql -X -v ON_ERROR_STOP=1 -f plan.sql\n";
  if (!plan.search_path.empty()) {
    // As `pgshift apply` does: unqualified names in the statements' defaults,
    // CHECKs, views and bodies are the server's spelling on this path.
    text += "-- The search_path the plan was made with (its unqualified names resolve there):\n";
    text += fmt::format("SELECT pg_catalog.set_config('search_path', {}, false);\n",
                        quote_literal(plan.search_path));
  }
  const bool two_stage = has_contract(plan);
  std::optional<Stage> stage;
  for (const auto& step : plan.steps) {
    if (two_stage && step.stage != stage) {
      stage = step.stage;
      if (*stage == Stage::Contract) {
        text += "\n-- ==== deploy, then contract ====\n";
        for (const auto& line : plan.deploy) text += comment("deploy: " + line);
        text += "-- Contract: pgshift apply --phase contract (after the deploy above)\n";
      } else {
        text += "\n-- ==== expand ====\n-- Expand: pgshift apply --phase expand\n";
      }
    }
    text += "\n" + render_step_sql(step);
  }
  return text;
}

}  // namespace pgshift::plans
