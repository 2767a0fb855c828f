#include "core/config.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <string>

namespace mlgate::core {
namespace {

// The example config of the product design, verbatim.
constexpr std::string_view kDesignExample = R"(version: 1
image: mlgate/python-ml:bookworm          # default image for every tier
tiers:
  functionality:
    on: [push, pull_request]
    timeout: 5m
    run: pytest -q tests/functionality --junitxml=$MLGATE_RESULTS/junit.xml
  validation:
    on: [push, pull_request]
    needs: [functionality]
    timeout: 1h
    resources: {cpus: 2, memory: 4g}
    run: python -m model.validate --out $MLGATE_RESULTS
  training:
    on: [schedule]
    schedule: "0 2 * * *"                 # nightly, UTC, 5-field cron
    timeout: 24h
    network: bridge                       # opt-in; default none
    run: python -m model.train && python -m model.validate --out $MLGATE_RESULTS
gates:
  production:
    require: [functionality, validation]
    metrics:
      - {name: accuracy, min: 0.90, max_drop: 0.01}           # value + change threshold
      - {name: latency_p95_ms, lower_is_better: true, max: 50, max_increase: 10%}
    slices:
      - {metric: recall, by: age_group, min: 0.80, max_gap: 0.10}
    fairness:
      - {metric: fpr, by: sex, reference: majority, disparity: [0.8, 1.25]}
    predictions: {max_flip_rate: 2%}                            # differential (back-to-back) test
    rubric: {min_score: 2}
rubric:
  automated: {data-1: "tests/data/test_schema.py::*", model-6: "*slice*"}
  manual:    {model-1: docs/model_card.md}
)";

// A valid base to which tests append. Lines 1-4.
constexpr std::string_view kBase = R"(version: 1
image: img
tiers:
  functionality: {run: pytest}
)";

Config parse_ok(std::string_view yaml) {
  auto result = parse_config(yaml);
  EXPECT_TRUE(result.ok()) << format_errors(result.errors);
  EXPECT_TRUE(result.errors.empty());
  return result.config.value_or(Config{});
}

std::vector<ConfigError> parse_errors(std::string_view yaml) {
  auto result = parse_config(yaml);
  EXPECT_FALSE(result.ok()) << "expected errors for:\n" << yaml;
  EXPECT_FALSE(result.config.has_value());
  EXPECT_FALSE(result.errors.empty());
  return result.errors;
}

// The one error whose message contains `needle`; fails the test when there is none.
ConfigError find_error(const std::vector<ConfigError>& errors, std::string_view needle) {
  for (const ConfigError& e : errors) {
    if (e.message.find(needle) != std::string::npos) return e;
  }
  ADD_FAILURE() << "no error containing '" << needle << "' in:\n" << format_errors(errors);
  return ConfigError{0, 0, ""};
}

bool has_error(std::string_view yaml, std::string_view needle) {
  auto result = parse_config(yaml);
  for (const ConfigError& e : result.errors) {
    if (e.message.find(needle) != std::string::npos) return true;
  }
  ADD_FAILURE() << "no error containing '" << needle << "' in:\n"
                << format_errors(result.errors) << "for:\n"
                << yaml;
  return false;
}

std::string with_base(std::string_view rest) {
  return std::string(kBase) + std::string(rest);
}

std::string gate(std::string_view body) {
  return with_base("gates:\n  production:\n" + std::string(body));
}

// ---------------------------------------------------------------------------------------------
// The design example and defaults

TEST(Config, DesignExampleParsesFully) {
  Config c = parse_ok(kDesignExample);
  EXPECT_EQ(c.version, 1);
  EXPECT_EQ(c.image, "mlgate/python-ml:bookworm");
  ASSERT_EQ(c.tiers.size(), 3u);

  const TierConfig& f = c.tiers[0];
  EXPECT_EQ(f.name, "functionality");
  EXPECT_EQ(f.image, "mlgate/python-ml:bookworm");
  EXPECT_EQ(f.on, (std::vector<std::string>{"push", "pull_request"}));
  EXPECT_TRUE(f.branches.empty());
  EXPECT_TRUE(f.needs.empty());
  EXPECT_EQ(f.timeout_seconds, 300);
  EXPECT_EQ(f.network, "none");
  EXPECT_EQ(f.run, "pytest -q tests/functionality --junitxml=$MLGATE_RESULTS/junit.xml");
  EXPECT_FALSE(f.schedule.has_value());
  EXPECT_TRUE(f.cancel_superseded);
  EXPECT_EQ(f.resources, Resources{});
  EXPECT_EQ(f.line, 4);

  const TierConfig& v = c.tiers[1];
  EXPECT_EQ(v.name, "validation");
  EXPECT_EQ(v.needs, std::vector<std::string>{"functionality"});
  EXPECT_EQ(v.timeout_seconds, 3600);
  EXPECT_EQ(v.resources.cpus, 2.0);
  EXPECT_EQ(v.resources.memory_bytes, 4LL * 1024 * 1024 * 1024);
  EXPECT_FALSE(v.resources.gpus.has_value());
  EXPECT_FALSE(v.resources.pids.has_value());
  EXPECT_EQ(v.run, "python -m model.validate --out $MLGATE_RESULTS");
  EXPECT_FALSE(v.cancel_superseded);

  const TierConfig& t = c.tiers[2];
  EXPECT_EQ(t.name, "training");
  EXPECT_EQ(t.on, std::vector<std::string>{"schedule"});
  EXPECT_EQ(t.schedule, "0 2 * * *");
  ASSERT_TRUE(t.cron.has_value());
  using namespace std::chrono;
  EXPECT_EQ(next_after(*t.cron, sys_days{year{2024} / 1 / 1}),
            sys_days{year{2024} / 1 / 1} + hours{2});
  EXPECT_EQ(t.timeout_seconds, 86400);
  EXPECT_EQ(t.network, "bridge");
  EXPECT_EQ(t.run, "python -m model.train && python -m model.validate --out $MLGATE_RESULTS");
  EXPECT_FALSE(t.cancel_superseded);

  ASSERT_EQ(c.gates.size(), 1u);
  const GateConfig& g = c.gates[0];
  EXPECT_EQ(g.name, "production");
  EXPECT_EQ(g.line, 21);
  EXPECT_EQ(g.require, (std::vector<std::string>{"functionality", "validation"}));
  ASSERT_EQ(g.metrics.size(), 2u);
  EXPECT_EQ(g.metrics[0].name, "accuracy");
  EXPECT_EQ(g.metrics[0].min, 0.90);
  EXPECT_FALSE(g.metrics[0].max.has_value());
  EXPECT_EQ(g.metrics[0].max_drop, (Threshold{0.01, false}));
  EXPECT_FALSE(g.metrics[0].max_increase.has_value());
  EXPECT_FALSE(g.metrics[0].lower_is_better);
  EXPECT_FALSE(g.metrics[0].optional);
  EXPECT_EQ(g.metrics[0].line, 24);
  EXPECT_EQ(g.metrics[0].column, 9);
  EXPECT_EQ(g.metrics[1].name, "latency_p95_ms");
  EXPECT_TRUE(g.metrics[1].lower_is_better);
  EXPECT_EQ(g.metrics[1].max, 50.0);
  ASSERT_TRUE(g.metrics[1].max_increase.has_value());
  EXPECT_TRUE(g.metrics[1].max_increase->percent);
  EXPECT_DOUBLE_EQ(g.metrics[1].max_increase->value, 0.10);
  EXPECT_EQ(g.metrics[1].line, 25);

  ASSERT_EQ(g.slices.size(), 1u);
  EXPECT_EQ(g.slices[0].metric, "recall");
  EXPECT_EQ(g.slices[0].by, "age_group");
  EXPECT_EQ(g.slices[0].min, 0.80);
  EXPECT_EQ(g.slices[0].max_gap, 0.10);
  EXPECT_FALSE(g.slices[0].max.has_value());
  EXPECT_EQ(g.slices[0].min_n, 30);
  EXPECT_EQ(g.slices[0].line, 27);

  ASSERT_EQ(g.fairness.size(), 1u);
  EXPECT_EQ(g.fairness[0].metric, "fpr");
  EXPECT_EQ(g.fairness[0].by, "sex");
  EXPECT_EQ(g.fairness[0].reference, "majority");
  EXPECT_EQ(g.fairness[0].lo, 0.8);
  EXPECT_EQ(g.fairness[0].hi, 1.25);
  EXPECT_EQ(g.fairness[0].min_n, 30);

  ASSERT_TRUE(g.predictions.has_value());
  EXPECT_DOUBLE_EQ(g.predictions->max_flip_rate.value(), 0.02);
  EXPECT_FALSE(g.predictions->max_score_delta.has_value());
  EXPECT_FALSE(g.predictions->optional);
  ASSERT_TRUE(g.rubric.has_value());
  EXPECT_EQ(g.rubric->min_score, 2.0);

  EXPECT_EQ(c.rubric.automated.size(), 2u);
  EXPECT_EQ(c.rubric.automated.at("data-1"),
            std::vector<std::string>{"tests/data/test_schema.py::*"});
  EXPECT_EQ(c.rubric.automated.at("model-6"), std::vector<std::string>{"*slice*"});
  EXPECT_EQ(c.rubric.manual.size(), 1u);
  EXPECT_EQ(c.rubric.manual.at("model-1"), "docs/model_card.md");

  EXPECT_EQ(find_tier(c, "validation"), &c.tiers[1]);
  EXPECT_EQ(find_tier(c, "nope"), nullptr);
  EXPECT_EQ(find_gate(c, "production"), &c.gates[0]);
  EXPECT_EQ(find_gate(c, "staging"), nullptr);
}

TEST(Config, TierDefaults) {
  Config c = parse_ok(R"(version: 1
image: img
tiers:
  training: {run: train, schedule: "@daily"}
  validation: {run: validate}
  functionality: {run: test}
)");
  ASSERT_EQ(c.tiers.size(), 3u);
  // Fixed order, whatever the file order.
  EXPECT_EQ(c.tiers[0].name, "functionality");
  EXPECT_EQ(c.tiers[1].name, "validation");
  EXPECT_EQ(c.tiers[2].name, "training");
  EXPECT_EQ(c.tiers[0].on, (std::vector<std::string>{"push", "pull_request"}));
  EXPECT_EQ(c.tiers[1].on, (std::vector<std::string>{"push", "pull_request"}));
  EXPECT_EQ(c.tiers[2].on, std::vector<std::string>{"schedule"});
  EXPECT_EQ(c.tiers[0].timeout_seconds, 300);
  EXPECT_EQ(c.tiers[1].timeout_seconds, 3600);
  EXPECT_EQ(c.tiers[2].timeout_seconds, 86400);
  EXPECT_TRUE(c.tiers[0].cancel_superseded);
  EXPECT_FALSE(c.tiers[1].cancel_superseded);
  EXPECT_FALSE(c.tiers[2].cancel_superseded);
  for (const TierConfig& t : c.tiers) {
    EXPECT_EQ(t.image, "img");
    EXPECT_EQ(t.network, "none");
    EXPECT_TRUE(t.env.empty());
  }
  EXPECT_TRUE(c.gates.empty());
  EXPECT_TRUE(c.rubric.automated.empty());
}

TEST(Config, TierSettingsOverrideDefaults) {
  Config c = parse_ok(R"(version: 1
tiers:
  functionality:
    image: other:1
    on: push
    branches: [main, "release/*"]
    timeout: 2m30s
    cancel_superseded: false
    network: none
    resources: {cpus: 0.5, memory: 512m, gpus: 1, pids: 256}
    env: {SEED: 42, MODE: fast, FLAG: true, EMPTY: ""}
    run: |
      pytest -q
      echo done
)");
  const TierConfig& t = c.tiers.at(0);
  EXPECT_EQ(t.image, "other:1");
  EXPECT_EQ(t.on, std::vector<std::string>{"push"});
  EXPECT_EQ(t.branches, (std::vector<std::string>{"main", "release/*"}));
  EXPECT_EQ(t.timeout_seconds, 150);
  EXPECT_FALSE(t.cancel_superseded);
  EXPECT_EQ(t.resources.cpus, 0.5);
  EXPECT_EQ(t.resources.memory_bytes, 512LL * 1024 * 1024);
  EXPECT_EQ(t.resources.gpus, 1);
  EXPECT_EQ(t.resources.pids, 256);
  EXPECT_EQ(t.env, (std::map<std::string, std::string>{
                       {"SEED", "42"}, {"MODE", "fast"}, {"FLAG", "true"}, {"EMPTY", ""}}));
  EXPECT_EQ(t.run, "pytest -q\necho done\n");
}

TEST(Config, MemorySizes) {
  auto memory = [](std::string_view text) {
    auto r = parse_config(
        with_base("  validation: {run: v, resources: {memory: " + std::string(text) + "}}\n"));
    EXPECT_TRUE(r.ok()) << text << "\n" << format_errors(r.errors);
    return r.ok() ? r.config->tiers.at(1).resources.memory_bytes.value_or(-1) : -1;
  };
  constexpr std::int64_t kMi = 1024 * 1024;
  EXPECT_EQ(memory("4g"), 4096 * kMi);
  EXPECT_EQ(memory("4G"), 4096 * kMi);
  EXPECT_EQ(memory("4Gi"), 4096 * kMi);
  EXPECT_EQ(memory("4GB"), 4096 * kMi);
  EXPECT_EQ(memory("512m"), 512 * kMi);
  EXPECT_EQ(memory("10240k"), 10 * kMi);
  EXPECT_EQ(memory("1.5g"), 1536 * kMi);
  EXPECT_EQ(memory("1073741824"), 1024 * kMi);
  EXPECT_EQ(memory("1t"), 1024 * 1024 * kMi);
  for (std::string_view bad : {"4x", "g", "-4g", "4 gb", "[4g]", "1e3g", "99999999999p"}) {
    EXPECT_TRUE(has_error(
        with_base("  validation: {run: v, resources: {memory: " + std::string(bad) + "}}\n"),
        "'memory' in 'resources' of tier 'validation' must be a size"))
        << bad;
  }
  // "1024k" parses, but is below what Docker accepts.
  EXPECT_TRUE(has_error(with_base("  validation: {run: v, resources: {memory: 1024k}}\n"),
                        "below Docker's minimum of 6m"));
}

TEST(Config, Thresholds) {
  Config c = parse_ok(gate(R"(    metrics:
      - {name: a, max_drop: 0.01}
      - {name: b, max_drop: "0.01"}
      - {name: c, max_drop: 10%}
      - {name: d, max_drop: "2.5%"}
      - {name: e, lower_is_better: true, max_increase: 150%}
      - {name: f, min: -1, max: 1, optional: true}
)"));
  const auto& m = c.gates.at(0).metrics;
  ASSERT_EQ(m.size(), 6u);
  EXPECT_EQ(m[0].max_drop, (Threshold{0.01, false}));
  EXPECT_EQ(m[1].max_drop, (Threshold{0.01, false}));
  EXPECT_EQ(m[2].max_drop, (Threshold{0.10, true}));
  EXPECT_DOUBLE_EQ(m[3].max_drop->value, 0.025);
  EXPECT_TRUE(m[3].max_drop->percent);
  EXPECT_DOUBLE_EQ(m[4].max_increase->value, 1.5);
  EXPECT_EQ(m[5].min, -1.0);
  EXPECT_TRUE(m[5].optional);
}

TEST(Config, ChecksOfEveryKind) {
  Config c = parse_ok(gate(R"(    slices:
      - metric: recall
        by: age_group
        max: 0.99
        min_n: 100
        optional: true
    fairness:
      - {metric: tpr, by: race, reference: white, disparity: [0.9, 1.1], min_n: 0}
      - {metric: fpr, by: sex}
    predictions: {max_flip_rate: 0.05, max_score_delta: 0.2, optional: true}
    rubric: {min_score: 0.5}
  staging:
    require: functionality
)"));
  ASSERT_EQ(c.gates.size(), 2u);
  const GateConfig& g = c.gates[0];
  EXPECT_EQ(g.slices.at(0).max, 0.99);
  EXPECT_EQ(g.slices.at(0).min_n, 100);
  EXPECT_TRUE(g.slices.at(0).optional);
  EXPECT_EQ(g.slices.at(0).line, 8);
  EXPECT_EQ(g.slices.at(0).column, 9);
  EXPECT_EQ(g.fairness.at(0).reference, "white");
  EXPECT_EQ(g.fairness.at(0).lo, 0.9);
  EXPECT_EQ(g.fairness.at(0).hi, 1.1);
  EXPECT_EQ(g.fairness.at(0).min_n, 0);
  EXPECT_EQ(g.fairness.at(1).reference, "majority");
  EXPECT_EQ(g.fairness.at(1).lo, 0.8);
  EXPECT_EQ(g.fairness.at(1).hi, 1.25);
  EXPECT_EQ(g.predictions->max_flip_rate, 0.05);
  EXPECT_EQ(g.predictions->max_score_delta, 0.2);
  EXPECT_TRUE(g.predictions->optional);
  EXPECT_EQ(g.rubric->min_score, 0.5);
  // Gates keep file order.
  EXPECT_EQ(c.gates[1].name, "staging");
  EXPECT_EQ(c.gates[1].require, std::vector<std::string>{"functionality"});
}

TEST(Config, RubricMappingAcceptsStringOrList) {
  Config c = parse_ok(with_base(R"(rubric:
  automated:
    data-1: "tests/data/*"
    infra-1: [tests/infra/test_repro.py::*, "*reproducible*"]
  manual:
    monitor-1: docs/oncall.md
    model-1: ./docs/model card.md
)"));
  EXPECT_EQ(c.rubric.automated.at("data-1"), std::vector<std::string>{"tests/data/*"});
  EXPECT_EQ(c.rubric.automated.at("infra-1"),
            (std::vector<std::string>{"tests/infra/test_repro.py::*", "*reproducible*"}));
  EXPECT_EQ(c.rubric.manual.at("model-1"), "./docs/model card.md");
}

// ---------------------------------------------------------------------------------------------
// Errors: positions and messages

// A config is UTF-8 text: the first byte that starts no valid sequence is an error at its line and
// column, in characters (its text would otherwise reach the gate's JSON answers and PostgreSQL's
// text columns as invalid bytes). A UTF-16 file with its byte-order mark is decoded by yaml-cpp.
TEST(ConfigErrors, InvalidUtf8IsAnErrorAtItsPosition) {
  const std::string text = gate(
      "    metrics:\n      - {name: \"\xC3\xA9"
      "acc\xFF"
      "uracy\", min: 0.9}\n");
  const auto errors = parse_errors(text);
  ASSERT_EQ(errors.size(), 1u) << format_errors(errors);
  const std::size_t line_start = text.rfind('\n', text.find('\xFF')) + 1;
  EXPECT_EQ(errors[0].line,
            1 + std::count(text.begin(), text.begin() + static_cast<long>(line_start), '\n'));
  EXPECT_EQ(errors[0].column, 21);  // after `      - {name: "éacc`: é is one character
  EXPECT_NE(errors[0].message.find("not UTF-8 text: byte 0xFF"), std::string::npos)
      << errors[0].message;
  // Overlong forms and surrogates are not UTF-8 either; well-formed text is untouched.
  EXPECT_TRUE(has_error(with_base("x: \"\xC0\x80\"\n"), "byte 0xC0"));
  EXPECT_TRUE(has_error(with_base("x: \"\xED\xA0\x80\"\n"), "byte 0xED"));
  EXPECT_TRUE(parse_config(gate("    metrics:\n      - {name: \"\xC3\xA9\", min: 0.9}\n")).ok());
}

TEST(ConfigErrors, UnknownKeySuggestsTheNearestWithExactPosition) {
  auto errors = parse_errors(R"(version: 1
image: img
tiers:
  validation:
    timout: 5m
    run: x
)");
  ASSERT_EQ(errors.size(), 1u) << format_errors(errors);
  EXPECT_EQ(errors[0], (ConfigError{5, 5,
                                    "unknown key 'timout' in tier 'validation' (did you mean "
                                    "'timeout'?)"}));
  EXPECT_EQ(format_errors(errors),
            "  .mlgate.yml:5:5: unknown key 'timout' in tier 'validation' (did you mean "
            "'timeout'?)\n");
  EXPECT_EQ(format_errors(errors, "repo/.mlgate.yml").substr(0, 23), "  repo/.mlgate.yml:5:5:");
}

TEST(ConfigErrors, UnknownKeyFarFromAnyListsTheAllowedKeys) {
  auto e = find_error(parse_errors(with_base("colour: blue\n")), "unknown key 'colour'");
  EXPECT_EQ(e.line, 5);
  EXPECT_EQ(e.column, 1);
  EXPECT_NE(e.message.find("allowed keys: version, image, tiers, gates, rubric, monitors"),
            std::string::npos);
}

TEST(ConfigErrors, UnknownKeysAtEveryLevel) {
  EXPECT_TRUE(has_error(with_base("gate: {}\n"), "(did you mean 'gates'?)"));
  EXPECT_TRUE(has_error(with_base("  validation: {run: v, resources: {cpu: 2}}\n"),
                        "unknown key 'cpu' in 'resources' of tier 'validation' (did you mean "
                        "'cpus'?)"));
  EXPECT_TRUE(has_error(gate("    metric: []\n"),
                        "unknown key 'metric' in gate 'production' (did you mean 'metrics'?)"));
  EXPECT_TRUE(has_error(gate("    metrics: [{name: a, min: 1, lower-is-better: true}]\n"),
                        "(did you mean 'lower_is_better'?)"));
  EXPECT_TRUE(has_error(gate("    slices: [{metric: a, by: b, min: 1, min-n: 3}]\n"),
                        "(did you mean 'min_n'?)"));
  EXPECT_TRUE(has_error(gate("    fairness: [{metric: a, by: b, disparty: [1, 2]}]\n"),
                        "(did you mean 'disparity'?)"));
  EXPECT_TRUE(has_error(gate("    predictions: {max_flip: 2%}\n"),
                        "unknown key 'max_flip' in 'predictions' of gate 'production'"));
  EXPECT_TRUE(has_error(gate("    rubric: {min: 2}\n"), "allowed keys: min_score"));
  EXPECT_TRUE(has_error(with_base("rubric: {automatic: {}}\n"), "(did you mean 'automated'?)"));
  EXPECT_TRUE(has_error(with_base("  validation: {run: v, On: push}\n"), "(did you mean 'on'?)"));
}

TEST(ConfigErrors, DuplicateKeys) {
  auto e = find_error(parse_errors(R"(version: 1
image: img
tiers:
  functionality:
    run: a
    timeout: 1m
    timeout: 2m
)"),
                      "duplicate key 'timeout' in tier 'functionality' (first at line 6)");
  EXPECT_EQ(e.line, 7);
  EXPECT_EQ(e.column, 5);
  EXPECT_TRUE(has_error(with_base("version: 1\n"), "duplicate key 'version'"));
  EXPECT_TRUE(has_error(with_base("  functionality: {run: b}\n"), "duplicate key 'functionality'"));
}

TEST(ConfigErrors, AllErrorsAreCollectedInFileOrder) {
  auto errors = parse_errors(R"(version: 2
tiers:
  functionality:
    timeout: soon
    network: host
  nightly: {run: x}
gates:
  production: {}
)");
  ASSERT_EQ(errors.size(), 7u) << format_errors(errors);
  EXPECT_EQ(errors[0].line, 1);
  EXPECT_NE(errors[0].message.find("unsupported version '2'"), std::string::npos);
  EXPECT_EQ(errors[1].line, 3);  // no run
  EXPECT_EQ(errors[2].line, 3);  // no image
  EXPECT_EQ(errors[3].line, 4);  // bad timeout
  EXPECT_EQ(errors[4].line, 5);  // network
  EXPECT_EQ(errors[5].line, 6);  // unknown tier
  EXPECT_EQ(errors[6].line, 8);  // gate without checks
}

TEST(ConfigErrors, EmptyGateIsAnError) {
  EXPECT_TRUE(has_error(gate("    {}\n"), "gate 'production' has no checks"));
  EXPECT_TRUE(has_error(with_base("gates:\n  production:\n"), "gate 'production' has no checks"));
  EXPECT_TRUE(has_error(gate("    metrics: []\n"), "gate 'production' has no checks"));
  auto e = find_error(parse_errors(with_base("gates:\n  production:\n")), "has no checks");
  EXPECT_EQ(e.line, 6);
  EXPECT_EQ(e.column, 3);
}

TEST(ConfigErrors, GateNamesAreWhatTheApiAndTheForgesTake) {
  const std::string checks = "    metrics: [{name: accuracy, min: 0.5}]\n";
  auto named = [&](const std::string& name) {
    return with_base("gates:\n  " + name + ":\n" + checks);
  };
  auto e = find_error(parse_errors(named("Production EU")), "bad gate (environment) name");
  EXPECT_EQ(e.line, 6);
  EXPECT_EQ(e.column, 3);
  EXPECT_NE(e.message.find("letters, digits"), std::string::npos) << e.message;
  EXPECT_TRUE(has_error(named("prod/eu"), "bad gate (environment) name"));
  EXPECT_TRUE(has_error(named(std::string(101, 'p')), "bad gate (environment) name"));
  EXPECT_TRUE(parse_config(named(std::string(100, 'p'))).ok());
  EXPECT_TRUE(parse_config(named("prod-eu_2.v1")).ok());
  auto twice =
      parse_errors(with_base("gates:\n  production:\n" + checks + "  Production:\n" + checks));
  auto d = find_error(twice, "only by case");
  EXPECT_EQ(d.line, 8);
  EXPECT_NE(d.message.find("'Production' differs from gate 'production'"), std::string::npos)
      << d.message;
}

TEST(ConfigLookups, AForgeEnvironmentFindsItsGateIgnoringCase) {
  const std::vector<std::string> gates = {"staging", "production", "Canary"};
  EXPECT_EQ(core::gate_for_environment(gates, "production"), "production");
  EXPECT_EQ(core::gate_for_environment(gates, "Production"), "production");
  EXPECT_EQ(core::gate_for_environment(gates, "CANARY"), "Canary");
  EXPECT_EQ(core::gate_for_environment(gates, "qa"), "qa");  // none: asked as given (404 later)
  EXPECT_EQ(core::gate_for_environment({"prod", "Prod"}, "Prod"), "Prod");  // exact first
  EXPECT_TRUE(core::is_environment_name("a"));
  EXPECT_FALSE(core::is_environment_name(""));
  EXPECT_FALSE(core::is_environment_name("a b"));
  EXPECT_FALSE(core::is_environment_name("caf\xc3\xa9"));
}

TEST(ConfigYaml, MergeKeysBringInAnAnchorsKeysAndTheMappingsOwnWin) {
  Config c = parse_ok(R"(version: 1
x-defaults: &defaults
  timeout: 3m
  resources: {cpus: 2}
  run: echo default
image: mlgate/busybox:test
tiers:
  functionality: &func
    <<: *defaults
    run: pytest
  validation:
    <<: [{timeout: 20m, env: {A: first}}, *func, {env: {A: second}}]
    needs: [functionality]
    run: python validate.py
)");
  ASSERT_EQ(c.tiers.size(), 2u);
  const TierConfig& f = c.tiers[0];
  EXPECT_EQ(f.timeout_seconds, 180);
  EXPECT_EQ(f.resources.cpus, 2.0);
  EXPECT_EQ(f.run, "pytest");  // its own key wins over the merged one
  const TierConfig& v = c.tiers[1];
  EXPECT_EQ(v.timeout_seconds, 1200);  // the first mapping of the list wins
  EXPECT_EQ(v.resources.cpus, 2.0);    // through *func, which merged *defaults
  EXPECT_EQ(v.env.at("A"), "first");
  EXPECT_EQ(v.run, "python validate.py");
}

TEST(ConfigYaml, MergedKeysAreCheckedLikeOwnOnesAtTheirOwnPosition) {
  auto errors = parse_errors(R"(version: 1
x-defaults: &defaults
  timout: 3m
image: x
tiers:
  functionality:
    <<: *defaults
    run: t
)");
  auto e = find_error(errors, "unknown key 'timout'");
  EXPECT_EQ(e.line, 3);
  EXPECT_EQ(e.column, 3);
  auto bad = find_error(parse_errors("version: 1\nimage: x\ntiers:\n  functionality:\n"
                                     "    <<: [5]\n    run: t\n"),
                        "the merge key '<<'");
  EXPECT_EQ(bad.line, 5);
  EXPECT_EQ(bad.column, 5);
  // Quoted, "<<" is an ordinary (unknown) key; x- keys are extensions at the top level only.
  EXPECT_TRUE(has_error(
      "version: 1\nimage: x\ntiers:\n  functionality:\n    \"<<\": {run: t}\n    run: t\n",
      "unknown key '<<'"));
  EXPECT_TRUE(has_error(with_base("  validation: {run: v, x-note: hi}\n"), "unknown key 'x-note'"));
  EXPECT_TRUE(parse_config("x-anything: [1, 2]\n" + std::string(kBase)).ok());
}

TEST(ConfigErrors, WrongTypes) {
  EXPECT_TRUE(has_error(with_base("  validation: {run: v, timeout: [5m]}\n"),
                        "'timeout' in tier 'validation' must be a duration like 30m, not a list"));
  EXPECT_TRUE(has_error(with_base("  validation: {run: {a: b}}\n"),
                        "'run' in tier 'validation' must be a string, not a mapping"));
  EXPECT_TRUE(has_error(with_base("  validation: {run: v, on: {push: true}}\n"),
                        "must be a string or a list of strings"));
  EXPECT_TRUE(has_error(with_base("  validation: {run: v, needs: [[functionality]]}\n"),
                        "must list strings; found a list"));
  EXPECT_TRUE(has_error(with_base("  validation: {run: v, resources: {cpus: two}}\n"),
                        "'cpus' in 'resources' of tier 'validation' must be a finite number, not "
                        "'two'"));
  EXPECT_TRUE(has_error(with_base("  validation: {run: v, resources: {cpus: \"2\"}}\n"),
                        "not the quoted string '2'"));
  EXPECT_TRUE(has_error(with_base("  validation: {run: v, resources: {gpus: 1.5}}\n"),
                        "must be a whole number"));
  EXPECT_TRUE(has_error(with_base("  validation: {run: v, resources: [cpus]}\n"),
                        "'resources' of tier 'validation' must be a mapping"));
  EXPECT_TRUE(has_error(with_base("  validation: {run: v, cancel_superseded: yes}\n"),
                        "must be true or false, not 'yes'"));
  EXPECT_TRUE(has_error(with_base("  validation: {run: v, cancel_superseded: \"true\"}\n"),
                        "must be true or false"));
  EXPECT_TRUE(has_error(with_base("  validation: [run]\n"), "tier 'validation' must be a mapping"));
  EXPECT_TRUE(has_error(with_base("gates: [production]\n"), "'gates' must be a mapping"));
  EXPECT_TRUE(has_error(gate("    metrics: {name: a, min: 1}\n"),
                        "'metrics' in gate 'production' must be a list of checks"));
  EXPECT_TRUE(has_error(gate("    metrics: [accuracy]\n"),
                        "metrics[0] of gate 'production' must be a mapping"));
  EXPECT_TRUE(has_error(gate("    metrics: [{name: a, min: high}]\n"),
                        "'min' in metrics[0] of gate 'production' must be a finite number"));
  EXPECT_TRUE(has_error(gate("    metrics: [{name: a, min: .inf}]\n"), "must be a finite number"));
  EXPECT_TRUE(has_error(gate("    metrics: [{name: a, min: .nan}]\n"), "must be a finite number"));
  EXPECT_TRUE(has_error(gate("    metrics: [{name: [a], min: 1}]\n"), "must be a string"));
  EXPECT_TRUE(has_error(with_base("  ? [a, b]\n  : {run: x}\n"),
                        "keys in 'tiers' must be plain "
                        "strings, not a list"));
  EXPECT_TRUE(has_error(with_base("rubric: {manual: {model-1: [a, b]}}\n"), "must be a string"));
}

TEST(ConfigErrors, EmptyAndNonMappingConfigs) {
  for (std::string_view empty : {"", "   \n", "# only a comment\n", "---\n", "~\n"}) {
    auto errors = parse_errors(empty);
    ASSERT_EQ(errors.size(), 1u);
    EXPECT_EQ(errors[0], (ConfigError{1, 1,
                                      "the config is empty; it needs at least 'version: 1' and "
                                      "'tiers'"}));
  }
  EXPECT_TRUE(has_error("- a\n- b\n", "the config must be a mapping"));
  EXPECT_TRUE(has_error("just text\n", "the config must be a mapping"));
  auto docs = parse_errors("version: 1\n---\nversion: 1\n");
  ASSERT_EQ(docs.size(), 1u);
  EXPECT_EQ(docs[0], (ConfigError{2, 1,
                                  "the file holds more than one YAML document (---); .mlgate.yml "
                                  "must hold exactly one"}));
  EXPECT_TRUE(has_error("version: 1\n---\n", "more than one YAML document"));
  parse_ok(std::string("---\n") + std::string(kBase) + "...\n");
}

TEST(ConfigErrors, Version) {
  auto e = find_error(parse_errors("image: img\ntiers:\n  functionality: {run: a}\n"),
                      "missing 'version: 1'");
  EXPECT_EQ(e.line, 1);
  EXPECT_EQ(e.column, 1);
  EXPECT_TRUE(has_error("version: 2\n" + with_base("").substr(11), "unsupported version '2'"));
  EXPECT_TRUE(has_error("version: \"1\"\n" + with_base("").substr(11), "unsupported version"));
  EXPECT_TRUE(has_error("version: 1.0\n" + with_base("").substr(11), "unsupported version"));
  EXPECT_TRUE(has_error("version:\n" + with_base("").substr(11), "unsupported version nothing"));
  EXPECT_TRUE(has_error("version: 1\nimage: i\n", "missing 'tiers'"));
  EXPECT_TRUE(has_error("version: 1\nimage: i\ntiers: {}\n", "'tiers' is empty"));
}

TEST(ConfigErrors, YamlSyntaxErrorsCarryTheParserPosition) {
  auto errors = parse_errors("version: 1\ntiers:\n  functionality: {run: a\n");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(errors[0].message.find("YAML syntax error"), std::string::npos);
  EXPECT_EQ(errors[0].line, 4);
  EXPECT_EQ(errors[0].column, 1);
  auto tab = parse_errors("version: 1\ntiers:\n\tfunctionality: {run: a}\n");
  EXPECT_NE(tab[0].message.find("YAML syntax error"), std::string::npos);
  auto alias = parse_errors("version: 1\ntiers: *missing\n");
  EXPECT_EQ(alias[0].line, 2);
  EXPECT_EQ(alias[0].column, 8);
}

TEST(ConfigErrors, BadDurations) {
  auto e = find_error(parse_errors(with_base("  validation: {run: v, timeout: 5x}\n")),
                      "bad 'timeout' in tier 'validation': unknown unit 'x'");
  EXPECT_EQ(e.line, 5);
  EXPECT_EQ(e.column, 33);
  EXPECT_TRUE(has_error(with_base("  validation: {run: v, timeout: 300}\n"), "has no unit"));
  EXPECT_TRUE(has_error(with_base("  validation: {run: v, timeout: -5m}\n"), "negative"));
  EXPECT_TRUE(has_error(with_base("  validation: {run: v, timeout: 0s}\n"), "zero"));
  EXPECT_TRUE(has_error(with_base("  validation: {run: v, timeout: \"\"}\n"), "empty duration"));
  EXPECT_TRUE(has_error(with_base("  validation: {run: v, timeout: 99999999999999999999d}\n"),
                        "too large"));
}

TEST(ConfigErrors, TimeoutsCanOnlyBeLowered) {
  auto e = find_error(parse_errors(with_base("  validation: {run: v, timeout: 2h}\n")),
                      "'timeout' 2h of tier 'validation' is over the ceiling of 1h");
  EXPECT_EQ(e.line, 5);
  EXPECT_TRUE(has_error(R"(version: 1
image: i
tiers:
  functionality: {run: a, timeout: 5m1s}
)",
                        "over the ceiling of 5m"));
  EXPECT_TRUE(has_error(R"(version: 1
image: i
tiers:
  training: {run: a, schedule: "@daily", timeout: 2d}
)",
                        "'timeout' 48h of tier 'training' is over the ceiling of 24h"));
  // Exactly the ceiling is fine; server-configured ceilings apply.
  parse_ok(with_base("  validation: {run: v, timeout: 60m}\n"));
  ConfigLimits limits;
  limits.validation_timeout_seconds = 2 * 3600;
  auto r = parse_config(with_base("  validation: {run: v, timeout: 2h}\n"), limits);
  ASSERT_TRUE(r.ok()) << format_errors(r.errors);
  EXPECT_EQ(r.config->tiers.at(1).timeout_seconds, 7200);
  auto d = parse_config(with_base("  validation: {run: v}\n"), limits);
  EXPECT_EQ(d.config->tiers.at(1).timeout_seconds, 7200);
  EXPECT_EQ(limits.ceiling_for("nope"), 0);
}

TEST(ConfigErrors, UnknownTierNames) {
  auto e = find_error(parse_errors(with_base("  functional: {run: a}\n")),
                      "unknown tier 'functional' (did you mean 'functionality'?); the tiers are "
                      "functionality, validation, training");
  EXPECT_EQ(e.line, 5);
  EXPECT_EQ(e.column, 3);
  EXPECT_TRUE(has_error(with_base("  integration: {run: a}\n"), "unknown tier 'integration'"));
}

TEST(ConfigErrors, TierEventsAndSchedules) {
  EXPECT_TRUE(has_error(with_base("  validation: {run: v, on: [push, pull-request]}\n"),
                        "unknown event 'pull-request' in 'on' of tier 'validation' (did you mean "
                        "'pull_request'?)"));
  EXPECT_TRUE(has_error(with_base("  validation: {run: v, on: [push, push]}\n"), "listed twice"));
  EXPECT_TRUE(has_error(with_base("  training: {run: t}\n"),
                        "tier 'training' runs on schedule but has no 'schedule'"));
  EXPECT_TRUE(has_error(with_base("  validation: {run: v, schedule: \"@daily\"}\n"),
                        "has a 'schedule' but 'on' does not include schedule"));
  EXPECT_TRUE(has_error(with_base("  training: {run: t, schedule: \"0 2 * *\"}\n"),
                        "bad 'schedule' in tier 'training': expected 5 fields"));
  EXPECT_TRUE(
      has_error(with_base("  training: {run: t, schedule: \"0 0 30 2 *\"}\n"), "never fires"));
  EXPECT_TRUE(has_error(with_base("  training: {run: t, schedule: \"@daily\", branches: main}\n"),
                        "'branches' only filters push and pull_request events"));
  EXPECT_TRUE(
      has_error(with_base("  validation: {run: v, branches: [\"\"]}\n"), "bad branch pattern"));
  // On demand only.
  Config c = parse_ok(with_base("  training: {run: t, on: []}\n"));
  EXPECT_TRUE(c.tiers.at(1).on.empty());
  // A training tier may also run on push, with a schedule.
  Config both =
      parse_ok(with_base("  training: {run: t, on: [push, schedule], schedule: "
                         "\"30 3 * * sun\"}\n"));
  EXPECT_EQ(both.tiers.at(1).on, (std::vector<std::string>{"push", "schedule"}));
}

TEST(ConfigErrors, ImagesNetworkRunAndEnv) {
  auto e = find_error(parse_errors("version: 1\ntiers:\n  functionality: {run: a}\n"),
                      "tier 'functionality' has no image: set 'image' on the tier or at the top "
                      "level");
  EXPECT_EQ(e.line, 3);
  EXPECT_EQ(e.column, 3);
  parse_ok("version: 1\ntiers:\n  functionality: {run: a, image: x}\n");
  EXPECT_TRUE(has_error("version: 1\nimage: --privileged\ntiers:\n  functionality: {run: a}\n",
                        "not a valid image reference"));
  EXPECT_TRUE(has_error(with_base("  validation: {run: v, image: \"a b\"}\n"),
                        "not a valid image reference"));
  EXPECT_TRUE(has_error(with_base("  validation: {run: v, network: host}\n"),
                        "'network' in tier 'validation' must be none or bridge, not 'host'"));
  EXPECT_TRUE(has_error(with_base("  validation: {run: \"  \"}\n"),
                        "'run' in tier 'validation' "
                        "is empty"));
  EXPECT_TRUE(has_error(with_base("  validation: {timeout: 5m}\n"),
                        "tier 'validation' has no 'run' command"));
  EXPECT_TRUE(has_error(with_base("  validation:\n"), "tier 'validation' is empty"));
  EXPECT_TRUE(has_error(with_base("  validation: {run: v, env: {1X: a}}\n"),
                        "bad environment variable name '1X'"));
  EXPECT_TRUE(
      has_error(with_base("  validation: {run: v, env: {MLGATE_RESULTS: /tmp}}\n"), "is reserved"));
  EXPECT_TRUE(has_error(with_base("  validation: {run: v, env: {A: }}\n"),
                        "write \"\" for an empty value"));
  EXPECT_TRUE(has_error(with_base("  validation: {run: v, env: {A: [1]}}\n"),
                        "must have a string value, not a list"));
  EXPECT_TRUE(has_error(with_base("  validation: {run: v, env: [A]}\n"),
                        "'env' of tier 'validation' must be a mapping"));
}

TEST(ConfigErrors, ResourceBounds) {
  EXPECT_TRUE(
      has_error(with_base("  validation: {run: v, resources: {cpus: 0}}\n"), "must be positive"));
  EXPECT_TRUE(
      has_error(with_base("  validation: {run: v, resources: {cpus: -1}}\n"), "must be positive"));
  EXPECT_TRUE(has_error(with_base("  validation: {run: v, resources: {gpus: -1}}\n"),
                        "'gpus' in 'resources' of tier 'validation' must be between 0 and 1024"));
  EXPECT_TRUE(has_error(with_base("  validation: {run: v, resources: {pids: 0}}\n"),
                        "must be between 1 and"));
  EXPECT_TRUE(
      has_error(with_base("  validation: {run: v, resources: {pids: 99999999999999999999999}}\n"),
                "must be a whole number"));
}

// ---------------------------------------------------------------------------------------------
// The operator's ceilings (ConfigLimits::jobs): each is an error naming the ceiling and the flag
// that sets it, at the line and column of the value that asks for more.

// Errors of `yaml` checked against the default ceilings (what `mlgate serve` plans with).
std::vector<ConfigError> ceiling_errors(std::string_view yaml,
                                        const JobCeilings& ceilings = JobCeilings{}) {
  ConfigLimits limits;
  limits.jobs = ceilings;
  auto result = parse_config(yaml, limits);
  EXPECT_FALSE(result.ok()) << "expected errors for:\n" << yaml;
  return result.errors;
}

// Lines 1-4, an allowed image.
constexpr std::string_view kAllowedBase = R"(version: 1
image: mlgate/busybox:test
tiers:
  functionality: {run: pytest}
)";

std::string allowed_with(std::string_view rest) {
  return std::string(kAllowedBase) + std::string(rest);
}

TEST(ConfigCeilings, TheDefaultsAreDocumentedAndAConfigWithinThemParses) {
  const JobCeilings c;
  EXPECT_EQ(c.cpus, 8);
  EXPECT_EQ(c.memory_bytes, std::int64_t{16} << 30);
  EXPECT_EQ(c.pids, 4096);
  EXPECT_EQ(c.gpus, 0);
  EXPECT_EQ(c.images, std::vector<std::string>{"mlgate/*"});
  EXPECT_EQ(c.networks, std::vector<std::string>{"none"});
  ConfigLimits limits;
  limits.jobs = c;
  auto r =
      parse_config(allowed_with("  validation:\n    run: v\n    image: mlgate/python-ml:bookworm\n"
                                "    resources: {cpus: 8, memory: 16g, pids: 4096, gpus: 0}\n"
                                "    network: none\n"),
                   limits);
  ASSERT_TRUE(r.ok()) << format_errors(r.errors);
  EXPECT_EQ(r.config->tiers.at(1).resources.memory_bytes, std::int64_t{16} << 30);
  // Without ceilings (a config read for its gates only) nothing of this is checked.
  EXPECT_TRUE(parse_config(with_base("  validation:\n    run: v\n    network: bridge\n"
                                     "    resources: {memory: 900g, pids: 2147483647}\n"))
                  .ok());
}

TEST(ConfigCeilings, MemoryOverTheCeilingNamesItAndTheLine) {
  auto e = find_error(
      ceiling_errors(allowed_with("  training:\n    run: t\n    on: [push]\n"
                                  "    resources: {cpus: 2, memory: 900g}\n")),
      "'memory' '900g' in 'resources' of tier 'training' is over this server's ceiling of 16g "
      "(serve --max-job-memory)");
  EXPECT_EQ(e.line, 8);
  EXPECT_EQ(e.column, 34);
  JobCeilings small;
  small.memory_bytes = std::int64_t{512} << 20;
  EXPECT_EQ(find_error(ceiling_errors(allowed_with("  validation: {run: v, resources: {memory: "
                                                   "513m}}\n"),
                                      small),
                       "is over this server's ceiling of 512m")
                .column,
            44);
}

TEST(ConfigCeilings, CpusOverTheCeiling) {
  auto e = find_error(
      ceiling_errors(allowed_with("  validation:\n    run: v\n    resources:\n      cpus: 8.5\n")),
      "'cpus' '8.5' in 'resources' of tier 'validation' is over this server's ceiling of 8 CPUs "
      "(serve --max-job-cpus)");
  EXPECT_EQ(e.line, 8);
  EXPECT_EQ(e.column, 13);
}

TEST(ConfigCeilings, PidsOverTheCeiling) {
  auto e = find_error(
      ceiling_errors(allowed_with("  validation: {run: v, resources: {pids: 2147483647}}\n")),
      "'pids' '2147483647' in 'resources' of tier 'validation' is over this server's ceiling of "
      "4096 processes (serve --max-job-pids)");
  EXPECT_EQ(e.line, 5);
  EXPECT_EQ(e.column, 42);
}

TEST(ConfigCeilings, GpusOverTheCeilingAndAServerThatGrantsThem) {
  const std::string yaml = allowed_with("  validation: {run: v, resources: {gpus: 2}}\n");
  auto e = find_error(ceiling_errors(yaml),
                      "'gpus' '2' in 'resources' of tier 'validation' is over this server's "
                      "ceiling of 0 GPUs (serve --max-job-gpus)");
  EXPECT_EQ(e.line, 5);
  EXPECT_EQ(e.column, 42);
  ConfigLimits limits;
  limits.jobs = JobCeilings{};
  limits.jobs->gpus = 2;
  auto r = parse_config(yaml, limits);
  ASSERT_TRUE(r.ok()) << format_errors(r.errors);
  EXPECT_EQ(r.config->tiers.at(1).resources.gpus, 2);
}

TEST(ConfigCeilings, NetworksOutsideTheAllowedOnes) {
  auto e = find_error(
      ceiling_errors(allowed_with("  validation:\n    run: v\n    network: bridge\n")),
      "'network' bridge of tier 'validation' is not allowed on this server (allowed: none; serve "
      "--allowed-networks)");
  EXPECT_EQ(e.line, 7);
  EXPECT_EQ(e.column, 14);
  ConfigLimits limits;
  limits.jobs = JobCeilings{};
  limits.jobs->networks = {"none", "bridge"};
  EXPECT_TRUE(parse_config(allowed_with("  validation: {run: v, network: bridge}\n"), limits).ok());
  // `none` is always allowed: it is what a tier gets when it says nothing.
  limits.jobs->networks = {"bridge"};
  EXPECT_TRUE(parse_config(allowed_with("  validation: {run: v, network: none}\n"), limits).ok());
}

TEST(ConfigCeilings, ImagesOutsideTheAllowedPatterns) {
  // A tier's own image: at its value.
  auto e = find_error(
      ceiling_errors(allowed_with("  validation:\n    run: v\n    image: evil/miner:latest\n")),
      "image 'evil/miner:latest' of tier 'validation' is not allowed on this server (allowed: "
      "mlgate/*; serve --allowed-images)");
  EXPECT_EQ(e.line, 7);
  EXPECT_EQ(e.column, 12);
  // The top-level image: at its value, once however many tiers use it.
  auto errors = ceiling_errors(R"(version: 1
image: python:3.12
tiers:
  functionality: {run: a}
  validation: {run: b}
  training: {run: c, on: [push], image: mlgate/python-ml:bookworm}
)");
  ASSERT_EQ(errors.size(), 1u) << format_errors(errors);
  EXPECT_EQ(errors[0].line, 2);
  EXPECT_EQ(errors[0].column, 8);
  EXPECT_EQ(errors[0].message,
            "image 'python:3.12' (the top level's, used by tier 'functionality') is not allowed "
            "on this server (allowed: mlgate/*; serve --allowed-images)");
  // Patterns are globs; '*' crosses '/'.
  ConfigLimits limits;
  limits.jobs = JobCeilings{};
  limits.jobs->images = {"registry.example.com/ml/*", "python:3.1?"};
  EXPECT_TRUE(parse_config(R"(version: 1
image: python:3.12
tiers:
  functionality: {run: a, image: registry.example.com/ml/team/trainer:v2}
  validation: {run: b}
)",
                           limits)
                  .ok());
}

TEST(ConfigCeilings, MemorySizesReadAndWrittenInBinaryUnits) {
  EXPECT_EQ(parse_memory_size("16g"), std::int64_t{16} << 30);
  EXPECT_EQ(parse_memory_size("512Mi"), std::int64_t{512} << 20);
  EXPECT_EQ(parse_memory_size("lots"), std::nullopt);
  EXPECT_EQ(format_memory_size(std::int64_t{16} << 30), "16g");
  EXPECT_EQ(format_memory_size(std::int64_t{1536} << 10), "1536k");
  EXPECT_EQ(format_memory_size(100), "100");
}

TEST(ConfigErrors, NeedsAndRequire) {
  EXPECT_TRUE(has_error(with_base("  validation: {run: v, needs: [functional]}\n"),
                        "tier 'validation' needs unknown tier 'functional' (did you mean "
                        "'functionality'?)"));
  auto e = find_error(parse_errors(with_base("  validation: {run: v, needs: [training]}\n")),
                      "tier 'validation' needs tier 'training', which is not declared");
  EXPECT_EQ(e.line, 5);
  EXPECT_EQ(e.column, 32);
  EXPECT_TRUE(has_error(with_base("  validation: {run: v, needs: validation}\n"), "needs itself"));
  EXPECT_TRUE(has_error(with_base("  validation: {run: v, needs: [functionality, "
                                  "functionality]}\n"),
                        "listed twice in 'needs'"));
  auto cycle = parse_errors(R"(version: 1
image: i
tiers:
  functionality: {run: a, needs: training}
  validation: {run: b, needs: functionality}
  training: {run: c, on: [push], needs: validation}
)");
  ASSERT_EQ(cycle.size(), 1u) << format_errors(cycle);
  EXPECT_EQ(cycle[0], (ConfigError{4, 3,
                                   "'needs' form a cycle: functionality -> training -> validation "
                                   "-> functionality"}));
  EXPECT_TRUE(has_error(gate("    require: [functionality, validation]\n"),
                        "gate 'production' requires tier 'validation', which is not declared"));
  EXPECT_TRUE(
      has_error(gate("    require: [smoke]\n"), "gate 'production' requires unknown tier 'smoke'"));
  EXPECT_TRUE(has_error(gate("    require: [functionality, functionality]\n"),
                        "listed twice in 'require'"));
}

TEST(ConfigErrors, UnknownRubricIds) {
  auto e = find_error(parse_errors(with_base("rubric:\n  automated: {data1: \"*\"}\n")),
                      "unknown rubric id 'data1' in 'rubric.automated' (did you mean 'data-1'?)");
  EXPECT_EQ(e.line, 6);
  EXPECT_EQ(e.column, 15);
  EXPECT_TRUE(has_error(with_base("rubric:\n  manual: {model-8: a.md}\n"),
                        "unknown rubric id 'model-8' in 'rubric.manual'"));
  EXPECT_TRUE(has_error(with_base("rubric:\n  manual: {monitoring-1: a.md}\n"),
                        "(did you mean 'monitor-1'?)"));
  EXPECT_TRUE(
      has_error(with_base("rubric:\n  automated: {data-1: []}\n"), "lists no test patterns"));
  EXPECT_TRUE(has_error(with_base("rubric:\n  manual: {model-1: /etc/passwd}\n"),
                        "must be a relative path inside the repository"));
  EXPECT_TRUE(has_error(with_base("rubric:\n  manual: {model-1: docs/../../x.md}\n"),
                        "must be a relative path inside the repository"));
  EXPECT_TRUE(
      has_error(with_base("rubric:\n  manual: {model-1: \"\"}\n"), "must be a relative path"));
}

TEST(ConfigErrors, ImpossibleThresholds) {
  auto e = find_error(parse_errors(gate("    metrics:\n      - {name: acc, min: 0.9, max: "
                                        "0.8}\n")),
                      "metric check 'acc' can never pass: min 0.9 is above max 0.8");
  EXPECT_EQ(e.line, 8);
  EXPECT_EQ(e.column, 36);
  EXPECT_TRUE(has_error(gate("    slices: [{metric: r, by: a, min: 2, max: 1}]\n"),
                        "slice check 'r' can never pass"));
  EXPECT_TRUE(has_error(gate("    fairness: [{metric: f, by: s, disparity: [1.25, 0.8]}]\n"),
                        "can never pass: 1.25 is above 0.8"));
  EXPECT_TRUE(has_error(gate("    fairness: [{metric: f, by: s, disparity: [0, 1.25]}]\n"),
                        "the lower ratio 0 must be above 0"));
  EXPECT_TRUE(has_error(gate("    fairness: [{metric: f, by: s, disparity: [-1, 1.25]}]\n"),
                        "must be above 0"));
  EXPECT_TRUE(has_error(gate("    fairness: [{metric: f, by: s, disparity: [0.8]}]\n"),
                        "must be a list of two ratios"));
  EXPECT_TRUE(has_error(gate("    fairness: [{metric: f, by: s, disparity: 0.8}]\n"),
                        "must be a list of two ratios"));
  EXPECT_TRUE(has_error(gate("    fairness: [{metric: f, by: s, disparity: [a, 1]}]\n"),
                        "'disparity[0]' in fairness[0] of gate 'production' must be a finite "
                        "number"));
  EXPECT_TRUE(has_error(gate("    metrics: [{name: a, max_drop: -0.01}]\n"),
                        "'max_drop' in metrics[0] of gate 'production' must not be negative"));
  EXPECT_TRUE(has_error(gate("    metrics: [{name: a, max_drop: -5%}]\n"), "must not be negative"));
  EXPECT_TRUE(has_error(gate("    metrics: [{name: a, max_drop: ten%}]\n"),
                        "must be a number or a percentage like 10%, not 'ten%'"));
  EXPECT_TRUE(has_error(gate("    metrics: [{name: a, max_drop: 10%%}]\n"), "percentage"));
  EXPECT_TRUE(has_error(gate("    metrics: [{name: a, max_drop: \"%\"}]\n"), "percentage"));
  EXPECT_TRUE(has_error(gate("    metrics: [{name: a, max_drop: [1]}]\n"), "percentage"));
  EXPECT_TRUE(has_error(gate("    slices: [{metric: r, by: a, max_gap: -0.1}]\n"),
                        "'max_gap' in slices[0] of gate 'production' must not be negative"));
  EXPECT_TRUE(has_error(gate("    slices: [{metric: r, by: a, min: 0.5, min_n: -1}]\n"),
                        "'min_n' in slices[0] of gate 'production' must not be negative"));
  EXPECT_TRUE(
      has_error(gate("    fairness: [{metric: r, by: a, min_n: -1}]\n"), "must not be negative"));
  EXPECT_TRUE(has_error(gate("    predictions: {max_flip_rate: -0.01}\n"), "must not be negative"));
  EXPECT_TRUE(has_error(gate("    predictions: {max_flip_rate: 101%}\n"), "is over 100%"));
  EXPECT_TRUE(has_error(gate("    predictions: {max_flip_rate: 2}\n"),
                        "is a fraction between 0 and 1 and 2 is over 1; write 2% for a "
                        "percentage"));
  EXPECT_TRUE(has_error(gate("    predictions: {max_flip_rate: two%}\n"),
                        "must be a fraction like 0.02 or a percentage like 2%"));
  EXPECT_TRUE(has_error(gate("    predictions: {max_score_delta: -1}\n"), "must not be negative"));
  EXPECT_TRUE(has_error(gate("    rubric: {min_score: 8}\n"), "must be between 0 and 7"));
  EXPECT_TRUE(has_error(gate("    rubric: {min_score: -1}\n"), "must be between 0 and 7"));
  EXPECT_TRUE(has_error(gate("    rubric: {}\n"), "has no 'min_score'"));
  // Edge values that are possible.
  parse_ok(gate("    predictions: {max_flip_rate: 100%}\n    rubric: {min_score: 7}\n"));
  parse_ok(gate("    metrics: [{name: a, min: 1, max: 1}]\n"));
  parse_ok(gate("    fairness: [{metric: f, by: s, disparity: [1, 1]}]\n"));
}

TEST(ConfigErrors, ChecksWithoutThresholds) {
  auto e = find_error(parse_errors(gate("    metrics:\n      - name: accuracy\n")),
                      "metric check 'accuracy' (metrics[0] of gate 'production') has no "
                      "threshold");
  EXPECT_EQ(e.line, 8);
  EXPECT_EQ(e.column, 9);
  EXPECT_TRUE(has_error(gate("    metrics: [{name: a, lower_is_better: true}]\n"), "no threshold"));
  EXPECT_TRUE(has_error(gate("    metrics: [{min: 1}]\n"), "has no 'name'"));
  EXPECT_TRUE(has_error(gate("    slices: [{metric: r, by: a}]\n"), "has no threshold"));
  EXPECT_TRUE(has_error(gate("    slices: [{metric: r, min: 1}]\n"), "has no 'by'"));
  EXPECT_TRUE(has_error(gate("    fairness: [{by: r}]\n"), "has no 'metric'"));
  EXPECT_TRUE(has_error(gate("    predictions: {optional: true}\n"),
                        "'predictions' of gate 'production' has no threshold"));
}

TEST(ConfigErrors, ChangeDirectionMustMatchLowerIsBetter) {
  EXPECT_TRUE(has_error(gate("    metrics: [{name: loss, lower_is_better: true, max_drop: 1}]\n"),
                        "use 'max_increase'"));
  EXPECT_TRUE(has_error(gate("    metrics: [{name: acc, max_increase: 1}]\n"), "use 'max_drop'"));
}

// ---------------------------------------------------------------------------------------------
// tiers_for_event

TEST(Config, TiersForEvent) {
  Config c = parse_ok(R"(version: 1
image: i
tiers:
  functionality: {run: a}
  validation: {run: b, on: [push, pull_request, tag], branches: [main, "release/**"]}
  training: {run: c, on: [schedule, push], branches: main, schedule: "@daily"}
)");
  using V = std::vector<std::string>;
  EXPECT_EQ(tiers_for_event(c, "push", "main"), (V{"functionality", "validation", "training"}));
  EXPECT_EQ(tiers_for_event(c, "push", "feature/x"), V{"functionality"});
  EXPECT_EQ(tiers_for_event(c, "push", "release/1.2/rc"), (V{"functionality", "validation"}));
  // pull_request: the branch is the PR's target branch.
  EXPECT_EQ(tiers_for_event(c, "pull_request", "main"), (V{"functionality", "validation"}));
  EXPECT_EQ(tiers_for_event(c, "pull_request", "develop"), V{"functionality"});
  // Branch filters do not apply to tags and schedules.
  EXPECT_EQ(tiers_for_event(c, "tag", "v1.0"), V{"validation"});
  EXPECT_EQ(tiers_for_event(c, "schedule", ""), V{"training"});
  EXPECT_TRUE(tiers_for_event(c, "workflow_dispatch", "main").empty());
  EXPECT_TRUE(tiers_for_event(c, "", "main").empty());
}

// ---------------------------------------------------------------------------------------------
// Hostile input: never crash or hang

TEST(ConfigHostile, TooLargeIsRejectedBeforeParsing) {
  std::string big(1024 * 1024, 'a');
  auto errors = parse_errors(big);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].line, 1);
  EXPECT_NE(errors[0].message.find("the limit is 262144 bytes"), std::string::npos);
  std::string just_over(kMaxConfigBytes + 1, '#');
  EXPECT_TRUE(has_error(just_over, "the limit is"));
}

TEST(ConfigHostile, DeepNesting) {
  for (std::string open : {"[", "{a: "}) {
    std::string deep = "version: 1\ntiers: ";
    for (int i = 0; i < 50000; ++i) deep += open;
    auto r = parse_config(deep);
    EXPECT_FALSE(r.ok());
  }
  std::string closed = "version: 1\ntiers: " + std::string(3000, '[') + std::string(3000, ']');
  EXPECT_TRUE(has_error(closed, "YAML nesting is too deep"));
  std::string block = "version: 1\ntiers:\n";
  for (int i = 0; i < 3000; ++i)
    block += std::string(static_cast<std::size_t>(i) + 2, ' ') + "a:\n";
  EXPECT_FALSE(parse_config(block).ok());
  std::string dashes = "version: 1\ntiers: ";
  for (int i = 0; i < 20000; ++i) dashes += "- ";
  EXPECT_FALSE(parse_config(dashes).ok());
}

TEST(ConfigHostile, HugeNumbers) {
  EXPECT_TRUE(has_error(gate("    metrics: [{name: a, min: 1e999}]\n"), "must be a finite number"));
  EXPECT_TRUE(has_error(gate("    metrics: [{name: a, min: " + std::string(5000, '9') + "}]\n"),
                        "must be a finite number"));
  EXPECT_TRUE(has_error(gate("    slices: [{metric: a, by: b, min: 1, min_n: 1e3}]\n"),
                        "must be a whole number"));
  EXPECT_TRUE(has_error("version: 99999999999999999999999\n", "unsupported version"));
}

TEST(ConfigHostile, AnchorsAndAliases) {
  // Aliases are fine for reuse.
  Config c = parse_ok(R"(version: 1
image: i
tiers:
  functionality: {run: a, env: &common {SEED: "1"}}
  validation: {run: b, env: *common}
)");
  EXPECT_EQ(c.tiers.at(1).env.at("SEED"), "1");
  // A "billion laughs" document is not expanded: aliases share nodes.
  std::string laughs = "version: 1\nimage: i\nl0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol]\n";
  for (int i = 1; i < 30; ++i) {
    std::string prev = "*l" + std::to_string(i - 1);
    laughs += "l" + std::to_string(i) + ": &l" + std::to_string(i) + " [" + prev + ", " + prev +
              ", " + prev + ", " + prev + ", " + prev + ", " + prev + ", " + prev + ", " + prev +
              "]\n";
  }
  laughs += "tiers:\n  functionality: {run: a, branches: *l29, needs: *l29, env: {A: *l29}}\n";
  auto r = parse_config(laughs);
  EXPECT_FALSE(r.ok());
  EXPECT_TRUE(has_error(laughs, "unknown key 'l0'"));
  // A self-referencing alias.
  EXPECT_FALSE(parse_config("version: 1\ntiers: &t {functionality: *t}\n").ok());
  EXPECT_FALSE(parse_config("version: 1\ntiers: &t [*t]\nimage: i\n").ok());
  // Merge keys work (ConfigYaml above) but cannot blow up either: eight merges of eight merges
  // of ... is refused, not expanded.
  std::string merges = "version: 1\nimage: i\nx-m0: &m0 {run: a}\n";
  for (int i = 1; i < 30; ++i) {
    std::string prev = "*m" + std::to_string(i - 1);
    merges += "x-m" + std::to_string(i) + ": &m" + std::to_string(i) + " {<<: [" + prev + ", " +
              prev + ", " + prev + ", " + prev + ", " + prev + ", " + prev + ", " + prev + ", " +
              prev + "]}\n";
  }
  merges += "tiers:\n  functionality: {<<: *m29}\n";
  EXPECT_TRUE(has_error(merges, "merge keys"));
}

// `count` aliases of one scalar of `scalar_bytes` bytes, each the value of an env variable; the
// first alias is on line 8, column 11.
std::string aliases_of_one_scalar(std::size_t scalar_bytes, int count) {
  std::string y = "version: 1\nimage: i\nx-s: &s \"" + std::string(scalar_bytes, 'a') +
                  "\"\ntiers:\n  functionality:\n    run: a\n    env:\n";
  for (int i = 0; i < count; ++i) y += "      A" + std::to_string(i) + ": *s\n";
  return y;
}

TEST(ConfigHostile, AliasesAreBoundedByWhatTheyExpandTo) {
  // 2,000 aliases of one 100 kB string: a 128 KiB file that would expand to 200 MB. Each alias adds
  // 100,001 bytes (the scalar and its node), so the third one, on line 10, crosses 256 KiB.
  const std::string hostile = aliases_of_one_scalar(100000, 2000);
  ASSERT_LT(hostile.size(), kMaxConfigBytes);
  auto errors = parse_errors(hostile);
  ASSERT_EQ(errors.size(), 1u) << format_errors(errors);
  EXPECT_EQ(errors[0].line, 10);
  EXPECT_EQ(errors[0].column, 11);
  EXPECT_NE(errors[0].message.find("expand to more than 262144 bytes (kMaxConfigAliasBytes"),
            std::string::npos)
      << errors[0].message;
  // With a byte-order mark in front, too.
  auto bom = parse_errors("\xEF\xBB\xBF" + hostile);
  ASSERT_EQ(bom.size(), 1u) << format_errors(bom);
  EXPECT_NE(bom[0].message.find("expand to more than"), std::string::npos);
  // Two of them stay within the limit and parse.
  Config two = parse_ok(aliases_of_one_scalar(100000, 2));
  EXPECT_EQ(two.tiers.at(0).env.at("A1"), std::string(100000, 'a'));

  // Merge keys count the same: the third merge of a mapping holding a 100 kB string crosses.
  std::string merges = "version: 1\nimage: i\nx-big: &big {run: \"" + std::string(100000, 'r') +
                       "\"}\ntiers:\n  functionality: {<<: *big}\n  validation: {<<: *big}\n"
                       "  training: {<<: *big, schedule: \"@daily\"}\n";
  auto merge_errors = parse_errors(merges);
  // (The training tier, before that alias, is checked as if the merge brought in nothing.)
  ConfigError crossed = find_error(merge_errors, "expand to more than");
  EXPECT_EQ(crossed.line, 7);
  EXPECT_EQ(crossed.column, 18);
  EXPECT_NE(crossed.message.find("merge keys"), std::string::npos);

  // A billion laughs, its aliases used only where nothing reads them: still refused, at the alias
  // that crosses the limit (the first *l4, line 9); errors after it are not reported, errors before
  // it are.
  std::string laughs =
      "version: 1\nimage: i\ntiers: {functionality: {run: a}}\n"
      "x-l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol]\n";
  for (int i = 1; i < 30; ++i) {
    std::string prev = "*l" + std::to_string(i - 1);
    laughs += "x-l" + std::to_string(i) + ": &l" + std::to_string(i) + " [" + prev;
    for (int k = 1; k < 8; ++k) laughs += ", " + prev;
    laughs += "]\n";
  }
  laughs += "gates: {g: {require: functionality}}\nbad: 1\n";
  auto laugh_errors = parse_errors(laughs);
  ASSERT_EQ(laugh_errors.size(), 1u) << format_errors(laugh_errors);
  EXPECT_EQ(laugh_errors[0].line, 9);
  EXPECT_EQ(laugh_errors[0].column, 12);
  EXPECT_NE(laugh_errors[0].message.find("expand to more than"), std::string::npos);
  auto before = parse_errors("version: 1\nimage: i\nbad: 1\n" + laughs.substr(20));
  ASSERT_EQ(before.size(), 2u) << format_errors(before);
  EXPECT_EQ(before[0].line, 3);
  EXPECT_NE(before[0].message.find("unknown key 'bad'"), std::string::npos);

  // An alias inside the node it names expands without end.
  auto cycle =
      parse_errors("version: 1\nimage: i\ntiers: {functionality: {run: a}}\nx-t: &t [a, *t]\n");
  ASSERT_EQ(cycle.size(), 1u) << format_errors(cycle);
  EXPECT_EQ(cycle[0].line, 4);
  EXPECT_EQ(cycle[0].column, 13);
  EXPECT_NE(cycle[0].message.find("expands without end"), std::string::npos);
}

TEST(ConfigHostile, InputsThatHangYamlCppLoadAll) {
  // yaml-cpp 0.7's LoadAll never returns (and allocates without bound) on these.
  EXPECT_EQ(parse_errors(","),
            (std::vector<ConfigError>{{1, 1, "YAML syntax error: unexpected ','"}}));
  EXPECT_TRUE(has_error("version: 1\n,\n", "YAML syntax error"));
  EXPECT_TRUE(has_error(",ersion: 1\nimage: x\n", "YAML syntax error"));
  EXPECT_EQ(parse_errors("{version: 1}\n,x\n"),
            (std::vector<ConfigError>{{2, 1, "YAML syntax error: unexpected ','"}}));
}

TEST(ConfigHostile, BinaryJunk) {
  std::string junk;
  std::uint32_t x = 12345;
  for (int i = 0; i < 100000; ++i) {
    x = x * 1103515245 + 12345;
    junk += static_cast<char>(x >> 24);
  }
  auto r = parse_config(junk);
  EXPECT_FALSE(r.ok());
  EXPECT_FALSE(parse_config(std::string("version: 1\0\0\0", 13)).ok());
  EXPECT_FALSE(parse_config("\xff\xfe\x00v\x00").ok());
  // Control characters in keys are not echoed back.
  auto errors = parse_errors(with_base("\"bad\\x01key\": 1\n"));
  for (const ConfigError& e : errors) EXPECT_EQ(e.message.find('\x01'), std::string::npos);
}

TEST(ConfigHostile, ErrorsAreCapped) {
  std::string many(kBase);
  for (int i = 0; i < 500; ++i) many += "k" + std::to_string(i) + ": 1\n";
  auto errors = parse_errors(many);
  ASSERT_EQ(errors.size(), 101u);
  EXPECT_NE(errors.back().message.find("too many errors"), std::string::npos);
}

TEST(ConfigHostile, LargeValidFileParses) {
  std::string big = with_base("  validation:\n    run: v\n    branches:\n");
  while (big.size() < kMaxConfigBytes - 64)
    big += "      - \"feature/" + std::to_string(big.size()) + "\"\n";
  Config c = parse_ok(big);
  EXPECT_GT(c.tiers.at(1).branches.size(), 5000u);
}

}  // namespace
}  // namespace mlgate::core
