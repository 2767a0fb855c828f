#include "server/http/auth.h"

#include "server/http/http_util.h"
#include "server/http/json_log.h"
#include "server/http/stamped_cache.h"
#include "store/deliveries.h"
#include "store/jobs.h"
#include "store/pipeline_queries.h"
#include "util/hash.h"
#include "util/strings.h"

namespace mlgate::server {
namespace {

// The credential of `Authorization: Bearer <credential>` (the scheme's name in any case, as
// RFC 9110 section 11.1 has it); nullopt for any other header.
std::optional<std::string> bearer(const httplib::Request& req) {
  const std::string header = req.get_header_value("Authorization");
  const std::string prefix = "bearer ";
  if (header.size() <= prefix.size() || util::lower(header.substr(0, prefix.size())) != prefix)
    return std::nullopt;
  return header.substr(prefix.size());
}

// How long a token or a repository row is served from memory at most (should a notification be
// lost while the listening connection stays up), and how many are kept.
constexpr std::chrono::seconds kMemoryMaxAge{5};
constexpr std::size_t kMemoryMaxEntries = 4096;

}  // namespace

bool is_read(const httplib::Request& req) {
  return req.method == "GET" || req.method == "HEAD";
}

struct Authorizer::Caches {
  StampedCache<store::ApiToken> tokens{kMemoryMaxEntries, kMemoryMaxAge};  // by the token's hash
  StampedCache<std::vector<store::RepoRow>> repos{kMemoryMaxEntries, kMemoryMaxAge};
  StampedCache<store::RunnerRow> runners{kMemoryMaxEntries, kMemoryMaxAge};  // by the hash
};

Authorizer::Authorizer(store::Database& db, bool public_read, const ChangeFeed* feed)
    : db_(db), public_read_(public_read), feed_(feed), caches_(std::make_unique<Caches>()) {}

Authorizer::~Authorizer() = default;

std::string describe(const Resource& resource) {
  const char* kind = "";
  switch (resource.kind) {
    case ResourceKind::pipeline:
      kind = "pipeline";
      break;
    case ResourceKind::job:
      kind = "job";
      break;
    case ResourceKind::delivery:
      kind = "delivery";
      break;
    case ResourceKind::token:
      kind = "token";
      break;
  }
  return std::string(kind) + " " + std::to_string(resource.id);
}

std::optional<store::ApiToken> Authorizer::find_token(const std::string& token,
                                                      bool for_read) const {
  // The stamp is taken before the database is read: a change committed after it bumps it.
  const auto stamp = feed_ ? feed_->stamp("tokens") : std::optional<ChangeStamp>();
  const std::string hash = util::sha256_hex(token);
  if (auto kept = for_read ? caches_->tokens.get(hash, stamp) : std::nullopt) {
    if (!kept->expires_at || *kept->expires_at > std::chrono::system_clock::now()) return kept;
    caches_->tokens.erase(hash);
  }
  auto found = db_.with([&](pqxx::connection& c) {
    pqxx::work tx(c);
    auto t = store::find_api_token(tx, token);
    tx.commit();
    return t;
  });
  if (found) caches_->tokens.put(hash, stamp, *found);
  return found;
}

std::vector<store::RepoRow> Authorizer::repos_named(const std::string& name,
                                                    const std::string& forge, bool for_read) const {
  const auto stamp = feed_ ? feed_->stamp("repos") : std::optional<ChangeStamp>();
  const std::string key = util::lower(name) + "\n" + forge;
  if (for_read)
    if (auto kept = caches_->repos.get(key, stamp)) return *kept;
  auto rows = db_.with([&](pqxx::connection& c) {
    pqxx::read_transaction tx(c);
    std::vector<store::RepoRow> out;
    for (auto id : store::repo_ids_by_name(tx, name, forge))
      if (auto row = store::find_repo_by_id(tx, id)) out.push_back(std::move(*row));
    return out;
  });
  caches_->repos.put(key, stamp, rows);
  return rows;
}

bool Authorizer::token_grants(const httplib::Request& req,
                              const std::string& scope) const noexcept {
  try {
    auto token = bearer(req);
    if (!token) return false;
    auto found = find_token(*token, is_read(req));
    return found && found->has_scope(scope);
  } catch (const std::exception&) {
    return false;
  }
}

std::optional<Caller> Authorizer::authorize(const httplib::Request& req, httplib::Response& res,
                                            const std::string& scope) const {
  std::string header = req.get_header_value("Authorization");
  if (header.empty()) {
    if (scope == "read" && public_read_) return Caller{};
    res.set_header("WWW-Authenticate", "Bearer");
    send_error(res, 401, "unauthorized", "missing bearer token (Authorization: Bearer <token>)");
    return std::nullopt;
  }
  auto token = bearer(req);
  if (!token) {
    send_error(res, 401, "unauthorized", "Authorization header must be 'Bearer <token>'");
    return std::nullopt;
  }
  auto found = find_token(*token, is_read(req));
  if (!found) {
    log_event(spdlog::level::warn, "rejected API token",
              {{"path", req.path}, {"remote", req.remote_addr}});
    send_error(res, 401, "unauthorized", "unknown, revoked or expired token");
    return std::nullopt;
  }
  if (!found->has_scope(scope)) {
    send_error(res, 403, "forbidden",
               "token '" + found->name + "' lacks the '" + scope + "' scope");
    return std::nullopt;
  }
  return Caller{found};
}

std::optional<Caller> Authorizer::authorize(const httplib::Request& req, httplib::Response& res,
                                            const std::string& scope,
                                            const Resource& resource) const {
  auto caller = authorize(req, res, scope);
  if (!caller) return std::nullopt;
  if (!may_access(*caller, resource)) {
    send_error(res, 404, "not_found", "no " + describe(resource));
    return std::nullopt;
  }
  return caller;
}

bool Authorizer::may_access(const Caller& caller, const Resource& resource) const {
  // nullopt: no such resource; an inner nullopt: it exists and belongs to no repository.
  using Owner = std::optional<std::optional<std::int64_t>>;
  const Owner owner = db_.with([&](pqxx::connection& c) -> Owner {
    pqxx::read_transaction tx(c);
    switch (resource.kind) {
      case ResourceKind::pipeline:
        if (auto repo = store::repo_of_pipeline(tx, resource.id)) return repo;
        return std::nullopt;
      case ResourceKind::job:
        if (auto repo = store::repo_of_job(tx, resource.id)) return repo;
        return std::nullopt;
      case ResourceKind::delivery:
        if (auto d = store::delivery_owner(tx, resource.id)) return d->repo_id;
        return std::nullopt;
      case ResourceKind::token:
        if (auto t = store::token_owner(tx, resource.id)) return t->repo_id;
        return std::nullopt;
    }
    return std::nullopt;
  });
  if (!owner) return false;
  if (!caller.restricted_to()) return true;
  return *owner && caller.may_access_repo(**owner);
}

std::optional<Caller> Authorizer::authorize_server(const httplib::Request& req,
                                                   httplib::Response& res,
                                                   const std::string& scope) const {
  auto caller = authorize(req, res, scope);
  if (!caller) return std::nullopt;
  if (caller->restricted_to()) {
    send_error(res, 403, "forbidden",
               "token '" + caller->token->name +
                   "' is restricted to one repository; this needs an unrestricted token");
    return std::nullopt;
  }
  return caller;
}

std::optional<store::RunnerRow> Authorizer::authorize_runner(const httplib::Request& req,
                                                             httplib::Response& res) const {
  auto credential = bearer(req);
  if (!credential) {
    send_error(res, 401, "unauthorized", "missing runner credential (Authorization: Bearer ...)");
    return std::nullopt;
  }
  // The stamp is taken before the database is read: a change committed after it bumps it.
  const auto stamp = feed_ ? feed_->stamp("runners") : std::optional<ChangeStamp>();
  const std::string hash = util::sha256_hex(*credential);
  auto runner = caches_->runners.get(hash, stamp);
  if (!runner) {
    runner = db_.with([&](pqxx::connection& c) {
      pqxx::work tx(c);
      auto row = store::authenticate_runner(tx, *credential);
      tx.commit();
      return row;
    });
    if (runner) caches_->runners.put(hash, stamp, *runner);
  }
  if (!runner) {
    log_event(spdlog::level::warn, "rejected runner credential",
              {{"path", req.path}, {"remote", req.remote_addr}});
    send_error(res, 401, "unauthorized", "unknown runner credential");
    return std::nullopt;
  }
  if (runner->disabled) {
    const std::string id = std::to_string(runner->id);
    send_error(
        res, 403, "runner_disabled",
        "runner " + id + " is disabled (an admin enables it: mlgate runner enable " + id + ")");
    return std::nullopt;
  }
  return runner;
}

}  // namespace mlgate::server
