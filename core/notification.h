// Notifications (docs/notifications.md): the one JSON shape every event is sent as, with a
// Slack-compatible `text`. Pure: what to say; store/ queues it, the forge sender sends it.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace mlgate::core {

enum class NotificationEvent {
  gate_denied,        // a gate decided deny for a commit of a default branch
  pipeline_failed,    // a pipeline of a default branch ended failed or error
  deployment_forced,  // a deployment past a deny or a pending gate
  deployment_rolled_back,
  monitor_alerting,     // a production monitor started alerting
  monitor_ok,           // ... and stopped
  rollout_paused,       // a staged rollout held: a marginal score, or a person
  rollout_rolled_back,  // a staged rollout ended by the judge: stable serves again
  rollout_aborted,      // a staged rollout ended by a person
};

// "gate.denied", "pipeline.failed", "deployment.forced", "deployment.rolled_back",
// "monitor.alerting", "monitor.ok", "rollout.paused", "rollout.rolled_back", "rollout.aborted".
std::string_view to_string(NotificationEvent e);

struct Notification {
  NotificationEvent event = NotificationEvent::gate_denied;
  // What makes it one event: queued once per target under this key
  // ("gate.denied/pipeline/42/prod").
  std::string key;
  std::string sha;
  nlohmann::json body;  // the documented shape
};

// The facts an event is about; fields that do not apply stay empty.
struct NotificationSubject {
  std::string repo;  // owner/name
  std::string sha;
  std::string branch;
  std::string environment;
  std::optional<std::int64_t> pipeline_id;
  std::optional<std::int64_t> deployment_id;
  std::string url;  // the page to look at; "" when the server has no public URL
};

// A check that blocked, or a tier that failed: a name and why.
struct NotificationReason {
  std::string name;
  std::string reason;
};

Notification gate_denied_notification(const NotificationSubject& s, const std::string& summary,
                                      const std::vector<NotificationReason>& blocking);
// `state` is "failed" or "error"; `failed` names the tiers that did not pass.
Notification pipeline_failed_notification(const NotificationSubject& s, const std::string& state,
                                          const std::string& error,
                                          const std::vector<NotificationReason>& failed);
// A forced deployment: the gate's decision it went past, who and why.
Notification deployment_forced_notification(const NotificationSubject& s,
                                            const std::string& decision, const std::string& actor,
                                            const std::string& reason);
// A rollback to `s.sha` from `from_sha`.
Notification rollback_notification(const NotificationSubject& s, const std::string& from_sha,
                                   const std::string& actor, const std::string& reason);
// A monitor's change of state (`alerting` or back to `ok`), with its findings' reasons;
// `transition` numbers the monitor's changes so that each is one event.
Notification monitor_notification(const NotificationSubject& s, const std::string& monitor,
                                  bool alerting, std::int64_t transition,
                                  const std::vector<NotificationReason>& findings);

// A staged rollout of `s.sha` paused, rolled back or aborted at `stage`, by `actor`, with why;
// `rollout_id` and `event_id` make it one event.
Notification rollout_notification(const NotificationSubject& s, NotificationEvent event,
                                  std::int64_t rollout_id, std::int64_t event_id,
                                  const std::string& stage, const std::string& actor,
                                  const std::string& reason);

// Slack's mrkdwn escapes (&, <, >) for text from users and jobs.
std::string slack_escape(std::string_view text);

}  // namespace mlgate::core
