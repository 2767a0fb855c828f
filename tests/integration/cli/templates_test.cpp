// templates/ci: the CI-plugin side. The starter .mlgate.yml must pass the real `mlgate config
// validate`; the GitHub Action, the GitLab include and the Argo AnalysisTemplate must parse as YAML
// and hold the pieces a pipeline depends on. The action's and the include's scripts are also run,
// with bash, against a stand-in `mlgate` that answers allow / deny / pending / error.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "tests/support/temp_dir.h"
#include "util/child_process.h"

namespace mlgate {
namespace {

namespace fs = std::filesystem;

fs::path ci_dir() {
  return fs::path(MLGATE_SOURCE_DIR) / "templates" / "ci";
}

struct Run {
  int exit_code = -1;
  std::string output;
};

Run run(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env = {}) {
  util::ChildOptions options;
  options.env = env;
  Run r;
  int status = util::run_capture(argv, r.output, options);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

// --- starter .mlgate.yml -------------------------------------------------------------------

TEST(Templates, StarterConfigValidatesWithTheRealBinary) {
  auto file = (ci_dir() / "mlgate.yml").string();
  auto r = run({MLGATE_BINARY, "config", "validate", file});
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(contains(r.output, "valid (3 tiers: functionality, validation, training;"))
      << r.output;
}

// Every key of docs/config.md appears somewhere in the starter, so it cannot silently fall behind.
TEST(Templates, StarterConfigShowsEveryOption) {
  YAML::Node c = YAML::LoadFile((ci_dir() / "mlgate.yml").string());
  for (const char* k : {"version", "image", "tiers", "gates", "rubric"}) {
    EXPECT_TRUE(c[k]) << "top-level key " << k;
  }
  std::set<std::string> tier_keys, resource_keys, gate_keys, metric_keys, slice_keys, fairness_keys,
      prediction_keys, rubric_gate_keys;
  std::set<std::string> tiers;
  for (const auto& tier : c["tiers"]) {
    tiers.insert(tier.first.as<std::string>());
    for (const auto& kv : tier.second) tier_keys.insert(kv.first.as<std::string>());
    if (tier.second["resources"]) {
      for (const auto& kv : tier.second["resources"])
        resource_keys.insert(kv.first.as<std::string>());
    }
  }
  EXPECT_EQ(tiers, (std::set<std::string>{"functionality", "validation", "training"}));
  for (const auto& gate : c["gates"]) {
    for (const auto& kv : gate.second) gate_keys.insert(kv.first.as<std::string>());
    for (const auto& m : gate.second["metrics"]) {
      for (const auto& kv : m) metric_keys.insert(kv.first.as<std::string>());
    }
    for (const auto& s : gate.second["slices"]) {
      for (const auto& kv : s) slice_keys.insert(kv.first.as<std::string>());
    }
    for (const auto& f : gate.second["fairness"]) {
      for (const auto& kv : f) fairness_keys.insert(kv.first.as<std::string>());
    }
    for (const auto& kv : gate.second["predictions"])
      prediction_keys.insert(kv.first.as<std::string>());
    for (const auto& kv : gate.second["rubric"])
      rubric_gate_keys.insert(kv.first.as<std::string>());
  }
  auto expect_all = [](const std::set<std::string>& have, std::initializer_list<const char*> want,
                       const char* where) {
    for (const char* k : want) EXPECT_TRUE(have.count(k)) << where << " lacks " << k;
  };
  expect_all(tier_keys,
             {"run", "image", "on", "branches", "needs", "timeout", "resources", "network",
              "schedule", "cancel_superseded", "env"},
             "tiers");
  expect_all(resource_keys, {"cpus", "memory", "gpus", "pids"}, "resources");
  expect_all(gate_keys, {"require", "metrics", "slices", "fairness", "predictions", "rubric"},
             "gates");
  expect_all(metric_keys,
             {"name", "min", "max", "max_drop", "max_increase", "lower_is_better", "optional"},
             "metric checks");
  expect_all(slice_keys, {"metric", "by", "min", "max", "max_gap", "min_n", "optional"},
             "slice checks");
  expect_all(fairness_keys, {"metric", "by", "reference", "disparity", "min_n", "optional"},
             "fairness checks");
  expect_all(prediction_keys, {"max_flip_rate", "max_score_delta", "optional"}, "predictions");
  expect_all(rubric_gate_keys, {"min_score"}, "gate rubric");
  EXPECT_TRUE(c["rubric"]["automated"].IsMap());
  EXPECT_TRUE(c["rubric"]["manual"].IsMap());
}

// --- GitHub Action -------------------------------------------------------------------------

YAML::Node load_action() {
  return YAML::LoadFile((ci_dir() / "github" / "action.yml").string());
}

TEST(Templates, GithubActionIsACompositeActionWithTheDocumentedInputs) {
  YAML::Node a = load_action();
  EXPECT_EQ(a["name"].as<std::string>(), "mlgate gate");
  EXPECT_EQ(a["runs"]["using"].as<std::string>(), "composite");
  for (const char* k : {"server-url", "token", "environment"}) {
    ASSERT_TRUE(a["inputs"][k]) << k;
    EXPECT_TRUE(a["inputs"][k]["required"].as<bool>()) << k;
  }
  EXPECT_EQ(a["inputs"]["repo"]["default"].as<std::string>(), "${{ github.repository }}");
  EXPECT_EQ(a["inputs"]["sha"]["default"].as<std::string>(), "${{ github.sha }}");
  EXPECT_EQ(a["inputs"]["mlgate-binary"]["default"].as<std::string>(), "mlgate");
  EXPECT_TRUE(a["outputs"]["decision"]);

  YAML::Node steps = a["runs"]["steps"];
  ASSERT_TRUE(steps.IsSequence());
  bool runs_gate = false;
  for (const auto& step : steps) {
    if (!step["run"]) continue;
    auto script = step["run"].as<std::string>();
    // Inputs reach the script only through env: no ${{ }} expression inside any run script.
    EXPECT_FALSE(contains(script, "${{")) << script;
    EXPECT_FALSE(contains(script, "inputs.token"));
    EXPECT_FALSE(contains(script, "set -x"));
    EXPECT_EQ(step["shell"].as<std::string>(), "bash");
    if (contains(script, "\"$MLGATE_BINARY\" gate --repo \"$GATE_REPO\" --sha \"$GATE_SHA\"")) {
      runs_gate = true;
      EXPECT_EQ(step["env"]["MLGATE_URL"].as<std::string>(), "${{ inputs.server-url }}");
      EXPECT_EQ(step["env"]["MLGATE_TOKEN"].as<std::string>(), "${{ inputs.token }}");
      EXPECT_EQ(step["env"]["GATE_ENVIRONMENT"].as<std::string>(), "${{ inputs.environment }}");
      EXPECT_TRUE(contains(script, "--environment \"$GATE_ENVIRONMENT\""));
      EXPECT_TRUE(contains(script, "$GITHUB_STEP_SUMMARY"));
      EXPECT_TRUE(contains(script, "$GITHUB_OUTPUT"));
    }
  }
  EXPECT_TRUE(runs_gate) << "no step runs `mlgate gate --repo … --sha … --environment …`";
}

// A stand-in for `mlgate gate`: the decision comes from FAKE_DECISION; it checks that the token
// arrived in MLGATE_TOKEN and logs its arguments.
void write_fake_mlgate(const fs::path& path) {
  testing::write_file(path, R"SH(#!/bin/bash
echo "$*" >> "$FAKE_LOG"
[ "$MLGATE_URL" = "http://mlgate.test" ] || { echo "bad MLGATE_URL" >&2; exit 2; }
[ "$MLGATE_TOKEN" = "s3cret-token" ] || { echo "bad MLGATE_TOKEN" >&2; exit 2; }
[ "$1" = gate ] || exit 2
d=$FAKE_DECISION
if [ "$d" = error ]; then echo "error: cannot reach http://mlgate.test" >&2; exit 2; fi
case " $* " in
  *" --format markdown "*) echo "### MARKDOWN REPORT $d" ;;
  *" --format openmetrics "*) printf 'mlgate_gate_allowed{environment="production"} 0\n# EOF\n' ;;
  *" --json "*)
    echo '{"decision":"'"$d"'","checks":[{"kind":"metric","name":"accuracy","status":"pass","value":0.93,"baseline":0.92,"threshold":"min 0.9","reason":"0.93 >= min 0.9"},{"kind":"slice","name":"recall[age_group=<30]","status":"fail","value":0.78,"baseline":null,"threshold":"min 0.8","reason":"0.78 < min 0.8 (n=412)"}],"rubric":{"score":1.0,"sections":{"data":1.0,"model":1.5,"infra":1.0,"monitor":1.0},"band":"Not totally untested."}}' ;;
  *) echo "TABLE $d" ;;
esac
case "$d" in allow) exit 0 ;; deny) exit 1 ;; *) exit 2 ;; esac
)SH");
  fs::permissions(path, fs::perms::owner_all);
}

struct ActionRun {
  Run run;
  std::string output_file;
  std::string summary;
  std::string log;
};

ActionRun run_action(const std::string& decision) {
  YAML::Node a = load_action();
  std::string script;
  for (const auto& step : a["runs"]["steps"]) {
    if (step["run"]) script = step["run"].as<std::string>();
  }
  testing::TempDir dir("mlgate-action");
  testing::write_file(dir.path() / "step.sh", script);
  testing::write_file(dir.path() / "output", "");
  testing::write_file(dir.path() / "summary", "");
  write_fake_mlgate(dir.path() / "mlgate");
  ActionRun r;
  r.run = run({"/bin/bash", (dir.path() / "step.sh").string()},
              {{"MLGATE_URL", "http://mlgate.test"},
               {"MLGATE_TOKEN", "s3cret-token"},
               {"MLGATE_BINARY", (dir.path() / "mlgate").string()},
               {"GATE_REPO", "acme/churn"},
               {"GATE_SHA", "0123456789abcdef0123456789abcdef01234567"},
               {"GATE_ENVIRONMENT", "production"},
               {"GITHUB_OUTPUT", (dir.path() / "output").string()},
               {"GITHUB_STEP_SUMMARY", (dir.path() / "summary").string()},
               {"FAKE_DECISION", decision},
               {"FAKE_LOG", (dir.path() / "log").string()}});
  r.output_file = testing::read_file(dir.path() / "output");
  r.summary = testing::read_file(dir.path() / "summary");
  if (fs::exists(dir.path() / "log")) r.log = testing::read_file(dir.path() / "log");
  return r;
}

TEST(Templates, GithubActionScriptAllowsDeniesAndWaitsWithTheRightExitCodes) {
  auto allow = run_action("allow");
  EXPECT_EQ(allow.run.exit_code, 0) << allow.run.output;
  EXPECT_EQ(allow.output_file, "decision=allow\n");
  EXPECT_TRUE(contains(allow.run.output, "TABLE allow")) << allow.run.output;
  EXPECT_TRUE(contains(allow.log,
                       "gate --repo acme/churn --sha 0123456789abcdef0123456789abcdef01234567 "
                       "--environment production"))
      << allow.log;
  // The summary holds mlgate's own Markdown report (`gate --format markdown`), under a line
  // naming the repository and the commit.
  EXPECT_TRUE(contains(allow.summary, "`acme/churn`, commit `0123456789ab`")) << allow.summary;
  EXPECT_TRUE(contains(allow.summary, "### MARKDOWN REPORT allow\n")) << allow.summary;
  EXPECT_TRUE(contains(allow.log, "--environment production --format markdown")) << allow.log;

  auto deny = run_action("deny");
  EXPECT_EQ(deny.run.exit_code, 1) << deny.run.output;
  EXPECT_EQ(deny.output_file, "decision=deny\n");
  EXPECT_TRUE(contains(deny.run.output, "::error title=mlgate gate::deny")) << deny.run.output;

  auto pending = run_action("pending");
  EXPECT_EQ(pending.run.exit_code, 2) << pending.run.output;
  EXPECT_EQ(pending.output_file, "decision=pending\n");
  EXPECT_TRUE(contains(pending.run.output, "::error title=mlgate gate::pending"))
      << pending.run.output;

  EXPECT_TRUE(contains(deny.summary, "### MARKDOWN REPORT deny")) << deny.summary;

  auto error = run_action("error");
  EXPECT_EQ(error.run.exit_code, 2) << error.run.output;
  EXPECT_FALSE(contains(error.summary, "MARKDOWN")) << error.summary;
  EXPECT_EQ(error.output_file, "decision=error\n");
  EXPECT_TRUE(contains(error.run.output, "::error title=mlgate gate::error")) << error.run.output;

  for (const auto* r : {&allow, &deny, &pending, &error}) {
    EXPECT_FALSE(contains(r->run.output, "s3cret-token"));
    EXPECT_FALSE(contains(r->summary, "s3cret-token"));
  }
}

// --- GitLab CI include ---------------------------------------------------------------------

TEST(Templates, GitlabIncludeDefinesAHiddenGateJob) {
  auto path = ci_dir() / "gitlab" / "mlgate-gate.gitlab-ci.yml";
  YAML::Node g = YAML::LoadFile(path.string());
  YAML::Node job = g[".mlgate-gate"];
  ASSERT_TRUE(job.IsMap());
  EXPECT_EQ(job["stage"].as<std::string>(), "deploy-gate");
  EXPECT_FALSE(job["variables"]["MLGATE_TOKEN"]) << "the token belongs in a masked CI/CD variable";
  EXPECT_TRUE(job["variables"]["MLGATE_ENVIRONMENT"]);
  ASSERT_TRUE(job["script"].IsSequence());
  std::string script;
  for (const auto& line : job["script"]) script += line.as<std::string>() + "\n";
  EXPECT_TRUE(contains(script, "gate --repo \"$CI_PROJECT_PATH\" --sha \"$CI_COMMIT_SHA\""))
      << script;
  EXPECT_TRUE(contains(script, "--environment \"$MLGATE_ENVIRONMENT\"")) << script;
  EXPECT_TRUE(contains(testing::read_file(path), "extends: .mlgate-gate"));
  // The checks' values become GitLab's metrics report, kept when the gate denies.
  EXPECT_EQ(job["artifacts"]["reports"]["metrics"].as<std::string>(), "mlgate-metrics.txt");
  EXPECT_EQ(job["artifacts"]["when"].as<std::string>(), "always");
  EXPECT_TRUE(contains(script, "--format openmetrics > mlgate-metrics.txt")) << script;

  // The script, run by sh, against the stand-in mlgate.
  testing::TempDir dir("mlgate-gitlab");
  testing::write_file(dir.path() / "job.sh", script);
  write_fake_mlgate(dir.path() / "mlgate");
  auto run_job = [&](const std::string& decision) {
    // GitLab runs the script in the job's directory, where the report is written.
    return run({"/bin/sh", "-c", "cd \"$JOB_DIR\" && exec /bin/sh -e job.sh"},
               {{"JOB_DIR", dir.path().string()},
                {"MLGATE_URL", "http://mlgate.test"},
                {"MLGATE_TOKEN", "s3cret-token"},
                {"MLGATE_BINARY", (dir.path() / "mlgate").string()},
                {"MLGATE_ENVIRONMENT", "production"},
                {"CI_PROJECT_PATH", "acme/churn"},
                {"CI_COMMIT_SHA", "0123456789abcdef0123456789abcdef01234567"},
                {"CI_COMMIT_SHORT_SHA", "01234567"},
                {"FAKE_DECISION", decision},
                {"FAKE_LOG", (dir.path() / "log").string()}});
  };
  auto allow = run_job("allow");
  EXPECT_EQ(allow.exit_code, 0) << allow.output;
  auto deny = run_job("deny");
  EXPECT_EQ(deny.exit_code, 1) << deny.output;
  EXPECT_EQ(testing::read_file(dir.path() / "mlgate-metrics.txt"),
            "mlgate_gate_allowed{environment=\"production\"} 0\n# EOF\n");
  EXPECT_TRUE(contains(deny.output, "deny")) << deny.output;
  auto pending = run_job("pending");
  EXPECT_EQ(pending.exit_code, 2) << pending.output;
  EXPECT_TRUE(contains(pending.output, "pending")) << pending.output;
  EXPECT_TRUE(contains(testing::read_file(dir.path() / "log"),
                       "gate --repo acme/churn --sha 0123456789abcdef0123456789abcdef01234567 "
                       "--environment production"));
}

// --- Argo Rollouts AnalysisTemplate --------------------------------------------------------

TEST(Templates, ArgoAnalysisTemplateAsksTheGateApiWithABearerFromASecret) {
  YAML::Node t = YAML::LoadFile((ci_dir() / "argo" / "analysis-template.yaml").string());
  EXPECT_EQ(t["apiVersion"].as<std::string>(), "argoproj.io/v1alpha1");
  EXPECT_EQ(t["kind"].as<std::string>(), "AnalysisTemplate");

  std::map<std::string, YAML::Node> args;
  for (const auto& arg : t["spec"]["args"])
    args[arg["name"].as<std::string>()] = static_cast<const YAML::Node&>(arg);
  for (const char* k : {"server-url", "repo", "sha", "environment", "token"}) {
    EXPECT_TRUE(args.count(k)) << "arg " << k;
  }
  ASSERT_TRUE(args.count("token"));
  EXPECT_TRUE(args["token"]["valueFrom"]["secretKeyRef"]["name"]);
  EXPECT_TRUE(args["token"]["valueFrom"]["secretKeyRef"]["key"]);

  ASSERT_EQ(t["spec"]["metrics"].size(), 1u);
  YAML::Node m = t["spec"]["metrics"][0];
  YAML::Node web = m["provider"]["web"];
  ASSERT_TRUE(web.IsMap());
  EXPECT_EQ(web["url"].as<std::string>(),
            "{{args.server-url}}/api/v1/repos/{{args.repo}}/gate?sha={{args.sha}}"
            "&environment={{args.environment}}");
  EXPECT_EQ(web["jsonPath"].as<std::string>(), "{$.decision}");
  bool bearer = false;
  for (const auto& h : web["headers"]) {
    if (h["key"].as<std::string>() == "Authorization") {
      bearer = h["value"].as<std::string>() == "Bearer {{args.token}}";
    }
  }
  EXPECT_TRUE(bearer);
  EXPECT_TRUE(contains(m["successCondition"].as<std::string>(), "\"allow\""));
  EXPECT_TRUE(contains(m["failureCondition"].as<std::string>(), "\"deny\""));
  // pending is inconclusive and retried: inconclusive on every one of `count` tries ->
  // Inconclusive.
  EXPECT_EQ(m["failureLimit"].as<int>(), 0);
  EXPECT_EQ(m["inconclusiveLimit"].as<int>(), m["count"].as<int>() - 1);
  EXPECT_TRUE(m["interval"]);
}

}  // namespace
}  // namespace mlgate
