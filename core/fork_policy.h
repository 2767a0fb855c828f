// What mlgate does with changes from forks (docs/security.md, "Fork pull requests"): a
// repository's policy for pull requests whose head is another repository, and the gate's rule that
// a commit known only from such pull requests is never deployable. Pure.
#pragma once

#include <optional>
#include <string_view>

#include "core/gate.h"

namespace mlgate::core {

// approve (the default): planned, but its jobs wait until someone with the deploy scope approves
// the pipeline; run: planned and run at once; ignore: not planned, the delivery is ignored. Run
// or approved, a fork's jobs are contained all the same: no network, no forge token, never
// deployable.
enum class ForkPullRequests { approve, run, ignore };

std::string_view to_string(ForkPullRequests policy);
// The inverse; nullopt for anything else.
std::optional<ForkPullRequests> parse_fork_pull_requests(std::string_view text);

// The network every job of a fork's pipeline gets, whatever its config asks for.
inline constexpr std::string_view kForkJobNetwork = "none";
// Why the gate denies a commit that only fork pull requests brought.
inline constexpr std::string_view kForkCommitReason =
    "commit from a fork pull request is never deployable";

// Turns a gate result for a commit known only from fork pull requests into a deny: a failing
// check of kind provenance comes first, and the summary says why.
void deny_fork_commit(GateResult& result);

}  // namespace mlgate::core
