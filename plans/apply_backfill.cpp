// Backfills: batched UPDATEs by key range, one short transaction per batch,
// each committing its checkpoint with its rows.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <thread>

#include "catalog/connection.hpp"
#include "plans/apply_applier.hpp"
#include "plans/apply_progress.hpp"
#include "plans/sql_text.hpp"

namespace pgshift::plans::detail {

namespace {

// Whether column $3 of table $1.$2 exists, is NOT NULL, is an integer and is
// the only key column of a valid unique index without predicate. One row when
// the table exists.
constexpr const char* kBackfillKey = R"sql(
SELECT a.attnum IS NOT NULL, coalesce(a.attnotnull, false),
       coalesce(a.atttypid IN ('int2'::regtype, 'int4'::regtype, 'int8'::regtype), false),
       EXISTS (SELECT 1 FROM pg_index i
               WHERE i.indrelid = c.oid AND i.indisunique AND i.indisvalid
                 AND i.indnkeyatts = 1 AND i.indkey[0] = a.attnum AND i.indpred IS NULL)
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = $3 AND NOT a.attisdropped
WHERE n.nspname = $1 AND c.relname = $2 AND c.relkind IN ('r', 'p'))sql";

constexpr int64_t kDefaultBatchSize = 1000;
constexpr int64_t kMaxBatchSize = 1000000;

using Clock = std::chrono::steady_clock;

}  // namespace

void Applier::check_backfill_key(const Step& step) {
  const BackfillSpec& spec = *step.backfill;
  const std::string table =
      schemas::describe(schemas::ObjectId{schemas::ObjectKind::Table, spec.schema, "", spec.table});
  const auto no_key = [&](const std::string& why) {
    return step_error(step,
                      fmt::format("{} has no usable key for a batched backfill: {}; it needs a "
                                  "single-column integer primary key or unique not-null key",
                                  table, why),
                      "");
  };
  if (spec.key_column.empty()) throw no_key("the plan names no key column");
  pqxx::nontransaction tx(*conn_);
  const pqxx::result rows = tx.exec_params(kBackfillKey, spec.schema, spec.table, spec.key_column);
  if (rows.empty()) throw step_error(step, table + " does not exist", "");
  const auto& row = rows[0];
  const std::string column = fmt::format("column \"{}\"", spec.key_column);
  if (!row[0].as<bool>()) throw no_key(column + " does not exist");
  if (!row[1].as<bool>() || !row[2].as<bool>() || !row[3].as<bool>()) {
    throw no_key(column + " is not a unique, not-null integer column");
  }
}

// REQUIRES: keys are below the largest bigint (the checkpoint stores the next key).
void Applier::run_backfill(const Step& step, StepReport& report) {
  const auto started = Clock::now();
  const BackfillSpec& spec = *step.backfill;
  check_backfill_key(step);
  const std::string table = quote_qualified(spec.schema, spec.table);
  const std::string key = quote_ident(spec.key_column);
  const std::string where = spec.where.empty() ? "" : " AND (" + spec.where + ")";

  std::optional<BackfillCheckpoint> checkpoint = journal_->checkpoint(step.id);
  if (!checkpoint) {
    pqxx::work tx(*conn_);
    const pqxx::result bounds =
        catalog::exec_one(tx, fmt::format("SELECT min({0}), max({0}) FROM {1}", key, table));
    if (!bounds[0][0].is_null()) {
      checkpoint = BackfillCheckpoint{bounds[0][0].as<int64_t>(), bounds[0][1].as<int64_t>(), 0};
      journal_->save_checkpoint(tx, step.id, *checkpoint);
    } else {
      journal_->mark_done(tx, step, std::chrono::milliseconds{0});
    }
    tx.commit();
    if (!checkpoint) {
      log_ << fmt::format("  {} is empty: nothing to backfill\n", schemas::describe(step.object));
      return;
    }
  } else {
    log_ << fmt::format("  continuing from key {} ({} rows done earlier)\n", checkpoint->next_key,
                        checkpoint->rows_done);
  }
  BackfillCheckpoint point = *checkpoint;

  int64_t remaining = 0;
  {
    pqxx::nontransaction tx(*conn_);
    remaining = tx.exec_params(fmt::format("SELECT count(*) FROM {} WHERE {} >= $1 AND {} <= $2{}",
                                           table, key, key, where),
                               point.next_key, point.upper_key)[0][0]
                    .as<int64_t>();
  }
  Progress progress(log_, options_.progress_bar, options_.progress_interval, step_label(step),
                    point.rows_done + remaining, point.rows_done);

  const std::string update =
      fmt::format("UPDATE {} SET {} = {} WHERE {} >= $1 AND {} <= $2{}", table,
                  quote_ident(spec.set_column), spec.set_expression, key, key, where);
  const int64_t first_key = point.next_key;
  const double key_span = static_cast<double>(point.upper_key - first_key) + 1;
  int64_t batch_size = options_.batch_size > 0 ? options_.batch_size
                       : spec.batch_size > 0   ? spec.batch_size
                                               : kDefaultBatchSize;
  while (point.next_key <= point.upper_key) {
    const int64_t last_key = point.upper_key - point.next_key < batch_size
                                 ? point.upper_key
                                 : point.next_key + batch_size - 1;
    BackfillCheckpoint next = point;
    std::chrono::steady_clock::duration batch_time{};
    with_retries(step, report, [&] {
      const auto batch_started = Clock::now();
      pqxx::work tx(*conn_);
      catalog::exec_one(tx, fmt::format("SET LOCAL lock_timeout = {}", lock_timeout(step).count()));
      catalog::exec_one(
          tx, fmt::format("SET LOCAL statement_timeout = {}", step.statement_timeout.count()));
      const pqxx::result updated = tx.exec_params(update, point.next_key, last_key);
      next = BackfillCheckpoint{last_key + 1, point.upper_key,
                                point.rows_done + static_cast<int64_t>(updated.affected_rows())};
      journal_->save_checkpoint(tx, step.id, next);
      tx.commit();
      batch_time = Clock::now() - batch_started;
    });
    report.rows += next.rows_done - point.rows_done;
    point = next;
    if (options_.batch_target.count() > 0) {
      // Aim at the target, but at most halve or double per batch: one slow
      // batch (a checkpoint, a vacuum) must not collapse the size.
      const double seconds = std::max(std::chrono::duration<double>(batch_time).count(), 1e-3);
      const double ratio = std::clamp(
          std::chrono::duration<double>(options_.batch_target).count() / seconds, 0.5, 2.0);
      batch_size = std::clamp<int64_t>(std::llround(static_cast<double>(batch_size) * ratio), 1,
                                       kMaxBatchSize);
    }
    progress.update(point.rows_done, static_cast<double>(point.next_key - first_key) / key_span);
    if (point.next_key <= point.upper_key) {
      // A safe point: the batch and its checkpoint are committed.
      if (stop_requested()) {
        progress.stop(point.rows_done,
                      static_cast<double>(point.next_key - first_key) / key_span);
        log_ << fmt::format("  stopped before key {} ({} rows done); the checkpoint is saved\n",
                            point.next_key, point.rows_done);
        throw StopRequested{};
      }
      std::this_thread::sleep_for(options_.pause);
    }
  }
  progress.finish(point.rows_done);
  journal_->mark_done(
      step, std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started));
}

}  // namespace pgshift::plans::detail
