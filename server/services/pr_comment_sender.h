// Sends one queued pull-request report (docs/forge-feedback.md, "Pull-request reports"): the first
// creates mlgate's comment and records its id from the forge's answer; every later one edits that
// comment. The outbox sends one report of a pull request at a time, oldest first, and a newer
// report supersedes one still waiting, so edits are ordered and coalesced.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "server/services/forge_http.h"
#include "server/services/forge_sender.h"
#include "store/forge_outbox.h"
#include "store/repos.h"

namespace mlgate::server {

// The outbox context of a pull request's report: "pr-comment/<number>".
std::string pr_comment_context(std::int64_t pr_number);
std::optional<std::int64_t> pr_number_of_context(const std::string& context);

// Edits the comment when its id is known (a 404 — someone deleted it — posts a new one); else
// posts it. A POST after an earlier attempt that recorded no id (its answer may have been lost
// after the forge made the comment) first lists the pull request's comments made since that
// attempt and edits the one that starts with mlgate's marker, if any: no second comment.
ForgeAnswer send_pr_comment(store::Database& db, const store::OutboxItem& item,
                            const store::RepoRow& repo, const SenderOptions& options);

}  // namespace mlgate::server
