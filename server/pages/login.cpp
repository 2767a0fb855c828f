// Who may see a page (docs/pages.md, "Auth"): the API's bearer tokens, from the Authorization
// header (scripts) or from the mlgate_token cookie that the sign-in form sets (browsers);
// anonymous readers only with --public-read. Sign in and sign out.
#include <nlohmann/json.hpp>

#include "server/pages/pages.h"
#include "util/strings.h"

namespace mlgate::server::pages {
namespace {

std::string cookie_value(const httplib::Request& req, const std::string& name) {
  const std::string header = req.get_header_value("Cookie");
  std::size_t pos = 0;
  while (pos <= header.size()) {
    auto end = header.find(';', pos);
    if (end == std::string::npos) end = header.size();
    const std::string part(util::trim(std::string_view(header).substr(pos, end - pos), " \t"));
    if (part.size() > name.size() && part.compare(0, name.size() + 1, name + "=") == 0)
      return part.substr(name.size() + 1);
    pos = end + 1;
  }
  return "";
}

// Only a path on this server: "/x", never "//host" or "/\host" (an open redirect otherwise).
std::string safe_next(const std::string& next) {
  if (next.empty() || next[0] != '/' || (next.size() > 1 && (next[1] == '/' || next[1] == '\\')))
    return "/";
  for (char c : next)
    if (static_cast<unsigned char>(c) < 0x20) return "/";
  return next;
}

std::string cookie_attributes(const httplib::Request& req) {
  std::string attrs = "; Path=/; HttpOnly; SameSite=Strict";
  if (req.get_header_value("X-Forwarded-Proto") == "https") attrs += "; Secure";
  return attrs;
}

std::string error_message(const httplib::Response& scratch) {
  auto body = nlohmann::json::parse(scratch.body, nullptr, false);
  if (body.is_object() && body.contains("error") && body["error"].contains("message"))
    return body["error"]["message"].get<std::string>();
  return "not allowed";
}

std::string target_of(const httplib::Request& req) {
  std::string target = req.path;
  std::string query;
  for (const auto& [k, v] : req.params)
    query += (query.empty() ? "?" : "&") + httplib::detail::encode_query_param(k) + "=" +
             httplib::detail::encode_query_param(v);
  return target + query;
}

}  // namespace

namespace {

// The request authorize() reads: only the Authorization header, built from the cookie when the
// request has none. Sets `by_cookie` when the token came from the cookie.
httplib::Request probe_of(const httplib::Request& req, bool& by_cookie) {
  httplib::Request probe;
  probe.path = req.path;
  probe.remote_addr = req.remote_addr;
  by_cookie = false;
  const std::string header = req.get_header_value("Authorization");
  const std::string cookie = cookie_value(req, kTokenCookie);
  if (!header.empty()) {
    probe.headers.emplace("Authorization", header);
  } else if (!cookie.empty()) {
    probe.headers.emplace("Authorization", "Bearer " + cookie);
    by_cookie = true;
  }
  return probe;
}

// Answers the Authorizer's refusal (in `scratch`) as a page.
void send_refusal(const Authorizer& auth, const httplib::Request& req, httplib::Response& res,
                  const std::string& scope, const httplib::Response& scratch, bool by_cookie) {
  if (scratch.status == 403) {
    send_message(res, nullptr, 403, "Forbidden", error_message(scratch), true);
    return;
  }
  std::string why = error_message(scratch);
  if (req.get_header_value("Authorization").empty() && cookie_value(req, kTokenCookie).empty())
    why = auth.public_read() && scope != "read"
              ? "This page needs a token with the '" + scope + "' scope."
              : "This mlgate server needs an API token to show its pages.";
  if (by_cookie)
    res.set_header("Set-Cookie",
                   std::string(kTokenCookie) + "=" + cookie_attributes(req) + "; Max-Age=0");
  res.set_header("WWW-Authenticate", "Bearer");
  send_message(res, nullptr, 401, "Sign in", why, true, true, target_of(req));
}

}  // namespace

std::optional<PageCaller> authorize_page(const Authorizer& auth, const httplib::Request& req,
                                         httplib::Response& res, const std::string& scope) {
  bool by_cookie = false;
  const httplib::Request probe = probe_of(req, by_cookie);
  httplib::Response scratch;
  if (auto caller = auth.authorize(probe, scratch, scope)) return PageCaller{*caller, by_cookie};
  send_refusal(auth, req, res, scope, scratch, by_cookie);
  return std::nullopt;
}

std::optional<PageCaller> authorize_page(const Authorizer& auth, const httplib::Request& req,
                                         httplib::Response& res, const std::string& scope,
                                         const Resource& resource) {
  auto caller = authorize_page(auth, req, res, scope);
  if (!caller) return std::nullopt;
  if (!auth.may_access(caller->caller, resource)) {
    std::string text = "No " + describe(resource) + ".";
    send_message(res, &*caller, 404, "Not found", text, true);
    return std::nullopt;
  }
  return caller;
}

void login_form(const PageDeps&, const httplib::Request& req, httplib::Response& res) {
  send_message(res, nullptr, 200, "Sign in", "Sign in with an API token.", false, true,
               safe_next(req.get_param_value("next")));
}

void login_submit(const PageDeps& deps, const httplib::Request& req, httplib::Response& res) {
  const std::string token(util::trim(req.get_param_value("token"), " \t"));
  const std::string next = safe_next(req.get_param_value("next"));
  std::optional<store::ApiToken> found;
  if (!token.empty() && token.size() <= 200 &&
      token.find_first_of(";,\r\n \t\"\\") == std::string::npos) {
    found = deps.auth.find_token(token);
  }
  if (!found || !found->has_scope("read")) {
    send_message(res, nullptr, 401, "Sign in",
                 found ? "That token cannot read (its scopes are for runners only)."
                       : "Unknown, revoked or expired token.",
                 true, true, next);
    return;
  }
  res.set_header("Set-Cookie", std::string(kTokenCookie) + "=" + token + cookie_attributes(req));
  res.set_redirect(next, 303);
}

void logout(const PageDeps&, const httplib::Request& req, httplib::Response& res) {
  res.set_header("Set-Cookie",
                 std::string(kTokenCookie) + "=" + cookie_attributes(req) + "; Max-Age=0");
  res.set_redirect("/", 303);
}

}  // namespace mlgate::server::pages
