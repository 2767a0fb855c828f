// gtest printers for the webhook value types, so a failed EXPECT_EQ on a whole Event shows every
// field instead of raw bytes. Found by ADL from any test in this binary.
#include <ostream>
#include <string>

#include "webhooks/event.h"

namespace mlgate::webhooks {

void PrintTo(const Event& e, std::ostream* os) {
  auto opt = [](const std::optional<std::int64_t>& v) {
    return v ? std::to_string(*v) : std::string("none");
  };
  *os << "Event{forge=" << to_string(e.forge) << " kind=" << to_string(e.kind) << " repo=" << e.repo
      << " repo_forge_id=" << e.repo_forge_id << " event_name=" << e.event_name
      << " action=" << e.action << " ref=" << e.ref << " branch=" << e.branch << " tag=" << e.tag
      << " sha=" << e.sha << " before=" << e.before << " default_branch=" << e.default_branch
      << " pr_number=" << opt(e.pr_number) << " base_branch=" << e.base_branch
      << " clone_url=" << e.clone_url << " head_clone_url=" << e.head_clone_url
      << " from_fork=" << e.from_fork << " sender=" << e.sender << " commit_message=<"
      << e.commit_message << "> author=" << e.author << " delivery_id=" << e.delivery_id
      << " environment=" << e.environment
      << " deployment_callback_url=" << e.deployment_callback_url
      << " deployment_id=" << opt(e.deployment_id) << " ignored_reason=" << e.ignored_reason << "}";
}

void PrintTo(const NormaliseError& e, std::ostream* os) {
  *os << "NormaliseError{" << e.http_status << ", " << e.message << "}";
}

}  // namespace mlgate::webhooks
