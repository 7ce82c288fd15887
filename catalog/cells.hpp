// Reading a pqxx::result's fields without copying the result for each one.
//
// In libpqxx 6.4, pqxx::row::operator[] returns a pqxx::field, which holds a
// copy of the whole pqxx::result: two shared_ptr reference counts taken and
// released per field. Reading 10,000 tables is about 1.5 million fields,
// and those counts were 15% of inspect's own CPU. A Cells is one row read
// through a single pqxx::const_row_iterator (itself a field) moved from
// column to column; a Cell names one column and moves the iterator there at
// each use, so several cells of a row can be held and used in any order.
//
//   for (const Cells& row : cells(tx.exec(...))) {
//     const std::string name = row[0].as<std::string>();
//     if (!row[1].is_null()) ...
//   }
#pragma once

#include <cstddef>
#include <pqxx/pqxx>
#include <utility>

namespace pgshift::catalog {

class Cells;

// One column of a Cells' row: the pqxx::field calls the reader makes.
class Cell {
 public:
  bool is_null() const { return field().is_null(); }
  const char* c_str() const { return field().c_str(); }
  std::size_t size() const { return field().size(); }
  template <typename T>
  T as() const {
    return field().as<T>();
  }
  pqxx::array_parser as_array() const { return field().as_array(); }

  // The field itself, for what takes one (pqxx::binarystring): valid until
  // another cell of the same row is used.
  const pqxx::field& field() const;

 private:
  friend class Cells;
  Cell(const Cells& row, pqxx::row::size_type column) : row_(row), column_(column) {}

  const Cells& row_;
  pqxx::row::size_type column_;
};

class Cells {
 public:
  explicit Cells(const pqxx::row& row) : cursor_(row.begin()) {}

  Cell operator[](pqxx::row::size_type column) const { return Cell(*this, column); }

 private:
  friend class Cell;
  const pqxx::field& at(pqxx::row::size_type column) const {
    cursor_ += static_cast<pqxx::row::difference_type>(column) -
               static_cast<pqxx::row::difference_type>(column_);
    column_ = column;
    return cursor_;
  }

  // Only its column changes: the row it reads is fixed.
  mutable pqxx::const_row_iterator cursor_;
  mutable pqxx::row::size_type column_ = 0;
};

inline const pqxx::field& Cell::field() const {
  return row_.at(column_);
}

// A result's rows as Cells, for a range-for. Holds the result (a shared
// handle), so a temporary one lives as long as the loop.
class CellRows {
 public:
  explicit CellRows(pqxx::result result) : result_(std::move(result)) {}

  class iterator {
   public:
    iterator(const pqxx::result& result, pqxx::result::size_type index)
        : result_(&result), index_(index) {}
    Cells operator*() const { return Cells((*result_)[index_]); }
    iterator& operator++() {
      ++index_;
      return *this;
    }
    bool operator!=(const iterator& other) const { return index_ != other.index_; }

   private:
    const pqxx::result* result_;
    pqxx::result::size_type index_;
  };

  iterator begin() const { return iterator(result_, 0); }
  iterator end() const { return iterator(result_, result_.size()); }

 private:
  pqxx::result result_;
};

inline CellRows cells(pqxx::result result) {
  return CellRows(std::move(result));
}

}  // namespace pgshift::catalog
