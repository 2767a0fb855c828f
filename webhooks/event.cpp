#include "webhooks/event.h"

#include <array>
#include <utility>

namespace mlgate::webhooks {

namespace {

constexpr std::array<std::pair<EventKind, std::string_view>, 10> kKindNames{{
    {EventKind::ping, "ping"},
    {EventKind::push, "push"},
    {EventKind::tag, "tag"},
    {EventKind::branch_delete, "branch_delete"},
    {EventKind::tag_delete, "tag_delete"},
    {EventKind::pull_request_open, "pull_request_open"},
    {EventKind::pull_request_update, "pull_request_update"},
    {EventKind::pull_request_close, "pull_request_close"},
    {EventKind::deployment_protection_rule, "deployment_protection_rule"},
    {EventKind::ignored, "ignored"},
}};

}  // namespace

std::string to_string(Forge forge) {
  switch (forge) {
    case Forge::github:
      return "github";
    case Forge::gitlab:
      return "gitlab";
  }
  return "unknown";
}

std::string to_string(EventKind kind) {
  for (const auto& [k, name] : kKindNames) {
    if (k == kind) return std::string(name);
  }
  return "unknown";
}

std::optional<Forge> forge_from_string(std::string_view s) {
  if (s == "github") return Forge::github;
  if (s == "gitlab") return Forge::gitlab;
  return std::nullopt;
}

std::optional<EventKind> event_kind_from_string(std::string_view s) {
  for (const auto& [k, name] : kKindNames) {
    if (name == s) return k;
  }
  return std::nullopt;
}

}  // namespace mlgate::webhooks
