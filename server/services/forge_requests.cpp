#include "server/services/forge_requests.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>

#include "core/pr_report.h"
#include "core/utf8.h"
#include "server/services/gate_service.h"
#include "util/strings.h"
#include "util/url.h"

#ifndef MLGATE_VERSION
#define MLGATE_VERSION "dev"
#endif

namespace mlgate::server {
namespace {

using nlohmann::json;

constexpr std::size_t kDescriptionLimit = 140;  // GitHub refuses longer status descriptions

// RFC 3986 unreserved characters stay; everything else is %XX.
std::string url_encode(const std::string& s) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

// The forge's word for our state.
std::string github_state(const std::string& state) {
  if (state == "running") return "pending";
  if (state == "cancelled") return "error";
  return state;  // pending, success, failure, error
}

std::string gitlab_state(const std::string& state) {
  if (state == "failure" || state == "error") return "failed";
  if (state == "cancelled") return "canceled";
  return state;  // pending, running, success
}

}  // namespace

std::string cut_utf8(const std::string& s, std::size_t limit) {
  if (s.size() <= limit) return s;
  const std::string ellipsis = "\xE2\x80\xA6";  // …
  if (limit < ellipsis.size()) return "";
  return std::string(core::utf8_prefix(s, limit - ellipsis.size())) + ellipsis;
}

std::string forge_api_base(std::string_view forge, std::string_view configured) {
  std::string base(configured);
  if (base.empty())
    base = forge == "gitlab" ? "https://gitlab.com/api/v4" : "https://api.github.com";
  while (!base.empty() && base.back() == '/') base.pop_back();
  return base;
}

StatusReport tier_status(const std::string& tier, core::JobState job_state,
                         const std::string& message, const std::string& target_url) {
  StatusReport s;
  s.context = "mlgate/" + tier;
  s.target_url = target_url;
  const std::string name(core::to_string(job_state));
  auto with_message = [&](const std::string& text) {
    return message.empty() ? text : text + ": " + message;
  };
  switch (job_state) {
    case core::JobState::blocked:
      s.state = "pending";
      s.description = "waiting for the tiers it needs";
      break;
    case core::JobState::queued:
      s.state = "pending";
      s.description = "queued for a runner";
      break;
    case core::JobState::running:
      s.state = "running";
      s.description = name;
      break;
    case core::JobState::passed:
      s.state = "success";
      s.description = name;
      break;
    case core::JobState::failed:
      s.state = "failure";
      s.description = with_message(name);
      break;
    case core::JobState::timed_out:
      s.state = "failure";
      s.description = with_message("timed out");
      break;
    case core::JobState::cancelled:
    case core::JobState::skipped:
      s.state = "cancelled";
      s.description = with_message(name);
      break;
    case core::JobState::error:
      s.state = "error";
      s.description = with_message(name);
      break;
  }
  s.description = cut_utf8(s.description, kDescriptionLimit);
  return s;
}

StatusReport awaiting_approval_status(const std::string& tier, const std::string& target_url) {
  return StatusReport{"mlgate/" + tier, "pending",
                      "waiting for approval by a maintainer (pull request from a fork)",
                      target_url};
}

namespace {

// The differences first, as many as fit in 80 bytes (at least one, cut), then the summary.
std::string gate_description(const std::string& summary,
                             const std::vector<std::string>& differences) {
  if (differences.empty()) return cut_utf8(summary, kDescriptionLimit);
  constexpr std::size_t kDifferencesBudget = 80;
  std::string listed;
  std::size_t shown = 0;
  for (const auto& d : differences) {
    std::string next = listed.empty() ? d : listed + "; " + d;
    if (shown > 0 && next.size() > kDifferencesBudget) break;
    listed = std::move(next);
    ++shown;
  }
  listed = cut_utf8(listed, kDifferencesBudget);
  if (shown < differences.size())
    listed += " (+" + std::to_string(differences.size() - shown) + " more)";
  return cut_utf8(listed + " (deployed \xE2\x86\x92 this commit); " + summary, kDescriptionLimit);
}

}  // namespace

StatusReport gate_status(const std::string& environment, const std::string& decision,
                         const std::string& summary, const std::string& target_url,
                         const std::vector<std::string>& rule_differences) {
  StatusReport s;
  s.context = "mlgate/gate/" + environment;
  s.target_url = target_url;
  if (decision == "allow")
    s.state = "success";
  else if (decision == "deny")
    s.state = "failure";
  else if (decision == "pending")
    s.state = "pending";
  else
    s.state = "error";
  s.description = gate_description(summary.empty() ? decision : summary, rule_differences);
  return s;
}

namespace {

// 4 significant digits: a status line has no room for more.
std::string short_number(const json& v) {
  if (!v.is_number()) return "-";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4g", v.get<double>());
  return buf;
}

std::string short_interval(const json& i) {
  if (!i.is_array() || i.size() != 2) return "";
  return "[" + short_number(i[0]) + ", " + short_number(i[1]) + "]";
}

// "recall 0.894 vs 0.953, change [-0.106, -0.0235] vs max_drop 0.03: inconclusive → fail, n=85
// positives, 95% paired bootstrap, McNemar p=0.0625".
std::string interval_check_text(const json& c) {
  auto str = [&](const char* key) { return c.value(key, std::string()); };
  std::string out = str("name") + " " + short_number(c.value("value", json()));
  const json baseline = c.value("baseline", json());
  if (baseline.is_number()) out += " vs " + short_number(baseline);
  const std::string delta = short_interval(c.value("delta_interval", json()));
  out += delta.empty() ? " " + short_interval(c.value("interval", json())) : ", change " + delta;
  out += " vs " + str("threshold") + ": " + str("status");
  if (str("status") == "inconclusive") out += " → " + str("inconclusive");
  const json n = c.value("n", json());
  if (n.is_number_integer())
    out += ", n=" + std::to_string(n.get<std::int64_t>()) + " " + str("n_of");
  const json level = c.value("confidence", json());
  if (level.is_number())
    out += ", " + short_number(level.get<double>() * 100) + "% " + str("method");
  const json p = c.value("p_value", json());
  if (p.is_number()) out += ", McNemar p=" + short_number(p);
  return out;
}

}  // namespace

std::string gate_status_summary(const json& answer_body) {
  const std::string summary = answer_body.value("summary", std::string());
  const std::string decision = answer_body.value("decision", std::string());
  const json checks = answer_body.value("checks", json::array());
  if (!checks.is_array() || (decision != "deny" && decision != "allow")) return summary;
  // deny: the blocking checks; allow: the inconclusive ones that did not block.
  std::vector<const json*> shown;
  for (const json& c : checks) {
    if (!c.is_object()) continue;
    const bool blocking = c.value("blocks", false);
    if (decision == "deny" ? blocking : c.value("status", "") == "inconclusive")
      shown.push_back(&c);
  }
  if (shown.empty() || !shown.front()->contains("method") ||
      !shown.front()->value("confidence", json()).is_number())
    return summary;
  std::string out = decision + ": " + interval_check_text(*shown.front());
  if (shown.size() > 1) out += " (+" + std::to_string(shown.size() - 1) + " more)";
  return out;
}

StatusReport config_status(core::PipelineState pipeline_state, const std::string& error,
                           const std::string& target_url) {
  StatusReport s;
  s.context = "mlgate/config";
  s.target_url = target_url;
  s.state = pipeline_state == core::PipelineState::failed ? "failure" : "error";
  // The first line names the problem; the page has the whole message with lines and columns.
  std::string text;
  for (char c : error) {
    const bool space = c == '\n' || c == ' ' || c == '\t' || c == '\r';
    if (!space)
      text += c;
    else if (!text.empty() && text.back() != ' ')
      text += ' ';
  }
  s.description = cut_utf8(text.empty() ? std::string(core::to_string(pipeline_state)) : text,
                           kDescriptionLimit);
  return s;
}

ForgeRequest commit_status_request(std::string_view forge, const std::string& api_base,
                                   const std::string& full_name, const std::string& project_id,
                                   const std::string& sha, const StatusReport& status) {
  ForgeRequest r;
  if (forge == "gitlab") {
    const std::string id = project_id.empty() ? url_encode(full_name) : url_encode(project_id);
    r.url = api_base + "/projects/" + id + "/statuses/" + sha;
    r.body = {{"state", gitlab_state(status.state)},
              {"name", status.context},
              {"description", status.description}};
  } else {
    r.url = api_base + "/repos/" + full_name + "/statuses/" + sha;
    r.body = {{"state", github_state(status.state)},
              {"context", status.context},
              {"description", status.description}};
  }
  if (!status.target_url.empty()) r.body["target_url"] = status.target_url;
  return r;
}

ForgeRequest pr_comment_create_request(std::string_view forge, const std::string& api_base,
                                       const std::string& full_name, const std::string& project_id,
                                       std::int64_t pr_number, const std::string& markdown) {
  ForgeRequest r;
  const std::string n = std::to_string(pr_number);
  if (forge == "gitlab") {
    const std::string id = project_id.empty() ? url_encode(full_name) : url_encode(project_id);
    r.url = api_base + "/projects/" + id + "/merge_requests/" + n + "/notes";
  } else {
    r.url = api_base + "/repos/" + full_name + "/issues/" + n + "/comments";
  }
  r.body = {{"body", cut_utf8(markdown, core::kPrReportLimit)}};
  return r;
}

ForgeRequest pr_comment_edit_request(std::string_view forge, const std::string& create_url,
                                     const std::string& comment_id, const nlohmann::json& body) {
  ForgeRequest r;
  r.body = body;
  if (forge == "gitlab") {
    r.method = "PUT";
    r.url = create_url + "/" + comment_id;
  } else {
    r.method = "PATCH";
    // …/issues/{n}/comments -> …/issues/comments/{id}
    const auto issues = create_url.rfind("/issues/");
    r.url = create_url.substr(0, issues == std::string::npos ? create_url.size() : issues) +
            "/issues/comments/" + comment_id;
  }
  return r;
}

std::string pr_comment_list_url(std::string_view forge, const std::string& create_url,
                                const std::string& since) {
  if (forge == "gitlab") return create_url + "?sort=desc&order_by=created_at&per_page=100";
  return create_url + "?since=" + url_encode(since) + "&per_page=100";
}

std::string find_pr_report_comment(const nlohmann::json& list) {
  if (!list.is_array()) return "";
  for (const auto& c : list) {
    if (!c.is_object() || !c.contains("body") || !c["body"].is_string()) continue;
    if (c["body"].get<std::string>().rfind(std::string(core::kPrReportMarker), 0) != 0) continue;
    const auto& id = c.value("id", nlohmann::json());
    if (id.is_number_integer()) return std::to_string(id.get<std::int64_t>());
  }
  return "";
}

ForgeRequest protection_callback_request(const std::string& callback_url,
                                         const std::string& environment, bool approved,
                                         const std::string& comment) {
  ForgeRequest r;
  r.url = callback_url;
  r.body = {{"environment_name", environment},
            {"state", approved ? "approved" : "rejected"},
            {"comment", cut_utf8(comment, 1024)}};
  return r;
}

std::string protection_comment(const json& gate, std::size_t limit) {
  auto str = [](const json& j, const char* key) {
    return j.is_object() && j.contains(key) && j[key].is_string() ? j[key].get<std::string>()
                                                                  : std::string();
  };
  const std::string decision = str(gate, "decision");
  std::string out = "mlgate gate " + (decision.empty() ? std::string("error") : decision);
  const std::string sha = str(gate, "sha");
  if (!sha.empty()) out += " for " + util::short_sha(sha);
  const std::string baseline = str(gate, "baseline_sha");
  out += baseline.empty() ? " (no deployed baseline)" : " against " + util::short_sha(baseline);
  out += ".";
  const auto differences = rule_difference_texts(gate);
  std::vector<std::string> lines;
  if (gate.is_object() && gate.contains("checks") && gate["checks"].is_array()) {
    for (const auto& c : gate["checks"]) {
      const bool blocks = c.is_object() && c.value("blocks", false);
      if (!blocks) continue;
      lines.push_back(str(c, "kind") + " " + str(c, "name") + ": " + str(c, "reason") +
                      (differences.empty() ? "" : rule_set_suffix(str(c, "rule_set"))));
    }
  }
  if (lines.empty()) {
    const std::string summary = str(gate, "summary");
    if (!summary.empty()) out += " " + summary;
  } else {
    out += " Failing checks (" + std::to_string(lines.size()) + "):";
    for (const auto& l : lines) out += "\n- " + l;
  }
  if (!differences.empty()) {
    out += "\nRules that differ (deployed \xE2\x86\x92 this commit):";
    for (const auto& d : differences) out += "\n- " + d;
  }
  return cut_utf8(out, limit);
}

HeaderList forge_headers(std::string_view forge, const std::string& token) {
  HeaderList h;
  h.emplace_back("User-Agent", std::string("mlgate/") + MLGATE_VERSION);
  if (forge == "gitlab") {
    h.emplace_back("PRIVATE-TOKEN", token);
  } else {
    h.emplace_back("Authorization", "Bearer " + token);
    h.emplace_back("Accept", "application/vnd.github+json");
    h.emplace_back("X-GitHub-Api-Version", "2022-11-28");
  }
  return h;
}

bool same_origin(const std::string& url, const std::string& api_base) {
  // A URL with credentials (user@host) has no origin: never ours.
  auto a = util::url_origin(url);
  auto b = util::url_origin(api_base);
  return a && b && *a == *b && (a->scheme == "https" || a->scheme == "http");
}

SendVerdict judge_attempt(int status, const std::string& error_text,
                          const std::optional<std::string>& retry_after,
                          const std::optional<std::string>& ratelimit_remaining, int attempts,
                          const RetryPolicy& policy) {
  SendVerdict v;
  if (status >= 200 && status < 300) return v;
  const bool rate_limited = status == 403 && ratelimit_remaining && *ratelimit_remaining == "0";
  const bool retryable =
      status == 0 || status == 408 || status == 429 || status >= 500 || rate_limited;
  v.error = status == 0 ? "no answer: " + error_text
                        : "HTTP " + std::to_string(status) +
                              (error_text.empty() ? "" : ": " + cut_utf8(error_text, 300));
  if (!retryable) {
    v.kind = SendVerdict::Kind::give_up;
    return v;
  }
  if (attempts >= policy.max_attempts) {
    v.kind = SendVerdict::Kind::give_up;
    v.error += " (gave up after " + std::to_string(attempts) + " attempts)";
    return v;
  }
  v.kind = SendVerdict::Kind::retry;
  auto delay = policy.first_delay;
  for (int i = 1; i < attempts && delay < policy.max_delay; ++i) delay *= 2;
  if (retry_after && !retry_after->empty() &&
      std::all_of(retry_after->begin(), retry_after->end(),
                  [](char c) { return std::isdigit(static_cast<unsigned char>(c)); }) &&
      retry_after->size() < 9) {
    delay = std::chrono::seconds(std::atol(retry_after->c_str()));
  }
  v.delay = std::min(delay, policy.max_delay);
  return v;
}

}  // namespace mlgate::server
