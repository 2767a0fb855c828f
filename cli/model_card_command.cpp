// mlgate model-card --repo R --sha S [--json]: a commit's model card as Markdown (docs/cli.md,
// docs/model-cards.md), from GET /api/v1/repos/{repo}/commits/{sha}/model-card; --json prints the
// API's whole answer. Exit 0, 2 bad usage, 3 server unreachable, 4 bad token; an unknown repository
// or commit is the API's error.
#include <iostream>

#include "cli/client.h"
#include "cli/commands.h"
#include "util/strings.h"

namespace mlgate::cli {

void add_model_card_command(CLI::App& app, ExitCode& exit_code) {
  struct Options {
    ClientOptions client;
    std::string repo;
    std::string sha;
  };
  auto o = std::make_shared<Options>();
  auto* cmd = app.add_subcommand(
      "model-card",
      "A commit's model card as Markdown: model_card.yml joined with its metrics, "
      "gate decisions, rubric, run, reference data and deployments");
  cmd->add_option("--repo", o->repo, "The repository, e.g. acme/model")->required();
  cmd->add_option("--sha", o->sha, "The commit (40 or 64 hex digits)")->required();
  add_client_options(cmd, o->client);
  cmd->callback([o, &exit_code] {
    exit_code.value = run_client([&] {
      auto r = api_request(
          o->client, "GET",
          "/api/v1/repos/" + o->repo + "/commits/" + util::lower(o->sha) + "/model-card");
      if (o->client.json)
        std::cout << r.body.dump(2) << "\n";
      else
        std::cout << json_text(r.body, "markdown");
    });
  });
}

}  // namespace mlgate::cli
