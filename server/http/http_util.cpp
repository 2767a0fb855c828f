#include "server/http/http_util.h"

#include <random>
#include <stdexcept>

#include "util/hex.h"
#include "util/strings.h"

namespace mlgate::server {

std::string json_text(const nlohmann::json& body) {
  return body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

void send_json(httplib::Response& res, int status, const nlohmann::json& body) {
  send_json_text(res, status, json_text(body));
}

void send_json_text(httplib::Response& res, int status, const std::string& text) {
  res.status = status;
  res.set_content(text, "application/json");
}

void send_error(httplib::Response& res, int status, const std::string& code,
                const std::string& message) {
  send_json(res, status, {{"error", {{"code", code}, {"message", message}}}});
}

// A non-negative integer query parameter; nullopt (and a 400 answer) when it is not one.
std::optional<std::int64_t> int_param(const httplib::Request& req, httplib::Response& res,
                                      const char* name, std::int64_t fallback, std::int64_t min,
                                      std::int64_t max) {
  if (!req.has_param(name)) return fallback;
  const std::string text = req.get_param_value(name);
  const auto v = text.find_first_not_of("0123456789") == std::string::npos ? util::parse_int64(text)
                                                                           : std::nullopt;
  if (!v || *v < min || *v > max) {
    send_error(res, 400, "bad_request",
               std::string(name) + " must be an integer from " + std::to_string(min) + " to " +
                   std::to_string(max));
    return std::nullopt;
  }
  return *v;
}

std::string new_error_id() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  return util::hex_u64(rng());
}

ListenAddress parse_listen_address(const std::string& text) {
  ListenAddress a;
  std::string port;
  if (!text.empty() && text.front() == '[') {
    auto close = text.find(']');
    if (close == std::string::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      throw std::invalid_argument("bad listen address '" + text + "' (expected [addr]:port)");
    }
    a.host = text.substr(1, close - 1);
    port = text.substr(close + 2);
  } else if (auto colon = text.rfind(':'); colon != std::string::npos) {
    a.host = text.substr(0, colon);
    port = text.substr(colon + 1);
  } else {
    port = text;
  }
  if (a.host.empty()) a.host = "0.0.0.0";
  if (port.empty() || port.find_first_not_of("0123456789") != std::string::npos ||
      port.size() > 5) {
    throw std::invalid_argument("bad port in listen address '" + text + "'");
  }
  a.port = std::stoi(port);
  if (a.port > 65535) throw std::invalid_argument("port out of range in '" + text + "'");
  return a;
}

}  // namespace mlgate::server
