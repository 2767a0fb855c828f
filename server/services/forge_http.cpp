#include "server/services/forge_http.h"

#include <httplib.h>

#include "util/url.h"

namespace mlgate::server {

ForgeAnswer forge_http(const std::string& method, const std::string& url, const std::string& body,
                       const HeaderList& headers, int connect_timeout_seconds,
                       int read_timeout_seconds) {
  ForgeAnswer a;
  const auto split = util::split_http_url(url);
  if (!split) {
    a.error = "not an http(s) URL";
    return a;
  }
  httplib::Client client(split->origin);
  client.set_connection_timeout(connect_timeout_seconds);
  client.set_read_timeout(read_timeout_seconds);
  client.set_write_timeout(read_timeout_seconds);
  httplib::Headers h;
  for (const auto& [k, v] : headers) h.emplace(k, v);
  const std::string path = split->rest.empty() ? "/" : split->rest;
  auto res = [&] {
    if (method == "GET") return client.Get(path.c_str(), h);
    if (method == "PATCH") return client.Patch(path.c_str(), h, body, "application/json");
    if (method == "PUT") return client.Put(path.c_str(), h, body, "application/json");
    return client.Post(path.c_str(), h, body, "application/json");
  }();
  if (!res) {
    a.error = httplib::to_string(res.error());
    return a;
  }
  a.status = res->status;
  if (a.status < 200 || a.status >= 300)
    a.error = res->body.substr(0, 500);
  else
    a.body = res->body;
  if (res->has_header("Retry-After")) a.retry_after = res->get_header_value("Retry-After");
  if (res->has_header("X-RateLimit-Remaining"))
    a.ratelimit_remaining = res->get_header_value("X-RateLimit-Remaining");
  return a;
}

}  // namespace mlgate::server
