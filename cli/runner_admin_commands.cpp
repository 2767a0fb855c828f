// Runners as an admin manages them (docs/cli.md, "Runners"): `mlgate runners` (the list, read),
// `mlgate runner disable|enable ID` (subcommands of the agent's `runner` command) and
// `mlgate runner-token create|list|revoke` (registration tokens). Everything but the list needs an
// admin token that is not restricted to a repository.
#include <iostream>
#include <memory>

#include "cli/client.h"
#include "cli/commands.h"
#include "core/duration.h"

namespace mlgate::cli {
namespace {

std::string text_or_dash(const nlohmann::json& v) {
  return v.is_string() && !v.get<std::string>().empty() ? v.get<std::string>() : "-";
}

std::string joined(const nlohmann::json& list) {
  std::string out;
  for (const auto& item : list)
    out += (out.empty() ? "" : ",") + (item.is_string() ? item.get<std::string>() : item.dump());
  return out.empty() ? "-" : out;
}

void print_runners(const nlohmann::json& body) {
  std::vector<std::vector<std::string>> rows;
  for (const auto& r : body["runners"]) {
    rows.push_back({std::to_string(r["id"].get<long>()), text_or_dash(r["name"]),
                    joined(r["tiers"]), text_or_dash(r["executor"]),
                    std::to_string(r["capacity"].get<long>()), text_or_dash(r["last_seen_at"]),
                    text_or_dash(r["state"]), joined(r["jobs"])});
  }
  print_table({"ID", "NAME", "TIERS", "EXECUTOR", "CAPACITY", "LAST SEEN", "STATE", "JOBS"}, rows);
}

// mlgate runner disable ID / mlgate runner enable ID.
void add_switch_command(CLI::App* runner, ExitCode& exit_code, bool disable) {
  struct Options {
    ClientOptions client;
    long id = 0;
  };
  auto opts = std::make_shared<Options>();
  auto* cmd = runner->add_subcommand(
      disable ? "disable" : "enable",
      disable ? "Disable a runner: refused from its next call, its running jobs re-queued (admin)"
              : "Enable a disabled runner again (admin)");
  add_client_options(cmd, opts->client);
  cmd->add_option("id", opts->id, "The runner's id (mlgate runners)")->required();
  cmd->callback([opts, &exit_code, disable] {
    exit_code.value = run_client([&] {
      const std::string id = std::to_string(opts->id);
      auto r = api_request(opts->client, "POST",
                           "/api/v1/runners/" + id + (disable ? "/disable" : "/enable"));
      if (opts->client.json) {
        std::cout << r.body.dump(2) << "\n";
        return;
      }
      std::cout << "runner " << id << " " << (disable ? "disabled" : "enabled");
      const long requeued = r.body.value("jobs_requeued", 0L);
      if (requeued) std::cout << "; " << requeued << " running job(s) re-queued";
      std::cout << "\n";
    });
  });
}

// mlgate runner-token create: prints the token (or the JSON with --json).
void add_token_create_command(CLI::App* tokens, ExitCode& exit_code) {
  struct CreateOptions {
    ClientOptions client;
    std::string name = "runners";
    std::string expires_in;
  };
  auto create = std::make_shared<CreateOptions>();
  auto* cmd = tokens->add_subcommand(
      "create", "Create a token runners register with (printed once; only its hash is kept)");
  add_client_options(cmd, create->client);
  cmd->add_option("--name", create->name, "What the token is for")->capture_default_str();
  cmd->add_option("--expires-in", create->expires_in,
                  "Refuse registrations after this long, e.g. 1h, 7d, 1d12h (default: never)");
  cmd->callback([create, &exit_code] {
    exit_code.value = run_client([&] {
      nlohmann::json body = {{"name", create->name}};
      if (!create->expires_in.empty()) {
        auto parsed = core::parse_duration(create->expires_in);
        if (!parsed) throw ClientError("--expires-in: " + parsed.error, 2);
        body["expires_in_seconds"] = *parsed.seconds;
      }
      auto r = api_request(create->client, "POST", "/api/v1/runner-tokens", &body);
      if (create->client.json)
        std::cout << r.body.dump(2) << "\n";
      else
        std::cout << r.body.value("token", std::string()) << "\n";
    });
  });
}

// mlgate runner-token list: a table, or the JSON with --json; never the tokens themselves.
void add_token_list_command(CLI::App* tokens, ExitCode& exit_code) {
  auto opts = std::make_shared<ClientOptions>();
  auto* cmd = tokens->add_subcommand("list", "List registration tokens (never the tokens)");
  add_client_options(cmd, *opts);
  cmd->callback([opts, &exit_code] {
    exit_code.value = run_client([&] {
      auto r = api_request(*opts, "GET", "/api/v1/runner-tokens");
      if (opts->json) {
        std::cout << r.body.dump(2) << "\n";
        return;
      }
      std::vector<std::vector<std::string>> rows;
      for (const auto& t : r.body["runner_tokens"]) {
        const std::string state = t["revoked_at"].is_string() ? "revoked" : "live";
        rows.push_back({std::to_string(t["id"].get<long>()), text_or_dash(t["name"]),
                        text_or_dash(t["created_at"]), text_or_dash(t["expires_at"]),
                        text_or_dash(t["last_used_at"]), state});
      }
      print_table({"ID", "NAME", "CREATED", "EXPIRES", "LAST USED", "STATE"}, rows);
    });
  });
}

// mlgate runner-token revoke ID.
void add_token_revoke_command(CLI::App* tokens, ExitCode& exit_code) {
  struct RevokeOptions {
    ClientOptions client;
    long id = 0;
  };
  auto revoke = std::make_shared<RevokeOptions>();
  auto* cmd = tokens->add_subcommand(
      "revoke", "Revoke a registration token (runners already registered keep working)");
  add_client_options(cmd, revoke->client);
  cmd->add_option("id", revoke->id, "The token's id (mlgate runner-token list)")->required();
  cmd->callback([revoke, &exit_code] {
    exit_code.value = run_client([&] {
      auto r = api_request(revoke->client, "POST",
                           "/api/v1/runner-tokens/" + std::to_string(revoke->id) + "/revoke");
      if (revoke->client.json)
        std::cout << r.body.dump(2) << "\n";
      else
        std::cout << "runner registration token " << revoke->id << " revoked\n";
    });
  });
}

}  // namespace

void add_runners_command(CLI::App& app, ExitCode& exit_code) {
  auto opts = std::make_shared<ClientOptions>();
  auto* cmd = app.add_subcommand(
      "runners", "List runners: tiers, last seen, state (online, offline, disabled), jobs");
  add_client_options(cmd, *opts);
  cmd->callback([opts, &exit_code] {
    exit_code.value = run_client([&] {
      auto r = api_request(*opts, "GET", "/api/v1/runners");
      if (opts->json)
        std::cout << r.body.dump(2) << "\n";
      else
        print_runners(r.body);
    });
  });
}

void add_runner_switch_commands(CLI::App* runner, ExitCode& exit_code) {
  add_switch_command(runner, exit_code, true);
  add_switch_command(runner, exit_code, false);
}

void add_runner_token_commands(CLI::App& app, ExitCode& exit_code) {
  auto* tokens = app.add_subcommand("runner-token", "Runner registration tokens (admin)");
  tokens->require_subcommand(1);
  add_token_create_command(tokens, exit_code);
  add_token_list_command(tokens, exit_code);
  add_token_revoke_command(tokens, exit_code);
}

}  // namespace mlgate::cli
