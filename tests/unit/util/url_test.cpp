// util/url.h: URLs taken apart in one pass, whatever their length (std::regex recursed once per
// character and overflowed the stack on URLs of some tens of thousands of characters).
#include "util/url.h"

#include <gtest/gtest.h>

#include <string>

namespace mlgate::util {
namespace {

TEST(SplitHttpUrl, OriginAndTheRest) {
  auto u = split_http_url("https://api.github.com/repos/a/b?x=1#f");
  ASSERT_TRUE(u);
  EXPECT_EQ(u->origin, "https://api.github.com");
  EXPECT_EQ(u->rest, "/repos/a/b?x=1#f");
  u = split_http_url("HTTP://127.0.0.1:8080");
  ASSERT_TRUE(u);
  EXPECT_EQ(u->origin, "http://127.0.0.1:8080");
  EXPECT_EQ(u->rest, "");
  u = split_http_url("http://h?q");
  ASSERT_TRUE(u);
  EXPECT_EQ(u->rest, "?q");
  for (const char* bad :
       {"", "api.github.com/x", "ftp://h/x", "https://", "https:///x", "https//h", "1http://h"})
    EXPECT_FALSE(split_http_url(bad)) << bad;
}

TEST(UrlOrigin, SchemeHostAndPortWithDefaults) {
  auto o = url_origin("https://API.GitHub.com/x");
  ASSERT_TRUE(o);
  EXPECT_EQ(*o, (UrlOrigin{"https", "api.github.com", "443"}));
  EXPECT_EQ(*url_origin("http://h:8080?x"), (UrlOrigin{"http", "h", "8080"}));
  EXPECT_EQ(*url_origin("git+ssh://h/x"), (UrlOrigin{"git+ssh", "h", ""}));
  EXPECT_EQ(*url_origin("http://[::1]:81/"), (UrlOrigin{"http", "[::1]", "81"}));
  for (const char* bad :
       {"https://user@h/x", "https://u:p@h", "https://h:/x", "https://h:8a/x", "https://h:1:2/x",
        "http://[::1/x", "http://[]/", "http://[::1]x/", "https://:443/x", "://h", "not a url"})
    EXPECT_FALSE(url_origin(bad)) << bad;
}

TEST(Url, AMegabyteUrlIsReadInOnePass) {
  const std::string path(1 << 20, 'a');
  const auto split = split_http_url("https://h/" + path);
  ASSERT_TRUE(split);
  EXPECT_EQ(split->rest.size(), path.size() + 1);
  EXPECT_TRUE(url_origin("https://h/" + path));
  EXPECT_FALSE(url_origin("https://" + path + "@h/"));
  EXPECT_EQ(url_origin("https://" + path)->host.size(), path.size());
}

}  // namespace
}  // namespace mlgate::util
