// mlgate token create|list|revoke: API tokens with scopes read, deploy and admin (admin only).
// The token is printed once by `create`; only its hash is kept.
#include <iostream>
#include <memory>

#include "cli/client.h"
#include "cli/commands.h"

namespace mlgate::cli {

namespace {

// mlgate token create: prints the token (or the JSON with --json).
void add_create_command(CLI::App* tokens, ExitCode& exit_code) {
  struct CreateOptions {
    ClientOptions client;
    std::string name;
    std::vector<std::string> scopes;
    std::string repo;
    int expires_days = 0;
  };
  auto create = std::make_shared<CreateOptions>();
  auto* create_cmd =
      tokens->add_subcommand("create", "Create a token (printed once; only its hash is kept)");
  add_client_options(create_cmd, create->client);
  create_cmd->add_option("--name", create->name, "What or who the token is for")->required();
  create_cmd->add_option("--scope", create->scopes, "read, deploy, admin or observe (repeatable)")
      ->required()
      ->check(CLI::IsMember({"read", "deploy", "admin", "observe"}));
  create_cmd->add_option("--repo", create->repo, "Restrict the token to this repository");
  create_cmd->add_option("--expires-days", create->expires_days, "Expire after this many days")
      ->check(CLI::Range(1, 3650));
  create_cmd->callback([create, &exit_code] {
    exit_code.value = run_client([&] {
      nlohmann::json body = {{"name", create->name}, {"scopes", create->scopes}};
      if (!create->repo.empty()) body["repo"] = create->repo;
      if (create->expires_days > 0) body["expires_in_days"] = create->expires_days;
      auto r = api_request(create->client, "POST", "/api/v1/tokens", &body);
      if (create->client.json) {
        std::cout << r.body.dump(2) << "\n";
      } else {
        std::cout << r.body.value("token", std::string()) << "\n";
      }
    });
  });
}

// mlgate token list: a table, or the JSON with --json.
void add_list_command(CLI::App* tokens, ExitCode& exit_code) {
  auto list_opts = std::make_shared<ClientOptions>();
  auto* list_cmd = tokens->add_subcommand("list", "List API tokens (never the tokens themselves)");
  add_client_options(list_cmd, *list_opts);
  list_cmd->callback([list_opts, &exit_code] {
    exit_code.value = run_client([&] {
      auto r = api_request(*list_opts, "GET", "/api/v1/tokens");
      if (list_opts->json) {
        std::cout << r.body.dump(2) << "\n";
        return;
      }
      std::vector<std::vector<std::string>> rows;
      auto text = [](const nlohmann::json& v) {
        return v.is_string() ? v.get<std::string>() : std::string("-");
      };
      for (const auto& t : r.body["tokens"]) {
        std::string scopes;
        for (const auto& s : t["scopes"])
          scopes += (scopes.empty() ? "" : ",") + s.get<std::string>();
        std::string state = t["revoked_at"].is_string() ? "revoked" : "live";
        rows.push_back({std::to_string(t["id"].get<long>()), text(t["name"]), scopes,
                        text(t["repo"]), text(t["expires_at"]), text(t["last_used_at"]), state});
      }
      print_table({"ID", "NAME", "SCOPES", "REPO", "EXPIRES", "LAST USED", "STATE"}, rows);
    });
  });
}

// mlgate token revoke ID.
void add_revoke_command(CLI::App* tokens, ExitCode& exit_code) {
  struct RevokeOptions {
    ClientOptions client;
    long id = 0;
  };
  auto revoke = std::make_shared<RevokeOptions>();
  auto* revoke_cmd = tokens->add_subcommand("revoke", "Revoke a token at once (audited)");
  add_client_options(revoke_cmd, revoke->client);
  revoke_cmd->add_option("id", revoke->id, "The token's id (mlgate token list)")->required();
  revoke_cmd->callback([revoke, &exit_code] {
    exit_code.value = run_client([&] {
      auto r = api_request(revoke->client, "POST",
                           "/api/v1/tokens/" + std::to_string(revoke->id) + "/revoke");
      if (revoke->client.json)
        std::cout << r.body.dump(2) << "\n";
      else
        std::cout << "token " << revoke->id << " revoked\n";
    });
  });
}

}  // namespace

void add_token_commands(CLI::App& app, ExitCode& exit_code) {
  auto* tokens = app.add_subcommand("token", "API tokens: read, deploy, admin (admin only)");
  tokens->require_subcommand(1);
  add_create_command(tokens, exit_code);
  add_list_command(tokens, exit_code);
  add_revoke_command(tokens, exit_code);
}

}  // namespace mlgate::cli
