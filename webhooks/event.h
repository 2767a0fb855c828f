// One normalised webhook event, whichever forge sent it. Produced by normalise_github() and
// normalise_gitlab() (webhooks/github.h, webhooks/gitlab.h); consumed by the server's planner.
// Field-by-field meaning for each forge and kind: docs/webhooks.md.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

namespace mlgate::webhooks {

enum class Forge { github, gitlab };

enum class EventKind {
  ping,                        // GitHub ping (webhook created); nothing to plan
  push,                        // commits pushed to a branch, or a branch created
  tag,                         // a tag created or moved
  branch_delete,               // a branch deleted
  tag_delete,                  // a tag deleted
  pull_request_open,           // GitHub opened|reopened; GitLab open|reopen
  pull_request_update,         // GitHub synchronize; GitLab update carrying oldrev (new commits)
  pull_request_close,          // GitHub closed (merged or not); GitLab close|merge
  deployment_protection_rule,  // GitHub asks whether a deployment may proceed
  ignored,                     // a valid delivery that plans nothing; see Event::ignored_reason
};

struct Event {
  Forge forge = Forge::github;
  std::string repo;           // owner/name; GitLab project.path_with_namespace
  std::string repo_forge_id;  // GitHub repository.id, GitLab project.id, in decimal
  EventKind kind = EventKind::ignored;
  std::string event_name;  // raw X-GitHub-Event / X-Gitlab-Event value
  std::string action;      // raw action (GitHub "action", GitLab object_attributes.action)
  // Full ref: refs/heads/x or refs/tags/v1; for pull requests refs/pull/N/head (GitHub) or
  // refs/merge-requests/N/head (GitLab), which the base repository serves even for forks.
  std::string ref;
  std::string branch;  // short branch name; for pull requests the head (source) branch
  std::string tag;     // short tag name for tag and tag_delete
  // The commit to test, lowercase hex. Annotated tags resolve to the tagged commit (GitHub
  // head_commit.id, GitLab checkout_sha). Empty for deletions, ping and most ignored events.
  std::string sha;
  std::string before;  // previous tip (push: "before", 40 zeros for a new ref; PR update: old head)
  std::string default_branch;
  std::optional<std::int64_t> pr_number;  // GitHub PR number, GitLab MR iid
  std::string base_branch;                // pull request target branch
  std::string clone_url;                  // base repository, HTTP(S) clone URL
  std::string head_clone_url;             // pull request head repository; differs for forks
  bool from_fork = false;
  std::string sender;          // login (GitHub sender.login, GitLab user_username/user.username)
  std::string commit_message;  // head commit message, when the payload carries it
  std::string author;          // head commit author name, when the payload carries it
  std::string delivery_id;     // see delivery_id() in webhooks/normalise.h
  // deployment_protection_rule only:
  std::string environment;
  std::string deployment_callback_url;
  std::optional<std::int64_t> deployment_id;
  std::string ignored_reason;  // why kind == ignored

  bool operator==(const Event&) const = default;
};

// Why a delivery could not be normalised. http_status is what the endpoint should answer (400 for
// malformed JSON, a payload that is not an object, a missing or mistyped required field, or a
// missing event header); message names the field and is safe to send back (it never echoes input).
struct NormaliseError {
  int http_status = 400;
  std::string message;

  bool operator==(const NormaliseError&) const = default;
};

using NormaliseResult = std::variant<Event, NormaliseError>;

// "github" / "gitlab".
std::string to_string(Forge forge);
// "ping", "push", "tag", "branch_delete", "tag_delete", "pull_request_open", "pull_request_update",
// "pull_request_close", "deployment_protection_rule", "ignored" (the enumerator names).
std::string to_string(EventKind kind);
// Exact (case-sensitive) inverses of to_string; std::nullopt for anything else.
std::optional<Forge> forge_from_string(std::string_view s);
std::optional<EventKind> event_kind_from_string(std::string_view s);

}  // namespace mlgate::webhooks
