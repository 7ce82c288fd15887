// Expand and contract in the catalog (issue 15): what pgshift's expand phase
// leaves on a table until contract, and how `plan` and `drift` recognise it.
//
// Expand adds a column next to the old one and a BEFORE INSERT OR UPDATE
// trigger named kSyncTriggerPrefix + <new column> that keeps the two equal;
// its two arguments name the old and the new column, and its function lives
// in schema kSyncFunctionSchema (pgshift's own, which the catalog reader does
// not read). The trigger's comment is kExpandedComment once every expand
// step is done. Pure functions of the model: no I/O.
#pragma once

#include <string>
#include <vector>

#include "schemas/model.hpp"

namespace pgshift::schemas {

inline constexpr const char* kSyncTriggerPrefix = "pgshift_sync_";
inline constexpr const char* kSyncFunctionSchema = "_pgshift";
inline constexpr const char* kExpandedComment = "pgshift: expand complete, contract pending";
// The name a type change's new column has until contract: <column> + this.
inline constexpr const char* kShadowSuffix = "_pgshift_new";

// One column pair kept in sync by an expand phase.
struct ExpandedColumn {
  std::string schema;
  std::string table;
  std::string old_column;
  std::string new_column;
  std::string trigger;
  bool complete = false;  // every expand step done (the trigger's comment says so)
};

// The name the new column has after contract: the old column's when the new
// one carries a temporary name (old + kShadowSuffix, cut to 63 bytes), else
// its own (a rename).
std::string final_name(const ExpandedColumn& expanded);
// `column` + kShadowSuffix, cut to 63 bytes at a character boundary.
std::string shadow_name(const std::string& column);

// The sync triggers of `db`'s tables, in schema, table, trigger order.
std::vector<ExpandedColumn> expanded_columns(const Database& db);

// "expand of column "amount" of table "public.orders" applied (new column
// "amount_cents", kept in sync by trigger "pgshift_sync_amount_cents"): contract pending".
std::string describe(const ExpandedColumn& expanded);

// `db` as it will be once the contract of `expanded` has run: the sync
// trigger goes; the old column goes and the new one takes its place under
// final_name() (when the new column is not in `db` yet, the old one is
// renamed); indexes, keys and foreign keys (other tables' too) on the old
// column are taken as on the final one; objects expand made on the new
// column under temporary names (kShadowSuffix, pgshift_nn_) are left out.
// Used by drift between the phases and by the planner, which plans the
// column's change itself and shows the other rules the change as done.
void assume_contracted(Database& db, const ExpandedColumn& expanded);

// A table renamed by expand and contract: expand leaves a view under the old
// name (SELECT * of the table: simple, so updatable) whose comment is
// kCompatibilityViewComment followed by the table's new name; contract drops it.
inline constexpr const char* kCompatibilityViewComment =
    "pgshift: compatibility view until contract, of table ";

struct CompatibilityView {
  std::string schema;
  std::string view;   // the table's old name
  std::string table;  // its new name
};

// The compatibility views of `db`, in schema and view order.
std::vector<CompatibilityView> compatibility_views(const Database& db);

// "table "public.orders" renamed from "purchases" (compatibility view "purchases"): contract pending".
std::string describe(const CompatibilityView& view);

// `db` without the view: as it will be after contract.
void assume_contracted(Database& db, const CompatibilityView& view);

}  // namespace pgshift::schemas
