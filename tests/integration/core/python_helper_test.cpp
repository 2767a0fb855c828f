// mlgate's Python helper (clients/python, docs/python-helper.md) in the image jobs run in: its
// pytest suite runs in mlgate/python-ml:bookworm against the installed package (which must be this
// source tree's: scripts/images python rebuilds the layer), and the files one of its tests writes
// (metrics.json with slices from a pandas group-by, predictions.jsonl, reference.jsonl) and the
// suite's own junit.xml (a test marked @mltest) are read by mlgate's parsers. And `pip install
// clients/python` as docs/python-helper.md gives it, offline in the same image, into a virtual
// environment: the installed package (not the source tree) writes files that mlgate reads back.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <string>
#include <vector>

#include "core/junit.h"
#include "core/metrics_json.h"
#include "core/observations.h"
#include "core/predictions.h"
#include "tests/support/python_image.h"
#include "tests/support/temp_dir.h"
#include "util/child_process.h"

namespace mlgate::core {
namespace {

const TestCase* find_case(const std::vector<TestCase>& cases, const std::string& name) {
  auto it =
      std::find_if(cases.begin(), cases.end(), [&](const TestCase& t) { return t.name == name; });
  return it == cases.end() ? nullptr : &*it;
}

TEST(PythonHelper, ItsSuitePassesInTheImageAndMlgateReadsWhatItWrites) {
  if (auto why = testing::docker_missing(); !why.empty())
    GTEST_SKIP() << "Docker is absent (" << why << ")";
  testing::TempDir out("mlgate-python-helper");
  chmod(out.str().c_str(), 0777);
  const std::string user = std::to_string(getuid()) + ":" + std::to_string(getgid());
  std::string log;
  const int status = util::run_capture({"docker",
                                        "run",
                                        "--rm",
                                        "--network",
                                        "none",
                                        "--user",
                                        user,
                                        "-e",
                                        "HOME=/tmp",
                                        "-e",
                                        "PYTHONDONTWRITEBYTECODE=1",
                                        "-e",
                                        "MLGATE_HELPER_INSTALLED=1",
                                        "-e",
                                        "MLGATE_HELPER_SOURCE=/src",
                                        "-e",
                                        "MLGATE_HELPER_OUT=/out",
                                        "-v",
                                        MLGATE_SOURCE_DIR "/clients/python:/src:ro",
                                        "-v",
                                        out.str() + ":/out",
                                        "-w",
                                        "/tmp",
                                        testing::kPythonImage,
                                        "python3",
                                        "-m",
                                        "pytest",
                                        "-q",
                                        "-p",
                                        "no:cacheprovider",
                                        "-o",
                                        "junit_family=xunit1",
                                        "--junitxml=/out/junit.xml",
                                        "/src/tests"},
                                       log);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
      << util::describe_wait_status(status) << " (is " << testing::kPythonImage
      << " built with this helper? scripts/images python):\n"
      << log;

  auto junit = parse_junit(testing::read_file(out.path() / "junit.xml"));
  ASSERT_TRUE(junit.ok()) << junit.error().to_string();
  for (const auto& t : junit.value())
    EXPECT_EQ(t.status, TestStatus::passed) << t.name << ": " << t.message;
  for (const char* name : {"test_the_installed_package_is_this_source",
                           "test_the_installed_package_loads_its_plugin_by_itself"})
    ASSERT_NE(find_case(junit.value(), name), nullptr) << name;
  const TestCase* marked = find_case(junit.value(), "test_writes_every_file_for_mlgate");
  ASSERT_NE(marked, nullptr);
  EXPECT_EQ(marked->mltest, (std::vector<std::string>{"data-1", "monitor-3"}));

  auto metrics = parse_metrics_json(testing::read_file(out.path() / "metrics.json"));
  ASSERT_TRUE(metrics.ok()) << metrics.error().to_string();
  std::vector<std::string> rows;
  for (const auto& m : metrics.value())
    rows.push_back(m.name + "[" + m.slice_key + "=" + m.slice_value +
                   "] n=" + (m.n ? std::to_string(*m.n) : "-"));
  EXPECT_EQ(rows, (std::vector<std::string>{"recall[=] n=-", "accuracy[=] n=-",
                                            "recall[band=large] n=30", "recall[band=small] n=10"}));

  auto predictions = parse_predictions_jsonl(testing::read_file(out.path() / "predictions.jsonl"));
  ASSERT_TRUE(predictions.ok()) << predictions.error().to_string();
  ASSERT_EQ(predictions.value().size(), 40u);
  const Prediction& first = predictions.value().front();
  EXPECT_EQ(first.id, "case-000");
  EXPECT_EQ(first.truth, "1");
  EXPECT_EQ(first.label, "1");
  EXPECT_TRUE(first.score.has_value());
  EXPECT_EQ(first.slices, (std::vector<std::pair<std::string, std::string>>{{"band", "small"}}));

  auto reference =
      parse_reference_jsonl(testing::read_file(out.path() / "reference.jsonl"), 100000, 1);
  ASSERT_TRUE(reference.ok()) << reference.error().to_string();
  EXPECT_EQ(reference.value().profile.rows, 25u);  // the seeded sample's cap
  for (const char* feature : {"radius", "band", "prediction.label", "prediction.score"})
    EXPECT_TRUE(reference.value().profile.features.contains(feature)) << feature;
}

// Run in the image by `sh -c`: copies the read-only source (pip builds in the tree), installs it
// with the image's pip and setuptools into a venv that also sees the system's packages, then, from
// another directory, imports the package and writes two files. Prints the module's path last.
constexpr const char* kPipInstall = R"(set -e
cp -r /src /tmp/src
python3 -m venv --system-site-packages --without-pip /tmp/venv
/tmp/venv/bin/python -m pip install --no-index --no-build-isolation --no-deps \
  --disable-pip-version-check --no-cache-dir /tmp/src
mkdir /tmp/elsewhere && cd /tmp/elsewhere
/tmp/venv/bin/python - <<'PY'
import importlib.metadata as md, json, os
import mlgate_results
from mlgate_results import write_metrics, write_predictions
write_metrics({"accuracy": 0.75}, slices={"band": {"small": {"accuracy": 0.5, "n": 2}}}, directory="/out")
write_predictions(ids=["a", "b", "c", "d"], labels=[1, 0, 1, 1], truth=[1, 1, 1, 0], directory="/out")
back = json.load(open("/out/metrics.json"))
assert back["metrics"]["accuracy"] == 0.75, back
plugins = [e.value for e in md.entry_points(group="pytest11")]
assert "mlgate_results.pytest_plugin" in plugins, plugins
print("VERSION", md.version("mlgate-results"))
print("MODULE", mlgate_results.__file__)
PY
)";

TEST(PythonHelper, PipInstallsItOfflineAndTheInstalledPackageWritesWhatMlgateReads) {
  if (auto why = testing::docker_missing(); !why.empty())
    GTEST_SKIP() << "Docker is absent (" << why << ")";
  testing::TempDir out("mlgate-python-pip");
  chmod(out.str().c_str(), 0777);
  const std::string user = std::to_string(getuid()) + ":" + std::to_string(getgid());
  std::string log;
  const int status = util::run_capture(
      {"docker", "run", "--rm", "--network", "none", "--user", user, "-e", "HOME=/tmp", "-v",
       MLGATE_SOURCE_DIR "/clients/python:/src:ro", "-v", out.str() + ":/out", "-w", "/tmp",
       testing::kPythonImage, "sh", "-c", kPipInstall},
      log);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
      << util::describe_wait_status(status) << " (has " << testing::kPythonImage
      << " pip? scripts/images python):\n"
      << log;
  EXPECT_NE(log.find("Successfully installed mlgate-results-0.1.0"), std::string::npos) << log;
  EXPECT_NE(log.find("VERSION 0.1.0"), std::string::npos) << log;
  // The installed copy, not the source tree nor the image's own copy, was imported.
  const auto at = log.find("MODULE ");
  ASSERT_NE(at, std::string::npos) << log;
  const std::string module = log.substr(at + 7, log.find('\n', at) - at - 7);
  EXPECT_TRUE(module.starts_with("/tmp/venv/lib/python3") &&
              module.ends_with("/site-packages/mlgate_results/__init__.py"))
      << module;

  auto metrics = parse_metrics_json(testing::read_file(out.path() / "metrics.json"));
  ASSERT_TRUE(metrics.ok()) << metrics.error().to_string();
  ASSERT_EQ(metrics.value().size(), 2u);
  EXPECT_EQ(metrics.value()[0].name, "accuracy");
  EXPECT_DOUBLE_EQ(metrics.value()[0].value, 0.75);
  EXPECT_EQ(metrics.value()[1].slice_value, "small");
  auto predictions = parse_predictions_jsonl(testing::read_file(out.path() / "predictions.jsonl"));
  ASSERT_TRUE(predictions.ok()) << predictions.error().to_string();
  ASSERT_EQ(predictions.value().size(), 4u);
  EXPECT_EQ(predictions.value()[3].id, "d");
  EXPECT_EQ(predictions.value()[3].truth, "0");
}

}  // namespace
}  // namespace mlgate::core
