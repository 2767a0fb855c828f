// The requests mlgate sends to GitHub and GitLab (docs/forge-feedback.md), built without I/O so
// that their exact shape is unit-tested: commit statuses per tier and per gate, and the answer to a
// GitHub deployment protection rule. Also the retry policy of the outbox that sends them.
#pragma once

#include <chrono>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/states.h"

namespace mlgate::server {

using HeaderList = std::vector<std::pair<std::string, std::string>>;

// A request as stored in forge_outbox: no secret in it (the token is added when it is sent).
struct ForgeRequest {
  std::string method = "POST";
  std::string url;
  nlohmann::json body;
};

// What a commit status says, before it is put in one forge's words. `state` is one of pending,
// running, success, failure, error, cancelled.
struct StatusReport {
  std::string context;  // mlgate/functionality, mlgate/gate/production, mlgate/config
  std::string state;
  std::string description;
  std::string target_url;  // empty: none
};

// https://api.github.com and https://gitlab.com/api/v4 unless the repo names its own API base
// (GitHub Enterprise: https://host/api/v3; self-hosted GitLab: https://host/api/v4). A trailing
// slash is dropped.
std::string forge_api_base(std::string_view forge, std::string_view configured);

// A tier's status from its job's state (blocked, queued, running, passed, failed, timed_out,
// error, cancelled, skipped) and the job's message, when it has one.
StatusReport tier_status(const std::string& tier, core::JobState job_state,
                         const std::string& message, const std::string& target_url);
// A tier's status while its pipeline (a fork pull request's) awaits a maintainer's approval:
// pending, "waiting for approval by a maintainer (pull request from a fork)".
StatusReport awaiting_approval_status(const std::string& tier, const std::string& target_url);
// A gate's status from its decision (allow, deny, pending) and the decision's summary; `error`
// when the gate could not be evaluated (the message says why). When the candidate's gate rules
// differ from the deployed commit's, the description starts with the differences
// ("accuracy: min 0.93 → 0.85 (deployed → this commit); deny: …"): at most 80 bytes of them, then
// "(+N more)", the whole cut to 140 bytes.
StatusReport gate_status(const std::string& environment, const std::string& decision,
                         const std::string& summary, const std::string& target_url,
                         const std::vector<std::string>& rule_differences = {});
// The summary a gate's commit status carries, from the gate's answer: the answer's "summary",
// except when an interval check (docs/gate.md "Evidence") blocks a deny or is inconclusive in an
// allow: then that check in short, its interval first so that it survives the 140-byte cut:
// "deny: recall 0.894 vs 0.953, change [-0.106, -0.0235] vs max_drop 0.03: inconclusive → fail,
// n=85 positives, 95% paired bootstrap (+1 more)".
std::string gate_status_summary(const nlohmann::json& answer_body);

// The status of a commit whose config could not be used (no config, invalid, unreadable commit).
// pipeline_state is failed (no or invalid config) or error (unreadable commit).
StatusReport config_status(core::PipelineState pipeline_state, const std::string& error,
                           const std::string& target_url);

// GitHub: POST {api}/repos/{owner}/{repo}/statuses/{sha} {state, target_url, description,
// context}, states pending|success|failure|error. GitLab: POST {api}/projects/{id}/statuses/{sha}
// {state, name, target_url, description}, states pending|running|success|failed|canceled, where id
// is the numeric project id when known, else the URL-encoded path.
ForgeRequest commit_status_request(std::string_view forge, const std::string& api_base,
                                   const std::string& full_name, const std::string& project_id,
                                   const std::string& sha, const StatusReport& status);

// GitHub custom deployment protection rule answer: POST {callback_url}
// {environment_name, state: approved|rejected, comment}.
ForgeRequest protection_callback_request(const std::string& callback_url,
                                         const std::string& environment, bool approved,
                                         const std::string& comment);

// Pull-request reports (docs/forge-feedback.md, "Pull-request reports"): the request that creates
// mlgate's comment, GitHub POST {api}/repos/{owner}/{repo}/issues/{n}/comments {body}; GitLab POST
// {api}/projects/{id}/merge_requests/{iid}/notes {body}. `markdown` is cut to 65,536 bytes.
ForgeRequest pr_comment_create_request(std::string_view forge, const std::string& api_base,
                                       const std::string& full_name, const std::string& project_id,
                                       std::int64_t pr_number, const std::string& markdown);
// The request that edits it, from the create request's URL and the comment's id: GitHub PATCH
// {api}/repos/{owner}/{repo}/issues/comments/{id}; GitLab PUT …/merge_requests/{iid}/notes/{id}.
ForgeRequest pr_comment_edit_request(std::string_view forge, const std::string& create_url,
                                     const std::string& comment_id, const nlohmann::json& body);
// The comments made on the pull request since `since` (ISO 8601), newest last on GitHub
// (?since=…&per_page=100) and first on GitLab (?sort=desc&order_by=created_at&per_page=100): where
// a retried POST looks for the comment an unanswered POST may have made.
std::string pr_comment_list_url(std::string_view forge, const std::string& create_url,
                                const std::string& since);
// The id (as text) of the comment in `list` (a JSON array of comments) whose body starts with
// mlgate's marker; "" when none does.
std::string find_pr_report_comment(const nlohmann::json& list);

// The comment of a protection rule answer: the decision, then every check that blocks it
// ("kind name: reason"), then how the candidate's gate rules differ from the deployed commit's, cut
// to at most `limit` bytes (GitHub's limit is 1024) on a UTF-8 boundary, ending in "…" when cut.
// `gate` is the gate API's JSON answer.
std::string protection_comment(const nlohmann::json& gate, std::size_t limit = 1024);

// The headers every request to the forge carries, with the token: GitHub `Authorization: Bearer`,
// `Accept: application/vnd.github+json`, `X-GitHub-Api-Version`; GitLab `PRIVATE-TOKEN`. Both
// send a User-Agent and JSON.
HeaderList forge_headers(std::string_view forge, const std::string& token);

// True when `url` has the same scheme, host and port as `api_base`: the token is only ever sent
// to the forge's own API.
bool same_origin(const std::string& url, const std::string& api_base);

// Cuts `s` to at most `limit` bytes on a UTF-8 boundary, ending in "…" when cut.
std::string cut_utf8(const std::string& s, std::size_t limit);

// The outbox's retry policy.
struct RetryPolicy {
  std::chrono::milliseconds first_delay{5000};
  std::chrono::milliseconds max_delay{15 * 60 * 1000};
  int max_attempts = 12;
};

// What to do after an attempt: sent, retry after a delay, or give up.
struct SendVerdict {
  enum class Kind { sent, retry, give_up } kind = Kind::sent;
  std::chrono::milliseconds delay{0};
  std::string error;  // for retry and give_up
};

// `status` is the HTTP status (0: no answer: connection refused, timeout, TLS failure).
// 2xx is sent. 408, 429, 5xx, no answer, and a 403 that says the rate limit is exhausted
// (X-RateLimit-Remaining: 0) are retried after first_delay * 2^(attempts-1), capped, or after
// Retry-After seconds when the forge gives it (capped at max_delay); every other 4xx is given up
// at once (it would fail again). `attempts` counts this one. After max_attempts, give up.
SendVerdict judge_attempt(int status, const std::string& error_text,
                          const std::optional<std::string>& retry_after,
                          const std::optional<std::string>& ratelimit_remaining, int attempts,
                          const RetryPolicy& policy);

}  // namespace mlgate::server
