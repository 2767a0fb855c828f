#include "tests/e2e/replicas/replicas_env.h"

#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <pqxx/pqxx>
#include <stdexcept>

#include "tests/support/pg_cluster.h"
#include "util/hash.h"

namespace mlgate::testing {
namespace fs = std::filesystem;

namespace {

const std::string kSecret = "replicas-test-secret";
const std::string kSection = "## Two or more replicas behind a load balancer";

void replace_once(std::string& text, const std::string& from, const std::string& to) {
  const auto at = text.find(from);
  if (at == std::string::npos || text.find(from, at + 1) != std::string::npos)
    throw std::runtime_error("docs/operations.md: the HAProxy block must name '" + from +
                             "' exactly once");
  text.replace(at, from.size(), to);
}

std::string tail(const std::string& text, size_t max = 3000) {
  return text.size() <= max ? text : text.substr(text.size() - max);
}

std::string read_or_empty(const fs::path& p) {
  try {
    return read_file(p);
  } catch (const std::exception&) {
    return "";
  }
}

// Short leases and heartbeats, so that a claim whose answer died with its replica is queued
// again within seconds; a short long poll so that runners move to the survivor quickly.
const std::vector<std::string> kServeArgs = {"--lease-seconds",  "5", "--heartbeat-seconds", "1",
                                             "--max-claim-wait", "5", "--no-forge-feedback"};

}  // namespace

std::string haproxy_config_from_docs(int front_port, int replica1_port, int replica2_port) {
  const std::string doc = read_file(std::string(MLGATE_SOURCE_DIR) + "/docs/operations.md");
  const auto section = doc.find(kSection);
  const auto open = doc.find("```haproxy\n", section == std::string::npos ? 0 : section);
  if (section == std::string::npos || open == std::string::npos)
    throw std::runtime_error("docs/operations.md has no ```haproxy block under '" + kSection + "'");
  const auto start = open + std::string("```haproxy\n").size();
  std::string config = doc.substr(start, doc.find("```", start) - start);
  const std::string local = "127.0.0.1:";
  replace_once(config, "bind :8080", "bind " + local + std::to_string(front_port));
  replace_once(config, "10.0.0.11:8080", local + std::to_string(replica1_port));
  replace_once(config, "10.0.0.12:8080", local + std::to_string(replica2_port));
  return config;
}

Haproxy::Haproxy(const fs::path& dir, const std::string& config) : dir_(dir) {
  write_file(dir_ / "haproxy.cfg", config);
  std::string out;
  const int st = util::run_capture({"haproxy", "-c", "-f", (dir_ / "haproxy.cfg").string()}, out);
  if (!(WIFEXITED(st) && WEXITSTATUS(st) == 0))
    throw std::runtime_error("haproxy -c refused the configuration:\n" + out + "\n" + config);
  util::ChildOptions o;
  o.stdout_path = (dir_ / "haproxy.log").string();
  o.stderr_path = "=stdout";
  o.die_with_parent = true;
  o.parent_death_signal = SIGKILL;
  child_ = util::ChildProcess({"haproxy", "-db", "-f", (dir_ / "haproxy.cfg").string()}, o);
}

Haproxy::~Haproxy() {
  if (child_.valid()) child_.stop(SIGTERM, std::chrono::seconds(5));
}

std::string Haproxy::log() const {
  return read_or_empty(dir_ / "haproxy.log");
}

ReplicasEnv::ReplicasEnv(const std::string& conninfo) : conninfo_(conninfo) {
  own_database_ = conninfo_.empty();
  if (own_database_) conninfo_ = PgCluster::instance().create_database("replicas");
  runs_file_ = dir_.path() / "runs.log";
  write_file(runs_file_, "");
  push_fixture_ = nlohmann::json::parse(
      read_file(std::string(MLGATE_SHARED_FIXTURES) + "/webhooks/github/push.json"));
  // Every attempt that runs appends its workspace (.../jobs/j<id>-a<attempt>/workspace).
  repo_.commit({{".mlgate.yml",
                 "version: 1\nimage: mlgate/busybox:test\ntiers:\n"
                 "  functionality:\n    run: 'echo \"$MLGATE_WORKSPACE\" >> " +
                     runs_file_.string() + "; sleep 1'\n"}},
               "replicas test model");
  front_port_ = free_port();
  replicas_.resize(kReplicas);
  for (int i = 0; i < kReplicas; ++i) {
    ports_.push_back(free_port());
    start_replica(i);
  }
  admin_ = read_file(dir_.path() / "replica-0" / "admin-token");
  while (!admin_.empty() && (admin_.back() == '\n' || admin_.back() == '\r')) admin_.pop_back();
  haproxy_ = std::make_unique<Haproxy>(dir_.path(),
                                       haproxy_config_from_docs(front_port_, ports_[0], ports_[1]));
  if (!eventually([&] { return http_get(lb(), "/healthz").status == 200; }))
    throw std::runtime_error("HAProxy never answered /healthz; its log:\n" + haproxy_->log());
  const nlohmann::json reg = {{"forge", "github"},
                              {"name", "acme/model"},
                              {"clone_url", repo_.file_url()},
                              {"secret", kSecret}};
  auto r = http_post(lb(), "/api/v1/repos", reg.dump(), "application/json", admin());
  if (r.status != 201) throw std::runtime_error("registering the repository: " + r.body);
  auto t = http_post(lb(), "/api/v1/runner-tokens", R"({"name":"replicas"})", "application/json",
                     admin());
  if (t.status != 201) throw std::runtime_error("creating a runner token: " + t.body);
  write_file(dir_.path() / "registration-token",
             nlohmann::json::parse(t.body)["token"].get<std::string>() + "\n");
}

ReplicasEnv::~ReplicasEnv() {
  // All at once: each finishes its long poll before it exits.
  for (auto& r : runners_) r->signal(SIGTERM);
  runners_.clear();
  haproxy_.reset();
  replicas_.clear();
  try {
    if (own_database_) PgCluster::instance().drop_database(conninfo_);
  } catch (const std::exception&) {
  }
}

void ReplicasEnv::start_replica(int i) {
  ServeProcessOptions o;
  o.data_dir = dir_.path() / ("replica-" + std::to_string(i));
  // Named, so that the test can see which replica's sessions wait (pg_stat_activity).
  o.database_url = conninfo_ + " application_name=mlgate-replica-" + std::to_string(i);
  o.extra_args = kServeArgs;
  o.listen = "127.0.0.1:" + std::to_string(ports_[static_cast<size_t>(i)]);
  replicas_[static_cast<size_t>(i)].reset();
  replicas_[static_cast<size_t>(i)] = std::make_unique<ServeProcess>(o);
}

void ReplicasEnv::kill_replica(int i) {
  auto& p = replicas_[static_cast<size_t>(i)]->process();
  p.signal(SIGKILL);
  p.wait();
}

void ReplicasEnv::stop_replica(int i) {
  replicas_[static_cast<size_t>(i)]->stop();
}

void ReplicasEnv::start_runners(int count) {
  for (int n = 0; n < count; ++n) {
    const std::string name = "runner-" + std::to_string(n);
    const fs::path work = dir_.path() / name;
    fs::create_directories(work);
    util::ChildOptions o;
    o.stdout_path = (work / "runner.log").string();
    o.stderr_path = "=stdout";
    o.die_with_parent = true;
    o.parent_death_signal = SIGKILL;
    runners_.push_back(std::make_unique<util::ChildProcess>(
        std::vector<std::string>{MLGATE_BINARY, "runner", "--server", "http://" + lb(),
                                 "--token-file", (dir_.path() / "registration-token").string(),
                                 "--work-dir", work.string(), "--name", name, "--executor", "local",
                                 "--capacity", "2", "--claim-wait", "5"},
        o));
  }
}

std::string ReplicasEnv::registration_token() const {
  std::string t = read_file(dir_.path() / "registration-token");
  while (!t.empty() && t.back() == '\n') t.pop_back();
  return t;
}

std::string ReplicasEnv::new_commit(int n) {
  const std::string sha =
      repo_.commit({{"n.txt", std::to_string(n) + "\n"}}, "load " + std::to_string(n));
  repo_.branch("load-" + std::to_string(n));
  return sha;
}

HttpResult ReplicasEnv::send_push(int n, const std::string& sha, const std::string& delivery_id) {
  nlohmann::json p = push_fixture_;
  p["ref"] = "refs/heads/load-" + std::to_string(n);
  p["after"] = sha;
  p["head_commit"]["id"] = sha;
  p["repository"]["full_name"] = "acme/model";
  p["repository"]["name"] = "model";
  const std::string body = p.dump();
  return http_post(lb(), "/webhooks/github", body, "application/json",
                   {{"X-GitHub-Event", "push"},
                    {"X-GitHub-Delivery", delivery_id},
                    {"X-Hub-Signature-256", "sha256=" + util::hmac_sha256_hex(kSecret, body)}});
}

long ReplicasEnv::sql_long(const std::string& sql) {
  pqxx::connection c(conninfo_);
  pqxx::nontransaction tx(c);
  return tx.exec1(sql)[0].as<long>();
}

std::string ReplicasEnv::logs() {
  std::string out = "--- haproxy.log\n" + tail(haproxy_ ? haproxy_->log() : "");
  for (int i = 0; i < kReplicas; ++i)
    out += "\n--- replica " + std::to_string(i) + "\n" +
           tail(read_or_empty(dir_.path() / ("replica-" + std::to_string(i)) / "serve.log"));
  for (size_t n = 0; n < runners_.size(); ++n)
    out += "\n--- runner " + std::to_string(n) + "\n" +
           tail(read_or_empty(dir_.path() / ("runner-" + std::to_string(n)) / "runner.log"));
  return out;
}

}  // namespace mlgate::testing
