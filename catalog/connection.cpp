#include "catalog/connection.hpp"

#include <libpq-fe.h>

#include <cstdlib>
#include <vector>

#include "schemas/error.hpp"

namespace pgshift::catalog {

namespace {

constexpr const char* kMask = "***";

bool is_uri(const std::string& target) {
  return target.rfind("postgresql://", 0) == 0 || target.rfind("postgres://", 0) == 0;
}

// Replaces the value of every "password=" parameter in a URI's query string.
std::string redact_uri(std::string uri) {
  const auto authority = uri.find("://") + 3;
  const auto authority_end = uri.find_first_of("/?", authority);
  const auto at = uri.rfind('@', authority_end == std::string::npos ? uri.size() : authority_end);
  if (at != std::string::npos && at >= authority) {
    const auto colon = uri.find(':', authority);
    if (colon != std::string::npos && colon < at) uri.replace(colon + 1, at - colon - 1, kMask);
  }
  const auto query = uri.find('?');
  if (query == std::string::npos) return uri;
  for (auto pos = query; pos != std::string::npos; pos = uri.find('&', pos + 1)) {
    const auto key = pos + 1;
    if (uri.compare(key, 9, "password=") != 0) continue;
    const auto value = key + 9;
    const auto end = uri.find('&', value);
    uri.replace(value, (end == std::string::npos ? uri.size() : end) - value, kMask);
  }
  return uri;
}

// Replaces the value of every password key of a key=value connection string;
// values may be single-quoted with backslash escapes, as libpq reads them.
std::string redact_keywords(const std::string& target) {
  std::string out;
  std::size_t pos = 0;
  while (pos < target.size()) {
    const auto key_start = target.find_first_not_of(" \t\n", pos);
    if (key_start == std::string::npos) break;
    out.append(target, pos, key_start - pos);
    const auto eq = target.find('=', key_start);
    if (eq == std::string::npos) {
      out.append(target, key_start, std::string::npos);
      return out;
    }
    auto key_end = eq;
    while (key_end > key_start && (target[key_end - 1] == ' ' || target[key_end - 1] == '\t')) {
      --key_end;
    }
    const bool is_password = target.compare(key_start, key_end - key_start, "password") == 0;
    auto value = target.find_first_not_of(" \t", eq + 1);
    if (value == std::string::npos) value = target.size();
    auto value_end = value;
    if (value_end < target.size() && target[value_end] == '\'') {
      for (++value_end; value_end < target.size() && target[value_end] != '\''; ++value_end) {
        if (target[value_end] == '\\') ++value_end;
      }
      value_end = std::min(value_end + 1, target.size());
    } else {
      value_end = target.find_first_of(" \t\n", value);
      if (value_end == std::string::npos) value_end = target.size();
    }
    out.append(target, key_start, value - key_start);
    out += is_password ? std::string(kMask) : target.substr(value, value_end - value);
    pos = value_end;
  }
  return out;
}

// The password written in `target`, or "" when there is none.
std::string password_of(const std::string& target) {
  const std::string redacted = redact(target);
  // Walk both strings: the first place they differ is where the password starts.
  std::size_t start = 0;
  while (start < target.size() && start < redacted.size() && target[start] == redacted[start]) {
    ++start;
  }
  if (start == target.size()) return "";
  const std::string tail = redacted.substr(start + std::string(kMask).size());
  const auto end = tail.empty() ? target.size() : target.find(tail, start);
  return target.substr(start, (end == std::string::npos ? target.size() : end) - start);
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

std::string redact(const std::string& target) {
  return is_uri(target) ? redact_uri(target) : redact_keywords(target);
}

std::string describe_target(const std::string& target) {
  if (!target.empty()) return redact(target);
  std::string text;
  for (const auto& [variable, key] : std::vector<std::pair<const char*, const char*>>{
           {"PGHOST", "host"}, {"PGPORT", "port"}, {"PGUSER", "user"}, {"PGDATABASE", "dbname"}}) {
    const char* value = std::getenv(variable);
    if (value == nullptr || *value == '\0') continue;
    text += (text.empty() ? "" : " ") + std::string(key) + "=" + value;
  }
  return text.empty() ? "libpq defaults" : text;
}

std::unique_ptr<pqxx::connection> connect(const std::string& target) {
  try {
    return std::make_unique<pqxx::connection>(target);
  } catch (const std::exception& e) {
    throw Error("could not connect to \"" + describe_target(target) +
                "\": " + one_line(e.what(), password_of(target)));
  }
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
  char* error = nullptr;
  PQconninfoOption* options = PQconninfoParse(target.c_str(), &error);
  if (options == nullptr) {
    std::string message = error ? error : "out of memory";
    PQfreemem(error);
    while (!message.empty() && message.back() == '\n') message.pop_back();
    throw pgshift::Error("invalid connection target " + describe_target(target) + ": " + message);
  }
  std::string conninfo;
  for (PQconninfoOption* option = options; option->keyword != nullptr; ++option) {
    if (option->val == nullptr || std::string(option->keyword) == "dbname") continue;
    conninfo += std::string(option->keyword) + "=" + conninfo_quote(option->val) + " ";
  }
  PQconninfoFree(options);
  return conninfo + "dbname=" + conninfo_quote(dbname);
}

}  // namespace pgshift::catalog
