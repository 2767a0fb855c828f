// Request bodies read by the route itself, after it knows its caller: at most a route's limit is
// kept in memory, a larger body is refused with 413 naming that limit, and JSON is parsed with a
// nesting bound (core/json_bounded.h).
#pragma once

#include <httplib.h>

#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace mlgate::server {

// The limit of a body no route reads itself (JSON API calls, the pages' forms).
inline constexpr std::size_t kDefaultBodyMaxBytes = std::size_t{1} << 20;
// The limit of a runner's JSON calls (register, claim, heartbeat, finish).
inline constexpr std::size_t kSmallJsonMaxBytes = std::size_t{64} << 10;

// Answers 413 when the request's Content-Length is over `max_bytes` (nothing is read); true then.
bool refuse_declared_over(const httplib::Request& req, httplib::Response& res,
                          std::size_t max_bytes);

// The body, read through the route's content reader; nullopt after answering 413 (a declared
// Content-Length over `max_bytes` is refused before a byte is read, a longer stream is cut off at
// the limit) or 408 (the body did not arrive whole: the client closed, or the body deadline of
// server/http/async_server.h passed).
std::optional<std::string> read_body(const httplib::Request& req, httplib::Response& res,
                                     const httplib::ContentReader& reader, std::size_t max_bytes);

// A body read up to a cap by a route that answers an oversized body itself (a runner's results
// file, which is recorded on its job): the bytes that were read, and whether the body was longer.
struct CappedBody {
  std::string bytes;
  bool over = false;           // the body is longer than the cap: declared so, or streamed past it
  std::uint64_t declared = 0;  // its Content-Length, 0 when it had none
};

// Like read_body, but a body over `max_bytes` is not answered: it comes back with `over` set (a
// declared Content-Length over the cap before a byte is read, a longer stream cut at the cap),
// and the connection is closed after the answer (the rest is never read). nullopt after
// answering 408 as read_body does.
std::optional<CappedBody> read_body_capped(const httplib::Request& req, httplib::Response& res,
                                           const httplib::ContentReader& reader,
                                           std::size_t max_bytes);

// The request's Content-Length (the server checked it is a number before any handler); nullopt for
// a chunked body.
std::optional<std::uint64_t> declared_length(const httplib::Request& req);

// `body` parsed as a JSON object ({} when empty); nullopt after answering 400 with the reason
// (malformed, nested too deep, not an object).
std::optional<nlohmann::json> json_object_body(const std::string& body, httplib::Response& res);

// For the pre-routing handler, before a body is read: a request whose route does not read its own
// body (its path starts with none of `self_reading_prefixes`) is answered 413 when its
// Content-Length is over kDefaultBodyMaxBytes and 411 when it is chunked. True when answered.
bool refuse_other_body(const httplib::Request& req, httplib::Response& res,
                       const std::vector<std::string>& self_reading_prefixes);

}  // namespace mlgate::server
