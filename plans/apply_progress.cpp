#include "plans/apply_progress.hpp"

#include <fmt/format.h>

#include <cmath>
#include <nlohmann/json.hpp>

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
                   int64_t total_rows, int64_t rows_before, std::ostream* json, int step_id)
    : out_(out),
      bar_(bar),
      interval_(bar ? std::chrono::steady_clock::duration(kBarRedraw)
                    : std::chrono::steady_clock::duration(interval)),
      label_(std::move(label)),
      total_rows_(total_rows),
      rows_before_(rows_before),
      json_(json),
      step_id_(step_id),
      rows_done_(rows_before),
      started_(std::chrono::steady_clock::now()),
      last_drawn_(started_) {}

BackfillFigures Progress::figures() const {
  BackfillFigures figures;
  figures.rows_done = rows_done_;
  figures.rows_updated = rows_updated_;
  // The estimate, corrected: never below what was walked; with a known
  // fraction of the walk (blocks), what was walked scaled up once the
  // fraction says enough.
  figures.rows_total = std::max(total_rows_, rows_done_);
  if (fraction_ >= 0.05) {
    figures.rows_total = std::max(
        rows_done_, static_cast<int64_t>(static_cast<double>(rows_done_) / std::min(fraction_, 1.0)));
  }
  const double elapsed =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
  figures.rows_per_s =
      elapsed > 0 ? static_cast<double>(rows_done_ - rows_before_) / elapsed : 0;
  if (figures.rows_per_s > 0) {
    figures.eta_s = static_cast<double>(figures.rows_total - figures.rows_done) / figures.rows_per_s;
  }
  figures.batch_size = batch_size_;
  figures.pacing = pacing_;
  return figures;
}

std::string backfill_progress_line(const std::string& label, const BackfillFigures& figures) {
  const double percent = figures.rows_total > 0 ? 100.0 * static_cast<double>(figures.rows_done) /
                                                      static_cast<double>(figures.rows_total)
                                                : 100.0;
  return fmt::format("{}: {}/{} rows ({:.0f}%), {:.0f} rows/s, ETA {}, batch {}, {}", label,
                     figures.rows_done, figures.rows_total, percent, figures.rows_per_s,
                     format_eta(figures.eta_s), figures.batch_size, figures.pacing);
}

std::string backfill_progress_json(int step_id, const std::string& event,
                                   const BackfillFigures& figures) {
  nlohmann::json json{{"event", event},
                      {"step", step_id},
                      {"rows_done", figures.rows_done},
                      {"rows_total", figures.rows_total},
                      {"rows_updated", figures.rows_updated},
                      {"rows_per_s", std::round(figures.rows_per_s * 10) / 10},
                      {"eta_s", figures.eta_s < 0 ? nlohmann::json(nullptr)
                                                  : nlohmann::json(std::round(figures.eta_s))},
                      {"batch_size", figures.batch_size},
                      {"pacing", figures.pacing}};
  return json.dump();
}

void Progress::draw(const std::string& event, bool final_line) {
  const BackfillFigures now = figures();
  std::string text = backfill_progress_line(label_, now);
  if (bar_) {
    const double fraction =
        now.rows_total > 0 ? static_cast<double>(now.rows_done) / static_cast<double>(now.rows_total)
                           : 1.0;
    const int filled = static_cast<int>(std::clamp(fraction, 0.0, 1.0) * kBarWidth);
    out_ << '\r'
         << fmt::format("[{}{}] {}", std::string(filled, '#'), std::string(kBarWidth - filled, '.'),
                        text)
         << "\x1b[K" << (final_line ? "\n" : "") << std::flush;
  } else {
    out_ << "  " << text << '\n' << std::flush;
  }
  if (json_ != nullptr) *json_ << backfill_progress_json(step_id_, event, now) << '\n' << std::flush;
}

void Progress::update(int64_t rows_done, int64_t rows_updated, double fraction) {
  rows_done_ = rows_done;
  rows_updated_ = rows_updated;
  fraction_ = fraction;
  const auto now = std::chrono::steady_clock::now();
  if (now - last_drawn_ < interval_) return;
  last_drawn_ = now;
  draw("backfill_progress", false);
}

void Progress::set_pacing(const std::string& state) {
  pacing_ = state;
  if (bar_) draw("backfill_progress", false);
}

void Progress::note(const std::string& event, const std::string& text) {
  if (bar_) out_ << "\r\x1b[K";
  out_ << text << '\n' << std::flush;
  if (json_ != nullptr) {
    nlohmann::json line = nlohmann::json::parse(backfill_progress_json(step_id_, event, figures()));
    line["message"] = text;
    *json_ << line.dump() << '\n' << std::flush;
  }
  if (bar_) draw("backfill_progress", false);
}

void Progress::finish(int64_t rows_done, int64_t rows_updated) {
  rows_done_ = rows_done;
  rows_updated_ = rows_updated;
  total_rows_ = rows_done;
  fraction_ = 1;
  pacing_ = "done";
  draw("backfill_done", true);
}

void Progress::stop() {
  pacing_ = "stopped";
  draw("backfill_stopped", true);
}

std::string build_progress_line(const std::string& label, const std::string& phase,
                                int64_t blocks_done, int64_t blocks_total, int64_t tuples_done,
                                int64_t tuples_total) {
  std::string text = fmt::format("{}: {}", label, phase);
  if (blocks_total > 0) {
    text +=
        fmt::format("; blocks {}/{} ({:.0f}%)", blocks_done, blocks_total,
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


}  // namespace pgshift::plans::detail
