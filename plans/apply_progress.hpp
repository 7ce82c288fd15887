// Progress of a backfill or an index build on stderr: a bar redrawn in place
// on a terminal, plain periodic lines otherwise (logs, CI).
#pragma once

#include <chrono>
#include <cstdint>
#include <iosfwd>
#include <string>

namespace pgshift::plans::detail {

// The figures of a backfill at one moment.
struct BackfillFigures {
  int64_t rows_done = 0;   // rows walked over every run (key: selected; blocks: updated)
  int64_t rows_total = 0;  // rows to walk: pg_class.reltuples, corrected as batches go
  int64_t rows_updated = 0;
  double rows_per_s = 0;   // this run
  double eta_s = -1;       // -1: unknown
  int64_t batch_size = 0;  // rows asked of the next batch (blocks: about)
  std::string pacing;      // "running", or "paused 3s: replica lag 2.1s over ..."
};

// "step 3 of 7: 12000/20000 rows (60%), 4000 rows/s, ETA 2s, batch 1000, running".
std::string backfill_progress_line(const std::string& label, const BackfillFigures& figures);
// The same figures as one JSON object (a line of the JSON apply log):
// {"event":"backfill_progress","step":3,"rows_done":12000,...}.
std::string backfill_progress_json(int step_id, const std::string& event,
                                   const BackfillFigures& figures);

class Progress {
 public:
  // `total_rows`: the estimate of rows to walk when the backfill (re)started;
  // `rows_before`: walked by earlier runs. `json`, when set, gets a JSON line
  // at every draw and at every note.
  Progress(std::ostream& out, bool bar, std::chrono::seconds interval, std::string label,
           int64_t total_rows, int64_t rows_before, std::ostream* json = nullptr,
           int step_id = 0);
  // Reports the rows walked and updated (over every run) and the fraction of
  // the walk done when known (blocks), else negative; draws when due (bar: at
  // most 10 times a second).
  void update(int64_t rows_done, int64_t rows_updated, double fraction);
  void set_batch_size(int64_t rows) { batch_size_ = rows; }
  // "running", or why the backfill is paused; redraws at once.
  void set_pacing(const std::string& state);
  // A line of its own (a pause, a resume), the bar redrawn below it;
  // `event` names it in the JSON log.
  void note(const std::string& event, const std::string& text);
  // Final line, always drawn.
  void finish(int64_t rows_done, int64_t rows_updated);
  // Last line of a backfill stopped before its end, always drawn.
  void stop();
  BackfillFigures figures() const;

 private:
  void draw(const std::string& event, bool final_line);

  std::ostream& out_;
  bool bar_;
  std::chrono::steady_clock::duration interval_;
  std::string label_;
  int64_t total_rows_;
  int64_t rows_before_;
  std::ostream* json_;
  int step_id_;
  int64_t rows_done_ = 0;
  int64_t rows_updated_ = 0;
  double fraction_ = -1;
  int64_t batch_size_ = 0;
  std::string pacing_ = "running";
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
