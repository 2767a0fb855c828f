// Server-rendered status pages (docs/pages.md): dashboard, repository, pipeline,
// job and deliveries, rendered with ctemplate from templates/web/*.tpl (compiled into the binary)
// with HTML auto-escaping. This header holds what the page files share: authorisation of a page
// request, the page renderer and small formatting helpers.
#pragma once

#include <ctemplate/template.h>
#include <httplib.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "server/http/auth.h"
#include "server/http/router.h"
#include "util/strings.h"

namespace mlgate::store {
struct GateBadge;
}  // namespace mlgate::store

namespace mlgate::server::pages {

// A file of templates/web, embedded at build time (templates/web/embed.cmake).
struct EmbeddedFile {
  std::string_view name;  // "pipeline.tpl", "style.css"
  std::string_view text;
};
const std::vector<EmbeddedFile>& embedded_web_files();
// One embedded file's text; empty when there is none of that name.
std::string_view web_file(std::string_view name);

// The cookie holding a signed-in browser's API token (HttpOnly, SameSite=Strict).
inline constexpr const char* kTokenCookie = "mlgate_token";

struct PageCaller {
  Caller caller;
  bool signed_in_by_cookie = false;
  bool has_scope(const std::string& scope) const {
    return caller.token && caller.token->has_scope(scope);
  }
};

// Authorises a page like the API (server/http/auth.h): an `Authorization: Bearer` header, else the
// mlgate_token cookie, else anonymous when the server runs with --public-read (read scope only).
// On refusal answers an HTML page itself (401 with the sign-in form, or 403) and returns nullopt.
std::optional<PageCaller> authorize_page(const Authorizer& auth, const httplib::Request& req,
                                         httplib::Response& res, const std::string& scope = "read");
// The same for a page of one pipeline or job: the Authorizer's repository rule, a "Not found" page
// (404) for a resource that does not exist or is not the caller's to see.
std::optional<PageCaller> authorize_page(const Authorizer& auth, const httplib::Request& req,
                                         httplib::Response& res, const std::string& scope,
                                         const Resource& resource);

// What the pages use: the database (through store/page_views.h) and the one authorizer.
struct PageDeps {
  store::Database& db;
  const Authorizer& auth;
};
void register_page_routes(Router& http, const PageDeps& deps);

// A page being built: the layout's dictionary and the content template's, included into it.
class Page {
 public:
  Page(const PageCaller* caller, const std::string& title, const std::string& content_template);
  Page(const Page&) = delete;
  Page& operator=(const Page&) = delete;
  ctemplate::TemplateDictionary& content() { return *content_; }
  // <meta http-equiv="refresh"> every `seconds` (a running job's log).
  void refresh_every(int seconds);
  // Expands the layout and answers it as text/html with `status`.
  void send(httplib::Response& res, int status = 200);

 private:
  ctemplate::TemplateDictionary layout_;
  ctemplate::TemplateDictionary* content_;
};

// A page holding one message (not found, forbidden, signed out...), optionally with the sign-in
// form that returns to `next`.
void send_message(httplib::Response& res, const PageCaller* caller, int status,
                  const std::string& heading, const std::string& text, bool error,
                  bool login_form = false, const std::string& next = "/");

// Formatting shared by the pages.
std::string first_line(const std::string& text);  // up to the first newline, at most 120 chars
std::string format_duration(std::optional<double> seconds);  // "4.2s", "3m 05s", "2h 01m", "-"
std::string format_bytes(std::int64_t bytes);                // "812 B", "4.1 KiB", "2.0 MiB"
// "2024-05-01T10:11:12Z" (or Postgres' "2024-05-01 10:11:12.123+00") as "2024-05-01 10:11 UTC".
std::string format_time(const std::string& iso);
// The number as pages print it (core::format_number); "-" when absent.
std::string format_value(std::optional<double> value);
std::string repo_url(const std::string& full_name);
std::string environment_url(const std::string& full_name, const std::string& environment);
std::string pipeline_url(std::int64_t id);
// /repos/{full_name}/commits/{sha}/model-card (docs/model-cards.md).
std::string model_card_url(const std::string& full_name, const std::string& sha);
// A GATE section per environment's newest stored decision (linking to the decision on the
// pipeline's page), or NO_GATE without one.
void add_gate_badges(ctemplate::TemplateDictionary* d, const std::vector<store::GateBadge>& gates,
                     const std::string& pipeline_page);
std::string job_url(std::int64_t id);

// The page routes, one file each (pages/routes.cpp registers them with the login/logout routes and
// the stylesheet).
void dashboard_page(const PageDeps& deps, const httplib::Request& req, httplib::Response& res);
void repo_page(const PageDeps& deps, const httplib::Request& req, httplib::Response& res);
void environment_page(const PageDeps& deps, const httplib::Request& req, httplib::Response& res);
void pipeline_page(const PageDeps& deps, const httplib::Request& req, httplib::Response& res);
void approve_pipeline_form(const PageDeps& deps, const httplib::Request& req,
                           httplib::Response& res);
void job_page(const PageDeps& deps, const httplib::Request& req, httplib::Response& res);
void job_log_text(const PageDeps& deps, const httplib::Request& req, httplib::Response& res);
void deliveries_page(const PageDeps& deps, const httplib::Request& req, httplib::Response& res);
void login_form(const PageDeps& deps, const httplib::Request& req, httplib::Response& res);
void login_submit(const PageDeps& deps, const httplib::Request& req, httplib::Response& res);
void logout(const PageDeps& deps, const httplib::Request& req, httplib::Response& res);

}  // namespace mlgate::server::pages
