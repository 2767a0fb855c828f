// The notification shape (core/notification.h; docs/notifications.md).
#include "core/notification.h"

#include <gtest/gtest.h>

namespace mlgate::core {
namespace {

NotificationSubject subject() {
  NotificationSubject s;
  s.repo = "acme/model";
  s.sha = "0123456789abcdef0123456789abcdef01234567";
  s.branch = "main";
  s.environment = "production";
  s.pipeline_id = 42;
  s.url = "https://ci.example/pipelines/42";
  return s;
}

TEST(Notification, SlackEscapesOnlyTheThreeCharactersSlackReserves) {
  EXPECT_EQ(slack_escape("a < b && c > <!channel>"), "a &lt; b &amp;&amp; c &gt; &lt;!channel&gt;");
  EXPECT_EQ(slack_escape("plain *bold* é"), "plain *bold* é");
}

TEST(Notification, GateDeniedCarriesTheDocumentedFieldsAndItsKeyNamesPipelineAndEnvironment) {
  auto n =
      gate_denied_notification(subject(), "deny: 1 check failed", {{"recall", "0.81 < min 0.9"}});
  EXPECT_EQ(n.key, "gate.denied/pipeline/42/production");
  EXPECT_EQ(n.sha, subject().sha);
  EXPECT_EQ(n.body["version"], 1);
  EXPECT_EQ(n.body["event"], "gate.denied");
  EXPECT_EQ(n.body["repo"], "acme/model");
  EXPECT_EQ(n.body["environment"], "production");
  EXPECT_EQ(n.body["pipeline"], 42);
  EXPECT_EQ(n.body["decision"], "deny");
  EXPECT_EQ(n.body["reasons"][0]["name"], "recall");
  const std::string text = n.body["text"];
  EXPECT_NE(text.find("acme/model@0123456789ab (main)"), std::string::npos) << text;
  EXPECT_NE(text.find("<https://ci.example/pipelines/42|pipeline>"), std::string::npos) << text;
  EXPECT_NE(text.find("recall: 0.81 &lt; min 0.9"), std::string::npos) << text;
}

TEST(Notification, ManyOrLongReasonsAreCutToABoundedMessage) {
  std::vector<NotificationReason> reasons;
  for (int i = 0; i < 25; ++i)
    reasons.push_back({"slice " + std::to_string(i), std::string(5000, 'x')});
  auto n = pipeline_failed_notification(subject(), "failed", std::string(9000, 'e'), reasons);
  EXPECT_EQ(n.body["reasons"].size(), 10u);
  EXPECT_LE(n.body["reasons"][0]["reason"].get<std::string>().size(), 304u);
  EXPECT_LE(n.body["error"].get<std::string>().size(), 1004u);
  const std::string text = n.body["text"];
  EXPECT_NE(text.find("… and 15 more"), std::string::npos);
  EXPECT_LT(text.size(), 5000u);
}

TEST(Notification, CutsNeverSplitAUtf8Character) {
  std::string reason;
  for (int i = 0; i < 400; ++i) reason += "é";  // two bytes each
  auto n = gate_denied_notification(subject(), "deny", {{"x", reason}});
  // nlohmann refuses to dump invalid UTF-8: a split character would throw here.
  EXPECT_NO_THROW((void)n.body.dump());
}

TEST(Notification, EachMonitorTransitionIsItsOwnEvent) {
  auto s = subject();
  auto a = monitor_notification(s, "production", true, 1, {{"income", "psi 0.31 ≥ 0.2"}});
  auto b = monitor_notification(s, "production", false, 2, {});
  EXPECT_EQ(a.body["event"], "monitor.alerting");
  EXPECT_EQ(b.body["event"], "monitor.ok");
  EXPECT_NE(a.key, b.key);
  EXPECT_EQ(a.body["state"], "alerting");
}

}  // namespace
}  // namespace mlgate::core
