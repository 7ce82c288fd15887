#include "plans/apply_progress.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <ostream>
#include <utility>

namespace pgshift::plans::detail {

namespace {

constexpr int kBarWidth = 24;
constexpr std::chrono::milliseconds kBarRedraw{100};

std::string format_eta(double seconds) {
  if (seconds < 0) return "--";
  const auto whole = static_cast<int64_t>(seconds + 0.5);
  if (whole < 60) return fmt::format("{}s", whole);
  if (whole < 3600) return fmt::format("{}m{:02}s", whole / 60, whole % 60);
  return fmt::format("{}h{:02}m", whole / 3600, whole % 3600 / 60);
}

}  // namespace

Progress::Progress(std::ostream& out, bool bar, std::chrono::seconds interval, std::string label,
                   int64_t total_rows, int64_t rows_before)
    : out_(out),
      bar_(bar),
      interval_(bar ? std::chrono::steady_clock::duration(kBarRedraw)
                    : std::chrono::steady_clock::duration(interval)),
      label_(std::move(label)),
      total_rows_(total_rows),
      rows_before_(rows_before),
      started_(std::chrono::steady_clock::now()),
      last_drawn_(started_) {}

std::string Progress::line(int64_t rows_done, double key_fraction) const {
  const double elapsed =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
  const double rate = elapsed > 0 ? static_cast<double>(rows_done - rows_before_) / elapsed : 0;
  const int64_t total = std::max(total_rows_, rows_done);
  const double fraction = std::clamp(key_fraction, 0.0, 1.0);
  // The key range is the surer measure of what is left: row estimates drift.
  const double eta = fraction > 0 && elapsed > 0 ? elapsed * (1 - fraction) / fraction : -1;
  std::string text = fmt::format("{}: {}/{} rows ({:.0f}%), {:.0f} rows/s, ETA {}", label_,
                                 rows_done, total, fraction * 100, rate, format_eta(eta));
  if (!bar_) return text;
  const int filled = static_cast<int>(fraction * kBarWidth);
  return fmt::format("[{}{}] {}", std::string(filled, '#'), std::string(kBarWidth - filled, '.'),
                     text);
}

void Progress::update(int64_t rows_done, double key_fraction) {
  const auto now = std::chrono::steady_clock::now();
  if (now - last_drawn_ < interval_) return;
  last_drawn_ = now;
  if (bar_) {
    out_ << '\r' << line(rows_done, key_fraction) << "\x1b[K" << std::flush;
  } else {
    out_ << "  " << line(rows_done, key_fraction) << '\n';
  }
}

void Progress::finish(int64_t rows_done) {
  if (bar_) {
    out_ << '\r' << line(rows_done, 1.0) << "\x1b[K\n" << std::flush;
  } else {
    out_ << "  " << line(rows_done, 1.0) << '\n';
  }
}

std::string build_progress_line(const std::string& label, const std::string& phase,
                                int64_t blocks_done, int64_t blocks_total, int64_t tuples_done,
                                int64_t tuples_total) {
  std::string text = fmt::format("{}: {}", label, phase);
  if (blocks_total > 0) {
    text += fmt::format("; blocks {}/{} ({:.0f}%)", blocks_done, blocks_total,
                        100.0 * static_cast<double>(blocks_done) / static_cast<double>(blocks_total));
  }
  if (tuples_total > 0 || tuples_done > 0) {
    text += fmt::format("; tuples {}/{}", tuples_done, tuples_total);
  }
  return text;
}

BuildProgress::BuildProgress(std::ostream& out, bool bar, std::chrono::seconds interval,
                             std::string label)
    : out_(out),
      bar_(bar),
      interval_(bar ? std::chrono::steady_clock::duration(kBarRedraw)
                    : std::chrono::steady_clock::duration(interval)),
      label_(std::move(label)),
      last_drawn_(std::chrono::steady_clock::now()) {}

void BuildProgress::update(const std::string& phase, int64_t blocks_done, int64_t blocks_total,
                           int64_t tuples_done, int64_t tuples_total) {
  const auto now = std::chrono::steady_clock::now();
  if (now - last_drawn_ < interval_) return;
  last_drawn_ = now;
  const std::string text =
      build_progress_line(label_, phase, blocks_done, blocks_total, tuples_done, tuples_total);
  if (!bar_) {
    out_ << "  " << text << '\n' << std::flush;
    return;
  }
  // Blocks are the measure of the table scan; tuples of the sort and the
  // second (validation) scan.
  double fraction = 0;
  if (blocks_total > 0) {
    fraction = static_cast<double>(blocks_done) / static_cast<double>(blocks_total);
  } else if (tuples_total > 0) {
    fraction = static_cast<double>(tuples_done) / static_cast<double>(tuples_total);
  }
  const int filled = static_cast<int>(std::clamp(fraction, 0.0, 1.0) * kBarWidth);
  last_line_ = fmt::format("[{}{}] {}", std::string(filled, '#'),
                           std::string(kBarWidth - filled, '.'), text);
  out_ << '\r' << last_line_ << "\x1b[K" << std::flush;
}

void BuildProgress::note(const std::string& text) {
  if (bar_ && !last_line_.empty()) {
    out_ << "\r\x1b[K" << text << '\n' << last_line_ << "\x1b[K" << std::flush;
  } else {
    out_ << text << '\n' << std::flush;
  }
}

void BuildProgress::finish() {
  if (bar_ && !last_line_.empty()) out_ << "\r\x1b[K" << std::flush;
  last_line_.clear();
}

void Progress::stop(int64_t rows_done, double key_fraction) {
  if (bar_) {
    out_ << '\r' << line(rows_done, key_fraction) << "\x1b[K\n" << std::flush;
  } else {
    out_ << "  " << line(rows_done, key_fraction) << '\n';
  }
}

}  // namespace pgshift::plans::detail
