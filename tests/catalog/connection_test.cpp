#include "catalog/connection.hpp"

#include <catch2/catch.hpp>

#include "schemas/error.hpp"

namespace pgshift::catalog {
namespace {

TEST_CASE("a URI password is replaced by stars", "[catalog]") {
  CHECK(redact("postgresql://app:s3cret@db.example.com:5432/shop") ==
        "postgresql://app:***@db.example.com:5432/shop");
  CHECK(redact("postgres://app:p%40ss@db/shop?sslmode=require") ==
        "postgres://app:***@db/shop?sslmode=require");
}

TEST_CASE("a URI password query parameter is replaced by stars", "[catalog]") {
  CHECK(redact("postgresql://db/shop?user=app&password=s3cret&sslmode=require") ==
        "postgresql://db/shop?user=app&password=***&sslmode=require");
}

TEST_CASE("a URI without a password is kept as is", "[catalog]") {
  CHECK(redact("postgresql://app@db:5432/shop") == "postgresql://app@db:5432/shop");
  CHECK(redact("postgresql:///shop?host=/tmp") == "postgresql:///shop?host=/tmp");
}

TEST_CASE("a key=value password is replaced, quoted or not", "[catalog]") {
  CHECK(redact("host=db password=s3cret dbname=shop") == "host=db password=*** dbname=shop");
  CHECK(redact("host=db password = 'a b\\' c' user=app") == "host=db password = *** user=app");
  CHECK(redact("host=db user=app") == "host=db user=app");
}

TEST_CASE("a failed connection names the redacted target on one line", "[catalog]") {
  const std::string target = "postgresql://app:s3cret@127.0.0.1:1/shop?connect_timeout=2";
  try {
    connect(target);
    FAIL("connect succeeded");
  } catch (const Error& e) {
    const std::string message = e.what();
    CHECK(message.rfind("could not connect to \"postgresql://app:***@127.0.0.1:1/shop?"
                        "connect_timeout=2\": ", 0) == 0);
    CHECK(message.find("s3cret") == std::string::npos);
    CHECK(message.find('\n') == std::string::npos);
  }
}

TEST_CASE("a malformed target does not echo its password", "[catalog]") {
  const std::string target = "host=db password=s3cret bogus_key=1";
  try {
    connect(target);
    FAIL("connect succeeded");
  } catch (const Error& e) {
    CHECK(std::string(e.what()) ==
          "could not connect to \"host=db password=*** bogus_key=1\": "
          "invalid connection option \"bogus_key\"");
  }
}

}  // namespace
}  // namespace pgshift::catalog
