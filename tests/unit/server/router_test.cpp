// The Router's table and the Beast <-> httplib adapter, without a socket: the first route of the
// method whose pattern matches the whole decoded path answers (HEAD uses GET's), and what a
// handler sees of a request and what is sent of its answer.
#include "server/http/router.h"

#include <gtest/gtest.h>

#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/message.hpp>
#include <memory>
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
  router.get(R"(/jobs/(.+))", [&](const httplib::Request&, httplib::Response&) { hit = 2; });
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
