// mlgate repo add|list|notify|set, mlgate webhooks list|replay.
#include <fstream>
#include <iostream>

#include "cli/client.h"
#include "cli/commands.h"

namespace mlgate::cli {
namespace {

std::string read_secret(const std::string& path, const char* what) {
  std::ifstream in(path);
  if (!in) throw ClientError(std::string("cannot read ") + what + " file " + path, 2);
  std::string s;
  std::getline(in, s);
  while (!s.empty() && (s.back() == '\r' || s.back() == ' ')) s.pop_back();
  if (s.empty()) throw ClientError(std::string(what) + " file " + path + " is empty", 2);
  return s;
}

std::string str(const nlohmann::json& j, const char* key) {
  return json_text(j, key, "-");
}

// mlgate repo notify --name R [--notify-url U]...: replaces the repository's notification targets.
void add_repo_notify_command(CLI::App* repo, int& exit_code) {
  struct NotifyOptions {
    ClientOptions client;
    std::string name;
    std::vector<std::string> urls;
  };
  auto o = std::make_shared<NotifyOptions>();
  auto* cmd = repo->add_subcommand(
      "notify", "Set where a repository's events are POSTed; no --notify-url clears (admin token)");
  add_client_options(cmd, o->client);
  cmd->add_option("--name", o->name, "owner/name")->required();
  cmd->add_option("--notify-url", o->urls, "A notification target (repeatable)");
  cmd->callback([o, &exit_code] {
    exit_code = run_client([&] {
      nlohmann::json body = {{"notify_urls", o->urls}};
      auto r = api_request(o->client, "POST", "/api/v1/repos/" + o->name + "/notify-urls", &body);
      if (o->client.json) {
        std::cout << r.body.dump(2) << "\n";
        return;
      }
      std::cout << str(r.body, "name") << ": " << r.body["notify_targets"].size()
                << " notification target(s)";
      for (const auto& t : r.body["notify_targets"]) std::cout << " " << t.get<std::string>();
      std::cout << "\n";
    });
  });
}

// mlgate repo set --name R --pr-comments on|off: changes a registered repository's settings.
void add_repo_set_command(CLI::App* repo, int& exit_code) {
  struct SetOptions {
    ClientOptions client;
    std::string name;
    std::string pr_comments;
  };
  auto o = std::make_shared<SetOptions>();
  auto* cmd = repo->add_subcommand("set", "Change a repository's settings (admin token)");
  add_client_options(cmd, o->client);
  cmd->add_option("--name", o->name, "owner/name")->required();
  cmd->add_option("--pr-comments", o->pr_comments,
                  "on: keep one report comment on each pull/merge request; off: no further "
                  "comments (the ones made stay)")
      ->required()
      ->check(CLI::IsMember({"on", "off"}));
  cmd->callback([o, &exit_code] {
    exit_code = run_client([&] {
      nlohmann::json body = {{"pr_comments", o->pr_comments == "on"}};
      auto r = api_request(o->client, "POST", "/api/v1/repos/" + o->name + "/settings", &body);
      if (o->client.json) {
        std::cout << r.body.dump(2) << "\n";
        return;
      }
      std::cout << str(r.body, "name") << ": pull-request comments "
                << (r.body.value("pr_comments", true) ? "on" : "off") << "\n";
    });
  });
}

}  // namespace

namespace {

// mlgate repo add ...: registers a repository (admin token).
void add_repo_add_command(CLI::App* repo, int& exit_code) {
  struct AddOptions {
    ClientOptions client;
    std::string forge, name, clone_url, secret_file, token_file, default_branch, api_base_url;
    std::string fork_pull_requests;
    std::string pr_comments;
    std::vector<std::string> notify_urls;
  };
  auto add = std::make_shared<AddOptions>();
  auto* add_cmd = repo->add_subcommand("add", "Register a repository (admin token)");
  add_client_options(add_cmd, add->client);
  add_cmd->add_option("--forge", add->forge, "github or gitlab")
      ->required()
      ->check(CLI::IsMember({"github", "gitlab"}));
  add_cmd->add_option("--name", add->name, "owner/name (GitLab: group/project)")->required();
  add_cmd->add_option("--clone-url", add->clone_url, "HTTPS (or file://) clone URL")->required();
  add_cmd->add_option("--secret-file", add->secret_file, "File holding the webhook secret")
      ->required();
  add_cmd->add_option("--forge-token-file", add->token_file,
                      "File holding a forge API token (fetches, statuses)");
  add_cmd->add_option("--default-branch", add->default_branch, "Default branch (default main)");
  add_cmd->add_option("--api-base-url", add->api_base_url,
                      "GitHub Enterprise / self-hosted GitLab API URL");
  add_cmd
      ->add_option("--fork-pull-requests", add->fork_pull_requests,
                   "Pull requests from forks: approve (default: run once someone with a deploy "
                   "token approves), run (at once), ignore (never planned); always without "
                   "network or forge token, never deployable")
      ->check(CLI::IsMember({"approve", "run", "ignore"}));
  add_cmd->add_option("--notify-url", add->notify_urls,
                      "Where this repository's events are POSTed (docs/notifications.md); "
                      "repeatable");
  add_cmd
      ->add_option("--pr-comments", add->pr_comments,
                   "on (default): keep one report comment on each pull/merge request, edited as "
                   "tiers finish and gates decide (needs a forge token); off: none")
      ->check(CLI::IsMember({"on", "off"}));
  add_cmd->callback([add, &exit_code] {
    exit_code = run_client([&] {
      nlohmann::json body = {{"forge", add->forge},
                             {"name", add->name},
                             {"clone_url", add->clone_url},
                             {"secret", read_secret(add->secret_file, "secret")}};
      if (!add->token_file.empty()) body["token"] = read_secret(add->token_file, "token");
      if (!add->default_branch.empty()) body["default_branch"] = add->default_branch;
      if (!add->api_base_url.empty()) body["api_base_url"] = add->api_base_url;
      if (!add->fork_pull_requests.empty()) body["fork_pull_requests"] = add->fork_pull_requests;
      if (!add->notify_urls.empty()) body["notify_urls"] = add->notify_urls;
      if (!add->pr_comments.empty()) body["pr_comments"] = add->pr_comments == "on";
      auto r = api_request(add->client, "POST", "/api/v1/repos", &body);
      if (add->client.json) {
        std::cout << r.body.dump(2) << "\n";
      } else {
        std::cout << "registered " << str(r.body, "forge") << " repository " << str(r.body, "name")
                  << " (id " << str(r.body, "id")
                  << "; fork pull requests: " << str(r.body, "fork_pull_requests")
                  << "; pull-request comments: "
                  << (r.body.value("pr_comments", true) ? "on" : "off") << ")\n";
      }
    });
  });
}

}  // namespace

void add_repo_commands(CLI::App& app, int& exit_code) {
  auto* repo = app.add_subcommand("repo", "Register and list repositories");
  repo->require_subcommand(1);
  add_repo_add_command(repo, exit_code);
  add_repo_notify_command(repo, exit_code);
  add_repo_set_command(repo, exit_code);

  auto list = std::make_shared<ClientOptions>();
  auto* list_cmd = repo->add_subcommand("list", "List registered repositories");
  add_client_options(list_cmd, *list);
  list_cmd->callback([list, &exit_code] {
    exit_code = run_client([&] {
      auto r = api_request(*list, "GET", "/api/v1/repos");
      if (list->json) {
        std::cout << r.body.dump(2) << "\n";
        return;
      }
      std::vector<std::vector<std::string>> rows;
      for (const auto& repo : r.body["repos"]) {
        rows.push_back({str(repo, "id"), str(repo, "forge"), str(repo, "name"),
                        str(repo, "default_branch"), str(repo, "fork_pull_requests"),
                        str(repo, "clone_url")});
      }
      print_table({"ID", "FORGE", "NAME", "BRANCH", "FORK PRS", "CLONE URL"}, rows);
    });
  });
}

namespace {

// A delivery's body size, with "(cut)" when only its first bytes were kept.
std::string body_size(const nlohmann::json& d) {
  std::string out = str(d, "body_bytes");
  if (d.value("body_truncated", false)) out += " (cut)";
  return out;
}

void print_delivery(const nlohmann::json& d) {
  for (const char* key : {"id", "received_at", "forge", "repo", "delivery_id", "event", "verdict",
                          "http_status", "reason", "verified", "plan_state", "pipeline"}) {
    std::cout << key << ": " << str(d, key) << "\n";
  }
  std::cout << "body: " << body_size(d) << " bytes, sha256 " << str(d, "body_sha256");
  if (d.value("body_truncated", false))
    std::cout << ", first " << str(d, "body").size() << " bytes kept";
  std::cout << "\n";
  if (d.contains("headers") && d["headers"].is_object()) {
    std::cout << "headers:\n";
    for (auto it = d["headers"].begin(); it != d["headers"].end(); ++it)
      std::cout << "  " << it.key() << ": "
                << (it.value().is_string() ? it.value().get<std::string>() : it.value().dump())
                << "\n";
  }
}

}  // namespace

void add_webhook_commands(CLI::App& app, int& exit_code) {
  auto* hooks =
      app.add_subcommand("webhooks", "Inspect and replay webhook deliveries (admin token)");
  hooks->require_subcommand(1);
  struct ListOptions {
    ClientOptions client;
    int limit = 20;
  };
  auto list = std::make_shared<ListOptions>();
  auto* list_cmd = hooks->add_subcommand("list", "Recent deliveries with their verdicts");
  add_client_options(list_cmd, list->client);
  list_cmd->add_option("--limit", list->limit, "How many")->capture_default_str();
  list_cmd->callback([list, &exit_code] {
    exit_code = run_client([&] {
      auto r = api_request(list->client, "GET",
                           "/api/v1/webhooks/deliveries?limit=" + std::to_string(list->limit));
      if (list->client.json) {
        std::cout << r.body.dump(2) << "\n";
        return;
      }
      std::vector<std::vector<std::string>> rows;
      for (const auto& d : r.body["deliveries"]) {
        std::string reason = str(d, "reason");
        if (reason.size() > 60) reason = reason.substr(0, 57) + "...";
        rows.push_back({str(d, "id"), str(d, "received_at"), str(d, "forge"), str(d, "repo"),
                        str(d, "event"), str(d, "verdict"), str(d, "http_status"), body_size(d),
                        str(d, "plan_state"), str(d, "pipeline"), reason});
      }
      print_table({"ID", "RECEIVED", "FORGE", "REPO", "EVENT", "VERDICT", "HTTP", "BODY", "PLAN",
                   "PIPELINE", "REASON"},
                  rows);
    });
  });
  struct ShowOptions {
    ClientOptions client;
    long long id = 0;
    bool body = false;
  };
  auto show = std::make_shared<ShowOptions>();
  auto* show_cmd = hooks->add_subcommand("show", "One delivery: its verdict, headers and body");
  add_client_options(show_cmd, show->client);
  show_cmd->add_option("id", show->id, "Delivery id (from 'mlgate webhooks list')")->required();
  show_cmd->add_flag("--body", show->body, "Write only the body as stored to stdout");
  show_cmd->callback([show, &exit_code] {
    exit_code = run_client([&] {
      auto r = api_request(show->client, "GET",
                           "/api/v1/webhooks/deliveries/" + std::to_string(show->id));
      if (show->client.json) {
        std::cout << r.body.dump(2) << "\n";
      } else if (show->body) {
        std::cout << str(r.body, "body");
      } else {
        print_delivery(r.body);
      }
    });
  });
  struct ReplayOptions {
    ClientOptions client;
    long long id = 0;
  };
  auto replay = std::make_shared<ReplayOptions>();
  auto* replay_cmd =
      hooks->add_subcommand("replay", "Run a stored delivery again as a new delivery");
  add_client_options(replay_cmd, replay->client);
  replay_cmd->add_option("id", replay->id, "Delivery id (from 'mlgate webhooks list')")->required();
  replay_cmd->callback([replay, &exit_code] {
    exit_code = run_client([&] {
      auto r = api_request(replay->client, "POST",
                           "/api/v1/webhooks/deliveries/" + std::to_string(replay->id) + "/replay");
      if (replay->client.json) {
        std::cout << r.body.dump(2) << "\n";
      } else {
        std::cout << "replayed delivery " << replay->id << " as delivery "
                  << str(r.body, "delivery") << " (" << str(r.body, "status") << ")\n";
      }
    });
  });
}

}  // namespace mlgate::cli
