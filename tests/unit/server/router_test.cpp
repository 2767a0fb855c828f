// The Router's table and the Beast <-> httplib adapter, without a socket: the first route of the
// method whose pattern matches the whole decoded path answers (HEAD uses GET's), and what a
// handler sees of a request and what is sent of its answer. The route patterns without std::regex
// (server/http/route_pattern.h): the groups std::regex_match would give, and the refused forms.
#include "server/http/router.h"

#include <gtest/gtest.h>

#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/message.hpp>
#include <memory>
#include <regex>
#include <stdexcept>
#include <tuple>
#include <vector>

#include "server/http/request_adapter.h"

namespace mlgate::server {
namespace {

namespace http = boost::beast::http;

TEST(Router, TheFirstMatchingRouteOfTheMethodAnswersWithItsGroups) {
  Router router;
  int hit = 0;
  router.get(R"(/jobs/(\d+))", [&](const httplib::Request&, httplib::Response&) { hit = 1; });
  router.get(R"(/jobs/([a-z0-9]+))", [&](const httplib::Request&, httplib::Response&) { hit = 2; });
  router.post(R"(/jobs/(\d+))", [&](const httplib::Request&, httplib::Response&) { hit = 3; });
  httplib::Request req;
  req.path = "/jobs/42";
  const Route* r = router.match("GET", req);
  ASSERT_NE(r, nullptr);
  r->plain(req, *std::make_unique<httplib::Response>());
  EXPECT_EQ(hit, 1);
  EXPECT_EQ(req.matches[1].str(), "42");
  req.path = "/jobs/x";
  router.match("GET", req)->plain(req, *std::make_unique<httplib::Response>());
  EXPECT_EQ(hit, 2);
  req.path = "/jobs/42";
  EXPECT_EQ(router.match("HEAD", req), router.match("GET", req));
  router.match("POST", req)->plain(req, *std::make_unique<httplib::Response>());
  EXPECT_EQ(hit, 3);
  // The whole path must match, and an unknown method matches nothing.
  req.path = "/jobs/42/log";
  EXPECT_EQ(router.match("POST", req), nullptr);
  EXPECT_EQ(router.match("DELETE", req), nullptr);
  ASSERT_EQ(router.routes().size(), 3u);
  EXPECT_EQ(router.routes()[2].method, "POST");
}

// What a 405 names in its Allow header: every method some route answers the path with, HEAD with
// GET; nothing for a path no route answers (a 404).
TEST(Router, AllowedMethodsAreThoseOfEveryRouteMatchingThePath) {
  Router router;
  const auto none = [](const httplib::Request&, httplib::Response&) {};
  router.get(R"(/jobs/(\d+))", none);
  router.post(R"(/jobs/(\d+))", none);
  router.post(R"(/jobs/(\d+)/cancel)", none);
  router.get("/healthz", none);
  EXPECT_EQ(router.allowed_methods("/jobs/42"), "GET, HEAD, POST");
  EXPECT_EQ(router.allowed_methods("/jobs/42/cancel"), "POST");
  EXPECT_EQ(router.allowed_methods("/healthz"), "GET, HEAD");
  EXPECT_EQ(router.allowed_methods("/jobs/x"), "");
  EXPECT_EQ(router.allowed_methods("/nowhere"), "");
}

// The groups of `pattern` on `path` through a Router, as (position, length); empty: no match.
std::vector<std::pair<long, long>> groups_of(const std::string& pattern, const std::string& path) {
  Router router;
  router.get(pattern, [](const httplib::Request&, httplib::Response&) {});
  httplib::Request req;
  req.path = path;
  std::vector<std::pair<long, long>> out;
  if (!router.match("GET", req)) return out;
  for (std::size_t g = 0; g < req.matches.size(); ++g) {
    const int i = static_cast<int>(g);
    out.emplace_back(req.matches.position(i), req.matches.length(i));
  }
  return out;
}

// What std::regex_match gives, the same way.
std::vector<std::pair<long, long>> regex_groups_of(const std::string& pattern,
                                                   const std::string& path) {
  std::smatch m;
  std::vector<std::pair<long, long>> out;
  if (!std::regex_match(path, m, std::regex(pattern))) return out;
  for (std::size_t g = 0; g < m.size(); ++g) {
    const int i = static_cast<int>(g);
    out.emplace_back(m.position(i), m.length(i));
  }
  return out;
}

TEST(RoutePattern, TypedCapturesMatchTheirClassAndLengthOnly) {
  const std::string job = R"(/api/v1/jobs/(\d{1,18})/log)";
  EXPECT_EQ(groups_of(job, "/api/v1/jobs/7/log"),
            (std::vector<std::pair<long, long>>{{0, 18}, {13, 1}}));
  EXPECT_EQ(groups_of(job, "/api/v1/jobs/" + std::string(18, '9') + "/log").size(), 2u);
  for (const std::string& refused : std::vector<std::string>{
           "/api/v1/jobs//log", "/api/v1/jobs/1x/log",
           "/api/v1/jobs/" + std::string(19, '9') + "/log", "/api/v1/jobs/1/log/",
           "/api/v1/jobs/1/lo", "api/v1/jobs/1/log", "/api/v1/jobs/\xd9\xa1/log"})
    EXPECT_TRUE(groups_of(job, refused).empty()) << refused;
  const std::string sha = R"(/c/([0-9a-fA-F]{40}|[0-9a-fA-F]{64})/card)";
  for (std::size_t n : {39, 40, 41, 63, 64, 65}) {
    const std::string path = "/c/" + std::string(n, 'B') + "/card";
    EXPECT_EQ(groups_of(sha, path).size(), n == 40 || n == 64 ? 2u : 0u) << n;
    EXPECT_EQ(groups_of(sha, path), regex_groups_of(sha, path)) << n;
  }
}

TEST(RoutePattern, RepositoryNamesBacktrackLikeTheRegularExpression) {
  const std::string repo = R"(/r/([A-Za-z0-9_.-]+(?:/[A-Za-z0-9_.-]+)+))";
  const std::string env = repo + R"(/environments/([A-Za-z0-9_.-]{1,100})/routing)";
  // The repository takes as much as leaves a match: here a GitLab group named "environments".
  const std::string nested = "/r/g/environments/x/environments/prod/routing";
  EXPECT_EQ(groups_of(env, nested),
            (std::vector<std::pair<long, long>>{{0, 45}, {3, 16}, {33, 4}}));
  const std::string badge = repo + R"(\.svg)";
  const std::string gate = repo + R"(/gate\.svg)";
  for (const std::string& path :
       std::vector<std::string>{"/r/acme/model.svg", "/r/acme/model/gate.svg", "/r/a/b/c.svg",
                                "/r/acme.svg", "/r/acme/.svg", "/r/acme/model..svg",
                                "/r/acme//model.svg", "/r/acme/model.svg/", "/r/a/b/c/d", nested}) {
    for (const auto& pattern : {repo, env, badge, gate})
      EXPECT_EQ(groups_of(pattern, path), regex_groups_of(pattern, path)) << pattern << " " << path;
  }
  EXPECT_EQ(groups_of(badge, "/r/acme/model.svg"),
            (std::vector<std::pair<long, long>>{{0, 17}, {3, 10}}));
  EXPECT_TRUE(groups_of(badge, "/r/acme.svg").empty());  // one name is not a repository
}

TEST(RoutePattern, ADotOutsideACaptureIsAnyCharacterButALineBreak) {
  const std::string css = "/static/style.css";
  for (const std::string& path : std::vector<std::string>{
           "/static/style.css", "/static/style-css", "/static/style\ncss", "/static/style\rcss",
           "/static/stylecss", "/static/style..css", "/static/style.cs"}) {
    EXPECT_EQ(groups_of(css, path), regex_groups_of(css, path)) << path;
  }
  EXPECT_EQ(groups_of(css, "/static/style-css").size(), 1u);
  EXPECT_TRUE(groups_of(css, "/static/style\ncss").empty());
}

TEST(RoutePattern, MatchesCarryTheWholePathAndEveryGroupsText) {
  Router router;
  router.get(R"(/r/([a-z]+(?:/[a-z]+)+)/e/([a-z]{1,9}))",
             [](const httplib::Request&, httplib::Response&) {});
  router.get("/plain", [](const httplib::Request&, httplib::Response&) {});
  httplib::Request req;
  req.path = "/r/a/b/e/prod";
  ASSERT_NE(router.match("GET", req), nullptr);
  ASSERT_EQ(req.matches.size(), 3u);
  EXPECT_EQ(req.matches[0].str(), req.path);
  EXPECT_EQ(req.matches[1].str(), "a/b");
  EXPECT_EQ(req.matches[2].str(), "prod");
  EXPECT_TRUE(req.matches.suffix().str().empty());
  req.path = "/plain";
  ASSERT_NE(router.match("GET", req), nullptr);
  ASSERT_EQ(req.matches.size(), 1u);
  EXPECT_TRUE(req.matches[0].matched);
  req.path = "/nothing";
  EXPECT_EQ(router.match("GET", req), nullptr);
  EXPECT_TRUE(req.matches.empty());
}

TEST(RoutePattern, FormsItDoesNotMatchLikeARegularExpressionAreRefused) {
  for (const std::string& pattern : std::vector<std::string>{
           R"(/jobs/(.+))", R"(/a|/b)", R"(/x/(\w+))", R"(/x/([^/]+))", R"(/x(?:/y)+)",
           R"(/x/(\d*))", R"(/x/(\d+?))", R"(/x/([a-z]+(?:/[0-9]+)+))",
           R"(/x/([a-z/]+(?:/[a-z/]+)+))", R"(/x/(\d{2,1}))", R"(/x/((\d+)))", "/x/(\\d+", "/x/()",
           "/x/(a)(b)(c)(d)(e)"}) {
    Router router;
    EXPECT_THROW(router.get(pattern, [](const httplib::Request&, httplib::Response&) {}),
                 std::invalid_argument)
        << pattern;
    EXPECT_TRUE(router.routes().empty()) << pattern;
  }
}

TEST(Router, OnlyPlainRoutesHaveTheirBodyReadByTheServer) {
  Router router;
  router.get("/a", [](const httplib::Request&, httplib::Response&) {});
  router.post("/b",
              [](const httplib::Request&, httplib::Response&, const httplib::ContentReader&) {});
  router.post_parking("/c", [](const httplib::Request&, httplib::Response&,
                               const httplib::ContentReader&) { return std::optional<Park>(); });
  httplib::Request req;
  for (const auto& [path, method, own] : std::vector<std::tuple<std::string, std::string, bool>>{
           {"/a", "GET", false}, {"/b", "POST", true}, {"/c", "POST", true}}) {
    req.path = path;
    ASSERT_NE(router.match(method, req), nullptr) << path;
    EXPECT_EQ(router.match(method, req)->reads_own_body(), own) << path;
  }
}

TEST(RequestAdapter, PathIsDecodedQueryParsedHeadersKept) {
  http::request<http::empty_body> in{http::verb::get, "/api/v1/repos/acme%2Fmodel?x=1&y=a+b", 11};
  in.set("X-Thing", "v");
  httplib::Request req;
  const boost::asio::ip::tcp::endpoint peer(boost::asio::ip::make_address("127.0.0.2"), 5000);
  fill_request(in.base(), peer, peer, req);
  EXPECT_EQ(req.method, "GET");
  EXPECT_EQ(req.path, "/api/v1/repos/acme/model");
  EXPECT_EQ(req.get_param_value("x"), "1");
  EXPECT_EQ(req.get_param_value("y"), "a b");
  EXPECT_EQ(req.get_header_value("x-thing"), "v");
  EXPECT_EQ(req.remote_addr, "127.0.0.2");
  req.headers.emplace("Content-Type", "application/x-www-form-urlencoded");
  req.body = "token=t%2B1&next=%2F";
  add_form_params(req);
  EXPECT_EQ(req.get_param_value("token"), "t+1");
  EXPECT_EQ(req.get_param_value("next"), "/");
}

TEST(RequestAdapter, AnswersCarryContentLengthAndHeadNoBody) {
  httplib::Response res;
  res.status = 200;
  res.set_content("hello", "text/plain");
  auto out = to_beast_response(res, true, true, 11);
  EXPECT_EQ(out[http::field::content_length], "5");
  EXPECT_TRUE(out.body().empty());
  EXPECT_TRUE(out.keep_alive());
  httplib::Response closing;
  closing.status = 413;
  closing.set_header("Connection", "close");
  EXPECT_TRUE(asks_close(closing));
  auto closed = to_beast_response(closing, false, false, 11);
  EXPECT_EQ(closed[http::field::content_length], "0");
  EXPECT_FALSE(closed.keep_alive());
}

}  // namespace
}  // namespace mlgate::server
