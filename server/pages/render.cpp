// The page renderer: the embedded templates registered once with ctemplate's cache, the layout
// around every page, message pages, and the formatting helpers the page files share.
#include <cmath>
#include <cstdio>
#include <mutex>
#include <stdexcept>

#include "core/trend_svg.h"
#include "server/pages/pages.h"
#include "store/page_views.h"

namespace mlgate::server::pages {
namespace {

constexpr auto kStrip = ctemplate::STRIP_BLANK_LINES;

// Registers every embedded .tpl once; a template ctemplate cannot parse is a build defect, so it
// throws (the server then refuses to start, and every page test fails at once).
void load_templates() {
  static std::once_flag once;
  std::call_once(once, [] {
    for (const auto& f : embedded_web_files()) {
      if (f.name.size() < 4 || f.name.substr(f.name.size() - 4) != ".tpl") continue;
      const std::string name(f.name);
      if (!ctemplate::StringToTemplateCache(name, std::string(f.text), kStrip))
        throw std::runtime_error("templates/web/" + name + " does not parse (ctemplate)");
    }
  });
}

std::string caller_label(const PageCaller* caller) {
  if (!caller) return "";
  if (!caller->caller.token) return "anonymous (public read)";
  return "signed in: " + caller->caller.token->name;
}

}  // namespace

std::string_view web_file(std::string_view name) {
  for (const auto& f : embedded_web_files())
    if (f.name == name) return f.text;
  return {};
}

Page::Page(const PageCaller* caller, const std::string& title, const std::string& content_template)
    : layout_("layout") {
  load_templates();
  layout_.SetValue("TITLE", title);
  layout_.SetValue("CALLER", caller_label(caller));
  if (caller && caller->has_scope("admin")) layout_.ShowSection("DELIVERIES_LINK");
  if (caller && caller->signed_in_by_cookie)
    layout_.ShowSection("SIGN_OUT");
  else if (!caller || !caller->caller.token)
    layout_.ShowSection("SIGN_IN");
  content_ = layout_.AddIncludeDictionary("CONTENT");
  content_->SetFilename(content_template);
}

void Page::refresh_every(int seconds) {
  layout_.AddSectionDictionary("REFRESH")->SetIntValue("SECONDS", seconds);
}

void Page::send(httplib::Response& res, int status) {
  std::string html;
  if (!ctemplate::ExpandTemplate("layout.tpl", kStrip, &layout_, &html))
    throw std::runtime_error("rendering the page failed (ctemplate)");
  res.status = status;
  res.set_header("Cache-Control", "no-store");
  res.set_header("X-Content-Type-Options", "nosniff");
  // No script runs on these pages, ever: a stored <script> could not run even if it slipped out.
  res.set_header("Content-Security-Policy",
                 "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
                 "frame-ancestors 'none'; base-uri 'none'");
  res.set_content(html, "text/html; charset=utf-8");
}

void send_message(httplib::Response& res, const PageCaller* caller, int status,
                  const std::string& heading, const std::string& text, bool error, bool login_form,
                  const std::string& next) {
  Page page(caller, heading, "message.tpl");
  auto& c = page.content();
  c.SetValue("HEADING", heading);
  c.SetValue("TEXT", text);
  if (error) c.ShowSection("IS_ERROR");
  if (login_form)
    c.AddSectionDictionary("LOGIN_FORM")->SetValue("NEXT", next);
  else
    c.ShowSection("BACK");
  page.send(res, status);
}

std::string first_line(const std::string& text) {
  std::string line = text.substr(0, text.find('\n'));
  if (line.size() > 120) line = line.substr(0, 117) + "...";
  return line;
}

std::string format_duration(std::optional<double> seconds) {
  if (!seconds || !std::isfinite(*seconds) || *seconds < 0) return "-";
  char buf[32];
  const double s = *seconds;
  if (s < 60) {
    std::snprintf(buf, sizeof buf, "%.1fs", s);
  } else if (s < 3600) {
    const long t = std::lround(s);
    std::snprintf(buf, sizeof buf, "%ldm %02lds", t / 60, t % 60);
  } else {
    const long t = std::lround(s);
    std::snprintf(buf, sizeof buf, "%ldh %02ldm", t / 3600, (t % 3600) / 60);
  }
  return buf;
}

std::string format_bytes(std::int64_t bytes) {
  char buf[32];
  if (bytes < 1024) {
    std::snprintf(buf, sizeof buf, "%lld B", static_cast<long long>(bytes));
  } else if (bytes < (1 << 20)) {
    std::snprintf(buf, sizeof buf, "%.1f KiB", static_cast<double>(bytes) / 1024);
  } else {
    std::snprintf(buf, sizeof buf, "%.1f MiB", static_cast<double>(bytes) / (1 << 20));
  }
  return buf;
}

std::string format_time(const std::string& iso) {
  if (iso.size() < 16) return iso;
  return iso.substr(0, 10) + " " + iso.substr(11, 5) + " UTC";
}

std::string format_value(std::optional<double> value) {
  return value ? core::format_number(*value) : "-";
}

std::string repo_url(const std::string& full_name) {
  return "/repos/" + full_name;
}
std::string environment_url(const std::string& full_name, const std::string& environment) {
  return repo_url(full_name) + "/environments/" + environment;
}
void add_gate_badges(ctemplate::TemplateDictionary* d, const std::vector<store::GateBadge>& gates,
                     const std::string& pipeline_page) {
  if (gates.empty()) d->ShowSection("NO_GATE");
  for (const auto& g : gates) {
    auto* b = d->AddSectionDictionary("GATE");
    b->SetValue("ENVIRONMENT", g.environment);
    b->SetValue("DECISION", g.decision);
    b->SetValue("URL", pipeline_page + "#gate-" + g.environment);
  }
}

std::string pipeline_url(std::int64_t id) {
  return "/pipelines/" + std::to_string(id);
}
std::string model_card_url(const std::string& full_name, const std::string& sha) {
  return repo_url(full_name) + "/commits/" + sha + "/model-card";
}
std::string job_url(std::int64_t id) {
  return "/jobs/" + std::to_string(id);
}

}  // namespace mlgate::server::pages
