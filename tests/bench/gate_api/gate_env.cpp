#include "tests/bench/gate_api/gate_env.h"

#include <signal.h>
#include <sys/stat.h>

#include <iostream>
#include <nlohmann/json.hpp>

#include "store/pipeline_queries.h"
#include "store/pipelines.h"
#include "store/results.h"
#include "store/tokens.h"
#include "tests/bench/gate_api/common.h"
#include "tests/support/pg_cluster.h"
#include "util/hash.h"
#include "webhooks/signature.h"

namespace mlgate::bench {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

const std::string kSecret = kWebhookSecret;

std::string strip(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}

// The serve to measure: MLGATE_BENCH_MLGATE (another binary, e.g. main's for a before-run, or a
// script that runs it under a profiler), else the one this build made.
std::string serve_binary() {
  const char* other = std::getenv("MLGATE_BENCH_MLGATE");
  return other && *other ? std::string(other) : std::string();
}

}  // namespace

GateBenchEnv::GateBenchEnv(std::vector<std::string> serve_args) {
  ::chmod(dir_.path().c_str(), 0711);
  conninfo_ = testing::PgCluster::instance().create_database("gatebench");
  progress("starting mlgate serve (throwaway PostgreSQL, fsync off)");
  serve_ = std::make_unique<testing::ServeProcess>(
      testing::ServeProcessOptions{.data_dir = dir_.path() / "server",
                                   .database_url = conninfo_,
                                   .extra_args = std::move(serve_args),
                                   .binary = serve_binary()});
  admin_ = strip(testing::read_file(dir_.path() / "server" / "admin-token"));
  progress("mlgate is ready at " + serve_->url());

  // The repository starts with one commit so that it can be registered and fetched.
  repo_.commit({{"README.md", "bench model\n"}}, "start");
  testing::write_file(
      dir_.path() / "registration-token",
      register_bench_repo(host(), admin(), kRepoName, repo_.file_url(), kSecret, "bench runner") +
          "\n");

  db_ = std::make_unique<pqxx::connection>(conninfo_);
  pqxx::work tx(*db_);
  repo_id_ = tx.exec1("SELECT id FROM repos")[0].as<std::int64_t>();
  // A read-scoped API token, inserted as `mlgate token create --scope read` would.
  const auto token = store::generate_token();
  store::insert_api_token(tx, "bench-reader", token, {"read"});
  tx.commit();
  reader_ = {{"Authorization", "Bearer " + token}};
}

GateBenchEnv::~GateBenchEnv() {
  if (runner_.valid()) runner_.stop(SIGTERM, std::chrono::seconds(10));
  db_.reset();
  serve_.reset();
  try {
    testing::PgCluster::instance().drop_database(conninfo_);
  } catch (const std::exception& e) {
    std::cerr << "bench_gate_api: could not drop the database: " << e.what() << "\n";
  }
}

std::string GateBenchEnv::push(const std::map<std::string, std::string>& files,
                               const std::string& message) {
  const std::string sha = repo_.commit(files, message);
  json p = json::parse(
      testing::read_file(std::string(MLGATE_SHARED_FIXTURES) + "/webhooks/github/push.json"));
  p["ref"] = "refs/heads/main";
  p["after"] = sha;
  p["head_commit"]["id"] = sha;
  p["repository"]["full_name"] = kRepoName;
  p["repository"]["name"] = "model";
  p["repository"]["default_branch"] = "main";
  const std::string body = p.dump();
  auto r = testing::http_post(
      host(), "/webhooks/github", body, "application/json",
      {{"X-GitHub-Event", "push"},
       {"X-GitHub-Delivery", "bench-" + std::to_string(++pushes_) + "-" + sha},
       {"X-Hub-Signature-256", "sha256=" + util::hmac_sha256_hex(kSecret, body)}});
  if (r.status != 202)
    throw std::runtime_error("the push of " + sha + " answered " + std::to_string(r.status) + ": " +
                             r.body);
  return sha;
}

std::string GateBenchEnv::wait_pipeline_end(const std::string& sha, std::chrono::seconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::string state;
  while (true) {
    {
      pqxx::nontransaction tx(*db_);
      auto r = tx.exec_params(
          "SELECT state FROM pipelines WHERE repo_id = $1 AND sha = $2 ORDER BY id DESC LIMIT 1",
          repo_id_, sha);
      state = r.empty() ? "" : r[0][0].as<std::string>();
    }
    if (state == "passed" || state == "failed" || state == "cancelled" || state == "error")
      return state;
    if (std::chrono::steady_clock::now() > deadline)
      throw std::runtime_error("the pipeline of " + sha + " did not end within " +
                               std::to_string(timeout.count()) + " s (state '" + state +
                               "'); runner log:\n" + runner_log());
    nap(std::chrono::milliseconds(100));
  }
}

void GateBenchEnv::start_runner() {
  const fs::path work = dir_.path() / "runner";
  fs::create_directories(work);
  std::vector<std::string> argv = {MLGATE_BINARY,  "runner",
                                   "--server",     serve_->url(),
                                   "--token-file", (dir_.path() / "registration-token").string(),
                                   "--work-dir",   work.string(),
                                   "--name",       "bench-runner",
                                   "--executor",   "local",
                                   "--claim-wait", "2"};
  util::ChildOptions o;
  o.stdout_path = (dir_.path() / "runner.log").string();
  o.stderr_path = "=stdout";
  runner_ = util::ChildProcess(argv, o);
}

int GateBenchEnv::stop_runner() {
  return runner_.stop(SIGTERM, std::chrono::seconds(10));
}

std::string GateBenchEnv::runner_log() const {
  try {
    return testing::read_file(dir_.path() / "runner.log");
  } catch (const std::exception&) {
    return "";
  }
}

int GateBenchEnv::deploy(const std::string& sha, const std::string& environment,
                         std::string& body) {
  auto r = testing::http_post(host(), std::string("/api/v1/repos/") + kRepoName + "/deployments",
                              json{{"sha", sha}, {"environment", environment}}.dump(),
                              "application/json", admin());
  body = r.body;
  return r.status;
}

std::vector<std::string> GateBenchEnv::clone_candidates(const std::string& template_sha,
                                                        int count) {
  // The template pipeline, its jobs (in tier order) and their stored results.
  struct TemplateJob {
    store::JobStatus row;
    std::string results_files;
    core::JobResults results;
  };
  std::vector<TemplateJob> jobs;
  store::PipelineStatus pipeline;
  {
    pqxx::work tx(*db_);
    auto id =
        tx.exec_params1(
              "SELECT id FROM pipelines WHERE repo_id = $1 AND sha = $2 ORDER BY id DESC LIMIT 1",
              repo_id_, template_sha)[0]
            .as<std::int64_t>();
    auto p = store::get_pipeline_status(tx, id);
    if (!p || p->state != core::PipelineState::passed)
      throw std::runtime_error("the template pipeline of " + template_sha + " has not passed");
    pipeline = *p;
    for (const auto& j : pipeline.jobs) {
      TemplateJob t;
      t.row = j;
      t.results_files =
          tx.exec_params1("SELECT results_files::text FROM jobs WHERE id = $1", j.id)[0]
              .as<std::string>();
      t.results = store::load_results(tx, j.id);
      jobs.push_back(std::move(t));
    }
    tx.commit();
  }

  // The commits: one `git commit-tree` each, chained, then main moved to the last one, so that a
  // fetch of the repository brings them all into serve's mirror.
  const std::string tree = repo_.git({"rev-parse", template_sha + "^{tree}"});
  std::vector<std::string> shas;
  std::string parent = repo_.head();
  for (int i = 0; i < count; ++i) {
    check_interrupted();
    parent =
        repo_.git({"commit-tree", tree, "-p", parent, "-m", "candidate " + std::to_string(i + 1)});
    shas.push_back(parent);
  }
  repo_.git({"update-ref", "refs/heads/main", parent});

  // The pipelines, 25 per transaction.
  constexpr int kBatch = 25;
  for (int first = 0; first < count; first += kBatch) {
    check_interrupted();
    pqxx::work tx(*db_);
    for (int i = first; i < std::min(count, first + kBatch); ++i) {
      store::NewPipeline np;
      np.repo_id = repo_id_;
      np.trigger = "push";
      np.ref = "refs/heads/main";
      np.branch = "main";
      np.sha = shas[static_cast<size_t>(i)];
      np.commit_message = "candidate " + std::to_string(i + 1);
      np.author = "bench";
      for (const auto& t : jobs) {
        store::NewJob nj;
        nj.tier = t.row.tier;
        nj.needs = t.row.needs;
        nj.image = t.row.image;
        nj.command = t.row.command;
        nj.timeout_seconds = t.row.timeout_seconds;
        nj.network = t.row.network;
        np.jobs.push_back(std::move(nj));
      }
      const auto pid = store::create_pipeline(tx, np);
      for (const auto& t : jobs) {
        auto r = tx.exec_params1("SELECT id, state FROM jobs WHERE pipeline_id = $1 AND tier = $2",
                                 pid, t.row.tier);
        const auto job_id = r[0].as<std::int64_t>();
        tx.exec_params(
            "UPDATE jobs SET state = 'passed', attempt = 1, exit_code = 0, "
            "results_files = $2::jsonb, queued_at = now(), started_at = now(), "
            "finished_at = now() WHERE id = $1",
            job_id, t.results_files);
        tx.exec_params(
            "INSERT INTO job_attempts (job_id, attempt, ended_at, outcome) "
            "VALUES ($1, 1, now(), 'passed')",
            job_id);
        store::record_state_change(tx, pid, job_id, core::parse_job_state(r[1].as<std::string>()),
                                   core::JobState::passed,
                                   "bench: copied from pipeline " + std::to_string(pipeline.id));
        store::replace_test_cases(tx, job_id, t.results.tests);
        store::replace_metrics(tx, job_id, t.results.metrics);
        store::replace_predictions(tx, job_id, t.results.predictions);
      }
      if (store::refresh_pipeline_state(tx, pid) != core::PipelineState::passed)
        throw std::runtime_error("a copied pipeline did not end up passed");
      // A pipeline's state change queues its commit statuses and notifications, which serve's
      // forge feedback worker reports with a gate decision of its own (source "status") for each
      // environment. A copy is not a real end of a pipeline: left queued, those background
      // evaluations would run during the measured requests, take CPU from them, store decisions
      // the requests did not make, and answer a request that comes after one from the cache.
      tx.exec_params("DELETE FROM feedback_due WHERE pipeline_id = $1", pid);
    }
    tx.commit();
  }
  return shas;
}

int GateBenchEnv::stop_serve() {
  if (runner_.valid() && runner_.running()) runner_.stop(SIGTERM, std::chrono::seconds(10));
  db_.reset();
  return serve_->stop();
}

}  // namespace mlgate::bench
