// A fresh, empty database for one integration test.
//
// The server comes from PGSHIFT_TEST_URL (scripts/test starts a throwaway
// cluster and sets it). Each TestDatabase creates a database with a unique
// name on construction and drops it on destruction, so tests are independent
// and may run in parallel (ctest -j).
#pragma once

#include <string>

#include <pqxx/pqxx>

namespace pgshift::testing {

class TestDatabase {
 public:
  // Throws std::runtime_error when PGSHIFT_TEST_URL is unset or the server
  // cannot be reached.
  TestDatabase();
  ~TestDatabase();
  TestDatabase(const TestDatabase&) = delete;
  TestDatabase& operator=(const TestDatabase&) = delete;

  const std::string& name() const { return name_; }
  // Connection URI of the test database.
  const std::string& url() const { return url_; }
  // Runs SQL (several statements allowed) in autocommit mode.
  void exec(const std::string& sql) const;
  // Runs a query and returns the first column of the first row ("" for NULL).
  std::string scalar(const std::string& sql) const;

 private:
  std::string server_url_;
  std::string name_;
  std::string url_;
};

// The server URI from PGSHIFT_TEST_URL; throws when unset.
std::string server_url();

// `url` with its database replaced by `dbname`.
std::string url_with_database(const std::string& url, const std::string& dbname);

}  // namespace pgshift::testing
