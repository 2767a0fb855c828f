#include "core/model_card.h"

#include <gtest/gtest.h>

namespace mlgate::core {
namespace {

using nlohmann::json;

TEST(ModelCardParse, ReadsEveryKey) {
  auto card = parse_model_card(R"(name: Churn model
version: "2.1"
license: Apache-2.0
model_details: |
  Gradient-boosted trees.
  Trained weekly.
intended_use: Ranking accounts for retention calls.
intended_users: [retention team, analysts]
owners:
  - ml-platform@example.com
data: Twelve months of account events.
caveats: Not for credit decisions.
ethical_considerations:
)");
  ASSERT_TRUE(card.ok()) << card.error().to_string();
  EXPECT_EQ(card->name, "Churn model");
  EXPECT_EQ(card->version, "2.1");
  EXPECT_EQ(card->model_details, "Gradient-boosted trees.\nTrained weekly.\n");
  EXPECT_EQ(card->intended_users, (std::vector<std::string>{"retention team", "analysts"}));
  EXPECT_EQ(card->owners, (std::vector<std::string>{"ml-platform@example.com"}));
  EXPECT_EQ(card->caveats, "Not for credit decisions.");
  EXPECT_EQ(card->ethical_considerations, "");
  EXPECT_TRUE(parse_model_card("").ok());
}

void expect_error(std::string_view yaml, int line, int column, const std::string& words) {
  auto card = parse_model_card(yaml);
  ASSERT_FALSE(card.ok()) << yaml;
  if (line) {
    EXPECT_EQ(card.error().line, line) << card.error().to_string();
  }
  if (column) {
    EXPECT_EQ(card.error().column, column) << card.error().to_string();
  }
  EXPECT_NE(card.error().message.find(words), std::string::npos) << card.error().to_string();
  EXPECT_EQ(card.error().to_string().rfind("model_card.yml:", 0), 0u);
}

TEST(ModelCardParse, ErrorsSayWhereAndWhy) {
  expect_error("name: a\ncolour: blue\n", 2, 1, "unknown key 'colour'");
  expect_error("name: a\nname: b\n", 2, 1, "appears twice");
  expect_error("name: [a, b]\n", 1, 7, "name must be text, not a list");
  expect_error("owners: someone\n", 1, 9, "owners must be a list of text");
  expect_error("data:\n  source: x\n", 2, 3, "data must be text, not a mapping");
  expect_error("- a\n- b\n", 1, 1, "a list is not allowed here");
  expect_error("just text\n", 1, 1, "must be a mapping");
  expect_error("name: a: b\n", 0, 0, "");
  expect_error("name: a\n---\nname: b\n", 2, 0, "one YAML document");
  expect_error("owners: [[deep]]\n", 1, 10, "an item of owners must be text, not a list");
  expect_error("owners:\n  - {a: b}\n", 2, 5, "an item of owners must be text, not a mapping");
}

TEST(ModelCardParse, HostileYamlIsRefusedQuickly) {
  expect_error("name: &x lol\ncaveats: *x\n", 1, 0, "anchors and aliases");
  std::string laughs = "l0: &l0 [lol, lol]\n";
  for (int i = 1; i < 30; ++i)
    laughs += "l" + std::to_string(i) + ": &l" + std::to_string(i) + " [*l" +
              std::to_string(i - 1) + ", *l" + std::to_string(i - 1) + "]\n";
  EXPECT_FALSE(parse_model_card(laughs).ok());
  EXPECT_FALSE(parse_model_card(std::string(20000, '[')).ok());
  // Inputs yaml-cpp may not advance past: they return (whatever they say).
  (void)parse_model_card(",");
  (void)parse_model_card("name: a\n}\n");
  auto big = parse_model_card("data: " + std::string(kModelCardMaxBytes, 'x'));
  ASSERT_FALSE(big.ok());
  EXPECT_NE(big.error().message.find("over 64 KiB"), std::string::npos);
  auto text = parse_model_card("data: " + std::string(kModelCardMaxText + 1, 'x'));
  ASSERT_FALSE(text.ok());
  EXPECT_NE(text.error().message.find("data is over 8192 bytes"), std::string::npos);
  std::string many = "owners:\n";
  for (std::size_t i = 0; i <= kModelCardMaxItems; ++i) many += "  - o" + std::to_string(i) + "\n";
  auto items = parse_model_card(many);
  ASSERT_FALSE(items.ok());
  EXPECT_NE(items.error().message.find("more than 50 items"), std::string::npos);
}

ModelCard sample() {
  ModelCard c;
  c.repo = "acme/model";
  c.sha = "0123456789abcdef0123456789abcdef01234567";
  c.file_present = true;
  c.file = *parse_model_card(
      "name: Churn [model](https://evil.example)\nintended_use: |\n  "
      "Ranking.\n\n  # not a heading\ncaveats: <b>@octocat</b>\n");
  json answer = {
      {"decision", "allow"},
      {"summary", "allow: 2 checks passed"},
      {"checks", json::array({{{"kind", "metric"},
                               {"name", "accuracy"},
                               {"status", "pass"},
                               {"value", 0.93},
                               {"interval", {0.91, 0.95}},
                               {"n", 812}},
                              {{"kind", "fairness"},
                               {"name", "fpr[sex=female vs male]"},
                               {"status", "pass"},
                               {"value", 1.05}},
                              {{"kind", "tier"}, {"name", "functionality"}, {"status", "pass"}}})},
      {"rubric", {{"score", 1.5}, {"band", "some"}, {"sections", {{"data", 2}}}}}};
  add_gate_answer(c, "production", answer);
  add_gate_answer(c, "staging", answer);
  add_gate_answer(c, "canary", json(), "the config has no gate for canary");
  c.run = ModelCardRun{7, "passed", "push", "main", "2026-12-01T10:00:00Z", {{"train", "passed"}}};
  c.reference = ModelCardReference{1000, {"age", "income"}};
  c.deployments = {{3, "production", "deploy", "2026-12-02T10:00:00Z"}};
  return c;
}

TEST(ModelCard, JoinsTheFileWithWhatMlgateKnows) {
  const auto c = sample();
  ASSERT_EQ(c.metrics.size(), 2u);  // no duplicates from the second environment, no tier check
  ASSERT_EQ(c.gates.size(), 3u);
  const auto md = model_card_markdown(c);
  EXPECT_NE(md.find("| metric | accuracy | 0.93 | [0.91, 0.95] | 812 | - | pass |"),
            std::string::npos)
      << md;
  EXPECT_NE(md.find("fairness | fpr\\[sex=female vs male\\]"), std::string::npos) << md;
  EXPECT_NE(md.find("- production: **allow** — allow\\: 2 checks passed"), std::string::npos);
  EXPECT_NE(md.find("- canary: **error** — the config has no gate for canary"), std::string::npos);
  EXPECT_NE(md.find("## ML Test Score\n\n1.5 (some): data 2"), std::string::npos) << md;
  EXPECT_NE(md.find("Pipeline 7 (push on main"), std::string::npos);
  EXPECT_NE(md.find("1000 rows, 2 features: age, income"), std::string::npos);
  EXPECT_NE(md.find("- production: deploy at 2026"), std::string::npos);
  // Text from the repository cannot link, mention or inject HTML.
  EXPECT_EQ(md.find("](https://evil"), std::string::npos) << md;
  EXPECT_EQ(md.find("<b>"), std::string::npos);
  EXPECT_EQ(md.find("@octocat"), std::string::npos);
  EXPECT_NE(md.find("\\# not a heading"), std::string::npos) << md;
  const auto j = model_card_json(c);
  EXPECT_EQ(j["metrics"][0]["interval"], json::array({0.91, 0.95}));
  EXPECT_EQ(j["card"]["caveats"], "<b>@octocat</b>");  // JSON carries the text as written
  EXPECT_EQ(j["deployments"][0]["environment"], "production");
  EXPECT_EQ(j["markdown"], md);
}

TEST(ModelCard, WithoutAFileOrWithABadOne) {
  ModelCard c;
  c.repo = "acme/model";
  c.sha = "abc";
  auto md = model_card_markdown(c);
  EXPECT_NE(md.find("no `model_card.yml` at this commit"), std::string::npos) << md;
  EXPECT_NE(md.find("No pipeline ran for this commit."), std::string::npos);
  c.file_present = true;
  c.file_error = "model_card.yml:2:1: unknown key 'colour'";
  md = model_card_markdown(c);
  EXPECT_NE(md.find("⚠️ model\\_card.yml\\:2\\:1\\: unknown key 'colour'"), std::string::npos)
      << md;
}

}  // namespace
}  // namespace mlgate::core
