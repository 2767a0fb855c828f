#include <signal.h>

#include <thread>

#include "cli/commands.h"
#include "server/http/json_log.h"
#include "server/serve.h"
#include "server/services/notifications.h"
#include "util/secret_file.h"

namespace mlgate::cli {

namespace {

using ServeOptionsPtr = std::shared_ptr<server::ServeOptions>;

// The HTTP server's deadlines and caps (docs/security.md, "Limits").
void add_connection_options(CLI::App* cmd, const ServeOptionsPtr& opts) {
  auto& http = opts->app.http;
  cmd->add_option("--header-timeout", http.header_timeout_seconds,
                  "Seconds a request's header gets to arrive whole (then 408 and close)")
      ->capture_default_str()
      ->check(CLI::Range(1, 3600));
  cmd->add_option("--keep-alive-timeout", http.keep_alive_idle_seconds,
                  "Seconds a kept-alive connection may wait for its next request's header")
      ->capture_default_str()
      ->check(CLI::Range(1, 3600));
  cmd->add_option("--body-timeout", http.body_timeout_seconds,
                  "Seconds a request's body (and an answer's write) gets to complete")
      ->capture_default_str()
      ->check(CLI::Range(1, 86400));
  cmd->add_option("--max-header-bytes", http.header_max_bytes,
                  "Largest request header (request line and fields); larger gets 431")
      ->capture_default_str()
      ->check(CLI::Range(1024, 1 << 20));
  cmd->add_option("--max-buffered-body-bytes", http.buffered_bodies_max_bytes,
                  "Request bodies the server holds at once, over every connection, while it "
                  "reads them before their handlers (webhooks, API calls); past it 503")
      ->capture_default_str()
      ->check(CLI::Range(std::size_t{1} << 20, std::size_t{1} << 40));
  cmd->add_option("--max-connections", http.max_connections,
                  "Open connections; past it new ones are answered 503 and closed")
      ->capture_default_str()
      ->check(CLI::Range(1, 1000000));
  cmd->add_option("--max-connections-per-peer", http.max_connections_per_peer,
                  "Open connections from one address; past it new ones get 503")
      ->capture_default_str()
      ->check(CLI::Range(1, 1000000));
}

// Where it listens, its data and database, the HTTP server.
void add_server_options(CLI::App* cmd, const ServeOptionsPtr& opts) {
  cmd->add_option("--listen", opts->listen, "Address to listen on, host:port (port 0: any)")
      ->capture_default_str();
  cmd->add_option("--data-dir", opts->data_dir,
                  "Data directory: embedded PostgreSQL, spool, mirrors, admin token")
      ->capture_default_str();
  cmd->add_option(
      "--database-url", opts->database_url,
      "PostgreSQL URL or conninfo ($MLGATE_DATABASE_URL); empty runs an embedded cluster");
  cmd->add_option(
      "--pg-user", opts->pg_user,
      "OS user for the embedded cluster when started as root (default: postgres, else nobody)");
  cmd->add_option("--admin-token-file", opts->admin_token_file,
                  "File holding the admin token to accept (else one is generated on first start)");
  cmd->add_option("--http-threads", opts->app.http.threads,
                  "Most threads running request handlers, started as needed (a parked runner "
                  "claim holds none)")
      ->capture_default_str()
      ->check(CLI::Range(1, 4096));
  cmd->add_option("--keep-alive-max", opts->app.http.keep_alive_max,
                  "Requests served on one keep-alive connection")
      ->capture_default_str()
      ->check(CLI::Range(1, 1000000));
  cmd->add_option("--tcp-nodelay", opts->app.http.tcp_nodelay, "Disable Nagle's algorithm")
      ->capture_default_str();
  add_connection_options(cmd, opts);
  cmd->add_option("--db-pool", opts->db_pool, "PostgreSQL connections in the pool")
      ->capture_default_str()
      ->check(CLI::Range(1, 1000));
  cmd->add_option("--shutdown-timeout", opts->shutdown_timeout_seconds,
                  "Seconds in-flight requests get to finish on shutdown")
      ->capture_default_str();
}

// How long deliveries, pipelines and logs are kept.
void add_retention_options(CLI::App* cmd, const ServeOptionsPtr& opts) {
  cmd->add_option("--delivery-retention-days", opts->app.delivery_retention_days,
                  "Days webhook deliveries are kept")
      ->capture_default_str()
      ->check(CLI::Range(1, 3650));
  cmd->add_option("--unverified-deliveries-max-bytes", opts->app.unverified_deliveries.max_bytes,
                  "Bytes (bodies cut to 64 KiB, and headers) kept for deliveries whose signature "
                  "was not verified; past it the oldest are deleted")
      ->capture_default_str()
      ->check(CLI::Range(std::int64_t{128} << 10, std::int64_t{1} << 40));
  cmd->add_option("--unverified-deliveries-repo-max-bytes",
                  opts->app.unverified_deliveries.repo_max_bytes,
                  "The same bound for one repository (deliveries naming no registered repository "
                  "share one); past it that repository's oldest are deleted")
      ->capture_default_str()
      ->check(CLI::Range(std::int64_t{128} << 10, std::int64_t{1} << 40));
  cmd->add_option("--pipeline-retention-days", opts->app.retention.pipeline_days,
                  "Days finished pipelines (with their results) and gate decisions are kept; "
                  "deployed commits, branch heads and decisions deployments name are kept for "
                  "ever; 0: keep everything")
      ->capture_default_str()
      ->check(CLI::Range(0, 36500));
  cmd->add_option("--log-retention-days", opts->app.retention.log_days,
                  "Days job logs and per-example predictions of finished pipelines are kept "
                  "(same exceptions); 0: keep them")
      ->capture_default_str()
      ->check(CLI::Range(0, 36500));
}

// Serving observations (docs/observations.md): a batch's limits and how long windows are kept.
void add_observation_options(CLI::App* cmd, const ServeOptionsPtr& opts) {
  auto& o = opts->app.observations;
  cmd->add_option("--observation-max-bytes", o.max_bytes, "Largest observation batch body")
      ->capture_default_str()
      ->check(CLI::Range(std::size_t{1024}, std::size_t{1} << 30));
  cmd->add_option("--observation-max-rows", o.max_rows, "Most rows in one observation batch")
      ->capture_default_str()
      ->check(CLI::Range(std::size_t{1}, std::size_t{1000000}));
  cmd->add_option("--observation-max-features", o.max_features,
                  "Most features (and prediction keys) in one observed row")
      ->capture_default_str()
      ->check(CLI::Range(std::size_t{1}, std::size_t{500}));
  cmd->add_option("--observation-retention-days", opts->app.observation_retention_days,
                  "Days observation windows and their kept rows are kept; 0: for ever")
      ->capture_default_str()
      ->check(CLI::Range(0, 36500));
}

// The planner and the tiers' budget ceilings (the other ceilings: add_job_ceiling_options).
void add_planner_options(CLI::App* cmd, const ServeOptionsPtr& opts) {
  cmd->add_option("--planner-workers", opts->app.planner.workers, "Threads planning deliveries")
      ->capture_default_str()
      ->check(CLI::Range(1, 64));
  cmd->add_option("--max-timeout-functionality",
                  opts->app.planner.ceilings.functionality_timeout_seconds,
                  "Ceiling of the functionality tier's budget, seconds")
      ->capture_default_str()
      ->check(CLI::Range(1, 300));
  cmd->add_option("--max-timeout-validation", opts->app.planner.ceilings.validation_timeout_seconds,
                  "Ceiling of the validation tier's budget, seconds")
      ->capture_default_str()
      ->check(CLI::Range(1, 3600));
  cmd->add_option("--max-timeout-training", opts->app.planner.ceilings.training_timeout_seconds,
                  "Ceiling of the training tier's budget, seconds")
      ->capture_default_str()
      ->check(CLI::Range(1, 86400));
}

// Leases, long polls, results caps and job resource defaults.
void add_runner_options(CLI::App* cmd, const ServeOptionsPtr& opts) {
  cmd->add_option("--lease-seconds", opts->app.runners.lease_seconds,
                  "How long a claim or heartbeat holds a job for its runner")
      ->capture_default_str()
      ->check(CLI::Range(2, 3600));
  cmd->add_option("--heartbeat-seconds", opts->app.runners.heartbeat_seconds,
                  "How often runners are told to heartbeat (keep it under a third of the lease)")
      ->capture_default_str()
      ->check(CLI::Range(1, 1200));
  cmd->add_option("--max-claim-wait", opts->app.runners.max_claim_wait_seconds,
                  "Longest long poll of a runner's job request, seconds")
      ->capture_default_str()
      ->check(CLI::Range(0, 300));
  cmd->add_option("--max-log-bytes", opts->app.runners.log_max_bytes,
                  "Most log bytes kept per job attempt (runners cap their own at 4 MiB)")
      ->capture_default_str()
      ->check(CLI::Range(std::int64_t{1024}, std::int64_t{1} << 34));
  cmd->add_option("--max-junit-bytes", opts->app.runners.junit_max_bytes,
                  "Largest junit.xml a job may hand back")
      ->capture_default_str();
  cmd->add_option("--max-metrics-bytes", opts->app.runners.metrics_max_bytes,
                  "Largest metrics.json a job may hand back")
      ->capture_default_str();
  cmd->add_option("--max-predictions-bytes", opts->app.runners.predictions_max_bytes,
                  "Largest predictions.jsonl a job may hand back")
      ->capture_default_str();
  cmd->add_option("--reference-max-bytes", opts->app.runners.reference_max_bytes,
                  "Largest reference.jsonl a job may hand back")
      ->capture_default_str();
  cmd->add_option("--reference-max-rows", opts->app.runners.reference_max_rows,
                  "Rows of a reference.jsonl profiled (later rows are skipped)")
      ->capture_default_str()
      ->check(CLI::Range(std::size_t{1}, std::size_t{10000000}));
  cmd->add_option("--default-job-cpus", opts->app.runners.default_cpus,
                  "CPUs a job gets when its tier sets none")
      ->capture_default_str()
      ->check(CLI::Range(0.01, 1024.0));
  cmd->add_option("--default-job-memory", opts->app.runners.default_memory_bytes,
                  "Memory limit, bytes, of a job whose tier sets none")
      ->capture_default_str()
      ->check(CLI::Range(std::int64_t{4} << 20, std::int64_t{1} << 42));
  cmd->add_option("--default-job-pids", opts->app.runners.default_pids,
                  "Process limit of a job whose tier sets none")
      ->capture_default_str()
      ->check(CLI::Range(std::int64_t{16}, std::int64_t{1} << 22));
}

// Commit statuses and protection-rule answers sent to the forge.
void add_forge_options(CLI::App* cmd, const ServeOptionsPtr& opts) {
  cmd->add_option("--public-url", opts->app.forge.public_url,
                  "URL people reach this server at; commit statuses link to its pages "
                  "(default http://<listen address>)");
  cmd->add_flag(
      "--no-forge-feedback", [opts](std::int64_t) { opts->app.forge.enabled = false; },
      "Send no commit statuses or protection-rule answers");
  cmd->add_option_function<double>(
         "--forge-retry-seconds",
         [opts](double s) {
           opts->app.forge.retry.first_delay =
               std::chrono::milliseconds(static_cast<std::int64_t>(s * 1000));
         },
         "First retry delay of a failed forge request; it doubles up to 15 minutes (default 5)")
      ->check(CLI::Range(0.01, 3600.0));
  cmd->add_option("--forge-max-attempts", opts->app.forge.retry.max_attempts,
                  "Attempts before a forge request is given up")
      ->capture_default_str()
      ->check(CLI::Range(1, 100));
  cmd->add_option("--notify-url", opts->app.forge.notify_urls,
                  "Where events are POSTed as JSON (docs/notifications.md); repeatable")
      ->check([](const std::string& url) { return server::notify_url_problem(url); });
  cmd->add_option_function<std::string>(
      "--notify-secret-file",
      [opts](const std::string& path) {
        auto secret = util::read_secret_line(path);
        if (!secret || secret->size() < 16)
          throw CLI::ValidationError("--notify-secret-file",
                                     "cannot read a secret of at least 16 characters from " + path);
        opts->app.forge.notify_secret = *secret;
      },
      "File holding the secret notifications are signed with (X-Mlgate-Signature-256)");
  cmd->add_option_function<double>(
         "--monitor-period",
         [opts](double s) {
           opts->app.monitors.period =
               std::chrono::milliseconds(static_cast<std::int64_t>(s * 1000));
         },
         "Seconds between looks for production monitors that are due (docs/monitoring.md; "
         "default 30)")
      ->check(CLI::Range(0.05, 3600.0));
  cmd->add_option_function<double>(
         "--rollout-period",
         [opts](double s) {
           opts->app.rollouts.period =
               std::chrono::milliseconds(static_cast<std::int64_t>(s * 1000));
         },
         "Seconds between looks for staged rollouts whose analysis interval is due "
         "(docs/rollouts.md; default 5)")
      ->check(CLI::Range(0.05, 3600.0));
}

// Runs the server until SIGINT or SIGTERM.
int serve_until_signalled(const server::ServeOptions& opts) {
  server::install_json_logger();
  // Signals are handled by one thread with sigwait; every other thread blocks them.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  server::StopSignal stop;
  std::thread signals([set, &stop] {
    int sig = 0;
    while (sigwait(&set, &sig) == 0) {
      if (sig == SIGINT || sig == SIGTERM) {
        stop.request(sig == SIGINT ? "SIGINT" : "SIGTERM");
        return;
      }
    }
  });
  signals.detach();
  return server::run_serve(opts, stop);
}

}  // namespace

void add_serve_command(CLI::App& app, ExitCode& exit_code) {
  auto opts = std::make_shared<server::ServeOptions>();
  opts->database_url = env_or("MLGATE_DATABASE_URL", "");
  opts->data_dir = env_or("MLGATE_DATA_DIR", "mlgate-data");
  opts->listen = env_or("MLGATE_LISTEN", "127.0.0.1:8080");
  auto* cmd = app.add_subcommand("serve", "Run the mlgate server (HTTP API, webhooks, scheduler)");
  add_server_options(cmd, opts);
  add_retention_options(cmd, opts);
  add_observation_options(cmd, opts);
  add_planner_options(cmd, opts);
  add_runner_options(cmd, opts);
  add_job_ceiling_options(cmd, opts->app.planner.job_ceilings, "Job ceilings");
  add_forge_options(cmd, opts);
  cmd->add_flag("--public-read", opts->app.public_read,
                "Allow anonymous read access to pages and API");
  cmd->add_flag("--test-endpoints", opts->app.test_endpoints, "Add /debug/* routes (tests only)")
      ->group("");
  cmd->callback([opts, &exit_code] {
    const auto& runners = opts->app.runners;
    const std::string over =
        job_defaults_over_ceilings(runners.default_cpus, runners.default_memory_bytes,
                                   runners.default_pids, opts->app.planner.job_ceilings);
    if (!over.empty()) throw CLI::ValidationError("the job defaults", over);
    exit_code.value = serve_until_signalled(*opts);
  });
}

}  // namespace mlgate::cli
