// The status pages' routes (docs/pages.md): GET /, /repos/{owner}/{name}, /pipelines/{id} (+ POST
// /pipelines/{id}/approve), /jobs/{id} (+ /jobs/{id}/log.txt), /deliveries, /login (form and POST),
// POST /logout, and the one stylesheet at /static/style.css. The pages themselves live in
// server/pages/*.cpp.
#include "server/pages/pages.h"

namespace mlgate::server::pages {

void register_page_routes(Router& http, const PageDeps& deps) {
  using Handler = void (*)(const PageDeps&, const httplib::Request&, httplib::Response&);
  auto bind = [deps](Handler h) {
    return [deps, h](const httplib::Request& q, httplib::Response& s) { h(deps, q, s); };
  };
  // Parses every template now: a broken one stops the server at start, not at the first visit.
  Page probe(nullptr, "probe", "message.tpl");

  http.get("/", bind(dashboard_page));
  // An environment's page before the repository's: that pattern would take
  // "environments/{env}" as part of a GitLab group path.
  http.get(R"(/repos/([A-Za-z0-9_.-]+(?:/[A-Za-z0-9_.-]+)+)/environments/([A-Za-z0-9_.-]{1,100}))",
           bind(environment_page));
  http.get(R"(/repos/([A-Za-z0-9_.-]+(?:/[A-Za-z0-9_.-]+)+))", bind(repo_page));
  http.get(R"(/pipelines/(\d{1,18}))", bind(pipeline_page));
  http.post(R"(/pipelines/(\d{1,18})/approve)", bind(approve_pipeline_form));
  http.get(R"(/jobs/(\d{1,18}))", bind(job_page));
  http.get(R"(/jobs/(\d{1,18})/log\.txt)", bind(job_log_text));
  http.get("/deliveries", bind(deliveries_page));
  http.get("/login", bind(login_form));
  http.post("/login", bind(login_submit));
  http.post("/logout", bind(logout));
  http.get("/static/style.css", [](const httplib::Request&, httplib::Response& res) {
    const auto css = web_file("style.css");
    res.set_header("Cache-Control", "public, max-age=300");
    res.set_content(std::string(css), "text/css; charset=utf-8");
  });
}

}  // namespace mlgate::server::pages
