// The status pages' routes (docs/pages.md): GET /, /repos/{owner}/{name}, /pipelines/{id},
// /jobs/{id} (+ /jobs/{id}/log.txt), /deliveries, /login (form and POST), POST /logout, and the one
// stylesheet at /static/style.css. The pages themselves live in server/pages_*.cpp.
#include "server/app.h"
#include "server/pages.h"

namespace mlgate::server {

void register_page_routes(App& app) {
  using Handler = void (*)(App&, const httplib::Request&, httplib::Response&);
  auto& http = app.http();
  auto bind = [&app](Handler h) {
    return [&app, h](const httplib::Request& q, httplib::Response& s) { h(app, q, s); };
  };
  // Parses every template now: a broken one stops the server at start, not at the first visit.
  pages::Page probe(nullptr, "probe", "message.tpl");

  http.Get("/", bind(pages::dashboard_page));
  http.Get(R"(/repos/([A-Za-z0-9_.-]+(?:/[A-Za-z0-9_.-]+)+))", bind(pages::repo_page));
  http.Get(R"(/pipelines/(\d{1,18}))", bind(pages::pipeline_page));
  http.Get(R"(/jobs/(\d{1,18}))", bind(pages::job_page));
  http.Get(R"(/jobs/(\d{1,18})/log\.txt)", bind(pages::job_log_text));
  http.Get("/deliveries", bind(pages::deliveries_page));
  http.Get("/login", bind(pages::login_form));
  http.Post("/login", bind(pages::login_submit));
  http.Post("/logout", bind(pages::logout));
  http.Get("/static/style.css", [](const httplib::Request&, httplib::Response& res) {
    const auto css = pages::web_file("style.css");
    res.set_header("Cache-Control", "public, max-age=300");
    res.set_content(std::string(css), "text/css; charset=utf-8");
  });
}

}  // namespace mlgate::server
