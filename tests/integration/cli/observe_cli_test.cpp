// `mlgate observe` through the real binary against the real server: a file sent in batches, a rerun
// that stores nothing twice (batch ids derived from the file), late truth, and a refused batch
// naming its line.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <nlohmann/json.hpp>

#include "tests/integration/server/gate_env.h"
#include "util/child_process.h"

namespace mlgate {
namespace {

struct CliRun {
  int exit_code = -1;
  std::string output;
};

CliRun run(std::vector<std::string> args) {
  std::vector<std::string> argv = {MLGATE_BINARY};
  argv.insert(argv.end(), args.begin(), args.end());
  CliRun r;
  int status = util::run_capture(argv, r.output);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

TEST(ObserveCli, SendsAFileInBatchesOnceAndNamesARefusedLine) {
  testing::GateEnv env;
  testing::TempDir tmp{"mlgate-observe-cli"};
  const auto token_file = tmp.path() / "token";
  testing::write_file(token_file, env.admin()[0].second.substr(7) + "\n");
  std::string rows;
  for (int i = 0; i < 5; ++i)
    rows += nlohmann::json{{"id", "r" + std::to_string(i)},
                           {"ts", 1767225600 + i},
                           {"features", {{"x", i}}},
                           {"prediction", {{"label", "cat"}}}}
                .dump() +
            "\n\n";
  testing::write_file(tmp.path() / "rows.jsonl", rows);
  auto cli = [&](std::vector<std::string> args) {
    args.insert(args.end(), {"--repo", "acme/model", "--environment", "production", "--url",
                             "http://" + env.host(), "--token-file", token_file.string()});
    return run(args);
  };
  const std::string file = (tmp.path() / "rows.jsonl").string();
  auto first = cli({"observe", "--file", file, "--batch-size", "2"});
  ASSERT_EQ(first.exit_code, 0) << first.output;
  EXPECT_TRUE(contains(first.output, "5 rows stored in 3 batches\n")) << first.output;
  auto again = cli({"observe", "--file", file, "--batch-size", "2"});
  ASSERT_EQ(again.exit_code, 0) << again.output;
  EXPECT_TRUE(contains(again.output, "0 rows stored in 0 batches (3 batches were stored before)"))
      << again.output;

  testing::write_file(tmp.path() / "truth.jsonl", "{\"id\":\"r1\",\"truth\":\"dog\"}\n");
  auto truth = cli({"observe", "--truth", "--file", (tmp.path() / "truth.jsonl").string()});
  ASSERT_EQ(truth.exit_code, 0) << truth.output;
  EXPECT_TRUE(contains(truth.output, "1 truth rows stored in 1 batches")) << truth.output;

  testing::write_file(tmp.path() / "bad.jsonl",
                      "{\"id\":\"a\",\"ts\":1,\"features\":{}}\n{\"id\":\"b\",\"ts\":1}\n");
  auto bad = cli({"observe", "--file", (tmp.path() / "bad.jsonl").string()});
  EXPECT_EQ(bad.exit_code, 1) << bad.output;
  EXPECT_TRUE(contains(bad.output, "line 2: features: an object is required")) << bad.output;
  auto missing = cli({"observe", "--file", (tmp.path() / "nope.jsonl").string()});
  EXPECT_EQ(missing.exit_code, 2) << missing.output;
}

}  // namespace
}  // namespace mlgate
