// Small helpers shared by every route: JSON answers and errors, listen addresses.
#pragma once

#include <httplib.h>

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

namespace mlgate::server {

// The bytes send_json sends for `body` (compact, invalid UTF-8 replaced, a final newline).
std::string json_text(const nlohmann::json& body);
void send_json(httplib::Response& res, int status, const nlohmann::json& body);
// An answer serialised before (json_text), sent as it is.
void send_json_text(httplib::Response& res, int status, const std::string& text);
// {"error": {"code": code, "message": message}} with the status.
void send_error(httplib::Response& res, int status, const std::string& code,
                const std::string& message);
// A fresh id for one failed request (16 hex digits): the 500 answer and the log line both carry it.
std::string new_error_id();

// The query parameter `name` as an integer in [min, max] written in decimal digits (`fallback`
// when absent); nullopt after answering 400 naming the range ("1e3" and "-1" are not integers).
std::optional<std::int64_t> int_param(const httplib::Request& req, httplib::Response& res,
                                      const char* name, std::int64_t fallback, std::int64_t min,
                                      std::int64_t max);

struct ListenAddress {
  std::string host;
  int port = 0;
};
// "127.0.0.1:8080", "[::1]:8080", ":8080" (all interfaces), "8080". Throws std::invalid_argument.
ListenAddress parse_listen_address(const std::string& text);

}  // namespace mlgate::server
