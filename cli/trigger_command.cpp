// mlgate trigger --repo R --tier T [--ref REF]: runs a tier (and what it needs) on demand through
// POST /api/v1/repos/{repo}/trigger (docs/schedules.md). Prints the pipeline id and its URL.
// Exit 0 when the pipeline was created; 1 when the server refused (unknown repo, ref or tier, a
// config error, printed with line and column); 2 bad usage; 3 server unreachable; 4 bad token.
#include <iostream>

#include "cli/client.h"
#include "cli/commands.h"
#include "util/strings.h"

namespace mlgate::cli {
namespace {

std::string server_base(const ClientOptions& options) {
  std::string url =
      options.url.empty() ? env_or("MLGATE_URL", "http://127.0.0.1:8080") : options.url;
  while (!url.empty() && url.back() == '/') url.pop_back();
  return url;
}

}  // namespace

void add_trigger_command(CLI::App& app, ExitCode& exit_code) {
  struct TriggerOptions {
    ClientOptions client;
    std::string repo;
    std::string tier;
    std::string ref;
  };
  auto t = std::make_shared<TriggerOptions>();
  auto* cmd = app.add_subcommand(
      "trigger",
      "Run a tier now (with the tiers it needs) on a branch, tag or commit; default: the "
      "repository's default branch");
  cmd->add_option("--repo", t->repo, "The repository, e.g. acme/model")->required();
  cmd->add_option("--tier", t->tier, "functionality, validation or training")->required();
  cmd->add_option("--ref", t->ref,
                  "A branch, tag, full ref (refs/...) or full commit sha (default: the default "
                  "branch)");
  add_client_options(cmd, t->client);
  cmd->callback([t, &exit_code] {
    exit_code.value = run_client([&] {
      nlohmann::json body = {{"tier", t->tier}};
      if (!t->ref.empty()) body["ref"] = t->ref;
      auto r = api_request(t->client, "POST", "/api/v1/repos/" + t->repo + "/trigger", &body, true);
      if (r.status >= 400) {
        if (t->client.json) std::cout << r.body.dump(2) << "\n";
        std::string message = r.body.is_object() && r.body.contains("error")
                                  ? json_text(r.body["error"], "message")
                                  : r.body.dump();
        throw ClientError(message + " (HTTP " + std::to_string(r.status) + ")", 1);
      }
      const std::string url = server_base(t->client) + json_text(r.body, "web_url");
      if (t->client.json) {
        auto out = r.body;
        out["web_url"] = url;
        std::cout << out.dump(2) << "\n";
        return;
      }
      std::string tiers;
      for (const auto& tier : r.body["tiers"])
        tiers += (tiers.empty() ? "" : ", ") + tier.get<std::string>();
      const std::string sha = json_text(r.body, "sha");
      std::cout << "pipeline " << json_text(r.body, "id") << " created: " << tiers << " on "
                << json_text(r.body, "repo") << " at " << util::short_sha(sha) << " ("
                << json_text(r.body, "ref") << ")\n"
                << url << "\n";
    });
  });
}

}  // namespace mlgate::cli
