// Where every route of the server is registered, and the table the HTTP server dispatches from
// (server/http/async_server.h). Each route records its method and pattern in registration order;
// a request is answered by the first route of its method whose pattern matches the whole decoded
// path (HEAD uses the GET routes), as std::regex_match would (server/http/route_pattern.h). The
// register function of every room takes a Router, so the list is complete;
// tests/integration/server/route_table_test.cpp compares it with the table of docs/security.md
// ("Routes and who may call them").
#pragma once

#include <httplib.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "server/http/route_pattern.h"

namespace mlgate::server {

struct RouteEntry {
  std::string method;   // GET, POST, PUT
  std::string pattern;  // the regular expression matched against the whole path (its forms:
                        // server/http/route_pattern.h)
};

// What a long-polling handler hands the server when it has nothing to answer yet: the server
// parks the connection — no thread waits — until the job wake-up generation moves past `seen`,
// the deadline passes (then 204) or the server stops (204 at once). A woken poll runs `retry` on a
// worker: it answers `res` and returns nullopt, or returns the generation it looked at and parks
// again. Polls of one `group` are interchangeable (the same claimable work): per change the server
// wakes one poll of each group, and a poll that answered wakes the next of its group.
struct Park {
  std::chrono::steady_clock::time_point deadline;
  std::uint64_t seen = 0;
  std::string group;
  std::function<std::optional<std::uint64_t>(httplib::Response&)> retry;
};

using Handler = std::function<void(const httplib::Request&, httplib::Response&)>;
using ReaderHandler =
    std::function<void(const httplib::Request&, httplib::Response&, const httplib::ContentReader&)>;
using ParkingHandler = std::function<std::optional<Park>(
    const httplib::Request&, httplib::Response&, const httplib::ContentReader&)>;

// One registered route: exactly one of the handlers is set.
struct Route {
  RouteEntry entry;
  RoutePattern pattern;
  Handler plain;
  ReaderHandler reader;    // reads its own body, after it knows its caller (server/http/body.h)
  ParkingHandler parking;  // reads its own body too, and may park (the runner's claim)
  // A reader route whose callers are not known before its body is read (a webhook: the signature
  // covers the body): the server reads the whole body first, up to this many bytes, on its I/O
  // thread, so that a slow sender costs a socket and not a handler thread; the handler's reader
  // then hands over what was read. 0: the handler reads the body itself.
  std::size_t buffered_max_bytes = 0;
  bool reads_own_body() const { return !plain && buffered_max_bytes == 0; }
};

class Router {
 public:
  Router() = default;
  Router(const Router&) = delete;
  Router& operator=(const Router&) = delete;

  // Each throws std::invalid_argument for a pattern not of the forms of route_pattern.h.
  void get(const std::string& pattern, Handler handler);
  void post(const std::string& pattern, Handler handler);
  // A route that reads its own body (after it knows its caller: server/http/body.h).
  void post(const std::string& pattern, ReaderHandler handler);
  void put(const std::string& pattern, ReaderHandler handler);
  // A route whose body the server reads whole before the handler runs, up to `max_bytes` (413
  // past it), though the handler gets it through its reader (see Route::buffered_max_bytes).
  void post_buffered(const std::string& pattern, std::size_t max_bytes, ReaderHandler handler);
  // A long poll: reads its own body and may park (see Park).
  void post_parking(const std::string& pattern, ParkingHandler handler);

  // The route answering `method` and `req.path` (HEAD: the GET routes), with req.matches set to
  // its pattern's groups as std::regex_match would set them; nullptr when none matches.
  const Route* match(const std::string& method, httplib::Request& req) const;
  // The methods some route answers `path` with ("GET, HEAD, POST"; HEAD with GET), for a 405's
  // Allow header; "" when none does (a 404).
  std::string allowed_methods(const std::string& path) const;

  // Every route registered so far, in order.
  const std::vector<RouteEntry>& routes() const { return entries_; }

 private:
  Route& add(const std::string& method, const std::string& pattern);
  std::vector<Route> table_;
  std::vector<RouteEntry> entries_;
};

}  // namespace mlgate::server
