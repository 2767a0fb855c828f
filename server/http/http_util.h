// Small helpers shared by every route: JSON answers and errors, listen addresses.
#pragma once

#include <httplib.h>

#include <nlohmann/json.hpp>
#include <string>

namespace mlgate::server {

void send_json(httplib::Response& res, int status, const nlohmann::json& body);
// {"error": {"code": code, "message": message}} with the status.
void send_error(httplib::Response& res, int status, const std::string& code,
                const std::string& message);
// A fresh id for one failed request (16 hex digits): the 500 answer and the log line both carry it.
std::string new_error_id();

struct ListenAddress {
  std::string host;
  int port = 0;
};
// "127.0.0.1:8080", "[::1]:8080", ":8080" (all interfaces), "8080". Throws std::invalid_argument.
ListenAddress parse_listen_address(const std::string& text);

struct HttpTuning {
  bool tcp_nodelay = true;    // Nagle off: otherwise each answer waits ~40 ms for a delayed ACK
  int threads = 64;           // worker pool size (cpp-httplib's default is 8)
  int keep_alive_max = 1000;  // requests per connection (cpp-httplib's default is 5)
  int read_timeout_seconds = 30;
  size_t payload_max_bytes = 25u << 20;
};
void apply_tuning(httplib::Server& http, const HttpTuning& tuning);

// cpp-httplib 0.11 (a compiled library in Debian, so its CPPHTTPLIB_LISTEN_BACKLOG cannot be set)
// listens with a backlog of 5: a burst of new connections (runners open one per call) overflows
// it and clients wait for SYN retransmits (1 s, 3 s, ...). Linux lets listen() be called again on
// a listening socket to change its backlog: this finds this process's listening socket on `port`
// and does that. Returns false when no such socket was found.
bool raise_listen_backlog(int port, int backlog);

}  // namespace mlgate::server
