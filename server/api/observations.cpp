// Serving observations (docs/observations.md, "Observations"): POST
// /api/v1/repos/{repo}/environments/{env}/observations?batch_id=… takes a batch of JSON lines from
// a token with the `observe` scope, folds it into per-(window, commit) partial profiles and keeps
// a bounded sample of its predictions, all in one transaction, and answers 202 once that commits.
// …/observations/truth attaches late labels to kept rows by id, and to a rollout's samples (the
// judge's accuracy) in the same transaction. A batch id seen before answers 202 again and stores
// nothing. The body is read only after the token is checked.
#include "core/observations.h"

#include <algorithm>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <utility>

#include "core/config.h"
#include "server/api/routes.h"
#include "server/http/auth.h"
#include "server/http/body.h"
#include "server/http/http_util.h"
#include "server/http/repo_lookup.h"
#include "server/http/route_pattern.h"
#include "store/observations.h"
#include "store/rollouts.h"
#include "util/hash.h"

namespace mlgate::server {
namespace {

using nlohmann::json;

const std::string kEnvPattern = R"(/environments/([A-Za-z0-9_.-]{1,100})/observations)";

bool is_batch_id(const std::string& id) {
  return !id.empty() && id.size() <= 200 && std::all_of(id.begin(), id.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == ':' ||
           c == '-';
  });
}

// The observation bodies being read, parsed and stored at once, over every connection: a batch
// costs about 12 times its size in memory while it is parsed and folded (16 MiB: ~200 MB), so
// eight maximal batches at once took serve to 1.6 GB. A batch that would take the bytes in flight
// past ObservationConfig::bytes_at_once is answered 503 before its body is read, and so is one
// that would take its repository's past half of it when the repository already has one in flight
// (one repository's slow senders cannot hold every other repository's batches out). A batch is
// always let in when nothing else is in flight.
struct BytesInFlight {
  std::mutex mu;
  std::size_t total = 0;
  std::map<std::int64_t, std::size_t> by_repo;
};
BytesInFlight observation_bytes;

// A batch's share of that budget, given back when the request ends.
class BudgetShare {
 public:
  BudgetShare(std::int64_t repo, std::size_t bytes) : repo_(repo), bytes_(bytes) {}
  BudgetShare(BudgetShare&& other) noexcept
      : repo_(other.repo_), bytes_(std::exchange(other.bytes_, 0)) {}
  BudgetShare& operator=(BudgetShare&& other) noexcept {
    if (this != &other) {
      give_back();
      repo_ = other.repo_;
      bytes_ = std::exchange(other.bytes_, 0);
    }
    return *this;
  }
  ~BudgetShare() { give_back(); }

 private:
  void give_back() {
    if (bytes_ == 0) return;
    std::lock_guard lock(observation_bytes.mu);
    observation_bytes.total -= bytes_;
    auto it = observation_bytes.by_repo.find(repo_);
    if (it != observation_bytes.by_repo.end() && (it->second -= bytes_) == 0)
      observation_bytes.by_repo.erase(it);
    bytes_ = 0;
  }
  std::int64_t repo_;
  std::size_t bytes_;
};

// The budget's share for repository `repo`'s body of at most `max_bytes` (its Content-Length when
// declared), or nullopt when the bytes in flight leave no room for it.
std::optional<BudgetShare> take_share(const httplib::Request& req, std::int64_t repo,
                                      std::size_t max_bytes, std::size_t at_once) {
  const std::size_t bytes = static_cast<std::size_t>(
      std::min<std::uint64_t>(declared_length(req).value_or(max_bytes), max_bytes));
  std::lock_guard lock(observation_bytes.mu);
  auto& held = observation_bytes;
  const auto mine = held.by_repo.find(repo);
  const bool fits =
      held.total == 0 || (held.total + bytes <= at_once &&
                          (mine == held.by_repo.end() || mine->second + bytes <= at_once / 2));
  if (!fits) return std::nullopt;
  held.by_repo[repo] += bytes;
  held.total += bytes;
  return BudgetShare(repo, bytes);
}

// What every observation route checks before it parses anything: the caller (observe), the
// repository, the environment, the batch id, room in the budget, and the body.
struct Admitted {
  store::RepoRow repo;
  std::string environment;
  std::string batch_id;
  std::string body;
  std::optional<BudgetShare> share;
};

std::optional<Admitted> admit(const ObservationRoutes& deps, const httplib::Request& req,
                              httplib::Response& res, const httplib::ContentReader& reader,
                              bool needs_batch_id) {
  auto caller = deps.auth.authorize(req, res, "observe");
  if (!caller) return std::nullopt;
  auto repo = find_repo_in_path(deps.auth, req, res, *caller);
  if (!repo) return std::nullopt;
  Admitted in{*repo, req.matches[2].str(), req.get_param_value("batch_id"), {}};
  if (!core::is_environment_name(in.environment)) {
    send_error(res, 400, "bad_request", "environment: 1 to 100 of A-Z a-z 0-9 _ . -");
    return std::nullopt;
  }
  if (needs_batch_id && !is_batch_id(in.batch_id)) {
    send_error(res, 400, "bad_request",
               "batch_id (query parameter): 1 to 200 of A-Z a-z 0-9 _ . : - is required");
    return std::nullopt;
  }
  in.share = take_share(req, in.repo.id, deps.config.max_bytes, deps.config.bytes_at_once);
  if (!in.share) {
    res.set_header("Retry-After", "1");
    res.set_header("Connection", "close");
    send_error(res, 503, "busy",
               "other observation batches are being stored; send this one again in a moment");
    return std::nullopt;
  }
  auto body = read_body(req, res, reader, deps.config.max_bytes);
  if (!body) return std::nullopt;
  in.body = std::move(*body);
  return in;
}

core::ObservationLimits limits_of(const ObservationConfig& config) {
  const double now =
      std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  return {config.max_rows, config.max_features, 8, now + core::kObservationMaxAheadSeconds};
}

void send_refusal(httplib::Response& res, const core::ObservationError& e) {
  send_error(res, e.status, e.status == 413 ? "too_many_rows" : "malformed_observations",
             e.message);
}

// Storage windows whose kept rows are known to be full, per (repository, environment): a
// batch for them neither counts their rows again nor offers rows to keep. Bounded: past
// kMaxWindows entries it starts afresh (those windows are then counted once more). A window's
// kept rows only grow until retention deletes the window, so an entry never becomes wrong in a
// way that keeps too many.
class FullSampleWindows {
 public:
  static constexpr std::size_t kMaxWindows = 8192;

  // The windows of `rows` known full.
  std::set<std::int64_t> known(std::int64_t repo_id, const std::string& environment,
                               const std::vector<core::ObservationRow>& rows) const {
    std::set<std::int64_t> out;
    std::lock_guard lock(mu_);
    auto it = full_.find({repo_id, environment});
    if (it == full_.end()) return out;
    for (const auto& row : rows)
      if (const auto w = core::observation_window(row.ts); it->second.contains(w)) out.insert(w);
    return out;
  }
  void remember(std::int64_t repo_id, const std::string& environment,
                const std::set<std::int64_t>& windows) {
    std::lock_guard lock(mu_);
    auto& known = full_[{repo_id, environment}];
    for (const auto w : windows) size_ += known.insert(w).second ? 1 : 0;
    if (size_ > kMaxWindows) {
      full_.clear();
      size_ = 0;
    }
  }

 private:
  mutable std::mutex mu_;
  std::map<std::pair<std::int64_t, std::string>, std::set<std::int64_t>> full_;
  std::size_t size_ = 0;
};

std::uint64_t seed_of(const std::string& batch_id) {
  return std::stoull(util::sha256_hex(batch_id).substr(0, 15), nullptr, 16);
}

void post_observations(const ObservationRoutes& deps, FullSampleWindows& full_windows,
                       const httplib::Request& req, httplib::Response& res,
                       const httplib::ContentReader& reader) {
  auto in = admit(deps, req, res, reader, true);
  if (!in) return;
  auto parsed = core::parse_observation_lines(in->body, limits_of(deps.config));
  if (parsed.error) return send_refusal(res, *parsed.error);
  std::map<core::ObservationKey, core::DatasetProfile> windows;
  std::size_t kept = 0;
  std::size_t rollout_kept = 0;
  auto full = full_windows.known(in->repo.id, in->environment, parsed.rows);
  // One transaction: the batch id first (a duplicate is neither folded nor stored), then the
  // deployment history the rows are attributed by, the fold, and the rows.
  const bool fresh = deps.db.with([&](pqxx::connection& c) {
    pqxx::work tx(c);
    if (!store::claim_observation_batch(tx, in->repo.id, in->environment, store::BatchKind::rows,
                                        in->batch_id, parsed.rows.size()))
      return false;
    const auto history = store::deployment_history(tx, in->repo.id, in->environment);
    windows = core::fold_observations(parsed.rows, history, seed_of(in->batch_id));
    store::insert_observation_partials(tx, in->repo.id, in->environment, windows);
    kept = store::insert_observation_samples(tx, in->repo.id, in->environment, parsed.rows, full);
    rollout_kept = store::keep_rollout_observations(tx, in->repo.id, in->environment, parsed.rows);
    tx.commit();
    return true;
  });
  if (fresh) full_windows.remember(in->repo.id, in->environment, full);
  send_json(res, 202,
            {{"batch_id", in->batch_id},
             {"duplicate", !fresh},
             {"rows", fresh ? parsed.rows.size() : 0},
             {"windows", fresh ? windows.size() : 0},
             {"sampled", kept},
             {"rollout_samples", rollout_kept}});
}

void post_truth(const ObservationRoutes& deps, const httplib::Request& req, httplib::Response& res,
                const httplib::ContentReader& reader) {
  auto in = admit(deps, req, res, reader, true);
  if (!in) return;
  auto parsed = core::parse_truth_lines(in->body, limits_of(deps.config));
  if (parsed.error) return send_refusal(res, *parsed.error);
  std::optional<std::size_t> matched;
  std::size_t rollout_matched = 0;
  deps.db.with([&](pqxx::connection& c) {
    pqxx::work tx(c);
    if (!store::claim_observation_batch(tx, in->repo.id, in->environment, store::BatchKind::truth,
                                        in->batch_id, parsed.rows.size()))
      return;
    matched = store::attach_truth(tx, in->repo.id, in->environment, parsed.rows);
    rollout_matched = store::attach_rollout_truth(tx, in->repo.id, in->environment, parsed.rows);
    tx.commit();
  });
  send_json(res, 202,
            {{"batch_id", in->batch_id},
             {"duplicate", !matched},
             {"rows", matched ? parsed.rows.size() : 0},
             {"matched", matched.value_or(0)},
             {"rollout_samples", rollout_matched}});
}

// The benchmark's floor: the same caller check, body reading and parsing, nothing stored.
void parse_only(const ObservationRoutes& deps, const httplib::Request& req, httplib::Response& res,
                const httplib::ContentReader& reader) {
  auto in = admit(deps, req, res, reader, false);
  if (!in) return;
  auto parsed = core::parse_observation_lines(in->body, limits_of(deps.config));
  if (parsed.error) return send_refusal(res, *parsed.error);
  send_json(res, 200, {{"rows", parsed.rows.size()}});
}

}  // namespace

// The observation routes' paths: an environment's observations, or one segment below them
// (/truth, /parse). Matched as the routes match theirs (server/http/route_pattern.h), in linear
// time: std::regex recursed once per character and overflowed the stack on a path of some ten
// thousand characters, before any token was read.
bool is_observation_path(const std::string& path) {
  static const RoutePattern pattern(std::string(kApiRepoPattern) + kEnvPattern);
  if (path.rfind("/api/v1/repos/", 0) != 0) return false;
  RoutePattern::Groups groups;
  const std::string_view whole(path);
  if (pattern.match(whole, groups)) return true;
  const auto last = whole.rfind('/');
  return last != std::string_view::npos && pattern.match(whole.substr(0, last), groups);
}

void register_observation_routes(Router& http, const ObservationRoutes& deps) {
  const std::string base = std::string(kApiRepoPattern) + kEnvPattern;
  http.post(base + "/truth",
            ReaderHandler([deps](const httplib::Request& q, httplib::Response& s,
                                 const httplib::ContentReader& r) { post_truth(deps, q, s, r); }));
  if (deps.test_endpoints)
    http.post(base + "/parse", ReaderHandler([deps](const httplib::Request& q, httplib::Response& s,
                                                    const httplib::ContentReader& r) {
                parse_only(deps, q, s, r);
              }));
  auto full_windows = std::make_shared<FullSampleWindows>();
  http.post(base,
            ReaderHandler([deps, full_windows](const httplib::Request& q, httplib::Response& s,
                                               const httplib::ContentReader& r) {
              post_observations(deps, *full_windows, q, s, r);
            }));
}

}  // namespace mlgate::server
