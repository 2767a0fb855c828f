#include "server/services/intake.h"

#include <ctime>

#include "core/states.h"
#include "server/http/json_log.h"
#include "server/http/metrics.h"
#include "store/crypto.h"
#include "store/deliveries.h"
#include "store/repos.h"
#include "util/hash.h"
#include "util/strings.h"
#include "util/time_format.h"
#include "webhooks/normalise.h"
#include "webhooks/signature.h"

namespace mlgate::server {
namespace {

using webhooks::EventKind;
using Verdict = core::DeliveryVerdict;

double elapsed_ms(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
      .count();
}

IntakeAnswer error_answer(int status, const std::string& code, const std::string& message) {
  return {status, {{"error", {{"code", code}, {"message", message}}}}};
}

std::string event_header(webhooks::Forge forge, const webhooks::Headers& h) {
  return webhooks::header_value(h, forge == webhooks::Forge::github ? webhooks::kGithubEventHeader
                                                                    : webhooks::kGitlabEventHeader);
}

std::string cache_key(webhooks::Forge forge, const std::string& name) {
  return util::lower(webhooks::to_string(forge) + "/" + name);
}

// The delivery's row as far as the request alone tells: no repository and no verdict yet.
store::NewDelivery delivery_row(const IntakeRequest& request, const std::string& forge_name,
                                const std::string& event) {
  const auto forge = request.forge;
  store::NewDelivery row;
  row.forge = forge_name;
  row.event = event;
  row.headers = storable_headers(request.headers);
  row.body = request.body;
  row.body_bytes = static_cast<std::int64_t>(request.body.size());
  row.body_sha256 = util::sha256_hex(request.body);
  row.spooled = request.spooled;
  row.replay_of = request.replay_of;
  row.delivery_id = webhooks::delivery_id(forge, request.headers, request.body);
  if (request.replay_of) row.delivery_id += "#replay-" + store::random_hex(6);
  return row;
}

// An unverified delivery keeps at most this much of its body.
constexpr std::size_t kUnverifiedBodyKeptBytes = 64 * 1024;

void count_dropped(const store::UnverifiedDropped& d) {
  if (d.repo_rows > 0) count_unverified_dropped("repo_share", d.repo_rows, d.repo_bytes);
  if (d.total_rows > 0) count_unverified_dropped("total", d.total_rows, d.total_bytes);
}

// Stores a delivery's row with its verdict, and answers (and logs) a rejected delivery. Until
// `verified` is set, a row keeps at most the first kUnverifiedBodyKeptBytes of its body and falls
// under the bound on unverified deliveries.
struct DeliveryRecorder {
  store::Database& db;
  const IntakeRequest& request;
  store::NewDelivery& row;
  const std::string& forge_name;
  const std::string& event;
  const store::UnverifiedBound& bound;
  bool verified = false;

  std::int64_t record(Verdict verdict, int status, const std::string& reason) {
    row.verdict = verdict;
    row.http_status = status;
    row.reason = reason;
    row.answered_ms = elapsed_ms(request.started);
    row.verified = verified;
    if (!verified && row.body.size() > kUnverifiedBodyKeptBytes) {
      row.body.resize(kUnverifiedBodyKeptBytes);
      row.body_truncated = true;
    }
    store::UnverifiedDropped dropped;
    const auto id = db.with([&](pqxx::connection& c) {
      pqxx::work tx(c);
      dropped = {};
      auto id = verified ? store::insert_delivery(tx, row)
                         : store::insert_unverified_delivery(tx, row, bound, dropped);
      tx.commit();
      return id;
    });
    count_webhook_delivery(forge_name, std::string(core::to_string(verdict)));
    count_dropped(dropped);
    return id;
  }

  IntakeAnswer reject(int status, Verdict verdict, const std::string& code,
                      const std::string& message) {
    auto id = record(verdict, status, message);
    log_event(status >= 500 ? spdlog::level::err : spdlog::level::warn,
              "webhook " + std::string(core::to_string(verdict)),
              {{"forge", forge_name},
               {"event", event},
               {"status", status},
               {"reason", message},
               {"delivery_row", id},
               {"repo", webhooks::peek_repo_name(request.forge, request.body)}});
    IntakeAnswer a = error_answer(status, code, message);
    a.body["delivery"] = id;
    return a;
  }
};

IntakeAnswer duplicate_answer(const store::AcceptOutcome& result, const std::string& forge_name,
                              const std::string& name, const std::string& delivery_id) {
  nlohmann::json body = {{"status", core::to_string(Verdict::duplicate)},
                         {"delivery", result.duplicate_row}};
  if (result.original) {
    body["original_delivery"] = result.original->id;
    body["pipeline"] = result.original->pipeline_id ? nlohmann::json(*result.original->pipeline_id)
                                                    : nlohmann::json();
  }
  log_event(spdlog::level::info, "webhook duplicate",
            {{"forge", forge_name}, {"repo", name}, {"delivery_id", delivery_id}});
  return {200, body};
}

// Why a verified delivery plans nothing ("" when it may): a kind that plans nothing, or a pull
// request from a fork to a repository that ignores them (docs/security.md, "Fork pull requests").
std::string ignored_reason(const webhooks::Event& ev, const store::RepoRow& repo) {
  if (ev.kind == EventKind::ignored) return ev.ignored_reason;
  const bool opens_or_updates =
      ev.kind == EventKind::pull_request_open || ev.kind == EventKind::pull_request_update;
  if (opens_or_updates && ev.from_fork && repo.fork_pull_requests == core::ForkPullRequests::ignore)
    return "pull request from a fork: " + repo.full_name +
           " ignores them (registered with --fork-pull-requests ignore)";
  return "";
}

std::string unsigned_message(webhooks::Forge forge) {
  return forge == webhooks::Forge::github
             ? "X-Hub-Signature-256 missing or does not match the repository's secret"
             : "X-Gitlab-Token missing or does not match the repository's secret";
}

}  // namespace

std::map<std::string, std::string> storable_headers(const webhooks::Headers& headers) {
  // The GitLab token is the secret itself; credentials a proxy or a sender adds are no one's to
  // read back from the delivery's record (a repository's admins list its deliveries).
  std::map<std::string, std::string> out;
  for (const auto& [name, value] : headers) {
    const std::string key = util::lower(name);
    const bool secret = key == util::lower(webhooks::kGitlabTokenHeader) ||
                        key == "authorization" || key == "proxy-authorization" || key == "cookie";
    out.emplace(name, secret ? "[redacted]" : value);
  }
  return out;
}

Intake::Intake(store::Database& db, Spool& spool, Planner* planner,
               store::UnverifiedBound unverified, const Authorizer* repos)
    : db_(db),
      spool_(spool),
      planner_(planner),
      unverified_(unverified),
      accept_group_(db),
      repos_(repos) {}

std::optional<store::RepoRow> Intake::find_repo(webhooks::Forge forge, const std::string& name) {
  if (repos_) {
    auto rows = repos_->repos_named(name, webhooks::to_string(forge), /*for_read=*/true);
    if (rows.empty()) return std::nullopt;
    return std::move(rows.front());
  }
  return db_.with([&](pqxx::connection& c) {
    pqxx::nontransaction tx(c);
    return store::find_repo(tx, webhooks::to_string(forge), name);
  });
}

IntakeAnswer Intake::receive(const IntakeRequest& request) {
  try {
    return process(request, false);
  } catch (const store::DatabaseUnavailable& e) {
    return spool_or_reject(request, e.what());
  } catch (const pqxx::broken_connection& e) {
    return spool_or_reject(request, e.what());
  }
}

IntakeAnswer Intake::spool_or_reject(const IntakeRequest& request, const std::string& why) {
  std::string name = webhooks::peek_repo_name(request.forge, request.body);
  {
    std::lock_guard lock(cache_mu_);
    auto it = secret_cache_.find(cache_key(request.forge, name));
    if (it != secret_cache_.end() &&
        !webhooks::verify_request(request.forge, it->second, request.headers, request.body)) {
      log_event(spdlog::level::warn, "webhook rejected: bad signature (database down)",
                {{"forge", webhooks::to_string(request.forge)}, {"repo", name}});
      return error_answer(401, "bad_signature", "signature does not match the repository's secret");
    }
  }
  SpooledDelivery d{webhooks::to_string(request.forge), request.headers, request.body,
                    util::now_iso8601()};
  if (!spool_.append(d)) {
    log_event(spdlog::level::err, "webhook spool full or unwritable; answering 503",
              {{"spool", spool_.path().string()}});
    return error_answer(503, "unavailable",
                        "database unreachable and spool unavailable; retry later");
  }
  count_webhook_delivery(d.forge, "spooled");
  log_event(spdlog::level::warn, "database unreachable: delivery spooled",
            {{"forge", webhooks::to_string(request.forge)}, {"repo", name}, {"error", why}});
  return {202, {{"status", "spooled"}}};
}

IntakeAnswer Intake::process(const IntakeRequest& request, bool trusted) {
  const auto forge = request.forge;
  const std::string forge_name = webhooks::to_string(forge);
  const std::string event = event_header(forge, request.headers);
  store::NewDelivery row = delivery_row(request, forge_name, event);

  DeliveryRecorder recorder{db_, request, row, forge_name, event, unverified_};

  std::string name = webhooks::peek_repo_name(forge, request.body);
  if (name.empty() && forge == webhooks::Forge::github && event == "ping") {
    // An organization webhook's ping names no repository, so no repository's secret can verify
    // it; it carries nothing to act on either. Its pushes name their repository and are verified
    // with that repository's secret like any other.
    auto id = recorder.record(Verdict::ignored, 200,
                              "ping without a repository (an organization webhook)");
    return {200, {{"status", "pong"}, {"delivery", id}}};
  }
  if (name.empty()) {
    auto n = webhooks::normalise(forge, request.headers, request.body);
    std::string message = std::holds_alternative<webhooks::NormaliseError>(n)
                              ? std::get<webhooks::NormaliseError>(n).message
                              : "payload names no repository";
    return recorder.reject(400, Verdict::invalid, "bad_payload", message);
  }
  auto repo = find_repo(forge, name);
  if (!repo)
    return recorder.reject(404, Verdict::rejected, "unknown_repo",
                           "repository " + name + " is not registered");
  row.repo_id = repo->id;
  {
    std::lock_guard lock(cache_mu_);
    secret_cache_[cache_key(forge, name)] = repo->webhook_secret;
  }
  if (!trusted &&
      !webhooks::verify_request(forge, repo->webhook_secret, request.headers, request.body)) {
    return recorder.reject(401, Verdict::rejected, "bad_signature", unsigned_message(forge));
  }
  recorder.verified = true;
  row.verified = true;
  auto normalised = webhooks::normalise(forge, request.headers, request.body);
  if (auto* err = std::get_if<webhooks::NormaliseError>(&normalised)) {
    return recorder.reject(err->http_status, Verdict::invalid, "bad_payload", err->message);
  }
  const auto& ev = std::get<webhooks::Event>(normalised);
  if (ev.kind == EventKind::ping) {
    auto id = recorder.record(Verdict::ignored, 200, "ping");
    return {200, {{"status", "pong"}, {"delivery", id}}};
  }
  const std::string ignored = ignored_reason(ev, *repo);
  if (!ignored.empty()) {
    auto id = recorder.record(Verdict::ignored, 202, ignored);
    return {202,
            {{"status", core::to_string(Verdict::ignored)}, {"reason", ignored}, {"delivery", id}}};
  }

  // Accept once per (repo, delivery id).
  row.http_status = 202;
  row.plan_state = core::PlanState::pending;
  row.answered_ms = elapsed_ms(request.started);
  // Committed with the deliveries of other senders that arrive meanwhile (accept_group.h); the 202
  // goes out only after that commit.
  const store::AcceptOutcome result = accept_group_.accept(row);
  const Verdict verdict = result.id ? Verdict::accepted : Verdict::duplicate;
  count_webhook_delivery(forge_name, std::string(core::to_string(verdict)));
  if (!result.id) return duplicate_answer(result, forge_name, name, row.delivery_id);
  if (planner_) planner_->enqueue(*result.id, ev);  // planned without parsing the body again
  return {202,
          {{"status", core::to_string(verdict)},
           {"delivery", *result.id},
           {"event", webhooks::to_string(ev.kind)}}};
}

size_t Intake::drain_spool() {
  return spool_.drain([&](const SpooledDelivery& d) {
    IntakeRequest r;
    r.forge = webhooks::forge_from_string(d.forge).value_or(webhooks::Forge::github);
    r.headers = d.headers;
    r.body = d.body;
    r.spooled = true;
    process(r, false);  // DatabaseUnavailable stops the drain; the rest stays spooled
  });
}

IntakeAnswer Intake::replay(std::int64_t delivery_row_id) {
  auto original = db_.with([&](pqxx::connection& c) {
    pqxx::read_transaction tx(c);
    return store::get_delivery(tx, delivery_row_id);
  });
  if (!original)
    return error_answer(404, "not_found", "no delivery " + std::to_string(delivery_row_id));
  if (original->body_truncated)
    return error_answer(409, "body_truncated",
                        "delivery " + std::to_string(delivery_row_id) + " kept only " +
                            std::to_string(original->body.size()) + " of its " +
                            std::to_string(original->body_bytes) + " body bytes");
  IntakeRequest r;
  auto forge = webhooks::forge_from_string(original->forge);
  r.forge = forge.value_or(webhooks::Forge::github);
  for (const auto& [k, v] : original->headers) r.headers[k] = v;
  r.body = original->body;
  r.replay_of = original->id;
  // A delivery that passed verification once is trusted on replay (its GitLab token was redacted
  // when stored); one that was rejected must verify again against the current secret.
  bool trusted = original->verdict != Verdict::rejected && original->verdict != Verdict::invalid;
  return process(r, trusted);
}

}  // namespace mlgate::server
