// `mlgate config validate`: the real binary on real files; what a person sees before pushing.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>

#include "tests/support/temp_dir.h"
#include "util/child_process.h"

namespace mlgate {
namespace {

struct Run {
  int exit_code = -1;
  std::string output;
};

Run validate(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {MLGATE_BINARY, "config", "validate"};
  argv.insert(argv.end(), args.begin(), args.end());
  Run r;
  int status = util::run_capture(argv, r.output);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

TEST(ConfigValidate, AValidFileSaysWhatItDeclaresAndExitsZero) {
  testing::TempDir dir("mlgate-cfg");
  testing::write_file(dir.path() / ".mlgate.yml", R"(version: 1
image: mlgate/python-ml:bookworm
tiers:
  functionality:
    run: pytest -q tests/functionality
  validation:
    needs: [functionality]
    run: python -m model.validate --out $MLGATE_RESULTS
gates:
  production:
    require: [functionality, validation]
    metrics:
      - {name: accuracy, min: 0.9, max_drop: 1%}
)");
  auto r = validate({(dir.path() / ".mlgate.yml").string()});
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("valid (2 tiers: functionality, validation; 1 gate: production)"),
            std::string::npos)
      << r.output;
}

TEST(ConfigValidate, EveryErrorComesWithItsLineAndColumnAndExitsOne) {
  testing::TempDir dir("mlgate-cfg");
  auto file = (dir.path() / "bad.yml").string();
  testing::write_file(file, R"(version: 1
image: mlgate/x
tiers:
  functionality:
    run: true
    timeout: 5x
  nightly: {run: true}
gates:
  production:
    fairness:
      - {metric: fpr, by: sex, disparity: [1.25, 0.8]}
)");
  auto r = validate({file});
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find(file + ":6:14: "), std::string::npos) << r.output;
  EXPECT_NE(r.output.find(file + ":7:3: "), std::string::npos) << r.output;
  EXPECT_NE(r.output.find(file + ":11:"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("3 errors"), std::string::npos) << r.output;
}

// The server's default ceilings apply offline too, and the same options as `mlgate serve` set
// others (docs/security.md, "Operator ceilings").
TEST(ConfigValidate, TheServersCeilingsApplyAndTheSameOptionsChangeThem) {
  testing::TempDir dir("mlgate-cfg");
  auto file = (dir.path() / ".mlgate.yml").string();
  testing::write_file(file, R"(version: 1
image: registry.example.com/ml/trainer:v2
tiers:
  training:
    on: [push]
    run: train
    resources: {memory: 900g, gpus: 1}
    network: bridge
)");
  auto r = validate({file});
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(
      r.output.find(file + ":2:8: image 'registry.example.com/ml/trainer:v2' (the top level's, "
                           "used by tier 'training') is not allowed on this server (allowed: "
                           "mlgate/*; serve --allowed-images)"),
      std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find(file + ":7:25: 'memory' '900g' in 'resources' of tier 'training' is "
                                 "over this server's ceiling of 16g (serve --max-job-memory)"),
            std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find(file + ":7:37: 'gpus' '1'"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find(file + ":8:14: 'network' bridge"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("4 errors"), std::string::npos) << r.output;

  r = validate({file, "--max-job-memory", "1t", "--max-job-gpus", "1", "--allowed-images",
                "mlgate/*,registry.example.com/ml/*", "--allowed-networks", "none,bridge"});
  EXPECT_EQ(r.exit_code, 0) << r.output;
  r = validate({file, "--max-job-memory", "lots"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("--max-job-memory"), std::string::npos) << r.output;
}

TEST(ConfigValidate, AMissingFileIsExitTwoWithItsName) {
  auto r = validate({"/nonexistent/.mlgate.yml"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.output.find("cannot read /nonexistent/.mlgate.yml"), std::string::npos) << r.output;
}

// The file is read without trusting it: never more than the limit whatever its size says, never
// waiting on a FIFO or a device (each run is bounded by `timeout`, which a hang would hit).
TEST(ConfigValidate, AHugeFileAFifoAndADeviceAreRefusedWithoutBeingRead) {
  testing::TempDir dir("mlgate-cfg");
  const auto huge = dir.path() / "huge.yml";
  testing::write_file(huge, "version: 1\n");
  std::filesystem::resize_file(huge, 1ull << 30);
  const auto fifo = dir.path() / "fifo.yml";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  auto timed = [](const std::string& file) {
    mlgate::Run r;
    int status =
        util::run_capture({"timeout", "20", MLGATE_BINARY, "config", "validate", file}, r.output);
    r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return r;
  };
  auto big = timed(huge.string());
  EXPECT_EQ(big.exit_code, 1) << big.output;
  EXPECT_NE(big.output.find(":1:1: the file is 1073741824 bytes; the limit is 262144 bytes"),
            std::string::npos)
      << big.output;
  for (const std::string& file : {fifo.string(), std::string("/dev/zero")}) {
    auto r = timed(file);
    EXPECT_EQ(r.exit_code, 2) << file << ": " << r.output;
    EXPECT_NE(r.output.find("cannot read " + file + ": is not a regular file"), std::string::npos)
        << r.output;
  }
}

// A config is UTF-8: a byte that is not is an error at its line and column, before the text could
// reach a JSON answer.
TEST(ConfigValidate, InvalidUtf8IsAnErrorWithItsPosition) {
  testing::TempDir dir("mlgate-cfg");
  auto file = (dir.path() / "latin1.yml").string();
  testing::write_file(file, "version: 1\nimage: x\ntiers:\n  functionality: {run: \"caf\xE9\"}\n");
  auto r = validate({file});
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("latin1.yml:4:28: not UTF-8 text: byte 0xE9"), std::string::npos)
      << r.output;
}

}  // namespace
}  // namespace mlgate
