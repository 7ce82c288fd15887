#include "catalog/connection.hpp"

#include <libpq-fe.h>

#include <cctype>
#include <cstdlib>
#include <vector>

#include "schemas/error.hpp"

namespace pgshift::catalog {

namespace {

constexpr const char* kMask = "***";

// `target` with a URI scheme in lower case: RFC 3986 makes the scheme
// case-insensitive, libpq reads "POSTGRESQL://..." as a broken key=value
// string (and echoes it, password included, in its error).
std::string libpq_target(const std::string& target) {
  for (const char* scheme : {"postgresql://", "postgres://"}) {
    const std::size_t length = std::string(scheme).size();
    if (target.size() < length) continue;
    bool same = true;
    for (std::size_t idx = 0; idx < length; ++idx) {
      same = same && std::tolower(static_cast<unsigned char>(target[idx])) == scheme[idx];
    }
    if (same) return scheme + target.substr(length);
  }
  return target;
}

// libpq's own reading of `target` (its URI and key=value parsers, the same
// that connecting uses), or nullptr when libpq cannot parse it; `error` then
// holds libpq's message.
struct Options {
  explicit Options(const std::string& target) {
    char* message = nullptr;
    options = PQconninfoParse(libpq_target(target).c_str(), &message);
    if (message != nullptr) {
      error = message;
      PQfreemem(message);
    }
    while (!error.empty() && (error.back() == '\n' || error.back() == ' ')) error.pop_back();
  }
  ~Options() {
    if (options != nullptr) PQconninfoFree(options);
  }
  Options(const Options&) = delete;
  Options& operator=(const Options&) = delete;

  // The value of `keyword`, or "" when the target does not set it.
  std::string value(const std::string& keyword) const {
    if (options == nullptr) return "";
    for (const PQconninfoOption* option = options; option->keyword != nullptr; ++option) {
      if (keyword == option->keyword && option->val != nullptr) return option->val;
    }
    return "";
  }

  PQconninfoOption* options = nullptr;
  std::string error;
};

// libpq's default for `keyword` (its PG* environment variable, else its
// built-in default), or "".
std::string libpq_default(const std::string& keyword) {
  PQconninfoOption* defaults = PQconndefaults();
  std::string value;
  for (PQconninfoOption* option = defaults; option != nullptr && option->keyword != nullptr;
       ++option) {
    if (keyword == option->keyword && option->val != nullptr) value = option->val;
  }
  if (defaults != nullptr) PQconninfoFree(defaults);
  return value;
}

// libpq's message about a target it cannot parse, without the quoted pieces
// of the target it cites (they may be part of a password).
std::string parse_error(const std::string& error) {
  std::string out;
  bool quoted = false;
  for (char c : error) {
    if (c == '"') {
      out += quoted ? "\"" : "\"...";
      quoted = !quoted;
    } else if (!quoted) {
      out += c;
    }
  }
  return out;
}

// Why `target` does not parse, never citing it. A bare word (no "=", not a
// URL) is most often a database name typed alone: say what was expected.
std::string invalid_target(const std::string& target, const std::string& error) {
  std::string message = "invalid connection string: " + parse_error(error);
  if (target.find('=') == std::string::npos && target.find("://") == std::string::npos) {
    message +=
        "; expected a URL (postgresql://user@host:port/dbname) or key=value pairs (dbname=NAME "
        "host=HOST ...): a database name alone is written dbname=NAME";
  }
  return message;
}

// The first non-empty line of a libpq message, without "FATAL:" and with the
// password (should libpq echo part of the target) masked.
std::string one_line(const std::string& message, const std::string& password) {
  std::string line;
  std::size_t pos = 0;
  while (line.empty() && pos < message.size()) {
    auto end = message.find('\n', pos);
    if (end == std::string::npos) end = message.size();
    line = message.substr(pos, end - pos);
    pos = end + 1;
  }
  for (const char* prefix : {"FATAL:  ", "ERROR:  "}) {
    const auto found = line.find(prefix);
    if (found != std::string::npos) line.erase(found, std::string(prefix).size());
  }
  if (!password.empty()) {
    for (auto found = line.find(password); found != std::string::npos;
         found = line.find(password, found + 3)) {
      line.replace(found, password.size(), kMask);
    }
  }
  return line;
}

}  // namespace

std::string describe_target(const std::string& target) {
  const Options parsed(target);
  if (parsed.options == nullptr) return "an invalid connection string";
  std::string text;
  for (const char* keyword : {"host", "port", "dbname", "user"}) {
    std::string value = parsed.value(keyword);
    if (value.empty()) value = libpq_default(keyword);
    if (std::string(keyword) == "dbname" && value.empty()) {
      value = parsed.value("user").empty() ? libpq_default("user") : parsed.value("user");
    }
    if (value.empty()) continue;
    text += (text.empty() ? "" : " ") + std::string(keyword) + "=" + value;
  }
  return text.empty() ? "libpq defaults" : text;
}

std::unique_ptr<pqxx::connection> connect(const std::string& target) {
  const Options parsed(target);
  if (parsed.options == nullptr) {
    throw Error(invalid_target(target, parsed.error));
  }
  try {
    return std::make_unique<pqxx::connection>(libpq_target(target));
  } catch (const std::exception& e) {
    throw Error("could not connect to \"" + describe_target(target) +
                "\": " + one_line(e.what(), parsed.value("password")));
  }
}

std::string session_search_path(const std::string& target) {
  auto conn = connect(target);
  pqxx::nontransaction work(*conn);
  return work.exec("SHOW search_path")[0][0].as<std::string>();
}

namespace {

std::string conninfo_quote(const std::string& value) {
  std::string quoted = "'";
  for (char c : value) {
    if (c == '\\' || c == '\'') quoted += '\\';
    quoted += c;
  }
  return quoted + "'";
}

}  // namespace

pqxx::result exec_one(pqxx::transaction_base& tx, const std::string& statement) {
  return tx.exec_params(statement);
}

std::string with_database(const std::string& target, const std::string& dbname) {
  const Options parsed(target);
  if (parsed.options == nullptr) {
    throw pgshift::Error(invalid_target(target, parsed.error));
  }
  std::string conninfo;
  for (PQconninfoOption* option = parsed.options; option->keyword != nullptr; ++option) {
    if (option->val == nullptr || std::string(option->keyword) == "dbname") continue;
    conninfo += std::string(option->keyword) + "=" + conninfo_quote(option->val) + " ";
  }
  return conninfo + "dbname=" + conninfo_quote(dbname);
}

std::string without_password(const std::string& target) {
  const Options parsed(target);
  if (parsed.options == nullptr) {
    throw pgshift::Error(invalid_target(target, parsed.error));
  }
  if (parsed.value("password").empty() && parsed.value("sslpassword").empty()) return target;
  std::string conninfo;
  for (PQconninfoOption* option = parsed.options; option->keyword != nullptr; ++option) {
    const std::string keyword = option->keyword;
    if (option->val == nullptr || keyword == "password" || keyword == "sslpassword") continue;
    conninfo += (conninfo.empty() ? "" : " ") + keyword + "=" + conninfo_quote(option->val);
  }
  return conninfo;
}

}  // namespace pgshift::catalog
