#include "core/notification.h"

namespace mlgate::core {
namespace {

using nlohmann::json;

constexpr std::size_t kMaxReasons = 10;       // in `reasons` and in the text
constexpr std::size_t kMaxReasonBytes = 300;  // each reason, cut

std::string cut(std::string_view s, std::size_t n) {
  if (s.size() <= n) return std::string(s);
  std::size_t end = n;
  while (end > 0 && (static_cast<unsigned char>(s[end]) & 0xC0) == 0x80) --end;  // UTF-8 whole
  return std::string(s.substr(0, end)) + "…";
}

std::string short_sha(const std::string& sha) {
  return sha.substr(0, 12);
}

json subject_json(NotificationEvent e, const NotificationSubject& s) {
  json body = {{"version", 1}, {"event", to_string(e)}, {"repo", s.repo}};
  if (!s.sha.empty()) body["sha"] = s.sha;
  if (!s.branch.empty()) body["branch"] = s.branch;
  if (!s.environment.empty()) body["environment"] = s.environment;
  if (s.pipeline_id) body["pipeline"] = *s.pipeline_id;
  if (s.deployment_id) body["deployment"] = *s.deployment_id;
  body["url"] = s.url.empty() ? json() : json(s.url);
  return body;
}

json reasons_json(const std::vector<NotificationReason>& reasons) {
  json out = json::array();
  for (std::size_t i = 0; i < reasons.size() && i < kMaxReasons; ++i)
    out.push_back({{"name", reasons[i].name}, {"reason", cut(reasons[i].reason, kMaxReasonBytes)}});
  return out;
}

// "repo@sha (branch)": the commit as people name it.
std::string commit_text(const NotificationSubject& s) {
  std::string out = slack_escape(s.repo);
  if (!s.sha.empty()) out += "@" + short_sha(s.sha);
  if (!s.branch.empty()) out += " (" + slack_escape(s.branch) + ")";
  return out;
}

std::string reasons_text(const std::vector<NotificationReason>& reasons) {
  std::string out;
  for (std::size_t i = 0; i < reasons.size() && i < kMaxReasons; ++i)
    out += "\n• " + slack_escape(reasons[i].name) +
           (reasons[i].reason.empty() ? "" : ": " + slack_escape(cut(reasons[i].reason, 300)));
  if (reasons.size() > kMaxReasons)
    out += "\n• … and " + std::to_string(reasons.size() - kMaxReasons) + " more";
  return out;
}

std::string link_text(const NotificationSubject& s, const std::string& label) {
  return s.url.empty() ? "" : " <" + slack_escape(s.url) + "|" + label + ">";
}

Notification make(NotificationEvent e, const NotificationSubject& s, std::string key, json fields,
                  std::string text) {
  Notification n;
  n.event = e;
  n.key = std::string(to_string(e)) + "/" + key;
  n.sha = s.sha;
  n.body = subject_json(e, s);
  for (auto& [k, v] : fields.items()) n.body[k] = std::move(v);
  n.body["text"] = std::move(text);
  return n;
}

}  // namespace

std::string_view to_string(NotificationEvent e) {
  switch (e) {
    case NotificationEvent::gate_denied:
      return "gate.denied";
    case NotificationEvent::pipeline_failed:
      return "pipeline.failed";
    case NotificationEvent::deployment_forced:
      return "deployment.forced";
    case NotificationEvent::deployment_rolled_back:
      return "deployment.rolled_back";
    case NotificationEvent::monitor_alerting:
      return "monitor.alerting";
    case NotificationEvent::monitor_ok:
      return "monitor.ok";
    case NotificationEvent::rollout_paused:
      return "rollout.paused";
    case NotificationEvent::rollout_rolled_back:
      return "rollout.rolled_back";
    case NotificationEvent::rollout_aborted:
      return "rollout.aborted";
  }
  return "unknown";
}

std::string slack_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    if (c == '&')
      out += "&amp;";
    else if (c == '<')
      out += "&lt;";
    else if (c == '>')
      out += "&gt;";
    else
      out += c;
  }
  return out;
}

Notification gate_denied_notification(const NotificationSubject& s, const std::string& summary,
                                      const std::vector<NotificationReason>& blocking) {
  std::string text = ":no_entry: mlgate: the gate *denies* " + commit_text(s) + " for " +
                     slack_escape(s.environment) + ": " + slack_escape(cut(summary, 300)) +
                     link_text(s, "pipeline") + reasons_text(blocking);
  return make(NotificationEvent::gate_denied, s,
              "pipeline/" + std::to_string(s.pipeline_id.value_or(0)) + "/" + s.environment,
              {{"decision", "deny"},
               {"summary", cut(summary, 1000)},
               {"reasons", reasons_json(blocking)},
               {"blocking", blocking.size()}},
              std::move(text));
}

Notification pipeline_failed_notification(const NotificationSubject& s, const std::string& state,
                                          const std::string& error,
                                          const std::vector<NotificationReason>& failed) {
  std::string text = ":x: mlgate: pipeline #" + std::to_string(s.pipeline_id.value_or(0)) + " of " +
                     commit_text(s) + " *" + state + "*" +
                     (error.empty() ? "" : ": " + slack_escape(cut(error, 300))) +
                     link_text(s, "pipeline") + reasons_text(failed);
  return make(NotificationEvent::pipeline_failed, s,
              "pipeline/" + std::to_string(s.pipeline_id.value_or(0)),
              {{"state", state}, {"error", cut(error, 1000)}, {"reasons", reasons_json(failed)}},
              std::move(text));
}

Notification deployment_forced_notification(const NotificationSubject& s,
                                            const std::string& decision, const std::string& actor,
                                            const std::string& reason) {
  std::string text = ":warning: mlgate: " + slack_escape(actor) + " *forced* the deployment of " +
                     commit_text(s) + " to " + slack_escape(s.environment) + " past a " +
                     slack_escape(decision) + " gate: " + slack_escape(cut(reason, 300)) +
                     link_text(s, "deployments");
  return make(NotificationEvent::deployment_forced, s,
              "deployment/" + std::to_string(s.deployment_id.value_or(0)),
              {{"decision", decision}, {"actor", actor}, {"reason", cut(reason, 1000)}},
              std::move(text));
}

Notification rollback_notification(const NotificationSubject& s, const std::string& from_sha,
                                   const std::string& actor, const std::string& reason) {
  std::string text =
      ":rewind: mlgate: " + slack_escape(actor) + " *rolled back* " + slack_escape(s.environment) +
      " of " + slack_escape(s.repo) + " from " + short_sha(from_sha) + " to " + short_sha(s.sha) +
      (reason.empty() ? "" : ": " + slack_escape(cut(reason, 300))) + link_text(s, "deployments");
  return make(NotificationEvent::deployment_rolled_back, s,
              "deployment/" + std::to_string(s.deployment_id.value_or(0)),
              {{"from_sha", from_sha}, {"actor", actor}, {"reason", cut(reason, 1000)}},
              std::move(text));
}

Notification monitor_notification(const NotificationSubject& s, const std::string& monitor,
                                  bool alerting, std::int64_t transition,
                                  const std::vector<NotificationReason>& findings) {
  const auto e = alerting ? NotificationEvent::monitor_alerting : NotificationEvent::monitor_ok;
  std::string text = std::string(alerting ? ":rotating_light:" : ":white_check_mark:") +
                     " mlgate: monitor " + slack_escape(monitor) + " of " + slack_escape(s.repo) +
                     " in " + slack_escape(s.environment) +
                     (alerting ? " is *alerting*" : " is *ok* again") +
                     (s.sha.empty() ? "" : " (deployed " + short_sha(s.sha) + ")") +
                     link_text(s, "environment") + reasons_text(findings);
  return make(e, s, s.environment + "/" + monitor + "/" + std::to_string(transition),
              {{"monitor", monitor},
               {"state", alerting ? "alerting" : "ok"},
               {"reasons", reasons_json(findings)}},
              std::move(text));
}

Notification rollout_notification(const NotificationSubject& s, NotificationEvent event,
                                  std::int64_t rollout_id, std::int64_t event_id,
                                  const std::string& stage, const std::string& actor,
                                  const std::string& reason) {
  const char* what = event == NotificationEvent::rollout_paused        ? "*paused*"
                     : event == NotificationEvent::rollout_rolled_back ? "*rolled back*"
                                                                       : "*aborted*";
  std::string text = ":traffic_light: mlgate: the rollout of " + commit_text(s) + " to " +
                     slack_escape(s.environment) + " is " + what + " at stage " +
                     slack_escape(stage) + " (" + slack_escape(actor) + ")" +
                     (reason.empty() ? "" : ": " + slack_escape(cut(reason, 300))) +
                     link_text(s, "rollout");
  return make(
      event, s, std::to_string(rollout_id) + "/" + std::to_string(event_id),
      {{"rollout", rollout_id}, {"stage", stage}, {"actor", actor}, {"reason", cut(reason, 1000)}},
      std::move(text));
}

}  // namespace mlgate::core
