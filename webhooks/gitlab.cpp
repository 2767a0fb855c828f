#include "webhooks/gitlab.h"

#include "webhooks/json_fields.h"
#include "webhooks/normalise.h"

namespace mlgate::webhooks {

namespace {

using detail::FieldError;
using detail::ignore;
using detail::Json;
using detail::kHeads;
using detail::kTags;

// project.* (detail::read_repo says what `required` means).
void read_project(const Json& root, bool required, Event& ev) {
  static const detail::RepoFields kFields{"project.path_with_namespace",
                                          "project.id",
                                          "project.default_branch",
                                          {"project.git_http_url", "project.http_url"}};
  detail::read_repo(root, kFields, required, ev);
}

// Push Hook and Tag Push Hook: the same payload shape; the ref says branch or tag.
void read_push(const Json& root, Event& ev) {
  read_project(root, true, ev);
  ev.sender = detail::opt_string(root, "user_username");
  if (ev.sender.empty()) ev.sender = detail::opt_string(root, "user_name");
  ev.ref = detail::req_ref(root, "ref");
  ev.before = detail::req_sha(root, "before");
  const std::string after = detail::req_sha(root, "after");
  const bool deleted = detail::is_zero_sha(after);

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
  if (deleted) return;

  if (ev.kind == EventKind::tag) {
    // checkout_sha is the tagged commit (after is the tag object for an annotated tag).
    ev.sha = detail::opt_sha(root, "checkout_sha");
    if (ev.sha.empty()) ev.sha = after;
  } else {
    ev.sha = after;
  }

  // The head commit's message and author, when it is among the (at most 20) listed commits.
  if (const Json* commits = detail::opt_array(root, "commits")) {
    for (std::size_t i = 0; i < commits->size(); ++i) {
      const std::string p = "commits[" + std::to_string(i) + "]";
      const Json& c = (*commits)[i];
      if (detail::opt_sha(c, "id", p) == ev.sha) {
        ev.commit_message = detail::opt_string(c, "message", p);
        ev.author = detail::opt_string(c, "author.name", p);
        break;
      }
    }
  }
}

void read_merge_request(const Json& root, Event& ev) {
  if (detail::opt_object(root, "object_attributes") == nullptr) {
    throw FieldError("missing field object_attributes");
  }
  ev.action = detail::req_string(root, "object_attributes.action");
  ev.sender = detail::opt_string(root, "user.username");
  const std::string oldrev = detail::opt_sha(root, "object_attributes.oldrev");
  const std::string& a = ev.action;
  if (a == "open" || a == "reopen") {
    ev.kind = EventKind::pull_request_open;
  } else if (a == "update" && !oldrev.empty()) {
    ev.kind = EventKind::pull_request_update;
    ev.before = oldrev;
  } else if (a == "close" || a == "merge") {
    ev.kind = EventKind::pull_request_close;
  } else {
    read_project(root, false, ev);
    ev.pr_number = detail::opt_int(root, "object_attributes.iid");
    ignore(ev, a == "update" ? "merge request update without new commits (no oldrev)"
                             : "merge request action " + detail::printable(a) + " plans nothing");
    return;
  }
  read_project(root, true, ev);
  const std::int64_t iid = detail::req_int(root, "object_attributes.iid");
  if (iid <= 0) throw FieldError("field object_attributes.iid must be a positive integer");
  ev.pr_number = iid;
  ev.ref = "refs/merge-requests/" + std::to_string(iid) + "/head";
  ev.branch = detail::req_ref(root, "object_attributes.source_branch");
  ev.base_branch = detail::req_ref(root, "object_attributes.target_branch");
  ev.sha = ev.kind == EventKind::pull_request_close
               ? detail::opt_sha(root, "object_attributes.last_commit.id")
               : detail::req_sha(root, "object_attributes.last_commit.id");
  ev.commit_message = detail::opt_string(root, "object_attributes.last_commit.message");
  ev.author = detail::opt_string(root, "object_attributes.last_commit.author.name");
  ev.head_clone_url = detail::opt_string(root, "object_attributes.source.git_http_url");
  const std::int64_t source = detail::req_int(root, "object_attributes.source_project_id");
  const std::int64_t target = detail::req_int(root, "object_attributes.target_project_id");
  ev.from_fork = source != target;
}

}  // namespace

NormaliseResult normalise_gitlab(const Headers& headers, std::string_view body) {
  Event ev;
  ev.forge = Forge::gitlab;
  const auto name = find_header(headers, kGitlabEventHeader);
  if (!name || name->empty()) {
    return NormaliseError{400, "missing header " + std::string(kGitlabEventHeader)};
  }
  ev.event_name = std::string(*name);
  ev.delivery_id = delivery_id(Forge::gitlab, headers, body);
  try {
    const Json root = detail::parse_object(body);
    std::string n = ev.event_name;
    if (n == "System Hook") {
      // Instance-wide system hooks send the project payloads with this header; object_kind says
      // which one it is.
      const std::string kind = detail::opt_string(root, "object_kind");
      if (kind == "push") {
        n = "Push Hook";
      } else if (kind == "tag_push") {
        n = "Tag Push Hook";
      } else if (kind == "merge_request") {
        n = "Merge Request Hook";
      }
    }
    if (n == "Push Hook" || n == "Tag Push Hook") {
      read_push(root, ev);
    } else if (n == "Merge Request Hook") {
      read_merge_request(root, ev);
    } else {
      read_project(root, false, ev);
      ignore(ev, "event " + detail::printable(ev.event_name) + " is not handled");
    }
  } catch (const FieldError& e) {
    return NormaliseError{400, e.what()};
  } catch (const Json::exception&) {
    return NormaliseError{400, "malformed payload"};
  }
  return ev;
}

}  // namespace mlgate::webhooks
