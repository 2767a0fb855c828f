// Notification targets and the headers notifications are sent with (docs/notifications.md).
#include "server/services/notifications.h"

#include <gtest/gtest.h>

#include "util/hash.h"

namespace mlgate::server {
namespace {

TEST(NotifyUrl, AcceptsHttpAndHttpsWithAHostAndAPath) {
  EXPECT_EQ(notify_url_problem("https://hooks.slack.com/services/T0/B0/abc"), "");
  EXPECT_EQ(notify_url_problem("http://127.0.0.1:8080/hook?x=1"), "");
  EXPECT_EQ(notify_url_problem("HTTPS://example.com"), "");
}

TEST(NotifyUrl, RefusesOtherSchemesCredentialsSpacesControlsAndLongUrls) {
  for (const std::string& bad : std::vector<std::string>{
           "", "ftp://example.com/x", "file:///etc/passwd", "javascript:alert(1)", "https://",
           "https://user:pw@example.com/", "https://example.com/a b", "https://example.com/\n",
           "https://example.com/\x01", "//example.com/x", "https://" + std::string(2100, 'a')})
    EXPECT_NE(notify_url_problem(bad), "") << bad;
}

TEST(NotificationHeaders, NameTheEventAndDeliveryAndSignTheBodyWhenThereIsASecret) {
  const std::string body = R"({"event": "gate.denied"})";
  auto h = notification_headers("gate.denied", 7, "0123456789abcdef", body);
  auto find = [&](const std::string& k) {
    for (const auto& [name, value] : h)
      if (name == k) return value;
    return std::string("(none)");
  };
  EXPECT_EQ(find("X-Mlgate-Event"), "gate.denied");
  EXPECT_EQ(find("X-Mlgate-Delivery"), "7");
  EXPECT_EQ(find("X-Mlgate-Signature-256"),
            "sha256=" + util::hmac_sha256_hex("0123456789abcdef", body));
  auto unsigned_h = notification_headers("gate.denied", 7, "", body);
  for (const auto& [name, value] : unsigned_h) EXPECT_NE(name, "X-Mlgate-Signature-256");
}

}  // namespace
}  // namespace mlgate::server
