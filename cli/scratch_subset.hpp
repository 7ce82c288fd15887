// Which part of a desired state the scratch database has to build (issue 17).
//
// An object whose desired model equals the target catalog's (what `inspect`
// wrote) is already in the server's spelling: building it again in the
// scratch database would read back the same text. Only the objects that
// differ are built, with what they need to exist, and the canonical model is
// assembled from the scratch read (those objects) and the target's model
// (the others). Pure: no connection.
//
// "Differs" is decided conservatively, so that the assembled model is the
// one building everything would give:
//   - an object whose model differs, or that is new, is built;
//   - an object is also built when a name its SQL text mentions (a view's
//     query, a default, a check, a type, a function body, a trigger's
//     function, a sequence's OWNED BY, ...) is the name of an object that is
//     built, new or dropped: its canonical text may follow that object's
//     (a view over a column whose type changed gains casts);
//   - a table whose foreign key references a table whose referenced columns,
//     keys or partitioning differ is built; all the tables of a partition
//     tree are built when one of them is;
//   - an extension that differs (or that one side lacks) builds everything.
// Names are matched without their schema and without case, as words of the
// text (a name that is not a plain word is searched as a substring): a false
// match builds one object more, never one less.
// A table that differs is built without the indexes and foreign keys that
// equal the target's, stand on columns equal to the target's, name nothing
// built, new or dropped, and back nothing built (a unique index a foreign
// key may use, a replica identity); partition trees keep theirs. Those are
// taken from the target, and a foreign key taken needs no target built.
// What a built object needs is built too: every object named in its text
// (whole), the parent of a partition, and for a foreign key's target a table
// reduced to the referenced key and its columns (the foreign key's canonical
// text does not depend on the rest of the target).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "catalog/reader.hpp"
#include "schemas/model.hpp"

namespace pgshift::cli {

// Members of a built table that are taken from the target's model instead
// (choose_scratch_subset), by name.
struct TakenMembers {
  std::set<std::string> indexes;
  std::set<std::string> foreign_keys;
};

struct ScratchSubset {
  // Build the whole desired state (an extension differs): nothing is taken
  // from the target's model.
  bool everything = false;
  // What to build in the scratch database: the objects that differ, whole,
  // and what they need (foreign key targets reduced to their keys), in the
  // schemas holding them; empty when everything already matches.
  schemas::Database build;
  // Objects of the desired state taken from the target's model, as
  // "kind\tschema\tname" (unit_key()).
  std::set<std::string> clean;
  // The desired schemas whose own fields (the comment) differ.
  std::set<std::string> changed_schemas;
  // How many objects of each reason are built (for tests and messages).
  std::size_t differing = 0;  // objects whose canonical text is read from the scratch database
  std::size_t needed = 0;     // unchanged objects built whole because a built one needs them
  std::size_t reduced = 0;    // foreign key targets built reduced to their keys
  // The members of tables built whole that are left out of the build and
  // taken from the target: its indexes and foreign keys that equal the
  // target's, on columns equal to the target's, naming nothing built, new or
  // dropped, backing nothing built. By unit_key() of the table.
  std::map<std::string, TakenMembers> taken_members;
  // How many members are taken, all tables together.
  std::size_t members_taken() const {
    std::size_t count = 0;
    for (const auto& [table, members] : taken_members) {
      count += members.indexes.size() + members.foreign_keys.size();
    }
    return count;
  }
};

// The key of an object of `schema` in ScratchSubset::clean: kind is one of
// "table", "view", "matview", "sequence", "enum", "domain", "type",
// "function"; a function's name is its signature.
std::string unit_key(const std::string& kind, const std::string& schema, const std::string& name);

// Chooses what to build for `desired` (the YAML model, canonical and valid)
// against `current` (the target's model of the same schemas, ignore rules
// applied). `default_extension_versions` gives the dev server's default
// version of each extension `desired` lists without a version.
ScratchSubset choose_scratch_subset(
    const schemas::Database& desired, const schemas::Database& current,
    const std::map<std::string, std::string>& default_extension_versions);

// The tables of a target as far as they are read when their columns are
// (catalog::ReadOptions::columns_read): "schema.table" -> a hash of its
// columns' names and types, in order (0 for a partition, whose columns
// follow its parent's). Owns its data: it outlives the read's call.
using TableShapes = std::unordered_map<std::string, std::uint64_t>;
TableShapes table_shapes(const std::vector<catalog::TableSoFar>& read);

// Whether choose_scratch_subset() will build something for `desired`
// against a target whose tables, as far as they are read, have `read`'s
// shapes: a table of `desired` that the target lacks, or one whose columns
// differ in number, order, name or type (partitions aside; none with a
// `column:` ignore pattern, which may leave a column out of the target's
// model). Such a table differs, and a table that differs is built. False
// says nothing: the plan may build for another reason (a hash that happens
// to match also says false).
bool build_is_certain(const schemas::Database& desired, const TableShapes& read);

// The canonical model of `desired`: `built` (the scratch database's model of
// the schemas `subset.build` holds, planning hints carried; nullptr when
// nothing was built) for what was built because it differs, and `desired`'s
// own objects in `subset.clean`, moved out of it: each equals the target's
// but for its planning hints, which it keeps (the memory of a third model
// of every unchanged table is not spent). The unchanged schema comments are
// `current`'s. Facts are `built`'s (moved; or an empty set with `current`'s
// server version), with the volatile defaults, view columns and
// dependencies (pg_depend: what a view, routine, default, index, trigger or
// policy uses) of the clean objects taken from `current`'s facts: an object
// not built has no scratch facts, and a clean one is identical to the
// target's and names nothing built. The ignore rules, schemas to drop and
// owner management are `desired`'s; owners are left as the objects carry
// them (the caller resets them when owners are not managed).
// `desired` is left valid but unspecified: only its settings, privileges and
// origins may be read after.
schemas::Database assemble_canonical(schemas::Database& desired, const schemas::Database& current,
                                     const ScratchSubset& subset, schemas::Database* built);

}  // namespace pgshift::cli
