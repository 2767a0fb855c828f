#include "core/model_card.h"

#include <cmath>
#include <sstream>

#include "core/json_fields.h"
#include "core/pr_report.h"
#include "util/strings.h"

namespace mlgate::core {
namespace {

using nlohmann::json;

std::string show(std::optional<double> v) {
  if (!v) return "-";
  if (!std::isfinite(*v)) return std::isnan(*v) ? "NaN" : (*v > 0 ? "inf" : "-inf");
  std::ostringstream s;
  s.precision(4);
  s << *v;
  return s.str();
}

std::string interval_text(const ModelCardMetric& m) {
  if (!m.interval) return "-";
  return "[" + show(m.interval->first) + ", " + show(m.interval->second) + "]";
}

ModelCardMetric metric_of(const json& c) {
  ModelCardMetric m;
  m.kind = json_string(c, "kind");
  m.name = json_string(c, "name");
  m.value = json_number(c, "value");
  m.baseline = json_number(c, "baseline");
  m.status = json_string(c, "status");
  if (c.contains("interval") && c["interval"].is_array() && c["interval"].size() == 2 &&
      c["interval"][0].is_number() && c["interval"][1].is_number())
    m.interval = {c["interval"][0].get<double>(), c["interval"][1].get<double>()};
  if (c.contains("n") && c["n"].is_number_integer()) m.n = c["n"].get<std::int64_t>();
  return m;
}

// Free text as Markdown paragraphs: each line escaped, blank lines kept.
std::string paragraphs(const std::string& s) {
  std::string out;
  std::size_t at = 0;
  while (at <= s.size()) {
    auto end = s.find('\n', at);
    if (end == std::string::npos) end = s.size();
    out += markdown_inline(std::string_view(s).substr(at, end - at), kModelCardMaxText) + "\n";
    at = end + 1;
  }
  return out;
}

void section(std::string& out, const std::string& title, const std::string& body) {
  if (body.empty()) return;
  out += "## " + title + "\n\n" + paragraphs(body) + "\n";
}

void list_section(std::string& out, const std::string& title, const std::vector<std::string>& v) {
  if (v.empty()) return;
  out += "## " + title + "\n\n";
  for (const auto& item : v) out += "- " + markdown_inline(item, 200) + "\n";
  out += "\n";
}

void file_sections(const ModelCard& c, std::string& out) {
  if (!c.file_error.empty()) {
    out += "⚠️ " + markdown_inline(c.file_error, 600) + "\n\n";
  } else if (!c.file_present) {
    out +=
        "The repository has no `model_card.yml` at this commit: what follows is what mlgate "
        "knows.\n\n";
  }
  if (!c.file) return;
  const auto& f = *c.file;
  if (!f.version.empty() || !f.license.empty())
    out += "Version " + markdown_inline(f.version.empty() ? "-" : f.version, 100) + " · license " +
           markdown_inline(f.license.empty() ? "-" : f.license, 100) + "\n\n";
  section(out, "Model details", f.model_details);
  section(out, "Intended use", f.intended_use);
  list_section(out, "Intended users", f.intended_users);
  list_section(out, "Owners", f.owners);
  section(out, "Data", f.data);
  section(out, "Caveats and recommendations", f.caveats);
  section(out, "Ethical considerations", f.ethical_considerations);
}

void known_sections(const ModelCard& c, std::string& out) {
  out += "## Evaluation\n\n";
  if (c.metrics.empty()) out += "No metric was judged by a gate.\n\n";
  if (!c.metrics.empty()) {
    out +=
        "| kind | metric | value | interval | n | baseline | status |\n"
        "|---|---|---|---|---|---|---|\n";
    for (const auto& m : c.metrics)
      out += "| " + markdown_inline(m.kind, 20) + " | " + markdown_inline(m.name) + " | " +
             show(m.value) + " | " + interval_text(m) + " | " + (m.n ? std::to_string(*m.n) : "-") +
             " | " + show(m.baseline) + " | " + markdown_inline(m.status, 20) + " |\n";
    out += "\n";
  }
  out += "## Gate decisions\n\n";
  if (c.gates.empty()) out += "No gate is declared.\n";
  for (const auto& g : c.gates)
    out += "- " + markdown_inline(g.environment, 100) + ": **" + markdown_inline(g.decision, 20) +
           "** — " + markdown_inline(g.summary, 400) + "\n";
  out += "\n";
  if (c.rubric_score) {
    out +=
        "## ML Test Score\n\n" + show(c.rubric_score) + " (" + markdown_inline(c.rubric_band) + ")";
    std::string parts;
    for (const auto& [name, v] : c.rubric_sections)
      parts += (parts.empty() ? "" : ", ") + markdown_inline(name, 20) + " " + show(v);
    out += (parts.empty() ? "" : ": " + parts) + "\n\n";
  }
}

void provenance_sections(const ModelCard& c, std::string& out) {
  out += "## Training and evaluation run\n\n";
  if (!c.run) {
    out += "No pipeline ran for this commit.\n\n";
  } else {
    out += "Pipeline " + std::to_string(c.run->pipeline_id) + " (" +
           markdown_inline(c.run->trigger, 20) + " on " + markdown_inline(c.run->branch, 100) +
           ", " + markdown_inline(c.run->created_at, 40) + "): **" +
           markdown_inline(c.run->state, 20) + "**\n\n";
    for (const auto& [tier, state] : c.run->tiers)
      out += "- " + markdown_inline(tier, 100) + ": " + markdown_inline(state, 20) + "\n";
    out += "\n";
  }
  out += "## Reference data\n\n";
  if (!c.reference) {
    out += "No reference profile was recorded for this commit.\n\n";
  } else {
    std::string names;
    for (std::size_t i = 0; i < c.reference->features.size() && i < 30; ++i)
      names += (i ? ", " : "") + markdown_inline(c.reference->features[i], 100);
    if (c.reference->features.size() > 30)
      names += ", … (" + std::to_string(c.reference->features.size() - 30) + " more)";
    out += std::to_string(c.reference->rows) + " rows, " +
           std::to_string(c.reference->features.size()) + " features: " + names + "\n\n";
  }
  out += "## Deployments\n\n";
  if (c.deployments.empty()) out += "This commit was never deployed.\n";
  for (const auto& d : c.deployments)
    out += "- " + markdown_inline(d.environment, 100) + ": " + markdown_inline(d.kind, 20) +
           " at " + markdown_inline(d.created_at, 40) + "\n";
}

}  // namespace

void add_gate_answer(ModelCard& card, const std::string& environment, const json& answer,
                     const std::string& error) {
  if (!error.empty()) {
    card.gates.push_back({environment, "error", error});
    return;
  }
  card.gates.push_back(
      {environment, json_string(answer, "decision"), json_string(answer, "summary")});
  if (answer.contains("checks") && answer["checks"].is_array()) {
    for (const auto& c : answer["checks"]) {
      const auto kind = json_string(c, "kind");
      if (kind != "metric" && kind != "slice" && kind != "fairness") continue;
      auto m = metric_of(c);
      bool seen = false;
      for (const auto& e : card.metrics) seen = seen || (e.kind == m.kind && e.name == m.name);
      if (!seen) card.metrics.push_back(std::move(m));
    }
  }
  const json rubric = answer.is_object() ? answer.value("rubric", json()) : json();
  if (!card.rubric_score && rubric.is_object() && rubric.contains("score") &&
      rubric["score"].is_number()) {
    card.rubric_score = rubric["score"].get<double>();
    card.rubric_band = json_string(rubric, "band");
    if (rubric.contains("sections") && rubric["sections"].is_object())
      for (auto it = rubric["sections"].begin(); it != rubric["sections"].end(); ++it)
        if (it.value().is_number()) card.rubric_sections.push_back({it.key(), it.value()});
  }
}

std::string model_card_markdown(const ModelCard& c) {
  const std::string title = c.file && !c.file->name.empty() ? c.file->name : c.repo;
  std::string out = "# Model card: " + markdown_inline(title, 200) + "\n\n" +
                    markdown_inline(c.repo, 200) + " at `" + util::short_sha(c.sha) + "`\n\n";
  file_sections(c, out);
  known_sections(c, out);
  provenance_sections(c, out);
  return out;
}

json model_card_json(const ModelCard& c) {
  json out = {{"repo", c.repo}, {"sha", c.sha}, {"file_present", c.file_present}};
  if (!c.file_error.empty()) out["file_error"] = c.file_error;
  if (c.file) {
    const auto& f = *c.file;
    out["card"] = {{"name", f.name},
                   {"version", f.version},
                   {"license", f.license},
                   {"model_details", f.model_details},
                   {"intended_use", f.intended_use},
                   {"intended_users", f.intended_users},
                   {"owners", f.owners},
                   {"data", f.data},
                   {"caveats", f.caveats},
                   {"ethical_considerations", f.ethical_considerations}};
  }
  out["metrics"] = json::array();
  for (const auto& m : c.metrics) {
    json j = {{"kind", m.kind}, {"name", m.name}, {"status", m.status}};
    j["value"] = m.value ? json(*m.value) : json();
    j["baseline"] = m.baseline ? json(*m.baseline) : json();
    j["interval"] = m.interval ? json::array({m.interval->first, m.interval->second}) : json();
    j["n"] = m.n ? json(*m.n) : json();
    out["metrics"].push_back(j);
  }
  out["gates"] = json::array();
  for (const auto& g : c.gates)
    out["gates"].push_back(
        {{"environment", g.environment}, {"decision", g.decision}, {"summary", g.summary}});
  out["rubric"] =
      c.rubric_score ? json{{"score", *c.rubric_score}, {"band", c.rubric_band}} : json();
  if (c.run)
    out["run"] = {{"pipeline_id", c.run->pipeline_id}, {"state", c.run->state},
                  {"trigger", c.run->trigger},         {"branch", c.run->branch},
                  {"created_at", c.run->created_at},   {"tiers", c.run->tiers}};
  if (c.reference)
    out["reference"] = {{"rows", c.reference->rows}, {"features", c.reference->features}};
  out["deployments"] = json::array();
  for (const auto& d : c.deployments)
    out["deployments"].push_back({{"id", d.id},
                                  {"environment", d.environment},
                                  {"kind", d.kind},
                                  {"created_at", d.created_at}});
  out["markdown"] = model_card_markdown(c);
  return out;
}

}  // namespace mlgate::core
