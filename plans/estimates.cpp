#include "plans/estimates.hpp"

#include <algorithm>
#include <set>

namespace pgshift::plans {

int64_t estimate_scan_ms(DurationClass duration, bool builds_index, bool backfill,
                         int64_t heap_bytes, int64_t bytes_per_second, int64_t rows,
                         int64_t batch_size, int64_t backfill_pause_ms) {
  double factor = 1;
  if (builds_index) factor = 3;
  if (duration == DurationClass::Rewrite) factor = 4;
  if (backfill) factor = 8;
  double ms = factor * 1000.0 * static_cast<double>(heap_bytes) /
              static_cast<double>(bytes_per_second);
  if (backfill && batch_size > 0) {
    ms += static_cast<double>(rows / batch_size + 1) * static_cast<double>(backfill_pause_ms);
  }
  return static_cast<int64_t>(ms + 0.5);
}

std::optional<Throughput> throughput_from_history(const std::vector<EarlierScan>& scans,
                                                  int64_t backfill_pause_ms) {
  double bytes = 0;
  int64_t reading_ms = 0;
  int64_t estimated = 0;
  int64_t actual = 0;
  int steps = 0;
  std::set<std::string> runs;
  for (const auto& scan : scans) {
    const int64_t pauses =
        scan.batch_size > 0 ? (scan.estimated_rows / scan.batch_size + 1) * backfill_pause_ms : 0;
    if (scan.plan_bytes_per_second <= 0 || scan.estimated_ms <= pauses ||
        scan.actual_ms <= pauses) {
      continue;
    }
    bytes += static_cast<double>(scan.estimated_ms - pauses) *
             static_cast<double>(scan.plan_bytes_per_second) / 1000.0;
    reading_ms += scan.actual_ms - pauses;
    estimated += scan.estimated_ms;
    actual += scan.actual_ms;
    ++steps;
    runs.insert(scan.run);
  }
  if (steps == 0 || reading_ms <= 0) return std::nullopt;
  Throughput throughput;
  throughput.bytes_per_second = std::max<int64_t>(
      1, static_cast<int64_t>(bytes * 1000.0 / static_cast<double>(reading_ms) + 0.5));
  throughput.source = "journal: " + std::to_string(steps) + " scanning step" +
                      (steps == 1 ? "" : "s") + " of " + std::to_string(runs.size()) +
                      " earlier appl" + (runs.size() == 1 ? "y" : "ies") + ", estimated " +
                      format_duration_ms(estimated) + ", took " + format_duration_ms(actual);
  return throughput;
}

}  // namespace pgshift::plans
