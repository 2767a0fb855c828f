// mlgate observe --repo R --environment E --file rows.jsonl [--batch-size N] [--truth]: sends a
// batch scoring job's rows (or late truth) to POST …/environments/{env}/observations[/truth] in
// batches (docs/cli.md). Each batch's id is derived from its bytes and its first line, so running
// the command again on the same file stores nothing twice. Exit 0 when every batch was accepted;
// 1 when the server refused one (its message names the line within the batch); 2 bad usage or an
// unreadable file; 3 server unreachable; 4 bad token.
#include <chrono>
#include <fstream>
#include <iostream>
#include <thread>

#include "cli/client.h"
#include "cli/commands.h"
#include "util/hash.h"

namespace mlgate::cli {
namespace {

struct ObserveOptions {
  ClientOptions client;
  std::string repo;
  std::string environment;
  std::string file;
  std::size_t batch_size = 1000;
  bool truth = false;
};

struct Totals {
  std::size_t batches = 0, duplicates = 0, rows = 0;
};

void send_batch(const ObserveOptions& o, const std::string& lines, std::size_t first_line,
                Totals& totals) {
  const std::string batch_id =
      util::sha256_hex(lines).substr(0, 32) + "-" + std::to_string(first_line);
  const std::string path = "/api/v1/repos/" + o.repo + "/environments/" + o.environment +
                           "/observations" + (o.truth ? "/truth" : "") + "?batch_id=" + batch_id;
  // 503 busy: the server is storing other batches (docs/observations.md); the same batch id makes
  // sending it again safe. At most a minute of that, a second apart (its Retry-After).
  auto r = api_post_text(o.client, path, lines, "application/x-ndjson", true);
  for (int retry = 0; r.status == 503 && retry < 60; ++retry) {
    std::this_thread::sleep_for(std::chrono::seconds(1));
    r = api_post_text(o.client, path, lines, "application/x-ndjson", true);
  }
  if (r.status >= 400) {
    const std::string message = r.body.is_object() && r.body.contains("error")
                                    ? json_text(r.body["error"], "message")
                                    : r.body.dump();
    throw ClientError("batch from line " + std::to_string(first_line) + " of " + o.file +
                          " refused (lines count from the batch's first): " + message + " (HTTP " +
                          std::to_string(r.status) + ")",
                      1);
  }
  ++totals.batches;
  if (r.body.value("duplicate", false))
    ++totals.duplicates;
  else
    totals.rows += r.body.value("rows", std::size_t{0});
}

void run_observe(const ObserveOptions& o) {
  std::ifstream in(o.file, std::ios::binary);
  if (!in) throw ClientError("cannot read " + o.file, 2);
  Totals totals;
  std::string lines, line;
  std::size_t in_batch = 0, number = 0, first = 1;
  while (std::getline(in, line)) {
    ++number;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    if (in_batch == 0) first = number;
    lines += line + "\n";
    if (++in_batch == o.batch_size) {
      send_batch(o, lines, first, totals);
      lines.clear();
      in_batch = 0;
    }
  }
  if (in_batch > 0) send_batch(o, lines, first, totals);
  if (o.client.json) {
    std::cout << nlohmann::json{{"batches", totals.batches},
                                {"duplicate_batches", totals.duplicates},
                                {"rows", totals.rows}}
                     .dump(2)
              << "\n";
    return;
  }
  std::cout << totals.rows << (o.truth ? " truth rows" : " rows") << " stored in "
            << totals.batches - totals.duplicates << " batches";
  if (totals.duplicates) std::cout << " (" << totals.duplicates << " batches were stored before)";
  std::cout << "\n";
}

}  // namespace

void add_observe_command(CLI::App& app, ExitCode& exit_code) {
  auto o = std::make_shared<ObserveOptions>();
  auto* cmd = app.add_subcommand(
      "observe",
      "Send serving observations (JSON lines) of an environment, e.g. from a batch "
      "scoring job; rerunning on the same file stores nothing twice");
  cmd->add_option("--repo", o->repo, "The repository, e.g. acme/model")->required();
  cmd->add_option("--environment", o->environment, "The environment, e.g. production")->required();
  cmd->add_option("--file", o->file, "rows.jsonl: one row per line")->required();
  cmd->add_option("--batch-size", o->batch_size, "Rows per request")
      ->capture_default_str()
      ->check(CLI::Range(std::size_t{1}, std::size_t{100000}));
  cmd->add_flag("--truth", o->truth, "The file holds late truth rows {\"id\", \"truth\"}");
  add_client_options(cmd, o->client);
  cmd->callback([o, &exit_code] { exit_code.value = run_client([&] { run_observe(*o); }); });
}

}  // namespace mlgate::cli
