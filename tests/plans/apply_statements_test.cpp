// What the applier reads out of a plan without a database: the index a
// CREATE INDEX CONCURRENTLY builds, the plan's identity, and how an index
// build's progress is drawn.
#include <catch2/catch.hpp>
#include <chrono>
#include <deque>
#include <sstream>
#include <thread>

#include "plans/apply.hpp"
#include "plans/apply_applier.hpp"
#include "plans/apply_pacing.hpp"
#include "plans/apply_progress.hpp"

using pgshift::plans::detail::concurrent_index_build;

TEST_CASE("the index a concurrent build creates is read through quoting and IF NOT EXISTS",
          "[plans]") {
  const auto bare = concurrent_index_build("CREATE INDEX CONCURRENTLY Orders_Idx ON t (a)", "s");
  REQUIRE(bare);
  CHECK(bare->schema == "s");
  CHECK(bare->name == "orders_idx");
  CHECK(bare->table == "t");

  const auto quoted = concurrent_index_build(
      "create unique index concurrently if not exists \"A\"\"b\" on only \"Sales\".orders (id)",
      "public");
  REQUIRE(quoted);
  CHECK(quoted->schema == "Sales");
  CHECK(quoted->name == "A\"b");
  CHECK(quoted->table == "orders");
}

TEST_CASE("statements other than a named concurrent index build are not index builds", "[plans]") {
  CHECK_FALSE(concurrent_index_build("CREATE INDEX i ON t (a)", "public"));
  CHECK_FALSE(concurrent_index_build("CREATE INDEX CONCURRENTLY ON t (a)", "public"));
  CHECK_FALSE(concurrent_index_build("DROP INDEX CONCURRENTLY i", "public"));
}

TEST_CASE("the plan hash changes with what runs and not with what is described", "[plans]") {
  pgshift::plans::Plan plan;
  plan.fingerprint = "0123456789abcdef";
  pgshift::plans::Step step;
  step.id = 1;
  step.summary = "add column \"a\" to table \"public.t\"";
  step.statements = {"ALTER TABLE t ADD COLUMN a int"};
  plan.steps = {step};
  const std::string hash = pgshift::plans::plan_hash(plan);
  CHECK(hash.size() == 16);

  auto reworded = plan;
  reworded.steps[0].summary = "add a column";
  CHECK(pgshift::plans::plan_hash(reworded) == hash);

  auto changed = plan;
  changed.steps[0].statements[0] = "ALTER TABLE t ADD COLUMN b int";
  CHECK(pgshift::plans::plan_hash(changed) != hash);

  auto slower = plan;
  slower.steps[0].lock_timeout = std::chrono::milliseconds(500);
  CHECK(pgshift::plans::plan_hash(slower) != hash);
}

TEST_CASE("an index build's progress reads phase, blocks and tuples", "[plans]") {
  using pgshift::plans::detail::build_progress_line;
  CHECK(build_progress_line("build index \"public.i\"", "building index: scanning table", 10, 40, 0,
                            0) ==
        "build index \"public.i\": building index: scanning table; blocks 10/40 (25%)");
  CHECK(build_progress_line("build index \"public.i\"", "building index: loading tuples in tree",
                            40, 40, 500, 2000) ==
        "build index \"public.i\": building index: loading tuples in tree; blocks 40/40 (100%); "
        "tuples 500/2000");
  CHECK(build_progress_line("build index \"public.i\"", "waiting for old snapshots", 0, 0, 0, 0) ==
        "build index \"public.i\": waiting for old snapshots");
}

TEST_CASE("on a terminal an index build's bar is redrawn in place and a wait note goes above it",
          "[plans]") {
  std::ostringstream out;
  pgshift::plans::detail::BuildProgress progress(out, true, std::chrono::seconds(5),
                                                 "build index \"public.i\"");
  std::this_thread::sleep_for(std::chrono::milliseconds(120));  // past the 100 ms redraw
  progress.update("building index: scanning table", 12, 24, 0, 0);
  progress.note("  step 1 of 1: waiting 5.00s");
  progress.finish();
  const std::string bar =
      "[############............] build index \"public.i\": building index: scanning table; "
      "blocks 12/24 (50%)";
  CHECK(out.str() == "\r" + bar + "\x1b[K" + "\r\x1b[K  step 1 of 1: waiting 5.00s\n" + bar +
                         "\x1b[K" + "\r\x1b[K");
}

TEST_CASE("in a log an index build's progress is a plain line at most every interval", "[plans]") {
  std::ostringstream out;
  pgshift::plans::detail::BuildProgress progress(out, false, std::chrono::seconds(0),
                                                 "build index \"public.i\"");
  progress.update("waiting for old snapshots", 0, 0, 0, 0);
  progress.note("  step 1 of 1: waiting 5.00s");
  progress.finish();
  CHECK(out.str() ==
        "  build index \"public.i\": waiting for old snapshots\n  step 1 of 1: waiting 5.00s\n");

  std::ostringstream quiet;
  pgshift::plans::detail::BuildProgress later(quiet, false, std::chrono::seconds(60), "x");
  later.update("building index: scanning table", 1, 2, 0, 0);
  CHECK(quiet.str().empty());
}

TEST_CASE("backfill batches are sized by the rows they touched toward the target time", "[plans]") {
  using pgshift::plans::detail::next_batch_size;
  using std::chrono::milliseconds;
  // 1000 rows in 100 ms at a 200 ms target: 2000 rows.
  CHECK(next_batch_size(1000, 1000, milliseconds(100), milliseconds(200)) == 2000);
  // Asked for 1000 blocks' worth, touched 300 rows in 150 ms: 400 rows fill 200 ms.
  CHECK(next_batch_size(1000, 300, milliseconds(150), milliseconds(200)) == 500);
  CHECK(next_batch_size(400, 300, milliseconds(150), milliseconds(200)) == 400);
  // One slow batch at most halves, one fast one at most doubles.
  CHECK(next_batch_size(1000, 1000, milliseconds(5000), milliseconds(200)) == 500);
  CHECK(next_batch_size(1000, 1000, milliseconds(1), milliseconds(200)) == 2000);
  // Nothing touched (already filled) says nothing of the rate: grow.
  CHECK(next_batch_size(1000, 0, milliseconds(20), milliseconds(200)) == 2000);
  // No target: fixed batches.
  CHECK(next_batch_size(1000, 10, milliseconds(900), milliseconds(0)) == 1000);
}

TEST_CASE(
    "backfill progress shows rows of rows to do, rate, ETA, batch and pacing, as text and "
    "JSON",
    "[plans]") {
  pgshift::plans::detail::BackfillFigures figures;
  figures.rows_done = 12000;
  figures.rows_total = 20000;
  figures.rows_updated = 11990;
  figures.rows_per_s = 4000;
  figures.eta_s = 2;
  figures.batch_size = 1000;
  figures.pacing = "paused 3.00s: replica lag 2.1s over --max-replica-lag 1.00s";
  CHECK(pgshift::plans::detail::backfill_progress_line("step 3 of 7", figures) ==
        "step 3 of 7: 12000/20000 rows (60%), 4000 rows/s, ETA 2s, batch 1000, paused 3.00s: "
        "replica lag 2.1s over --max-replica-lag 1.00s");
  CHECK(pgshift::plans::detail::backfill_progress_json(3, "backfill_progress", figures) ==
        "{\"batch_size\":1000,\"eta_s\":2.0,\"event\":\"backfill_progress\",\"pacing\":\"paused "
        "3.00s: replica lag 2.1s over --max-replica-lag 1.00s\",\"rows_done\":12000,"
        "\"rows_per_s\":4000.0,\"rows_total\":20000,\"rows_updated\":11990,\"step\":3}");
}

TEST_CASE("a backfill's progress corrects its estimate by what the walk found", "[plans]") {
  std::ostringstream out;
  pgshift::plans::detail::Progress progress(out, false, std::chrono::seconds(0), "step 1 of 1",
                                            1000, 0);
  // More rows walked than estimated: the total follows.
  progress.update(1500, 1500, -1);
  CHECK(progress.figures().rows_total == 1500);
  // A quarter of the blocks walked with 400 rows: about 1600 in all.
  progress.update(400, 400, 0.25);
  CHECK(progress.figures().rows_total == 1600);
}

TEST_CASE("a backfill's row estimate scales the last statistics' density to the table's blocks "
          "now, and guesses a density for a table never vacuumed or analyzed",
          "[plans]") {
  // reltuples, relpages, blocks now; 100 rows per block guessed.
  const auto estimate = [](double reltuples, int64_t relpages, int64_t blocks) {
    pgshift::plans::detail::BackfillTable table;
    table.reltuples = reltuples;
    table.relpages = relpages;
    table.blocks = blocks;
    return pgshift::plans::detail::backfill_row_estimate(table, 100);
  };
  // Analyzed at 100 blocks of 5,000 rows, 400 blocks now: about 20,000.
  CHECK(estimate(5000, 100, 400) == 20000);
  // Never analyzed (PostgreSQL 14+: -1; before: 0 rows of 0 pages), 300 blocks.
  CHECK(estimate(-1, 0, 300) == 30000);
  CHECK(estimate(0, 0, 300) == 30000);
  // Emptied at the last VACUUM, still empty: nothing to walk.
  CHECK(estimate(0, 10, 10) == 0);
  // No block at all: nothing.
  CHECK(estimate(-1, 0, 0) == 0);
}

TEST_CASE("a standby that stopped replaying lags by the age of the oldest WAL it has not replayed",
          "[plans]") {
  using Clock = std::chrono::steady_clock;
  const Clock::time_point start{};
  const std::deque<std::pair<Clock::time_point, double>> history = {
      {start, 1000},
      {start + std::chrono::seconds(2), 5000},
      {start + std::chrono::seconds(3), 9000}};
  const Clock::time_point now = start + std::chrono::seconds(10);
  // Replayed past everything read: no lag from the history.
  CHECK(pgshift::plans::detail::unreplayed_age(history, 9000, now) == 0);
  // Stopped at 4000: WAL at 5000 was written 8 s ago and still waits.
  CHECK(pgshift::plans::detail::unreplayed_age(history, 4000, now) == Approx(8.0));
  // Stopped before the first reading's position.
  CHECK(pgshift::plans::detail::unreplayed_age(history, 10, now) == Approx(10.0));
  CHECK(pgshift::plans::detail::unreplayed_age({}, 10, now) == 0);
}
