#include "server/services/forge_reporter.h"

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "core/config.h"
#include "core/pr_report.h"
#include "core/repeats.h"
#include "server/http/json_log.h"
#include "server/services/forge_requests.h"
#include "server/services/gate_service.h"
#include "server/services/notifications.h"
#include "server/services/pr_comment_sender.h"
#include "store/deployments.h"
#include "store/feedback.h"
#include "store/forge_outbox.h"
#include "store/pr_comments.h"
#include "store/repos.h"

namespace mlgate::server {
namespace {

using nlohmann::json;

struct RepoTarget {
  store::RepoRow repo;
  std::string project_id;  // GitLab numeric id when known
};

std::optional<RepoTarget> repo_target(pqxx::transaction_base& tx, std::int64_t repo_id) {
  auto repo = store::find_repo_by_id(tx, repo_id);
  if (!repo) return std::nullopt;
  return RepoTarget{std::move(*repo), store::forge_project_id(tx, repo_id)};
}

store::NewOutboxRequest status_request(const RepoTarget& t, const std::string& sha,
                                       const StatusReport& status) {
  auto req = commit_status_request(t.repo.forge, forge_api_base(t.repo.forge, t.repo.api_base_url),
                                   t.repo.full_name, t.project_id, sha, status);
  store::NewOutboxRequest out;
  out.repo_id = t.repo.id;
  out.kind = "commit_status";
  out.sha = sha;
  out.context = status.context;
  out.method = req.method;
  out.url = req.url;
  out.body_json = req.body.dump();
  return out;
}

// One status per tier: a tier run with `repeat: N` (its jobs next to each other, in repeat order)
// reports its jobs' state together (core/repeats.h), with the message of the job that state is.
std::vector<store::FeedbackJob> tier_jobs(const std::vector<store::FeedbackJob>& jobs) {
  std::vector<core::TierState> states;
  for (const auto& j : jobs) states.push_back({j.tier, j.state});
  std::vector<store::FeedbackJob> out;
  std::size_t begin = 0;
  for (const auto& t : core::tier_states_of_repeats(states)) {
    store::FeedbackJob j = jobs[begin + static_cast<std::size_t>(t.repeat)];
    if (t.repeats > 1 && t.state == core::JobState::passed)
      j.message = "all " + std::to_string(t.repeats) + " repeats passed";
    else if (t.repeats > 1)
      j.message = "repeat " + std::to_string(t.repeat + 1) + " of " + std::to_string(t.repeats) +
                  (j.message.empty() ? "" : ": " + j.message);
    out.push_back(std::move(j));
    begin += static_cast<std::size_t>(t.repeats);
  }
  return out;
}

// The gate's answer for each environment of the commit's config; empty when the environments
// cannot be read (the pipeline was planned from this config: a transient failure).
struct GateOutcome {
  std::string environment;
  GateAnswer answer;
};
std::vector<GateOutcome> gate_outcomes(const store::FeedbackPipeline& p, const store::RepoRow& repo,
                                       GateService& gate) {
  std::vector<GateOutcome> out;
  if (p.jobs.empty()) return out;
  auto envs = gate.environments(repo, p.sha);
  if (envs.refusal) return out;
  for (const auto& env : envs.names)
    out.push_back({env, gate.evaluate(repo, p.sha, env, "status")});
  return out;
}

// The statuses of one pipeline, in the order they are queued.
std::vector<store::NewOutboxRequest> pipeline_statuses(const store::FeedbackPipeline& p,
                                                       const RepoTarget& t,
                                                       const std::vector<GateOutcome>& gates,
                                                       const std::string& link) {
  std::vector<store::NewOutboxRequest> out;
  if (p.jobs.empty()) {
    // Nothing was planned: the config is missing, invalid or the commit unreadable.
    if (p.state == core::PipelineState::failed || p.state == core::PipelineState::error)
      out.push_back(status_request(t, p.sha, config_status(p.state, p.error, link)));
    return out;
  }
  const bool awaiting = p.state == core::PipelineState::awaiting_approval;
  for (const auto& j : tier_jobs(p.jobs))
    out.push_back(status_request(t, p.sha,
                                 awaiting ? awaiting_approval_status(j.tier, link)
                                          : tier_status(j.tier, j.state, j.message, link)));
  for (const auto& [env, answer] : gates) {
    if (answer.refusal) {
      out.push_back(
          status_request(t, p.sha, gate_status(env, "error", answer.refusal->message, link)));
    } else {
      out.push_back(status_request(
          t, p.sha,
          gate_status(env, answer.body.value("decision", "error"), gate_status_summary(answer.body),
                      link + (link.empty() ? "" : "#gate-" + env),
                      rule_difference_texts(answer.body))));
    }
  }
  return out;
}

// The pull request's report (docs/forge-feedback.md, "Pull-request reports"): the tiers, every
// gate's answer, a link; queued in the pull request's one context so that reports go out in order
// and a newer one replaces one still waiting.
store::NewOutboxRequest pr_report_request(const store::FeedbackPipeline& p, const RepoTarget& t,
                                          std::int64_t pr_number,
                                          const std::vector<GateOutcome>& gates,
                                          const std::string& link) {
  core::PrReport report;
  report.sha = p.sha;
  report.pipeline_state = std::string(core::to_string(p.state));
  report.error = p.error;
  report.link = link;
  for (const auto& j : tier_jobs(p.jobs))
    report.tiers.push_back({j.tier, std::string(core::to_string(j.state)), j.message});
  for (const auto& [env, answer] : gates)
    report.gates.push_back({env, answer.refusal ? nlohmann::json() : answer.body,
                            answer.refusal ? answer.refusal->message : ""});
  auto req = pr_comment_create_request(
      t.repo.forge, forge_api_base(t.repo.forge, t.repo.api_base_url), t.repo.full_name,
      t.project_id, pr_number, core::pr_report_markdown(report));
  store::NewOutboxRequest out;
  out.repo_id = t.repo.id;
  out.kind = "pr_comment";
  out.context = pr_comment_context(pr_number);
  out.method = req.method;
  out.url = req.url;
  out.body_json = req.body.dump();
  return out;
}

// A finished pipeline of the repository's default branch (pushes, schedules, manual runs; not
// pull requests or tags) tells people when it failed and when a gate denies its commit.
bool notifies(const store::FeedbackPipeline& p, const store::RepoRow& repo) {
  return p.latest_for_sha && core::is_finished(p.state) && p.trigger != "pull_request" &&
         p.trigger != "tag" && !p.branch.empty() && p.branch == repo.default_branch;
}

std::vector<core::Notification> pipeline_notifications(const store::FeedbackPipeline& p,
                                                       const store::RepoRow& repo,
                                                       const std::vector<GateOutcome>& gates,
                                                       const std::string& link) {
  std::vector<core::Notification> out;
  core::NotificationSubject s{repo.full_name, p.sha, p.branch, "", p.id, std::nullopt, link};
  if (p.state == core::PipelineState::failed || p.state == core::PipelineState::error) {
    std::vector<core::NotificationReason> failed;
    for (const auto& j : tier_jobs(p.jobs))
      if (core::is_finished(j.state) && j.state != core::JobState::passed)
        failed.push_back({j.tier, std::string(core::to_string(j.state)) +
                                      (j.message.empty() ? "" : ": " + j.message)});
    out.push_back(core::pipeline_failed_notification(s, std::string(core::to_string(p.state)),
                                                     p.error, failed));
  }
  // A gate denies a commit whose tiers failed as well: the failure is the news, told once.
  if (p.state != core::PipelineState::passed) return out;
  for (const auto& [env, answer] : gates) {
    if (answer.refusal || answer.body.value("decision", "") != "deny") continue;
    std::vector<core::NotificationReason> blocking;
    for (const auto& c : answer.body.value("checks", nlohmann::json::array()))
      if (c.is_object() && c.value("blocks", false))
        blocking.push_back({c.value("name", std::string("check")), c.value("reason", "")});
    s.environment = env;
    s.url = link.empty() ? "" : link + "#gate-" + env;
    out.push_back(core::gate_denied_notification(s, gate_status_summary(answer.body), blocking));
  }
  return out;
}

// How long a pass holds the pipelines it reports before another replica may take them (a pass of
// 20 pipelines takes well under a second; a replica that dies mid-pass delays them this long).
constexpr std::chrono::seconds kReportLease{60};

// What one due pipeline queues (judged outside any transaction). No pipeline: it is gone, and
// only leaves the queue.
struct Report {
  store::DuePipeline due;
  std::optional<store::FeedbackPipeline> pipeline;
  std::vector<store::NewOutboxRequest> requests;
  std::vector<core::Notification> notifications;
  std::vector<std::string> notify_targets;  // the server's and the repository's, read with it
};

struct Postponed {
  std::int64_t pipeline_id = 0;
  std::string error;
};

// `notify_targets`: where the repository's notifications go (notification_targets). Without a
// target nor a forge token, nothing is judged.
Report judge_report(const store::DuePipeline& due, std::optional<store::FeedbackPipeline> pipeline,
                    const RepoTarget& target, const std::vector<std::string>& notify_targets,
                    std::optional<std::int64_t> pr, GateService& gate,
                    const ReportOptions& options) {
  Report out{due, std::move(pipeline), {}, {}, {}};
  const auto& p = *out.pipeline;
  const auto& repo = target.repo;
  const bool statuses = options.statuses && !repo.forge_token.empty() && p.latest_for_sha;
  const bool notify = !notify_targets.empty() && notifies(p, repo);
  const std::string link =
      options.public_url.empty() ? "" : options.public_url + "/pipelines/" + std::to_string(p.id);
  std::vector<GateOutcome> gates;
  if (statuses || notify) gates = gate_outcomes(p, repo, gate);
  if (statuses) out.requests = pipeline_statuses(p, target, gates, link);
  if (statuses && pr) out.requests.push_back(pr_report_request(p, target, *pr, gates, link));
  if (notify) {
    out.notifications = pipeline_notifications(p, repo, gates, link);
    out.notify_targets = notify_targets;
  }
  return out;
}

// Queues every report's requests and notifications, marks each commit's waiting protection rules
// for a new look, and takes the pipelines off the queue: one transaction, one commit. Returns how
// many requests were queued.
int record_reports(store::Database& db, const std::vector<Report>& reports,
                   const ReportOptions& options) {
  return db.with([&](pqxx::connection& c) {
    pqxx::work tx(c);
    int queued = 0;
    std::set<std::pair<std::int64_t, std::string>> rechecked;
    std::vector<store::DuePipeline> done;
    for (const auto& r : reports) {
      for (const auto& request : r.requests)
        if (store::enqueue_forge_request(tx, request)) ++queued;
      for (const auto& n : r.notifications)
        queue_notification_to(tx, r.notify_targets, r.pipeline->repo_id, n);
      if (r.pipeline && options.statuses &&
          rechecked.emplace(r.pipeline->repo_id, r.pipeline->sha).second)
        store::recheck_protection_requests(tx, r.pipeline->repo_id, r.pipeline->sha);
      done.push_back(r.due);
    }
    store::done_feedback(tx, done);
    tx.commit();
    return queued;
  });
}

// Reports `due` with one read transaction (the pipelines, each repository once, the pull request
// a pipeline reports to) and one write (record_reports). A pipeline whose judging throws is left
// out and added to `postponed`. Throws when the read or the write fails. Returns how many
// pipelines it reported.
int report_batch(store::Database& db, GateService& gate, const ReportOptions& options,
                 const std::vector<store::DuePipeline>& due, std::vector<Postponed>& postponed) {
  struct Loaded {
    std::vector<store::FeedbackPipeline> pipelines;
    std::map<std::int64_t, RepoTarget> targets;                       // by repository id
    std::map<std::int64_t, std::vector<std::string>> notify_targets;  // by repository id
    std::map<std::int64_t, std::int64_t> pull_requests;               // by pipeline id
  };
  std::vector<std::int64_t> ids;
  for (const auto& d : due) ids.push_back(d.pipeline_id);
  auto loaded = db.with([&](pqxx::connection& c) {
    pqxx::read_transaction tx(c);
    Loaded l;
    l.pipelines = store::feedback_pipelines(tx, ids);
    for (const auto& p : l.pipelines) {
      if (!l.targets.count(p.repo_id)) {
        if (auto t = repo_target(tx, p.repo_id)) l.targets.emplace(p.repo_id, std::move(*t));
        l.notify_targets.emplace(p.repo_id,
                                 notification_targets(tx, options.notify_urls, p.repo_id));
      }
      if (p.trigger != "pull_request") continue;
      if (auto pr = store::pr_to_report(tx, p.id)) l.pull_requests.emplace(p.id, *pr);
    }
    return l;
  });
  std::vector<Report> reports;
  for (const auto& d : due) {
    auto p = std::find_if(loaded.pipelines.begin(), loaded.pipelines.end(),
                          [&](const auto& x) { return x.id == d.pipeline_id; });
    auto target =
        p == loaded.pipelines.end() ? loaded.targets.end() : loaded.targets.find(p->repo_id);
    if (target == loaded.targets.end()) {
      reports.push_back({d, std::nullopt, {}, {}, {}});
      continue;
    }
    auto pr = loaded.pull_requests.find(d.pipeline_id);
    try {
      reports.push_back(
          judge_report(d, std::move(*p), target->second, loaded.notify_targets[p->repo_id],
                       pr == loaded.pull_requests.end() ? std::nullopt : std::optional(pr->second),
                       gate, options));
    } catch (const store::DatabaseUnavailable&) {
      throw;
    } catch (const std::exception& e) {
      postponed.push_back({d.pipeline_id, e.what()});
    }
  }
  if (reports.empty()) return 0;
  const int queued = record_reports(db, reports, options);
  if (queued)
    log_event(spdlog::level::debug, "forge statuses queued",
              {{"pipelines", reports.size()}, {"statuses", queued}});
  return static_cast<int>(reports.size());
}

}  // namespace

int report_due_pipelines(store::Database& db, GateService& gate, const ReportOptions& options) {
  auto due = db.with([&](pqxx::connection& c) {
    pqxx::work tx(c);
    auto leased = store::lease_due_feedback(tx, options.limit, kReportLease);
    tx.commit();
    return leased;
  });
  if (due.empty()) return 0;
  std::vector<Postponed> postponed;
  int handled = 0;
  try {
    handled = report_batch(db, gate, options, due, postponed);
  } catch (const store::DatabaseUnavailable&) {
    throw;
  } catch (const std::exception& e) {
    // One of them spoils the pass (a row that cannot be read or written): each alone, so that
    // only that one waits.
    log_event(spdlog::level::debug, "forge feedback pass retried pipeline by pipeline",
              {{"error", e.what()}});
    postponed.clear();
    for (const auto& d : due) {
      try {
        handled += report_batch(db, gate, options, {d}, postponed);
      } catch (const store::DatabaseUnavailable&) {
        throw;
      } catch (const std::exception& alone) {
        postponed.push_back({d.pipeline_id, alone.what()});
      }
    }
  }
  for (const auto& p : postponed) {
    // Left due, behind the others, and tried again on a later pass.
    log_event(spdlog::level::warn, "forge statuses not reported",
              {{"pipeline", p.pipeline_id}, {"error", p.error}});
    db.with([&](pqxx::connection& c) {
      pqxx::work tx(c);
      store::postpone_feedback(tx, p.pipeline_id);
      tx.commit();
    });
  }
  return handled;
}

// The gate a protection rule's environment asks. GitHub's environment names are not
// case-sensitive: "Production" asks the gate `production`. The name the repository's deployments
// were recorded under comes first, so that the deployed commit's rules stay in force: a candidate
// that renamed its gate `PRODUCTION` has no gate for the deployed environment and is rejected, not
// judged as if nothing were deployed. Only an environment never deployed maps through the
// candidate's own gate names.
std::string protection_environment(store::Database& db, GateService& gate,
                                   const store::RepoRow& repo,
                                   const store::ProtectionRequest& req) {
  const auto deployed = db.with([&](pqxx::connection& c) {
    pqxx::read_transaction tx(c);
    return store::deployed_environments(tx, req.repo_id);
  });
  std::string environment = core::gate_for_environment(deployed, req.environment);
  if (std::find(deployed.begin(), deployed.end(), environment) != deployed.end())
    return environment;
  if (auto gates = gate.environments(repo, req.sha); !gates.refusal)
    environment = core::gate_for_environment(gates.names, req.environment);
  return environment;
}

int answer_due_protection_rules(store::Database& db, GateService& gate, int limit) {
  auto due = db.with([&](pqxx::connection& c) {
    pqxx::work tx(c);
    auto rows = store::due_protection_requests(tx, limit);
    tx.commit();
    return rows;
  });
  int answered = 0;
  for (const auto& req : due) {
    auto target = db.with([&](pqxx::connection& c) {
      pqxx::read_transaction tx(c);
      return repo_target(tx, req.repo_id);
    });
    auto defer = [&](std::optional<double> seconds) {
      db.with([&](pqxx::connection& c) {
        pqxx::work tx(c);
        store::defer_protection_request(tx, req.id, seconds);
        tx.commit();
      });
    };
    if (!target || target->repo.forge_token.empty()) {
      defer(std::nullopt);  // nothing to answer with; the planner refuses such requests anyway
      continue;
    }
    const std::string environment = protection_environment(db, gate, target->repo, req);
    auto answer = gate.evaluate(target->repo, req.sha, environment, "protection_rule");
    bool approved = false;
    std::optional<std::int64_t> decision_id;
    std::string comment;
    if (answer.refusal) {
      if (answer.refusal->code == "unknown_commit") {
        defer(60.0);  // the remote may be briefly unreachable: look again in a minute
        continue;
      }
      comment = cut_utf8(
          "mlgate cannot evaluate the gate, so it rejects: " + answer.refusal->message, 1024);
    } else {
      const std::string decision = answer.body.value("decision", "");
      if (decision == "pending") {
        defer(std::nullopt);  // looked at again when the commit's pipeline changes
        continue;
      }
      approved = decision == "allow";
      if (answer.body.contains("decision_id") && answer.body["decision_id"].is_number_integer())
        decision_id = answer.body["decision_id"].get<std::int64_t>();
      comment = protection_comment(answer.body);
    }
    auto callback =
        protection_callback_request(req.callback_url, req.environment, approved, comment);
    store::NewOutboxRequest out;
    out.repo_id = req.repo_id;
    out.kind = "protection_callback";
    out.sha = req.sha;
    out.context = "protection/" + std::to_string(req.id);
    out.url = callback.url;
    out.body_json = callback.body.dump();
    bool done = db.with([&](pqxx::connection& c) {
      pqxx::work tx(c);
      if (!store::answer_protection_request(tx, req.id, approved, decision_id, comment))
        return false;  // another replica answered it
      store::enqueue_forge_request(tx, out);
      tx.commit();
      return true;
    });
    if (!done) continue;
    log_event(spdlog::level::info, "deployment protection rule answered",
              {{"repo", target->repo.full_name},
               {"sha", req.sha},
               {"environment", req.environment},
               {"answer", approved ? "approved" : "rejected"}});
    ++answered;
  }
  return answered;
}

}  // namespace mlgate::server
