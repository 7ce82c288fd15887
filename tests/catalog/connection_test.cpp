#include "catalog/connection.hpp"

#include <catch2/catch.hpp>
#include <cctype>
#include <cstdlib>

#include "schemas/error.hpp"

namespace pgshift::catalog {
namespace {

TEST_CASE("a target is named by host, port, database and user only", "[catalog]") {
  CHECK(describe_target("postgresql://app:s3cret@db.example.com:5432/shop") ==
        "host=db.example.com port=5432 dbname=shop user=app");
  CHECK(describe_target("POSTGRESQL://app:s3cret@db:5433/shop?sslmode=require") ==
        "host=db port=5433 dbname=shop user=app");
  CHECK(describe_target("postgresql://db:5432/shop?user=app&password=s3cret") ==
        "host=db port=5432 dbname=shop user=app");
  CHECK(describe_target("host=db port=5432 password = 'a b\\' c' user=app dbname=shop") ==
        "host=db port=5432 dbname=shop user=app");
}

TEST_CASE("no password is named, whatever characters it holds", "[catalog]") {
  // Each password percent-encoded in a URI and quoted in a key=value string.
  for (const std::string password : {"p?ss", "p@ss", "p/ss", "p#ss", "p%40ss", "p:ss", "p&ss=1",
                                     "p ss", "p'ss", "p\\ss", "@/?#[]:"}) {
    std::string encoded;
    for (unsigned char c : password) {
      static const char* const kHex = "0123456789ABCDEF";
      if (std::isalnum(c)) {
        encoded += static_cast<char>(c);
      } else {
        encoded += std::string("%") + kHex[c >> 4] + kHex[c & 0xF];
      }
    }
    std::string quoted;
    for (char c : password) {
      if (c == '\'' || c == '\\') quoted += '\\';
      quoted += c;
    }
    for (const std::string& target :
         {"postgresql://app:" + encoded + "@db:5432/shop",
          "POSTGRES://app:" + encoded + "@db:5432/shop?sslmode=disable",
          "postgresql://app@db:5432/shop?password=" + encoded,
          "host=db port=5432 dbname=shop user=app password='" + quoted + "'"}) {
      INFO(target);
      CHECK(describe_target(target) == "host=db port=5432 dbname=shop user=app");
    }
  }
}

TEST_CASE("what the target leaves out is named from the PG* variables, never the password",
          "[catalog]") {
  ::setenv("PGHOST", "envhost", 1);
  ::setenv("PGPORT", "6543", 1);
  ::setenv("PGDATABASE", "envdb", 1);
  ::setenv("PGUSER", "envuser", 1);
  ::setenv("PGPASSWORD", "env?s3cret", 1);
  CHECK(describe_target("") == "host=envhost port=6543 dbname=envdb user=envuser");
  CHECK(describe_target("dbname=shop") == "host=envhost port=6543 dbname=shop user=envuser");
  for (const char* name : {"PGHOST", "PGPORT", "PGDATABASE", "PGUSER", "PGPASSWORD"}) {
    ::unsetenv(name);
  }
}

TEST_CASE("a database name given alone as the target is told what a target looks like",
          "[catalog]") {
  try {
    connect("w10k");
    FAIL("connect succeeded");
  } catch (const Error& e) {
    CHECK(std::string(e.what()) ==
          "invalid connection string: missing \"...\" after \"...\" in connection info string; "
          "expected a URL (postgresql://user@host:port/dbname) or key=value pairs (dbname=NAME "
          "host=HOST ...): a database name alone is written dbname=NAME");
  }
}

TEST_CASE("an unparsable target is never echoed", "[catalog]") {
  CHECK(describe_target("postgresql://app:p@ss@db/shop?bogus=%zz") ==
        "an invalid connection string");
  try {
    connect("host=db password=s3cret bogus_key=1");
    FAIL("connect succeeded");
  } catch (const Error& e) {
    CHECK(std::string(e.what()) == "invalid connection string: invalid connection option \"...\"");
  }
  try {
    connect("host=db password=s3 cret");
    FAIL("connect succeeded");
  } catch (const Error& e) {
    CHECK(std::string(e.what()).find("cret") == std::string::npos);
  }
}

TEST_CASE("a failed connection names the redacted target on one line", "[catalog]") {
  const std::string target = "postgresql://app:s3cret@127.0.0.1:1/shop?connect_timeout=2";
  try {
    connect(target);
    FAIL("connect succeeded");
  } catch (const Error& e) {
    const std::string message = e.what();
    CHECK(message.rfind("could not connect to \"host=127.0.0.1 port=1 dbname=shop user=app\": ",
                        0) == 0);
    CHECK(message.find("s3cret") == std::string::npos);
    CHECK(message.find('\n') == std::string::npos);
  }
}

}  // namespace
}  // namespace pgshift::catalog
