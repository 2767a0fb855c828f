// Where every route of the server is registered: a thin layer over cpp-httplib's Get/Post/Put that
// records each route's method and pattern, in registration order (cpp-httplib's matching order).
// The register function of every room takes a Router, never the httplib::Server itself, so the
// list is complete; tests/integration/server/route_table_test.cpp compares it with the table of
// docs/security.md ("Routes and who may call them").
#pragma once

#include <httplib.h>

#include <string>
#include <vector>

namespace mlgate::server {

struct RouteEntry {
  std::string method;   // GET, POST, PUT
  std::string pattern;  // the regular expression cpp-httplib matches the whole path against
};

class Router {
 public:
  explicit Router(httplib::Server& http) : http_(http) {}
  Router(const Router&) = delete;
  Router& operator=(const Router&) = delete;

  void get(const std::string& pattern, httplib::Server::Handler handler);
  void post(const std::string& pattern, httplib::Server::Handler handler);
  // A route that reads its own body (after it knows its caller: server/http/body.h).
  void post(const std::string& pattern, httplib::Server::HandlerWithContentReader handler);
  void put(const std::string& pattern, httplib::Server::HandlerWithContentReader handler);

  // Every route registered so far, in order.
  const std::vector<RouteEntry>& routes() const { return routes_; }

 private:
  httplib::Server& http_;
  std::vector<RouteEntry> routes_;
};

}  // namespace mlgate::server
