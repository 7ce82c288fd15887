// Progress of a backfill on stderr: a bar redrawn in place on a terminal,
// plain periodic lines otherwise (logs, CI).
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

}  // namespace pgshift::plans::detail
