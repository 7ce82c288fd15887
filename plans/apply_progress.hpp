// Progress of a backfill or an index build on stderr: a bar redrawn in place
// on a terminal, plain periodic lines otherwise (logs, CI).
#pragma once

#include <chrono>
#include <cstdint>
#include <iosfwd>
#include <string>

namespace pgshift::plans::detail {

class Progress {
 public:
  // `total_rows`: rows the backfill will update in all, as estimated when it
  // (re)started; `rows_before`: updated by earlier runs.
  Progress(std::ostream& out, bool bar, std::chrono::seconds interval, std::string label,
           int64_t total_rows, int64_t rows_before);
  // Reports `rows_done` rows (over every run) and the fraction of the key
  // range covered; draws when due (bar: at most 10 times a second).
  void update(int64_t rows_done, double key_fraction);
  // Final line, always drawn.
  void finish(int64_t rows_done);
  // Last line of a backfill stopped before its end, always drawn.
  void stop(int64_t rows_done, double key_fraction);

 private:
  std::string line(int64_t rows_done, double key_fraction) const;

  std::ostream& out_;
  bool bar_;
  std::chrono::steady_clock::duration interval_;
  std::string label_;
  int64_t total_rows_;
  int64_t rows_before_;
  std::chrono::steady_clock::time_point started_;
  std::chrono::steady_clock::time_point last_drawn_;
};

// Progress of a concurrent index build from pg_stat_progress_create_index,
// and the notes about its waits, on one stream. update() and note() may be
// called from the lock monitor's thread, finish() from the applier's, never
// at the same time (LockMonitor::take() waits for a running sink).
class BuildProgress {
 public:
  BuildProgress(std::ostream& out, bool bar, std::chrono::seconds interval, std::string label);
  // Draws `phase`, blocks and tuples done when due (bar: at most 10 times a
  // second; plain lines: every `interval`).
  void update(const std::string& phase, int64_t blocks_done, int64_t blocks_total,
              int64_t tuples_done, int64_t tuples_total);
  // A line of its own (a wait report); the bar is redrawn below it.
  void note(const std::string& text);
  // Clears the bar, if one was drawn.
  void finish();

 private:
  std::ostream& out_;
  bool bar_;
  std::chrono::steady_clock::duration interval_;
  std::string label_;
  std::string last_line_;  // the bar as last drawn; empty when none is shown
  std::chrono::steady_clock::time_point last_drawn_;
};

// "build index \"public.i\": building index: scanning table; blocks 10/40
// (25%); tuples 0/0".
std::string build_progress_line(const std::string& label, const std::string& phase,
                                int64_t blocks_done, int64_t blocks_total, int64_t tuples_done,
                                int64_t tuples_total);

}  // namespace pgshift::plans::detail
