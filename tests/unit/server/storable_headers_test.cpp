// What a webhook delivery's record keeps of its headers (server/services/intake.h): a repository's
// admins list its deliveries, so the credentials a sender or a proxy adds are redacted, whatever
// their case.
#include <gtest/gtest.h>

#include "server/services/intake.h"

namespace mlgate::server {
namespace {

TEST(StorableHeaders, CredentialsAreRedactedAndTheRestKept) {
  webhooks::Headers in = {{"X-GitHub-Event", "push"},
                          {"X-Gitlab-Token", "the-secret"},
                          {"authorization", "Bearer mlg_abc"},
                          {"Proxy-Authorization", "Basic eDp5"},
                          {"COOKIE", "session=1"},
                          {"Content-Type", "application/json"}};
  const auto out = storable_headers(in);
  EXPECT_EQ(out.at("X-GitHub-Event"), "push");
  EXPECT_EQ(out.at("Content-Type"), "application/json");
  for (const char* name : {"X-Gitlab-Token", "authorization", "Proxy-Authorization", "COOKIE"})
    EXPECT_EQ(out.at(name), "[redacted]") << name;
  EXPECT_EQ(out.size(), in.size());
}

}  // namespace
}  // namespace mlgate::server
