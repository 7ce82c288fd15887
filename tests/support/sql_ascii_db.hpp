// A database whose encoding is SQL_ASCII, which takes any bytes in names,
// comments and expressions: made beside a test's own database, dropped at
// the end of the test.
#pragma once

#include <string>

#include "tests/support/test_db.hpp"

namespace pgshift::testing {

class SqlAsciiDatabase {
 public:
  explicit SqlAsciiDatabase(const TestDatabase& admin)
      : admin_(admin), name_(admin.name() + "_ascii") {
    admin_.exec("CREATE DATABASE " + name_ +
                " TEMPLATE template0 ENCODING 'SQL_ASCII' LC_COLLATE 'C' LC_CTYPE 'C'");
  }
  ~SqlAsciiDatabase() { admin_.exec("DROP DATABASE IF EXISTS " + name_); }
  SqlAsciiDatabase(const SqlAsciiDatabase&) = delete;
  SqlAsciiDatabase& operator=(const SqlAsciiDatabase&) = delete;

  std::string url() const { return url_with_database(admin_.url(), name_); }

 private:
  const TestDatabase& admin_;
  std::string name_;
};

}  // namespace pgshift::testing
