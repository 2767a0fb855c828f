#include "server/services/model_cards.h"

#include <algorithm>

#include "server/services/repo_remote.h"
#include "store/commit_runs.h"
#include "store/deployments.h"
#include "store/observations.h"

namespace mlgate::server {
namespace {

// model_card.yml at the commit: absent, parsed, or why it cannot be used.
void read_card_file(vcs::MirrorCache& mirrors, const vcs::RepoRemote& remote,
                    const std::string& sha, core::ModelCard& card) {
  std::optional<std::string> text;
  try {
    text = mirrors.read_file(remote, sha, core::kModelCardPath, core::kModelCardMaxBytes + 1);
  } catch (const std::exception& e) {
    card.file_present = true;
    card.file_error = std::string(core::kModelCardPath) + ": " + e.what();
    return;
  }
  if (!text) return;
  card.file_present = true;
  auto parsed = core::parse_model_card(*text);
  if (parsed)
    card.file = std::move(*parsed);
  else
    card.file_error = parsed.error().to_string();
}

void add_stored(store::Database& db, const store::RepoRow& repo, const std::string& sha,
                core::ModelCard& card) {
  db.with([&](pqxx::connection& c) {
    pqxx::read_transaction tx(c);
    if (auto run = store::newest_commit_run(tx, repo.id, sha))
      card.run = core::ModelCardRun{run->pipeline_id, run->state,      run->trigger,
                                    run->branch,      run->created_at, run->jobs};
    if (auto profile = store::reference_profile(tx, repo.id, sha)) {
      core::ModelCardReference ref;
      ref.rows = profile->rows;
      for (const auto& [name, f] : profile->features) ref.features.push_back(name);
      card.reference = std::move(ref);
    }
    for (const auto& d : store::list_deployments(tx, repo.id, "", 1000))
      if (d.sha == sha) card.deployments.push_back({d.id, d.environment, d.kind, d.created_at});
  });
}

}  // namespace

ModelCardAnswer build_model_card(store::Database& db, GateService& gate, vcs::MirrorCache& mirrors,
                                 const store::RepoRow& repo, const std::string& sha) {
  ModelCardAnswer out;
  out.card.repo = repo.full_name;
  out.card.sha = sha;
  const auto remote = repo_remote(repo);
  try {
    mirrors.ensure_commit(remote, sha);
  } catch (const std::exception& e) {
    // What mlgate stored of the commit is still its card; a commit it knows nothing of is not.
    add_stored(db, repo, sha, out.card);
    if (!out.card.run && out.card.deployments.empty())
      out.refusal =
          GateRefusal{404, "unknown_commit",
                      "cannot read commit " + sha + " of " + repo.full_name + ": " + e.what()};
    out.card.file_error = "cannot read the commit from the repository: " + std::string(e.what());
    return out;
  }
  read_card_file(mirrors, remote, sha, out.card);
  auto envs = gate.environments(repo, sha);
  if (!envs.refusal) {
    for (const auto& env : envs.names) {
      auto answer = gate.evaluate(repo, sha, env, "api", true);
      core::add_gate_answer(out.card, env, answer.body,
                            answer.refusal ? answer.refusal->message : "");
    }
  }
  add_stored(db, repo, sha, out.card);
  return out;
}

}  // namespace mlgate::server
