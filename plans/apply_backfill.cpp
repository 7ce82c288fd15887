// Backfills: batched UPDATEs by keyset (any unique not-null key) or by heap
// block ranges (a table with no such key), one short transaction per batch,
// each committing its checkpoint with its rows.
//
// Keyset batches. A batch is one transaction of two statements, up to the
// highest key seen when the backfill started:
//   SELECT k FROM t WHERE (k) > ($last) AND (k) <= ($upper)
//    ORDER BY k OFFSET n - 1 LIMIT 1                      -- the batch's bound
//   UPDATE t SET c = (v) WHERE (k) > ($last) AND (k) <= ($bound) AND (guard)
// the first a walk of the key's index, the second an index range scan; no
// row from the first makes it the last batch, bound by the highest key (and
// its keys are counted, for progress). The guard is the plan's condition
// (`"c" IS NULL`, or a hint's own predicate). A row inserted into the range
// between the two statements is updated too when it matches the guard (it
// needs the value as much as the others). An earlier form selected the keys
// into a CTE and updated the rows of its range in one statement: it read
// each key three times, and reached about 60% of one UPDATE's rate.
// A row a concurrent transaction changed after the UPDATE's snapshot is
// re-checked by the UPDATE (READ COMMITTED re-evaluates the WHERE on the
// newest version): if it holds a value now, the guard fails and it is left
// alone; so is a row whose key changed. A row whose key moves behind the
// keyset position during the backfill is not visited again: a NOT NULL
// added after the backfill then fails on it, loudly, with nothing changed.
// The bound is read back as its type's text output and bound, untyped,
// on the next batch and after a restart, so the server types it by the key
// column: the output settings that could change a value's text are fixed
// (kOutputSettings) in every batch's transaction.
//
// Block batches (no usable key). A batch updates the rows in heap blocks
// [b, b + n) (`ctid >= '(b,0)' AND ctid < '(b+n,0)'`), up to the block count
// when the backfill started. Rows move while it runs: every UPDATE, the
// backfill's own and the traffic's, writes a new row version, in the same
// block or any other with room. A version moved to a block not yet done is
// met again and skipped by the guard, which is why block mode requires one;
// a version of a row still NULL moved into a block already done would be
// missed, so after the last block a sweep updates, in batches, the rows
// still matching the guard, wherever they are, until none is found. PG14+
// reads a block range with a TID range scan; before 14 each batch is a
// sequential scan of the whole table (the rows outside the range are
// filtered out): correct, but the backfill reads the table once per batch,
// so blocks per batch are raised there (kMinBlocksBefore14).
#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <nlohmann/json.hpp>
#include <thread>

#include "catalog/connection.hpp"
#include "plans/apply_applier.hpp"
#include "plans/apply_pacing.hpp"
#include "plans/apply_progress.hpp"
#include "plans/sql_text.hpp"

namespace pgshift::plans::detail {

namespace {

constexpr const char* kTable = R"sql(
SELECT c.oid::int8, c.relkind::text, c.reltuples::float8, c.relpages::int8,
  (WITH RECURSIVE tree(oid) AS (
     SELECT c.oid UNION ALL SELECT i.inhrelid FROM pg_inherits i JOIN tree ON i.inhparent = tree.oid
     WHERE c.relkind = 'p')
   SELECT sum(pg_relation_size(tree.oid)) FROM tree)::int8
    / current_setting('block_size')::int8
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = $1 AND c.relname = $2 AND c.relkind IN ('r', 'p'))sql";

constexpr const char* kKeyColumn = R"sql(
SELECT attnum::int4, attnotnull FROM pg_attribute
WHERE attrelid = $1::oid AND attname = $2 AND attnum > 0 AND NOT attisdropped)sql";

// Whether table $1 has a valid unique index without predicate or expression
// whose key columns are exactly the attnums in JSON array $2, each with its
// type's default operator class and its column's collation: then the key
// order the batches use (the types' default ordering, the columns'
// collations) is the one the index makes unique, and the index serves it.
constexpr const char* kKeyIndex = R"sql(
SELECT EXISTS (
  SELECT 1 FROM pg_index i
  WHERE i.indrelid = $1::oid AND i.indisunique AND i.indisvalid
    AND i.indpred IS NULL AND i.indexprs IS NULL
    AND (SELECT array_agg(k::int4 ORDER BY k)
         FROM unnest((i.indkey::int2[])[0:i.indnkeyatts - 1]) k)
        = (SELECT array_agg(k::int4 ORDER BY k::int4) FROM json_array_elements_text($2::json) k)
    AND NOT EXISTS (SELECT 1 FROM unnest(i.indclass::oid[]) oc
                    JOIN pg_opclass o ON o.oid = oc WHERE NOT o.opcdefault)
    AND NOT EXISTS (SELECT 1 FROM generate_subscripts(i.indcollation::oid[], 1) p
                    JOIN pg_attribute a ON a.attrelid = i.indrelid
                     AND a.attnum = (i.indkey::int2[])[p]
                    WHERE (i.indcollation::oid[])[p] <> a.attcollation)))sql";

constexpr const char* kBlockCount =
    "SELECT pg_relation_size($1::oid::regclass) / current_setting('block_size')::int8";

// A value's text output reads back as the same value under these.
constexpr const char* kOutputSettings[] = {
    "SET LOCAL DateStyle = 'ISO, YMD'", "SET LOCAL IntervalStyle = 'postgres'",
    "SET LOCAL extra_float_digits = 3", "SET LOCAL bytea_output = 'hex'"};

constexpr int64_t kDefaultBatchSize = 1000;
constexpr int64_t kMaxBatchSize = 1000000;
constexpr int64_t kMinBlocksBefore14 = 1000;
constexpr double kRowsPerBlockGuess = 100;

using Clock = std::chrono::steady_clock;

std::string key_list(const std::vector<std::string>& columns, const char* suffix = "") {
  std::string text;
  for (const auto& column : columns) {
    text += (text.empty() ? "" : ", ") + quote_ident(column) + suffix;
  }
  return text;
}

// "($first, $first+1, ...)" for `count` parameters.
std::string params(std::size_t first, std::size_t count) {
  std::string text;
  for (std::size_t idx = 0; idx < count; ++idx) {
    text += fmt::format("{}${}", idx == 0 ? "" : ", ", first + idx);
  }
  return "(" + text + ")";
}

std::string guard(const BackfillSpec& spec) {
  return spec.where.empty() ? "" : " AND (" + spec.where + ")";
}

void set_output(pqxx::transaction_base& tx) {
  for (const char* setting : kOutputSettings) catalog::exec_one(tx, setting);
}

std::string tid(int64_t block) { return fmt::format("({},0)", block); }

// A batch's key range, "(k) > ($1) AND (k) <= ($2)": after the key in the
// first parameters when `after`, up to the key in the next ones.
std::string key_range(const BackfillSpec& spec, bool after) {
  const std::string keys = key_list(spec.key_columns);
  const std::size_t width = spec.key_columns.size();
  const std::string lower = after ? fmt::format("({}) > {} AND ", keys, params(1, width)) : "";
  return fmt::format("{}({}) <= {}", lower, keys, params(after ? width + 1 : 1, width));
}

}  // namespace

int64_t backfill_row_estimate(const BackfillTable& table, double guess_per_block) {
  const double per_block = table.relpages > 0 && table.reltuples >= 0
                               ? table.reltuples / static_cast<double>(table.relpages)
                               : guess_per_block;
  return std::llround(per_block * static_cast<double>(table.blocks));
}

std::string keyset_bound_sql(const BackfillSpec& spec, bool after) {
  const std::string keys = key_list(spec.key_columns);
  return fmt::format("SELECT {} FROM {} WHERE {} ORDER BY {} OFFSET ${} LIMIT 1", keys,
                     quote_qualified(spec.schema, spec.table), key_range(spec, after), keys,
                     (after ? 2 : 1) * spec.key_columns.size() + 1);
}

std::string keyset_update_sql(const BackfillSpec& spec, bool after) {
  return fmt::format("UPDATE {} SET {} = ({}) WHERE {}{}", quote_qualified(spec.schema, spec.table),
                     quote_ident(spec.set_column), spec.set_expression, key_range(spec, after),
                     guard(spec));
}

std::string keyset_count_sql(const BackfillSpec& spec, bool after) {
  return fmt::format("SELECT count(*) FROM {} WHERE {}", quote_qualified(spec.schema, spec.table),
                     key_range(spec, after));
}

std::string block_batch_sql(const BackfillSpec& spec) {
  return fmt::format("UPDATE {} SET {} = ({}) WHERE ctid >= $1::tid AND ctid < $2::tid{}",
                     quote_qualified(spec.schema, spec.table), quote_ident(spec.set_column),
                     spec.set_expression, guard(spec));
}

std::string sweep_batch_sql(const BackfillSpec& spec) {
  const std::string table = quote_qualified(spec.schema, spec.table);
  return fmt::format(
      "WITH pgshift_found AS (SELECT ctid AS pgshift_ctid FROM {table} WHERE ({where}) LIMIT $1), "
      "pgshift_updated AS (UPDATE {table} SET {column} = ({expression}) "
      "WHERE ctid = ANY (ARRAY(SELECT pgshift_ctid FROM pgshift_found)) AND ({where}) "
      "RETURNING 1) "
      "SELECT (SELECT count(*) FROM pgshift_updated), (SELECT count(*) FROM pgshift_found)",
      fmt::arg("table", table), fmt::arg("where", spec.where),
      fmt::arg("column", quote_ident(spec.set_column)),
      fmt::arg("expression", spec.set_expression));
}

int64_t next_batch_size(int64_t size, int64_t touched, std::chrono::duration<double> took,
                        std::chrono::milliseconds target) {
  if (target.count() <= 0) return size;
  const double seconds = std::max(took.count(), 1e-3);
  const double target_s = std::chrono::duration<double>(target).count();
  // Sized by the rows the batch touched, not what it was asked for: a short
  // last batch, or blocks that were mostly empty, say little about the rate.
  double wanted = touched > 0 ? static_cast<double>(touched) / seconds * target_s
                              : static_cast<double>(size) * 2;
  // At most halve or double per batch: one slow batch (a checkpoint, a
  // vacuum) must not collapse the size.
  wanted = std::clamp(wanted, static_cast<double>(size) / 2, static_cast<double>(size) * 2);
  return std::clamp<int64_t>(std::llround(wanted), 1, kMaxBatchSize);
}

BackfillTable Applier::check_backfill_key(const Step& step) {
  const BackfillSpec& spec = *step.backfill;
  const std::string table =
      schemas::describe(schemas::ObjectId{schemas::ObjectKind::Table, spec.schema, "", spec.table});
  pqxx::nontransaction tx(*conn_);
  const pqxx::result rows = tx.exec_params(kTable, spec.schema, spec.table);
  if (rows.empty()) throw step_error(step, table + " does not exist", "");
  BackfillTable found;
  found.oid = rows[0][0].as<int64_t>();
  found.partitioned = std::string(rows[0][1].c_str()) == "p";
  found.reltuples = rows[0][2].as<double>();
  found.relpages = rows[0][3].as<int64_t>();
  found.blocks = rows[0][4].as<int64_t>();
  if (spec.key_columns.empty()) {
    if (found.partitioned) {
      throw step_error(step,
                       table + " is partitioned and the plan names no key: a backfill by block "
                               "ranges needs one table",
                       "");
    }
    if (spec.where.empty()) {
      throw step_error(step,
                       table + " has no key and the plan's backfill has no condition: a "
                               "backfill by block ranges needs one (the rows it moves are met "
                               "again)",
                       "");
    }
    return found;
  }
  const auto no_key = [&](const std::string& why) {
    return step_error(step,
                      fmt::format("{} has no usable key ({}) for a batched backfill: {}; re-plan",
                                  table, key_list(spec.key_columns), why),
                      "");
  };
  nlohmann::json attnums = nlohmann::json::array();
  for (const auto& column : spec.key_columns) {
    const pqxx::result attribute = tx.exec_params(kKeyColumn, found.oid, column);
    if (attribute.empty()) throw no_key(fmt::format("column \"{}\" does not exist", column));
    if (!attribute[0][1].as<bool>()) {
      throw no_key(fmt::format("column \"{}\" is not NOT NULL", column));
    }
    attnums.push_back(attribute[0][0].as<int>());
  }
  if (!tx.exec_params(kKeyIndex, found.oid, attnums.dump())[0][0].as<bool>()) {
    throw no_key("no valid unique index without predicate covers exactly these columns with "
                 "their default operator classes and collations");
  }
  return found;
}

// The first checkpoint: the highest key (or the block count) now, in the
// transaction that saves it; nullopt when the table is empty (the step is
// then journaled done).
std::optional<BackfillCheckpoint> Applier::start_backfill(const Step& step,
                                                          const BackfillTable& found,
                                                          bool catch_up) {
  const BackfillSpec& spec = *step.backfill;
  pqxx::work tx(*conn_);
  set_output(tx);
  BackfillCheckpoint point;
  bool empty = true;
  if (spec.key_columns.empty()) {
    point.mode = BackfillCheckpoint::Mode::Block;
    point.block_count = tx.exec_params(kBlockCount, found.oid)[0][0].as<int64_t>();
    empty = point.block_count == 0;
  } else {
    const pqxx::result highest = catalog::exec_one(
        tx, fmt::format("SELECT {} FROM {} ORDER BY {} LIMIT 1", key_list(spec.key_columns),
                        quote_qualified(spec.schema, spec.table),
                        key_list(spec.key_columns, " DESC")));
    if (!highest.empty()) {
      empty = false;
      for (const auto& value : highest[0]) point.key_upper.push_back(value.c_str());
    }
  }
  if (empty) {
    if (!catch_up) journal_->mark_done(tx, step, std::chrono::milliseconds{0});
  } else {
    journal_->save_checkpoint(tx, step.id, point);
  }
  tx.commit();
  if (empty) return std::nullopt;
  return point;
}

void Applier::run_backfill(const Step& step, StepReport& report, bool catch_up) {
  const auto started = Clock::now();
  const BackfillSpec& spec = *step.backfill;
  const BackfillTable found = check_backfill_key(step);

  std::optional<BackfillCheckpoint> checkpoint =
      catch_up ? std::nullopt : journal_->checkpoint(step.id);
  if (!checkpoint) {
    checkpoint = start_backfill(step, found, catch_up);
    if (!checkpoint) {
      log_ << fmt::format("  {} is empty: nothing to backfill\n", schemas::describe(step.object));
      return;
    }
  } else if (checkpoint->mode == BackfillCheckpoint::Mode::Block) {
    log_ << fmt::format("  continuing from block {} of {} ({} rows done earlier)\n",
                        checkpoint->next_block, checkpoint->block_count, checkpoint->rows_done);
  } else {
    log_ << fmt::format("  continuing after key ({}) ({} rows done earlier)\n",
                        checkpoint->key_after ? fmt::format("{}", fmt::join(*checkpoint->key_after,
                                                                            ", "))
                                              : std::string(),
                        checkpoint->rows_done);
  }
  if ((checkpoint->mode == BackfillCheckpoint::Mode::Block) != spec.key_columns.empty()) {
    throw step_error(step, "the journaled checkpoint does not match the plan's backfill key", "");
  }
  BackfillCheckpoint point = *checkpoint;
  const int64_t first_size = options_.batch_size > 0 ? options_.batch_size
                             : spec.batch_size > 0   ? spec.batch_size
                                                     : kDefaultBatchSize;
  // Rows to do: the planner's statistics, corrected by what the batches see.
  const int64_t estimate = backfill_row_estimate(found, kRowsPerBlockGuess);
  const bool by_key = point.mode == BackfillCheckpoint::Mode::Key;
  const auto walked = [&]() { return by_key ? point.rows_seen : point.rows_done; };
  Progress progress(log_, options_.progress_bar, options_.progress_interval, step_label(step),
                    estimate, walked(), options_.json_log, step.id);
  const auto fraction = [&]() {
    if (by_key) return -1.0;
    return static_cast<double>(point.next_block) / static_cast<double>(point.block_count);
  };
  const auto stop_here = [&]() {
    if (!stop_requested()) return;
    progress.stop();
    log_ << fmt::format("  stopped after {} rows; the checkpoint is saved\n", point.rows_done);
    throw StopRequested{true};
  };
  Pacer pacer(*conn_, options_.pacing, found.oid);
  // Sessions the running batch made wait, sampled by the lock monitor.
  std::atomic<int> blocking{0};
  const SampleSink count_blocking = [&blocking](const Sample& sample) {
    if (sample.blocking > blocking.load()) blocking = sample.blocking;
  };
  // Between two batches (and before the first): pause while a signal is over
  // its threshold; for WAL a little over its rate, wait what brings the
  // average back to it; for sessions the last batch blocked, halve the
  // batches. Returns false when the batches must shrink.
  bool wal_slowed = false;  // the last batches waited for the WAL rate
  const auto pace = [&]() {
    std::optional<PacingReading> over = pacer.check(blocking.exchange(0));
    if (!over) {
      if (wal_slowed) progress.set_pacing("running");
      wal_slowed = false;
      return true;
    }
    // Sessions that waited for a batch's row locks were let go by its
    // commit: a pause would not shorten any wait, a smaller batch does.
    if (over->signal == PacingSignal::BlockedSessions) {
      progress.note("backfill_slowed",
                    fmt::format("  slowing down: {}; halving the batches", over->text));
      return false;
    }
    // WAL a little over the rate: wait what brings the average back under
    // it, said once while it lasts (every batch may wait a little).
    if (over->signal == PacingSignal::WalRate && over->wait.count() > 0 &&
        over->wait < options_.pacing.check_interval) {
      progress.set_pacing("slowed: " + over->text);
      if (!wal_slowed) {
        progress.note("backfill_slowed",
                      fmt::format("  slowing down: {}; each batch waits until the rate is back "
                                  "under it",
                                  over->text));
      }
      wal_slowed = true;
      stop_here();
      std::this_thread::sleep_for(over->wait);
      report.paused += over->wait;
      return true;
    }
    const auto paused_at = Clock::now();
    auto said_at = paused_at;
    const std::string first = over->text;
    const PacingSignal signal = over->signal;
    progress.set_pacing("paused: " + first);
    progress.note("backfill_paused", fmt::format("  paused: {}", first));
    while (over) {
      stop_here();
      std::this_thread::sleep_for(over->wait.count() > 0
                                      ? std::min(over->wait, options_.pacing.check_interval)
                                      : options_.pacing.check_interval);
      over = pacer.check(0);
      // Sessions blocked by a batch are answered by halving the next one,
      // never by a pause: a pause ends when the signals that pause are down.
      if (over && over->signal == PacingSignal::BlockedSessions) over.reset();
      const auto waited = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - paused_at);
      if (over) {
        progress.set_pacing(fmt::format("paused {}: {}", format_seconds(waited), over->text));
        if (Clock::now() - said_at >= options_.progress_interval) {
          said_at = Clock::now();
          progress.note("backfill_paused",
                        fmt::format("  still paused after {}: {}", format_seconds(waited), over->text));
        }
      }
    }
    const auto paused = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - paused_at);
    report.paused += paused;
    progress.set_pacing("running");
    progress.note("backfill_resumed", fmt::format("  resumed after {} paused ({})",
                                                  format_seconds(paused), pacing_signal_name(signal)));
    return true;
  };
  const auto batch_transaction = [&](pqxx::work& tx) {
    catalog::exec_one(tx, fmt::format("SET LOCAL lock_timeout = {}", lock_timeout(step).count()));
    catalog::exec_one(
        tx, fmt::format("SET LOCAL statement_timeout = {}", step.statement_timeout.count()));
    set_output(tx);
  };
  const auto between_batches = [&]() {
    progress.update(walked(), point.rows_done, fraction());
    stop_here();
    std::this_thread::sleep_for(options_.pause);
  };

  if (point.mode == BackfillCheckpoint::Mode::Key) {
    const std::size_t width = spec.key_columns.size();
    const std::string bound_sql[] = {keyset_bound_sql(spec, false), keyset_bound_sql(spec, true)};
    const std::string update_sql[] = {keyset_update_sql(spec, false),
                                      keyset_update_sql(spec, true)};
    const std::string count_sql[] = {keyset_count_sql(spec, false), keyset_count_sql(spec, true)};
    int64_t batch_size = first_size;
    int64_t last_run = first_size;  // the size of the last batch run
    for (;;) {
      // Halved from the batch that made sessions wait, not from the size
      // grown since.
      if (!pace()) batch_size = std::max<int64_t>(1, last_run / 2);
      last_run = batch_size;
      progress.set_batch_size(batch_size);
      const int after = point.key_after ? 1 : 0;
      const std::vector<std::string> lower = point.key_after ? *point.key_after
                                                             : std::vector<std::string>{};
      const auto with_lower = [&](const std::vector<std::string>& more) {
        std::vector<std::string> values = lower;
        values.insert(values.end(), more.begin(), more.end());
        return values;
      };
      BackfillCheckpoint next = point;
      bool last_batch = false;
      int64_t selected = 0;
      std::chrono::steady_clock::duration took{};
      with_retries(step, report, [&] {
        const auto batch_started = Clock::now();
        pqxx::work tx(*conn_);
        batch_transaction(tx);
        // The batch's last key: `batch_size` keys on, or the highest key
        // when fewer are left (the last batch).
        std::vector<std::string> bound_query = with_lower(point.key_upper);
        bound_query.push_back(std::to_string(batch_size - 1));
        const pqxx::result found =
            tx.exec_params(bound_sql[after], pqxx::prepare::make_dynamic_params(bound_query));
        last_batch = found.empty();
        std::vector<std::string> bound;
        if (last_batch) {
          bound = point.key_upper;
        } else {
          for (std::size_t idx = 0; idx < width; ++idx) {
            bound.push_back(found[0][static_cast<pqxx::row::size_type>(idx)].c_str());
          }
        }
        const std::vector<std::string> range = with_lower(bound);
        const pqxx::result updated =
            tx.exec_params(update_sql[after], pqxx::prepare::make_dynamic_params(range));
        selected = last_batch ? tx.exec_params(count_sql[after],
                                               pqxx::prepare::make_dynamic_params(range))[0][0]
                                    .as<int64_t>()
                              : batch_size;
        next = point;
        next.rows_done += static_cast<int64_t>(updated.affected_rows());
        next.rows_seen += selected;
        next.key_after = bound;
        journal_->save_checkpoint(tx, step.id, next);
        tx.commit();
        took = Clock::now() - batch_started;
      }, count_blocking, false, true);
      report.rows += next.rows_done - point.rows_done;
      point = next;
      if (last_batch) break;
      batch_size = next_batch_size(batch_size, selected, took, options_.batch_target);
      between_batches();
    }
  } else {
    const bool tid_range_scan = conn_->server_version() >= 140000;
    const double rows_per_block =
        found.relpages > 0 && found.reltuples > 0
            ? std::max(1.0, found.reltuples / static_cast<double>(found.relpages))
            : kRowsPerBlockGuess;
    const auto blocks_for = [&](int64_t rows) {
      const int64_t blocks =
          std::max<int64_t>(1, std::llround(static_cast<double>(rows) / rows_per_block));
      return tid_range_scan ? blocks : std::max(blocks, kMinBlocksBefore14);
    };
    if (!tid_range_scan && point.next_block == 0) {
      log_ << "  PostgreSQL before 14 has no TID range scan: each batch of blocks reads the "
              "whole table\n";
    }
    const std::string sql = block_batch_sql(spec);
    int64_t blocks = blocks_for(first_size);
    int64_t last_blocks = blocks;
    while (point.next_block < point.block_count) {
      if (!pace()) {
        blocks = std::max<int64_t>(tid_range_scan ? 1 : kMinBlocksBefore14, last_blocks / 2);
      }
      last_blocks = blocks;
      progress.set_batch_size(std::llround(static_cast<double>(blocks) * rows_per_block));
      const int64_t end = std::min(point.block_count, point.next_block + blocks);
      BackfillCheckpoint next = point;
      std::chrono::steady_clock::duration took{};
      with_retries(step, report, [&] {
        const auto batch_started = Clock::now();
        pqxx::work tx(*conn_);
        batch_transaction(tx);
        const pqxx::result updated =
            tx.exec_params(sql, tid(point.next_block), tid(end));
        next = point;
        next.rows_done += static_cast<int64_t>(updated.affected_rows());
        next.next_block = end;
        journal_->save_checkpoint(tx, step.id, next);
        tx.commit();
        took = Clock::now() - batch_started;
      }, count_blocking, false, true);
      const int64_t touched = next.rows_done - point.rows_done;
      report.rows += touched;
      const int64_t done_blocks = end - point.next_block;
      point = next;
      // Blocks per batch from the rows per block this batch found.
      const double found_per_block =
          touched > 0 ? static_cast<double>(touched) / static_cast<double>(done_blocks)
                      : rows_per_block;
      const int64_t rows_next = next_batch_size(
          std::max<int64_t>(1, std::llround(static_cast<double>(blocks) * found_per_block)),
          touched, took, options_.batch_target);
      if (options_.batch_target.count() > 0) {
        blocks = std::max<int64_t>(
            tid_range_scan ? 1 : kMinBlocksBefore14,
            std::llround(static_cast<double>(rows_next) / std::max(found_per_block, 1.0)));
      }
      between_batches();
    }
    // The sweep: rows still matching the guard, moved behind the blocks
    // done. It ends when none is found; or when two rounds in a row update
    // nothing (what they found has a NULL value, or moved once more).
    const std::string sweep = sweep_batch_sql(spec);
    int idle_rounds = 0;
    int64_t left = 0;
    while (idle_rounds < 2) {
      pace();
      int64_t updated = 0;
      with_retries(step, report, [&] {
        pqxx::work tx(*conn_);
        batch_transaction(tx);
        const pqxx::result row = tx.exec_params(sweep, first_size);
        updated = row[0][0].as<int64_t>();
        left = row[0][1].as<int64_t>();
        BackfillCheckpoint next = point;
        next.rows_done += updated;
        journal_->save_checkpoint(tx, step.id, next);
        tx.commit();
        point = next;
      }, count_blocking, false, true);
      report.rows += updated;
      if (left == 0) break;
      idle_rounds = updated == 0 ? idle_rounds + 1 : 0;
      between_batches();
    }
    if (left > 0) {
      log_ << fmt::format(
          "  {} rows still match the backfill's condition: their new value is NULL, or they "
          "keep moving\n",
          left);
    }
  }
  progress.finish(walked(), point.rows_done);
  if (catch_up) return;
  journal_->mark_done(
      step, std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started));
}

bool Applier::catch_up_backfills(const Step& step, const std::vector<DataCheck>& checks,
                                 StepReport& report) {
  int64_t nulls = 0;
  for (const DataCheck& check : checks) {
    if (check.kind == DataCheckKind::NotNull && violated(check)) nulls += check.finding->violations;
  }
  if (nulls == 0) return false;
  bool ran = false;
  for (const Step& earlier : plan_.steps) {
    if (earlier.id >= step.id || !earlier.backfill || !(earlier.object == step.object)) continue;
    log_ << fmt::format(
        "{}: {} rows where \"{}\" is NULL, inserted without it while {} ran or after: the "
        "backfill ({}) runs again over the rows still NULL first\n",
        step_label(step), nulls, schemas::printable(earlier.backfill->set_column),
        step_label(earlier), schemas::printable(earlier.backfill->set_expression));
    StepReport caught_up;
    run_backfill(earlier, caught_up, true);
    log_ << fmt::format("{}: the backfill filled {} more rows\n", step_label(step), caught_up.rows);
    report.rows += caught_up.rows;
    ran = true;
  }
  return ran;
}

}  // namespace pgshift::plans::detail
