// The apply journal: what an apply of a plan has done, kept in the database it
// changes, so a killed run resumes where it stopped.
//
// Tables in schema "_pgshift" (which the catalog reader skips):
//   apply_runs      one row per plan hash: the plan itself (its JSON), the
//                   fingerprint of the desired model it was made for (apply
//                   --schema), finished_at set after the last step verified,
//                   abandoned_at set by `apply --abandon`
//   apply_steps     one row per completed step
//   apply_builds    one row per CREATE INDEX CONCURRENTLY a run started:
//                   an index of that name found later is the plan's own
//                   (runs with records_builds NULL, begun by an older
//                   pgshift, recorded none)
//   apply_backfills one row per started backfill: its mode ('key' or
//                   'block'; NULL in rows of older pgshifts, whose next_key
//                   and upper_key were integer keys), the last key done and
//                   the highest key as JSON arrays of text values (key), or
//                   the next block and the block count in next_key and
//                   upper_key (block), rows updated and rows seen so far
// Completion of a transactional step and a backfill checkpoint are written in
// the caller's transaction, atomically with the work they record.
//
// Not thread-safe: a Journal uses its connection from the calling thread only.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <pqxx/pqxx>
#include <set>
#include <string>
#include <vector>

#include "plans/plan.hpp"

namespace pgshift::plans::detail {

// How far a backfill got; saved in the transaction of each batch.
struct BackfillCheckpoint {
  enum class Mode { Key, Block };
  Mode mode = Mode::Key;
  // Key: the key tuple of the last row of the last committed batch, each
  // value in its type's text output (typed again by the server on resume);
  // nullopt before the first batch.
  std::optional<std::vector<std::string>> key_after;
  std::vector<std::string> key_upper;  // Key: the highest key when the backfill started
  int64_t next_block = 0;              // Block: first block not yet done
  int64_t block_count = 0;             // Block: the table's blocks when it started
  int64_t rows_done = 0;               // rows updated so far, over every run
  int64_t rows_seen = 0;               // rows selected by the batches so far (Key)
};
bool operator==(const BackfillCheckpoint& a, const BackfillCheckpoint& b);

enum class RunState { NotStarted, InProgress, Finished };  // abandoned counts as NotStarted

// A run neither finished nor abandoned.
struct RunRecord {
  std::string plan_hash;
  std::string desired_hash;  // "" for a run of apply --plan
  std::string plan_json;     // render_json of the plan; "" in journals older than it
  int steps = 0;
  int steps_done = 0;
  std::string started_at;  // "2026-11-30 22:01:02 UTC"
};

class Journal {
 public:
  // REQUIRES: `conn` outlives the Journal and has no transaction in progress
  // when a method that takes none is called.
  Journal(pqxx::connection& conn, std::string plan_hash);

  // Whether the journal tables exist; reads only.
  bool exists();
  // Creates the schema and tables when missing.
  void create();
  // How far runs of this plan got. REQUIRES: exists().
  RunState state();
  // Records that a run of this plan started (once per plan hash; a run of it
  // abandoned or finished earlier starts over), with the plan and
  // `desired_hash` ("" for none). REQUIRES: exists(), and no run of this plan
  // in progress.
  void start(const Plan& plan, const std::string& desired_hash);
  // Every run neither finished nor abandoned, oldest first; reads only, an
  // older pgshift's journal too (its runs have no plan). REQUIRES: exists().
  std::vector<RunRecord> unfinished_runs();
  // Marks that run abandoned (its rows are kept until the same plan starts
  // again). REQUIRES: exists().
  void abandon(const std::string& plan_hash);
  // Ids of the steps recorded as completed. REQUIRES: exists().
  std::set<int> done_steps();
  // Records `step` as completed inside `tx`.
  void mark_done(pqxx::transaction_base& tx, const Step& step, std::chrono::milliseconds duration);
  // Same, in a transaction of its own.
  void mark_done(const Step& step, std::chrono::milliseconds duration);
  // Records, in a transaction of its own, that `step_id` starts building
  // index `schema`.`name` (once; a retry records nothing new).
  void record_build(int step_id, const std::string& schema, const std::string& name);
  // Whether a run of this plan recorded that build; nullopt when the run
  // was begun by a pgshift that recorded no builds.
  std::optional<bool> build_recorded(int step_id, const std::string& schema,
                                     const std::string& name);
  std::optional<BackfillCheckpoint> checkpoint(int step_id);
  // Inserts or replaces the checkpoint of a backfill inside `tx`.
  void save_checkpoint(pqxx::transaction_base& tx, int step_id, const BackfillCheckpoint& point);
  void finish();

 private:
  pqxx::connection& conn_;
  std::string plan_hash_;
};

}  // namespace pgshift::plans::detail
