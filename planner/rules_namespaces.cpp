// Schemas and extensions.
#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "planner/normalize.hpp"
#include "planner/rules.hpp"
#include "planner/sql_text.hpp"
#include "plans/sql_text.hpp"

namespace pgshift::planner::detail {

using plans::DurationClass;
using plans::Hazard;
using plans::Phase;
using plans::quote_dotted;
using plans::quote_ident;
using plans::quote_ident_list;
using plans::quote_literal;
using plans::quote_qualified;
using schemas::ObjectId;
using schemas::ObjectKind;

void plan_schemas_and_extensions(Builder& builder) {
  for (const auto& [current, desired] :
       match_by_name(&builder.current().schemas, builder.desired().schemas)) {
    const std::string& name = (desired ? desired : current)->name;
    const ObjectId id{ObjectKind::Schema, "", "", name};
    const std::string token = "schema:" + name;
    if (desired == nullptr) {
      // The planner sees only managed schemas: one without a desired side is
      // listed in drop_schemas (planner.cpp).
      add_simple(builder, Phase::Drop, id, "drop " + describe(id),
                 "the schema is listed in drop_schemas; its objects are dropped first",
                 {{Statement::DropSchema, "DROP SCHEMA " + quote_ident(name)}}, {}, {}, {token});
      continue;
    }
    if (current == nullptr) {
      add_simple(builder, Phase::Prepare, id, "create " + describe(id), "a new schema",
                 {{Statement::CreateSchema, "CREATE SCHEMA " + quote_ident(name)}}, {token});
    }
    maybe_comment(builder, id, "SCHEMA", quote_ident(name),
                  current ? current->comment : std::nullopt, desired->comment, token);
  }
  for (const auto& [current, desired] :
       match_by_name(&builder.current().extensions, builder.desired().extensions)) {
    const std::string& name = (desired ? desired : current)->name;
    const ObjectId id{ObjectKind::Extension, "", "", name};
    if (desired == nullptr) {
      add_simple(builder, Phase::Drop, id, "drop extension \"" + name + "\"",
                 "the extension is not in the desired model",
                 {{Statement::DropExtension, "DROP EXTENSION " + quote_ident(name)}}, {}, {},
                 {"ext:" + name}, {"schema:" + current->schema});
      continue;
    }
    if (current == nullptr) {
      add_simple(builder, Phase::Prepare, id, "create " + describe(id), "a new extension",
                 {{Statement::CreateExtension,
                   "CREATE EXTENSION IF NOT EXISTS " + quote_ident(name) + " WITH SCHEMA " +
                       quote_ident(desired->schema) +
                       (desired->version ? " VERSION " + quote_literal(*desired->version) : "")}},
                 {"ext:" + name}, {"schema:" + desired->schema});
      continue;
    }
    if (current->schema != desired->schema) {
      add_simple(
          builder, Phase::Prepare, id, "move " + describe(id), "SET SCHEMA is catalog-only",
          {{Statement::AlterExtensionSetSchema, "ALTER EXTENSION " + quote_ident(name) +
                                                    " SET SCHEMA " + quote_ident(desired->schema)}},
          {}, {"schema:" + desired->schema}, {}, {"schema:" + current->schema});
    }
    if (desired->version && current->version != desired->version) {
      add_simple(builder, Phase::Prepare, id, "update " + describe(id),
                 "the extension's update script decides what changes",
                 {{Statement::AlterExtensionUpdate, "ALTER EXTENSION " + quote_ident(name) +
                                                        " UPDATE TO " +
                                                        quote_literal(*desired->version)}});
    }
  }
}

}  // namespace pgshift::planner::detail
