#include "server/http/body.h"

#include <cstdlib>

#include "core/json_bounded.h"
#include "server/http/http_util.h"
#include "server/http/json_log.h"
#include "util/strings.h"

namespace mlgate::server {
namespace {

void too_large(const httplib::Request& req, httplib::Response& res, std::size_t max_bytes,
               const std::string& how) {
  log_event(
      spdlog::level::warn, "request refused: body too large",
      {{"path", req.path}, {"max_bytes", max_bytes}, {"how", how}, {"remote", req.remote_addr}});
  res.set_header("Connection", "close");
  send_error(res, 413, "too_large",
             "request body over this route's limit of " + std::to_string(max_bytes) + " bytes");
}

}  // namespace

std::optional<std::uint64_t> declared_length(const httplib::Request& req) {
  if (!req.has_header("Content-Length")) return std::nullopt;
  return std::strtoull(req.get_header_value("Content-Length").c_str(), nullptr, 10);
}

bool refuse_declared_over(const httplib::Request& req, httplib::Response& res,
                          std::size_t max_bytes) {
  auto declared = declared_length(req);
  if (!declared || *declared <= max_bytes) return false;
  too_large(req, res, max_bytes, "content-length");
  return true;
}

std::optional<CappedBody> read_body_capped(const httplib::Request& req, httplib::Response& res,
                                           const httplib::ContentReader& reader,
                                           std::size_t max_bytes) {
  CappedBody out;
  out.declared = declared_length(req).value_or(0);
  if (out.declared > max_bytes) {
    out.over = true;
    res.set_header("Connection", "close");
    return out;
  }
  const bool whole = reader([&](const char* data, size_t n) {
    if (out.bytes.size() + n > max_bytes) {
      out.over = true;
      return false;
    }
    out.bytes.append(data, n);
    return true;
  });
  if (out.over) {
    res.set_header("Connection", "close");
    return out;
  }
  if (!whole) {
    // The client stopped sending, or was too slow (the server's body deadline).
    log_event(spdlog::level::info, "request refused: body incomplete",
              {{"path", req.path}, {"received", out.bytes.size()}, {"remote", req.remote_addr}});
    res.set_header("Connection", "close");
    send_error(res, 408, "body_timeout", "the request body did not arrive whole in time");
    return std::nullopt;
  }
  return out;
}

std::optional<std::string> read_body(const httplib::Request& req, httplib::Response& res,
                                     const httplib::ContentReader& reader, std::size_t max_bytes) {
  auto body = read_body_capped(req, res, reader, max_bytes);
  if (!body) return std::nullopt;
  if (body->over) {
    too_large(req, res, max_bytes, body->declared > max_bytes ? "content-length" : "streamed");
    return std::nullopt;
  }
  return std::move(body->bytes);
}

std::optional<nlohmann::json> json_object_body(const std::string& body, httplib::Response& res) {
  if (body.empty()) return nlohmann::json::object();
  try {
    auto j = core::parse_json_bounded(body);
    if (!j.is_object()) {
      send_error(res, 400, "bad_request", "the body must be a JSON object");
    } else if (core::holds_nul(j)) {
      send_error(res, 400, "bad_request",
                 "a string in the body holds the NUL character (\\u0000), which is not stored");
    } else {
      return j;
    }
  } catch (const core::JsonInputError& e) {
    send_error(res, 400, "bad_request", std::string("the body must be a JSON object: ") + e.what());
  }
  return std::nullopt;
}

bool refuse_other_body(const httplib::Request& req, httplib::Response& res,
                       const std::vector<std::string>& self_reading_prefixes) {
  for (const auto& p : self_reading_prefixes)
    if (req.path.rfind(p, 0) == 0) return false;
  if (refuse_declared_over(req, res, kDefaultBodyMaxBytes)) return true;
  if (util::lower(req.get_header_value("Transfer-Encoding")).find("chunked") != std::string::npos) {
    res.set_header("Connection", "close");
    send_error(res, 411, "length_required", "send the body with a Content-Length");
    return true;
  }
  return false;
}

}  // namespace mlgate::server
