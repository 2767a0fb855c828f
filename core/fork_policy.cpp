#include "core/fork_policy.h"

#include <array>
#include <string>
#include <utility>

namespace mlgate::core {
namespace {

constexpr std::array<std::pair<ForkPullRequests, std::string_view>, 3> kNames{{
    {ForkPullRequests::approve, "approve"},
    {ForkPullRequests::run, "run"},
    {ForkPullRequests::ignore, "ignore"},
}};

}  // namespace

std::string_view to_string(ForkPullRequests policy) {
  for (const auto& [p, name] : kNames)
    if (p == policy) return name;
  return "approve";  // unreachable: every enumerator is in the table (tested)
}

std::optional<ForkPullRequests> parse_fork_pull_requests(std::string_view text) {
  for (const auto& [p, name] : kNames)
    if (name == text) return p;
  return std::nullopt;
}

void deny_fork_commit(GateResult& result) {
  CheckResult provenance{.kind = CheckKind::provenance,
                         .name = "fork_pull_request",
                         .status = CheckStatus::fail,
                         .threshold = "a commit of the repository itself",
                         .reason = std::string(kForkCommitReason)};
  result.checks.insert(result.checks.begin(), std::move(provenance));
  result.decision = Decision::deny;
  result.summary = "deny: " + std::string(kForkCommitReason);
}

}  // namespace mlgate::core
