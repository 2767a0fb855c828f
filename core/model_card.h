// Model cards (docs/model-cards.md): what a repository says about its model in an optional
// `model_card.yml` (free text: details, intended use and users, data, caveats), joined with what
// mlgate knows of the commit (the metrics overall, per slice and per fairness group with their
// intervals, the gate decisions, the ML Test Score, the pipeline that trained and evaluated it, the
// reference data's profile, its deployments). Pure: parsed from text, filled from the gate's JSON
// answers and the caller's rows, rendered as Markdown (`mlgate model-card`) and JSON (the API);
// the page renders the same value as HTML.
#pragma once

#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/parse_error.h"

namespace mlgate::core {

inline constexpr std::string_view kModelCardPath = "model_card.yml";
inline constexpr std::size_t kModelCardMaxBytes = 64 * 1024;
inline constexpr std::size_t kModelCardMaxText = 8 * 1024;  // per text field
inline constexpr std::size_t kModelCardMaxItems = 50;       // per list, each item 200 bytes

// The keys of model_card.yml (all optional; any other key is an error).
struct ModelCardFile {
  std::string name;
  std::string version;
  std::string license;
  std::string model_details;
  std::string intended_use;
  std::vector<std::string> intended_users;
  std::vector<std::string> owners;
  std::string data;
  std::string caveats;
  std::string ethical_considerations;
};

// A mapping of those keys to strings (lists of strings for intended_users and owners). Refused,
// with the line and column: not a mapping, an unknown or repeated key, a value of the wrong
// shape, anchors and aliases, more than one document, a text over kModelCardMaxText, a list over
// kModelCardMaxItems, a file over kModelCardMaxBytes.
Parsed<ModelCardFile> parse_model_card(std::string_view yaml);

struct ModelCardMetric {
  std::string kind;  // metric, slice, fairness
  std::string name;  // "accuracy", "recall[age_group=<30]", "fpr[sex=female vs male]"
  std::optional<double> value;
  std::optional<double> baseline;
  std::optional<std::pair<double, double>> interval;  // of the value
  std::optional<std::int64_t> n;
  std::string status;  // the gate's verdict on it
};

struct ModelCardGate {
  std::string environment;
  std::string decision;  // allow, deny, pending, error
  std::string summary;
};

struct ModelCardRun {
  std::int64_t pipeline_id = 0;
  std::string state;
  std::string trigger;
  std::string branch;
  std::string created_at;
  std::vector<std::pair<std::string, std::string>> tiers;  // tier, job state
};

struct ModelCardReference {
  std::uint64_t rows = 0;
  std::vector<std::string> features;  // names, sorted
};

struct ModelCardDeployment {
  std::int64_t id = 0;
  std::string environment;
  std::string kind;  // deploy | rollback
  std::string created_at;
};

struct ModelCard {
  std::string repo;
  std::string sha;
  bool file_present = false;
  std::optional<ModelCardFile> file;
  std::string file_error;  // "model_card.yml:3:5: …" when it exists but cannot be used
  std::vector<ModelCardMetric> metrics;
  std::vector<ModelCardGate> gates;
  std::optional<double> rubric_score;
  std::string rubric_band;
  std::vector<std::pair<std::string, double>> rubric_sections;
  std::optional<ModelCardRun> run;
  std::optional<ModelCardReference> reference;
  std::vector<ModelCardDeployment> deployments;
};

// Adds one environment's gate answer (the gate API's JSON; `error` when it could not be
// evaluated): its decision, its metric, slice and fairness checks (a check already on the card
// from another environment is not added twice) and, from the first answer, the rubric.
void add_gate_answer(ModelCard& card, const std::string& environment, const nlohmann::json& answer,
                     const std::string& error = "");

// The card as Markdown: every text from the repository escaped (core/pr_report.h markdown_inline).
std::string model_card_markdown(const ModelCard& card);
// The card as the API's JSON.
nlohmann::json model_card_json(const ModelCard& card);

}  // namespace mlgate::core
