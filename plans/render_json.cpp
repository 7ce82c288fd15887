#include "plans/render_json.hpp"

#include <openssl/evp.h>

#include <nlohmann/json.hpp>

#include "plans/json_detail.hpp"
#include "schemas/error.hpp"

namespace pgshift::plans {

namespace detail {

Json object_json(const schemas::ObjectId& id) {
  return Json{{"kind", schemas::object_kind_name(id.kind)},
              {"schema", id.schema},
              {"table", id.table},
              {"name", id.name}};
}

Json diagnostics_json(const std::vector<Diagnostic>& diagnostics) {
  Json list = Json::array();
  for (const auto& diagnostic : diagnostics) {
    list.push_back(Json{{"severity", severity_name(diagnostic.severity)},
                        {"object", object_json(diagnostic.object)},
                        {"message", diagnostic.message}});
  }
  return list;
}

}  // namespace detail

namespace {

using detail::Json;
using detail::object_json;

// Every ObjectKind, for reading names back, up to schemas::kLastObjectKind, the last
// enumerator of schemas/model.hpp; the round-trip test covers each kind.
schemas::ObjectKind object_kind_from_name(const std::string& name) {
  for (int value = 0; value <= static_cast<int>(schemas::kLastObjectKind); ++value) {
    const auto kind = static_cast<schemas::ObjectKind>(value);
    if (name == schemas::object_kind_name(kind)) return kind;
  }
  throw Error("invalid plan JSON: unknown object kind \"" + name + "\"");
}

template <typename Enum, size_t N>
Enum from_name(const std::array<Enum, N>& all, const char* (*name_of)(Enum),
               const std::string& name, const char* what) {
  for (Enum value : all) {
    if (name == name_of(value)) return value;
  }
  throw Error(std::string("invalid plan JSON: unknown ") + what + " \"" + name + "\"");
}

Severity severity_from_name(const std::string& name) {
  for (Severity severity : {Severity::Error, Severity::Warning}) {
    if (name == severity_name(severity)) return severity;
  }
  throw Error("invalid plan JSON: unknown severity \"" + name + "\"");
}

schemas::ObjectId object_from_json(const Json& json) {
  return {object_kind_from_name(json.at("kind").get<std::string>()),
          json.at("schema").get<std::string>(), json.at("table").get<std::string>(),
          json.at("name").get<std::string>()};
}

Json finding_json(const DataFinding& finding) {
  return Json{{"violations", finding.violations},
              {"examples", finding.examples},
              {"sample_percent",
               finding.sample_percent ? Json(*finding.sample_percent) : Json(nullptr)},
              {"error", finding.error},
              {"elapsed_ms", finding.elapsed_ms}};
}

DataFinding finding_from_json(const Json& json) {
  DataFinding finding;
  finding.violations = json.at("violations").get<int64_t>();
  finding.examples = json.at("examples").get<std::vector<std::string>>();
  const Json& percent = json.at("sample_percent");
  if (!percent.is_null()) finding.sample_percent = percent.get<double>();
  finding.error = json.at("error").get<std::string>();
  finding.elapsed_ms = json.at("elapsed_ms").get<int64_t>();
  return finding;
}

Json data_check_json(const DataCheck& check) {
  Json json{{"kind", data_check_kind_name(check.kind)},
            {"schema", check.schema},
            {"table", check.table},
            {"description", check.description},
            {"query", check.query},
            {"sampled_query", check.sampled_query},
            {"plan_table", check.plan_table},
            {"plan_query", check.plan_query},
            {"plan_sampled_query", check.plan_sampled_query},
            {"raises", check.raises},
            {"finding", check.finding ? finding_json(*check.finding) : Json(nullptr)}};
  if (!check.plan_schema.empty()) json["plan_schema"] = check.plan_schema;
  return json;
}

DataCheck data_check_from_json(const Json& json) {
  // plan_schema is written only when set (plans written before it lack it).
  DataCheck check;
  check.kind = from_name(kAllDataCheckKinds, data_check_kind_name,
                         json.at("kind").get<std::string>(), "data check kind");
  check.schema = json.at("schema").get<std::string>();
  check.table = json.at("table").get<std::string>();
  check.description = json.at("description").get<std::string>();
  check.query = json.at("query").get<std::string>();
  check.sampled_query = json.at("sampled_query").get<std::string>();
  check.plan_table = json.at("plan_table").get<std::string>();
  check.plan_schema = json.value("plan_schema", std::string());
  check.plan_query = json.at("plan_query").get<std::string>();
  check.plan_sampled_query = json.at("plan_sampled_query").get<std::string>();
  check.raises = json.at("raises").get<bool>();
  const Json& finding = json.at("finding");
  if (!finding.is_null()) check.finding = finding_from_json(finding);
  return check;
}

// `two_stage`: the plan has a contract stage; only then do steps carry
// "stage", so that plans without one read as they did before.
Json step_json(const Step& step, bool two_stage) {
  Json json;
  json["id"] = step.id;
  if (two_stage) json["stage"] = stage_name(step.stage);
  json["phase"] = phase_name(step.phase);
  json["object"] = object_json(step.object);
  json["summary"] = step.summary;
  json["rationale"] = step.rationale;
  json["transactional"] = step.transactional;
  json["statements"] = step.statements;
  if (step.backfill) {
    const auto& spec = *step.backfill;
    json["backfill"] = Json{{"schema", spec.schema},
                            {"table", spec.table},
                            {"key_columns", spec.key_columns},
                            {"set_column", spec.set_column},
                            {"set_expression", spec.set_expression},
                            {"where", spec.where},
                            {"batch_size", spec.batch_size}};
  } else {
    json["backfill"] = nullptr;
  }
  Json locks = Json::array();
  for (const auto& lock : step.locks) {
    Json blocks = Json::array();
    for (LockMode mode : blocked_by(lock.mode)) blocks.push_back(lock_mode_name(mode));
    locks.push_back(Json{{"schema", lock.schema},
                         {"relation", lock.relation},
                         {"mode", lock_mode_name(lock.mode)},
                         {"blocks", blocks}});
  }
  json["locks"] = locks;
  json["duration"] = duration_class_name(step.duration);
  Json hazards = Json::array();
  for (Hazard hazard : step.hazards) hazards.push_back(hazard_name(hazard));
  json["hazards"] = hazards;
  json["estimated_rows"] = step.estimated_rows ? Json(*step.estimated_rows) : Json(nullptr);
  json["lock_timeout_ms"] = step.lock_timeout.count();
  json["statement_timeout_ms"] = step.statement_timeout.count();
  json["depends_on"] = step.depends_on;
  // Only on steps that have them, so that plans without data checks read as
  // they did before pre-flight checks existed.
  if (step.estimated_ms) json["estimated_ms"] = *step.estimated_ms;
  if (!step.data_checks.empty()) {
    Json checks = Json::array();
    for (const auto& check : step.data_checks) checks.push_back(data_check_json(check));
    json["data_checks"] = checks;
  }
  return json;
}

Step step_from_json(const Json& json) {
  Step step;
  step.id = json.at("id").get<int>();
  if (json.contains("stage")) {
    step.stage = from_name(kAllStages, stage_name, json.at("stage").get<std::string>(), "stage");
  }
  step.phase = from_name(kAllPhases, phase_name, json.at("phase").get<std::string>(), "phase");
  step.object = object_from_json(json.at("object"));
  step.summary = json.at("summary").get<std::string>();
  step.rationale = json.at("rationale").get<std::string>();
  step.transactional = json.at("transactional").get<bool>();
  step.statements = json.at("statements").get<std::vector<std::string>>();
  const Json& backfill = json.at("backfill");
  if (!backfill.is_null()) {
    BackfillSpec spec;
    spec.schema = backfill.at("schema").get<std::string>();
    spec.table = backfill.at("table").get<std::string>();
    // Plans of pgshift before keyset backfills name one integer key column.
    if (backfill.contains("key_column")) {
      spec.key_columns = {backfill.at("key_column").get<std::string>()};
    } else {
      spec.key_columns = backfill.at("key_columns").get<std::vector<std::string>>();
    }
    spec.set_column = backfill.at("set_column").get<std::string>();
    spec.set_expression = backfill.at("set_expression").get<std::string>();
    spec.where = backfill.at("where").get<std::string>();
    spec.batch_size = backfill.at("batch_size").get<int64_t>();
    step.backfill = spec;
  }
  for (const auto& lock : json.at("locks")) {
    step.locks.push_back({lock.at("schema").get<std::string>(),
                          lock.at("relation").get<std::string>(),
                          from_name(kAllLockModes, lock_mode_name,
                                    lock.at("mode").get<std::string>(), "lock mode")});
  }
  step.duration = from_name(kAllDurationClasses, duration_class_name,
                            json.at("duration").get<std::string>(), "duration class");
  for (const auto& hazard : json.at("hazards")) {
    step.hazards.push_back(
        from_name(kAllHazards, hazard_name, hazard.get<std::string>(), "hazard"));
  }
  const Json& rows = json.at("estimated_rows");
  if (!rows.is_null()) step.estimated_rows = rows.get<int64_t>();
  step.lock_timeout = std::chrono::milliseconds(json.at("lock_timeout_ms").get<int64_t>());
  step.statement_timeout =
      std::chrono::milliseconds(json.at("statement_timeout_ms").get<int64_t>());
  step.depends_on = json.at("depends_on").get<std::vector<int>>();
  if (json.contains("estimated_ms")) step.estimated_ms = json.at("estimated_ms").get<int64_t>();
  if (json.contains("data_checks")) {
    for (const auto& check : json.at("data_checks")) {
      step.data_checks.push_back(data_check_from_json(check));
    }
  }
  return step;
}

}  // namespace

std::string render_json(const Plan& plan) {
  Json json;
  json["format_version"] = kPlanFormatVersion;
  json["fingerprint"] = plan.fingerprint;
  json["target_fingerprint"] = plan.target_fingerprint;
  json["schemas"] = plan.schemas;
  // Only when set: plans without owners read as before.
  if (plan.owners) json["owners"] = true;
  if (!plan.target_owners.empty()) {
    Json owners = Json::array();
    for (const auto& [object, owner] : plan.target_owners) {
      owners.push_back(Json{{"object", object_json(object)}, {"owner", owner}});
    }
    json["target_owners"] = owners;
  }
  json["ignore"] = plan.ignore;
  json["server_version_num"] = plan.server_version_num;
  // Only when read from a server: plans made before it existed hash as before.
  if (!plan.search_path.empty()) json["search_path"] = plan.search_path;
  // Diagnostics before the steps, as in the SQL and Markdown renderings: a
  // refused plan reads as its refusals first.
  json["diagnostics"] = detail::diagnostics_json(plan.diagnostics);
  Json steps = Json::array();
  const bool two_stage = has_contract(plan);
  for (const auto& step : plan.steps) steps.push_back(step_json(step, two_stage));
  json["steps"] = steps;
  if (two_stage) json["deploy"] = plan.deploy;
  if (plan.throughput) {
    json["throughput"] = Json{{"bytes_per_second", plan.throughput->bytes_per_second},
                              {"source", plan.throughput->source}};
  }
  if (plan.preflight) {
    json["preflight"] = Json{{"skipped", plan.preflight->skipped},
                             {"elapsed_ms", plan.preflight->elapsed_ms},
                             {"sample_above_rows", plan.preflight->sample_above_rows}};
  }
  return json.dump(2) + "\n";
}

Plan plan_from_json(const std::string& text) {
  try {
    const Json json = Json::parse(text);
    const int version = json.at("format_version").get<int>();
    if (version != kPlanFormatVersion) {
      throw Error("unsupported plan format_version " + std::to_string(version) +
                  " (this pgshift reads " + std::to_string(kPlanFormatVersion) + ")");
    }
    Plan plan;
    plan.fingerprint = json.at("fingerprint").get<std::string>();
    // Both appeared after format 1 was first written: a plan without them
    // reads with them empty, and the CLI refuses to apply it.
    plan.target_fingerprint = json.value("target_fingerprint", std::string());
    plan.ignore = json.value("ignore", std::vector<std::string>());
    plan.schemas = json.at("schemas").get<std::vector<std::string>>();
    plan.owners = json.value("owners", false);
    if (json.contains("target_owners")) {
      for (const auto& entry : json.at("target_owners")) {
        plan.target_owners.emplace_back(object_from_json(entry.at("object")),
                                        entry.at("owner").get<std::string>());
      }
    }
    plan.server_version_num = json.at("server_version_num").get<int>();
    plan.search_path = json.value("search_path", std::string());
    for (const auto& step : json.at("steps")) plan.steps.push_back(step_from_json(step));
    for (const auto& diagnostic : json.at("diagnostics")) {
      plan.diagnostics.push_back({severity_from_name(diagnostic.at("severity").get<std::string>()),
                                  object_from_json(diagnostic.at("object")),
                                  diagnostic.at("message").get<std::string>()});
    }
    plan.deploy = json.value("deploy", std::vector<std::string>());
    if (json.contains("throughput")) {
      const Json& throughput = json.at("throughput");
      plan.throughput = Throughput{throughput.at("bytes_per_second").get<int64_t>(),
                                   throughput.at("source").get<std::string>()};
    }
    if (json.contains("preflight")) {
      const Json& preflight = json.at("preflight");
      plan.preflight = Preflight{preflight.at("skipped").get<bool>(),
                                 preflight.at("elapsed_ms").get<int64_t>(),
                                 preflight.at("sample_above_rows").get<int64_t>()};
    }
    return plan;
  } catch (const nlohmann::json::exception& error) {
    throw Error(std::string("invalid plan JSON: ") + error.what());
  }
}

std::string plan_content_hash(const Plan& plan) {
  Plan canonical = plan;
  for (auto& step : canonical.steps) {
    step.estimated_ms.reset();
    for (auto& check : step.data_checks) {
      if (check.finding) check.finding->elapsed_ms = 0;
    }
  }
  if (canonical.preflight) canonical.preflight->elapsed_ms = 0;
  canonical.throughput.reset();
  const std::string text = render_json(canonical);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (EVP_Digest(text.data(), text.size(), digest, &length, EVP_sha256(), nullptr) != 1) {
    throw Error("could not compute the SHA-256 hash of the plan (OpenSSL EVP_Digest failed)");
  }
  static const char kHex[] = "0123456789abcdef";
  std::string hash = "sha256:";
  for (unsigned int byte_idx = 0; byte_idx < length; ++byte_idx) {
    hash += kHex[digest[byte_idx] >> 4];
    hash += kHex[digest[byte_idx] & 0xf];
  }
  return hash;
}

}  // namespace pgshift::plans
