#include "tests/support/test_db.hpp"

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <stdexcept>

#include <unistd.h>

namespace pgshift::testing {

std::string server_url() {
  const char* url = std::getenv("PGSHIFT_TEST_URL");
  if (url == nullptr || *url == '\0') {
    throw std::runtime_error(
        "PGSHIFT_TEST_URL is not set: run the suite with ./scripts/test, which starts a "
        "throwaway PostgreSQL, or point PGSHIFT_TEST_URL at a server you own");
  }
  return url;
}

std::string url_with_database(const std::string& url, const std::string& dbname) {
  // postgresql://user@host:port/dbname?params
  const auto scheme_end = url.find("://");
  if (scheme_end == std::string::npos) {
    return url + " dbname=" + dbname;  // key=value form: a later key wins
  }
  const auto path_start = url.find('/', scheme_end + 3);
  const auto query_start = url.find('?', scheme_end + 3);
  std::string head = url.substr(0, path_start == std::string::npos ? query_start : path_start);
  std::string query = query_start == std::string::npos ? "" : url.substr(query_start);
  return head + "/" + dbname + query;
}

namespace {
std::atomic<int> counter{0};
}

TestDatabase::TestDatabase() : server_url_(server_url()) {
  const auto now = std::chrono::steady_clock::now().time_since_epoch().count();
  name_ = "pgshift_test_" + std::to_string(::getpid()) + "_" + std::to_string(counter++) + "_" +
          std::to_string(now % 1000000);
  pqxx::connection admin(server_url_);
  pqxx::nontransaction work(admin);
  work.exec("CREATE DATABASE " + work.quote_name(name_));
  url_ = url_with_database(server_url_, name_);
}

TestDatabase::~TestDatabase() {
  try {
    pqxx::connection admin(server_url_);
    pqxx::nontransaction work(admin);
    // WITH (FORCE) exists from PostgreSQL 13; older servers need the sessions gone first.
    work.exec_params(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1", name_);
    work.exec("DROP DATABASE IF EXISTS " + work.quote_name(name_));
  } catch (const std::exception&) {
    // A leftover test database is harmless: the cluster is thrown away.
  }
}

void TestDatabase::exec(const std::string& sql) const {
  pqxx::connection conn(url_);
  pqxx::nontransaction work(conn);
  work.exec(sql);
}

std::string TestDatabase::scalar(const std::string& sql) const {
  pqxx::connection conn(url_);
  pqxx::nontransaction work(conn);
  const pqxx::result result = work.exec(sql);
  if (result.empty() || result[0][0].is_null()) return "";
  return result[0][0].c_str();
}

}  // namespace pgshift::testing
