// `mlgate config validate`: the real binary on real files; what a person sees before pushing.
#include <gtest/gtest.h>

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
image: x
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

TEST(ConfigValidate, AMissingFileIsExitTwoWithItsName) {
  auto r = validate({"/nonexistent/.mlgate.yml"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.output.find("cannot read /nonexistent/.mlgate.yml"), std::string::npos) << r.output;
}

}  // namespace
}  // namespace mlgate
