// Passwords never appear in pgshift's output: every command (inspect, plan,
// apply, drift, and their errors) run with targets whose password holds every
// character special in a URI, in every spelling libpq reads.
#include <catch2/catch.hpp>
#include <cctype>
#include <string>
#include <vector>

#include "tests/support/run.hpp"
#include "tests/support/test_db.hpp"

using pgshift::testing::CommandResult;
using pgshift::testing::run_command;
using pgshift::testing::TempDir;
using pgshift::testing::TestDatabase;

namespace {

std::string percent_encoded(const std::string& text) {
  static const char* const kHex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c)) {
      out += static_cast<char>(c);
    } else {
      out += std::string("%") + kHex[c >> 4] + kHex[c & 0xF];
    }
  }
  return out;
}

std::string conninfo_quoted(const std::string& text) {
  std::string out = "'";
  for (char c : text) {
    if (c == '\'' || c == '\\') out += '\\';
    out += c;
  }
  return out + "'";
}

struct Server {
  std::string host;
  std::string port;
  std::string user;
};

// host, port and user of PGSHIFT_TEST_URL (postgresql://user@host:port/db).
Server server_of(const std::string& url) {
  const auto authority = url.find("://") + 3;
  const auto at = url.find('@', authority);
  const auto colon = url.find(':', at);
  const auto slash = url.find('/', colon);
  return {url.substr(at + 1, colon - at - 1), url.substr(colon + 1, slash - colon - 1),
          url.substr(authority, at - authority)};
}

}  // namespace

TEST_CASE("no command prints a password, whatever characters it holds", "[cli][db]") {
  TestDatabase db;
  db.exec("CREATE TABLE t (id bigint PRIMARY KEY)");
  const Server server = server_of(pgshift::testing::server_url());
  const TempDir dir;
  const std::string yaml = dir.write(
      "schema.yaml",
      "schemas:\n  public:\n    tables:\n      t:\n        columns: { id: bigint, note: text }\n"
      "        primary_key: [id]\n");
  const std::string broken = dir.write("broken.yaml", "schemas: { public: { tables: { t: [ }\n");
  for (const std::string password : {"s3?@/#%40:&=x", "q' \\\"w@/"}) {
    const std::string encoded = percent_encoded(password);
    const std::vector<std::string> targets = {
        "postgresql://" + server.user + ":" + encoded + "@" + server.host + ":" + server.port +
            "/" + db.name(),
        "POSTGRESQL://" + server.user + ":" + encoded + "@" + server.host + ":" + server.port +
            "/" + db.name() + "?connect_timeout=5",
        "postgres://" + server.user + "@" + server.host + ":" + server.port + "/" + db.name() +
            "?password=" + encoded,
        "host=" + server.host + " port=" + server.port + " user=" + server.user +
            " dbname=" + db.name() + " password=" + conninfo_quoted(password)};
    for (const auto& target : targets) {
      const std::string unreachable =
          target.rfind("host=", 0) == 0
              ? target + " port=1"
              : "postgresql://" + server.user + ":" + encoded + "@127.0.0.1:1/" + db.name();
      const std::vector<std::vector<std::string>> runs = {
          {"inspect", "--db", target, "-o", dir.path() + "/inspected"},
          {"plan", "--db", target, "--schema", yaml, "--format", "markdown"},
          {"apply", "--db", target, "--schema", yaml, "--yes"},
          {"drift", "--db", target, "--schema", yaml},
          {"plan", "--db", target, "--schema", broken},
          {"drift", "--db", unreachable, "--schema", yaml},
          {"apply", "--db", target, "--schema", yaml, "--dev-db", unreachable, "--yes"},
          {"plan", "--db", target + (target.rfind("host=", 0) == 0 ? " bogus=1" : "&bogus=1"),
           "--schema", yaml},
      };
      for (auto args : runs) {
        args.insert(args.begin(), PGSHIFT_BIN);
        const CommandResult result = run_command(args);
        INFO(target << "\n" << args[1] << " exit " << result.exit_code << "\n" << result.output);
        CHECK(result.output.find(password) == std::string::npos);
        CHECK(result.output.find(encoded) == std::string::npos);
        CHECK(result.output.find("s3") == std::string::npos);
      }
    }
    db.exec("ALTER TABLE t DROP COLUMN IF EXISTS note");
  }
}
