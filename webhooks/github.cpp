#include "webhooks/github.h"

#include "webhooks/json_fields.h"
#include "webhooks/normalise.h"

namespace mlgate::webhooks {

namespace {

using detail::FieldError;
using detail::ignore;
using detail::Json;
using detail::kHeads;
using detail::kTags;

// repository.* and sender.login (detail::read_repo says what `required` means).
void read_repository(const Json& root, bool required, Event& ev) {
  static const detail::RepoFields kFields{"repository.full_name",
                                          "repository.id",
                                          "repository.default_branch",
                                          {"repository.clone_url"}};
  detail::read_repo(root, kFields, required, ev);
  ev.sender = detail::opt_string(root, "sender.login");
}

std::int64_t positive(std::int64_t n, std::string_view field) {
  if (n <= 0) throw FieldError("field " + std::string(field) + " must be a positive integer");
  return n;
}

void read_push(const Json& root, Event& ev) {
  read_repository(root, true, ev);
  ev.ref = detail::req_ref(root, "ref");
  ev.before = detail::req_sha(root, "before");
  const std::string after = detail::req_sha(root, "after");
  const bool deleted = detail::opt_bool(root, "deleted", false) || detail::is_zero_sha(after);
  const Json* head_commit = detail::opt_object(root, "head_commit");

  const std::string_view ref = ev.ref;
  if (ref.starts_with(kHeads) && ref.size() > kHeads.size()) {
    ev.branch = std::string(ref.substr(kHeads.size()));
    ev.kind = deleted ? EventKind::branch_delete : EventKind::push;
  } else if (ref.starts_with(kTags) && ref.size() > kTags.size()) {
    ev.tag = std::string(ref.substr(kTags.size()));
    ev.kind = deleted ? EventKind::tag_delete : EventKind::tag;
  } else {
    ignore(ev, "push to " + detail::printable(ev.ref) + " is neither a branch nor a tag");
    return;
  }
  if (deleted) return;  // nothing to test; `before` holds the deleted tip

  if (ev.kind == EventKind::tag && head_commit != nullptr) {
    // For an annotated tag `after` is the tag object; head_commit is the tagged commit.
    ev.sha = detail::req_sha(root, "head_commit.id");
  } else {
    // A branch's new tip; for a tag push without head_commit, the tag's target as sent (an
    // annotated tag's object id then, which the checkout must peel).
    ev.sha = after;
  }
  if (head_commit != nullptr) {
    ev.commit_message = detail::opt_string(root, "head_commit.message");
    ev.author = detail::opt_string(root, "head_commit.author.name");
  }
}

void read_pull_request(const Json& root, Event& ev) {
  ev.action = detail::req_string(root, "action");
  const std::string& a = ev.action;
  if (a == "opened" || a == "reopened") {
    ev.kind = EventKind::pull_request_open;
  } else if (a == "synchronize") {
    ev.kind = EventKind::pull_request_update;
  } else if (a == "closed") {
    ev.kind = EventKind::pull_request_close;
  } else {
    read_repository(root, false, ev);
    ev.pr_number = detail::opt_int(root, "number");
    ignore(ev, "pull_request action " + detail::printable(a) + " plans nothing");
    return;
  }
  read_repository(root, true, ev);
  if (detail::opt_object(root, "pull_request") == nullptr) {
    throw FieldError("missing field pull_request");
  }
  const auto number = detail::opt_int(root, "number");
  ev.pr_number =
      number ? positive(*number, "number")
             : positive(detail::req_int(root, "pull_request.number"), "pull_request.number");
  ev.ref = "refs/pull/" + std::to_string(*ev.pr_number) + "/head";
  ev.branch = detail::req_ref(root, "pull_request.head.ref");
  ev.base_branch = detail::req_ref(root, "pull_request.base.ref");
  ev.sha = ev.kind == EventKind::pull_request_close
               ? detail::opt_sha(root, "pull_request.head.sha")
               : detail::req_sha(root, "pull_request.head.sha");
  if (ev.kind == EventKind::pull_request_update) ev.before = detail::opt_sha(root, "before");

  const std::string base_clone = detail::opt_string(root, "pull_request.base.repo.clone_url");
  if (!base_clone.empty()) ev.clone_url = base_clone;
  std::string base_id = detail::opt_id(root, "pull_request.base.repo.id");
  if (base_id.empty()) base_id = ev.repo_forge_id;
  std::string base_name = detail::opt_string(root, "pull_request.base.repo.full_name");
  if (base_name.empty()) base_name = ev.repo;

  if (detail::opt_object(root, "pull_request.head.repo") == nullptr) {
    // The head repository is gone (a deleted fork). Treat as a fork: its code is not the base
    // repository's; refs/pull/N/head on the base repository still serves the commits.
    ev.from_fork = true;
    return;
  }
  ev.head_clone_url = detail::opt_string(root, "pull_request.head.repo.clone_url");
  const std::string head_id = detail::opt_id(root, "pull_request.head.repo.id");
  if (!head_id.empty() && !base_id.empty()) {
    ev.from_fork = head_id != base_id;
  } else {
    ev.from_fork = detail::opt_string(root, "pull_request.head.repo.full_name") != base_name;
  }
}

void read_deployment_protection_rule(const Json& root, Event& ev) {
  read_repository(root, true, ev);
  ev.action = detail::opt_string(root, "action");
  if (ev.action != "requested") {
    ignore(ev,
           "deployment_protection_rule action " + detail::printable(ev.action) + " plans nothing");
    return;
  }
  ev.kind = EventKind::deployment_protection_rule;
  ev.environment = detail::req_string(root, "environment");
  if (ev.environment.empty()) throw FieldError("field environment must not be empty");
  ev.deployment_callback_url = detail::req_ref(root, "deployment_callback_url");
  ev.deployment_id = detail::req_int(root, "deployment.id");
  ev.sha = detail::req_sha(root, "deployment.sha");

  const Json* prs = detail::opt_array(root, "pull_requests");
  if (prs != nullptr && !prs->empty()) {
    const Json& pr = prs->front();
    constexpr std::string_view p = "pull_requests[0]";
    ev.pr_number = positive(detail::req_int(pr, "number", p), "pull_requests[0].number");
    ev.ref = "refs/pull/" + std::to_string(*ev.pr_number) + "/head";
    ev.branch = detail::opt_string(pr, "head.ref", p);
    ev.base_branch = detail::opt_string(pr, "base.ref", p);
    return;
  }
  // deployment.ref is what the workflow ran on, usually a short branch name ("main"); it may
  // also be a tag name. Full refs are split; a short name is kept verbatim in `branch`.
  const std::string dep_ref = detail::opt_string(root, "deployment.ref");
  const std::string_view r = dep_ref;
  if (r.starts_with(kHeads)) {
    ev.ref = dep_ref;
    ev.branch = std::string(r.substr(kHeads.size()));
  } else if (r.starts_with(kTags)) {
    ev.ref = dep_ref;
    ev.tag = std::string(r.substr(kTags.size()));
  } else {
    ev.branch = dep_ref;
  }
}

}  // namespace

NormaliseResult normalise_github(const Headers& headers, std::string_view body) {
  Event ev;
  ev.forge = Forge::github;
  const auto name = find_header(headers, kGithubEventHeader);
  if (!name || name->empty()) {
    return NormaliseError{400, "missing header " + std::string(kGithubEventHeader)};
  }
  ev.event_name = std::string(*name);
  ev.delivery_id = delivery_id(Forge::github, headers, body);
  try {
    const Json root = detail::parse_object(body);
    const std::string& n = ev.event_name;
    if (n == "ping") {
      read_repository(root, false, ev);  // organization and App hooks have no repository
      ev.kind = EventKind::ping;
    } else if (n == "push") {
      read_push(root, ev);
    } else if (n == "pull_request") {
      read_pull_request(root, ev);
    } else if (n == "deployment_protection_rule") {
      read_deployment_protection_rule(root, ev);
    } else {
      read_repository(root, false, ev);
      ev.action = detail::opt_string(root, "action");
      ignore(ev, "event " + detail::printable(n) + " is not handled");
    }
  } catch (const FieldError& e) {
    return NormaliseError{400, e.what()};
  } catch (const Json::exception&) {
    // Not expected (every read checks types first); kept so that no JSON exception escapes.
    return NormaliseError{400, "malformed payload"};
  }
  return ev;
}

}  // namespace mlgate::webhooks
