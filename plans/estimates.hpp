// Step estimates (issue 14): how long a scan of a table takes, from its size
// and a read throughput, and that throughput learnt from the journal of
// earlier applies. Pure; plans::estimate_steps (plans/plan.hpp) applies them
// to a plan, `pgshift lint --db` to the statements of a file.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "plans/plan.hpp"

namespace pgshift::plans {

// The pause step estimates assume between a backfill's batches (the
// applier's default, ApplyOptions::pause).
constexpr int64_t kEstimatedBatchPauseMs = 0;

// The estimate of one scan of `heap_bytes` at `bytes_per_second`, times a
// rough factor per kind of work over a plain read: 1 (VALIDATE, a blocking
// scan), 3 when it `builds_index`, 4 for a rewrite, 8 for a `backfill`, plus
// a backfill's pauses (`rows` / `batch_size` + 1 of them).
// REQUIRES: bytes_per_second > 0.
int64_t estimate_scan_ms(DurationClass duration, bool builds_index, bool backfill,
                         int64_t heap_bytes, int64_t bytes_per_second, int64_t rows,
                         int64_t batch_size, int64_t backfill_pause_ms);

// A scanning step of an earlier apply as the journal records it
// (catalog::read_earlier_scans): its estimate, how long it took, and what
// the estimate was made from.
struct EarlierScan {
  std::string run;  // the plan hash of its run
  int64_t estimated_ms = 0;
  int64_t actual_ms = 0;
  int64_t plan_bytes_per_second = 0;
  int64_t estimated_rows = 0;
  int64_t batch_size = 0;  // 0: not a backfill
};

// The read throughput earlier applies show. Each step's estimate less its
// assumed batch pauses is an amount of reading at its plan's throughput
// (estimated ms x bytes per second); the throughput is all that reading
// over the time the steps took (less the same pauses): a step that took
// twice its estimate halves its share. Source: "journal: 3 scanning steps of
// 2 earlier applies, estimated 1.2 s, took 2 s". nullopt when no step is
// usable (none; or each took no longer than its pauses).
std::optional<Throughput> throughput_from_history(const std::vector<EarlierScan>& scans,
                                                  int64_t backfill_pause_ms);

}  // namespace pgshift::plans
