#include "server/http/request_adapter.h"

#include <boost/beast/http/field.hpp>

#include "server/http/http_util.h"
#include "util/strings.h"

namespace mlgate::server {

namespace http = boost::beast::http;

void fill_request(const http::request_header<>& header,
                  const boost::asio::ip::tcp::endpoint& remote,
                  const boost::asio::ip::tcp::endpoint& local, httplib::Request& req) {
  req.method = std::string(header.method_string());
  req.target = std::string(header.target());
  req.version = header.version() == 10 ? "HTTP/1.0" : "HTTP/1.1";
  const auto question = req.target.find('?');
  req.path = httplib::detail::decode_url(req.target.substr(0, question), false);
  if (question != std::string::npos)
    httplib::detail::parse_query_text(req.target.substr(question + 1), req.params);
  for (const auto& field : header)
    req.headers.emplace(std::string(field.name_string()), std::string(field.value()));
  req.remote_addr = remote.address().to_string();
  req.remote_port = remote.port();
  req.local_addr = local.address().to_string();
  req.local_port = local.port();
}

void add_form_params(httplib::Request& req) {
  const auto type = util::lower(req.get_header_value("Content-Type"));
  if (type.rfind("application/x-www-form-urlencoded", 0) == 0)
    httplib::detail::parse_query_text(req.body, req.params);
}

bool asks_close(const httplib::Response& res) {
  return util::lower(res.get_header_value("Connection")) == "close";
}

http::response<http::string_body> to_beast_response(httplib::Response& res, bool head,
                                                    bool keep_alive, unsigned version) {
  http::response<http::string_body> out;
  out.version(version);
  out.result(static_cast<unsigned>(res.status));
  for (const auto& [name, value] : res.headers) {
    const auto lowered = util::lower(name);
    if (lowered == "content-length" || lowered == "connection") continue;
    out.insert(name, value);
  }
  out.content_length(res.body.size());
  if (!head) out.body() = std::move(res.body);
  out.keep_alive(keep_alive);
  return out;
}

http::response<http::string_body> bare_response(int status, const std::string& code,
                                                const std::string& message) {
  httplib::Response res;
  send_error(res, status, code, message);
  return to_beast_response(res, false, false, 11);
}

}  // namespace mlgate::server
