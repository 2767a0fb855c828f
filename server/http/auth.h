// Authorisation of the API and the pages: `Authorization: Bearer <token>`, scopes read < deploy,
// admin (admin implies all), observe (serving observations only), an optional restriction to one
// repository; runners with their own credential. With --public-read, anonymous callers get `read`
// on every repository. The rules, and every route with who may call it, are in docs/security.md
// ("Routes and who may call them").
#pragma once

#include <httplib.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <pqxx/pqxx>
#include <string>
#include <vector>

#include "server/http/change_feed.h"
#include "store/database.h"
#include "store/repos.h"
#include "store/runners.h"
#include "store/tokens.h"

namespace mlgate::server {

struct Caller {
  std::optional<store::ApiToken> token;  // empty for an anonymous reader
  std::string name() const { return token ? "token:" + token->name : "anonymous"; }
  // The one repository the caller's token is restricted to; nullopt for an unrestricted token
  // and for an anonymous reader.
  std::optional<std::int64_t> restricted_to() const {
    return token ? token->repo_id : std::nullopt;
  }
  // The repository rule: a restricted token reaches its own repository only.
  bool may_access_repo(std::int64_t repo_id) const {
    return !restricted_to() || *restricted_to() == repo_id;
  }
  // Whether this caller may create a token with `scopes`, restricted to `repo_id` (nullopt: to
  // none), expiring at `expires_at` (nullopt: never): only scopes it holds itself, when it is
  // restricted only for its own repository, and when it expires only a token that expires no
  // later (a token cannot outlive the one that made it).
  bool may_grant(
      const std::vector<std::string>& scopes, std::optional<std::int64_t> repo_id,
      std::optional<std::chrono::system_clock::time_point> expires_at = std::nullopt) const {
    if (!token) return false;
    for (const auto& scope : scopes)
      if (!token->has_scope(scope)) return false;
    if (token->expires_at && (!expires_at || *expires_at > *token->expires_at)) return false;
    return !restricted_to() || repo_id == restricted_to();
  }
};

// What a route acts on, when it belongs to a repository: the Authorizer finds that repository
// (a job's through its pipeline) before it lets the caller in. A repository named in a path is
// looked up by server/http/repo_lookup.h with the same rule (Caller::may_access_repo).
enum class ResourceKind {
  pipeline,  // by id
  job,       // by id
  delivery,  // a webhook delivery, by row id (one that names no registered repository has none)
  token,     // an API token, by id (an unrestricted one has no repository)
};
struct Resource {
  ResourceKind kind;
  std::int64_t id = 0;
};
// "job 5", as the 404 answer names it.
std::string describe(const Resource& resource);

// Whether the request only reads (GET, HEAD): what may be answered from memory.
bool is_read(const httplib::Request& req);

// The one authentication and authorization entry point of the API and the pages
// (docs/architecture.md): every route asks it before it reads anything else of the request.
class Authorizer {
 public:
  // With a change feed, reads (GET, HEAD) may take valid tokens and repository rows from memory,
  // kept while their topic ("tokens", "repos") is unchanged and for a few seconds at most
  // (server/http/change_feed.h): a revoked or expired token is refused as soon as its change is
  // known — at once for a change made through this replica. Writes always read the database.
  Authorizer(store::Database& db, bool public_read, const ChangeFeed* feed = nullptr);
  ~Authorizer();
  Authorizer(const Authorizer&) = delete;
  Authorizer& operator=(const Authorizer&) = delete;

  // The caller when allowed `scope`; otherwise answers 401 (no or bad token) or 403 (scope) and
  // returns nullopt. Routes that list things narrow what they list with Caller::may_access_repo.
  std::optional<Caller> authorize(const httplib::Request& req, httplib::Response& res,
                                  const std::string& scope) const;
  // The same, then the resource's repository: 404 "no job 5" (exactly as for an id that does not
  // exist) when the resource does not exist or its repository is not the caller's to access.
  std::optional<Caller> authorize(const httplib::Request& req, httplib::Response& res,
                                  const std::string& scope, const Resource& resource) const;
  // For what belongs to the whole server (runners, their registration tokens, registering a
  // repository): the same as authorize, and a token restricted to a repository is refused (403).
  std::optional<Caller> authorize_server(const httplib::Request& req, httplib::Response& res,
                                         const std::string& scope) const;
  // A runner protocol call: the runner whose credential the request carries. With a change feed
  // the row comes from memory while the "runners" topic is unchanged (a runner added, disabled,
  // enabled or changed notifies it) and for a few seconds at most; reading it from the database
  // also marks the runner seen. Answers 401 (no or an unknown credential) or 403 (the runner is
  // disabled) and returns nullopt. What a call then changes is checked against the database in
  // its own statement (a claim needs the runner enabled, the rest an attempt it holds), so a
  // disable that committed meanwhile still wins.
  std::optional<store::RunnerRow> authorize_runner(const httplib::Request& req,
                                                   httplib::Response& res) const;

  // Whether the request carries a valid bearer token with `scope`. Answers nothing, never throws
  // (false when the token cannot be checked, e.g. while the database is down), ignores
  // --public-read: for public endpoints that tell a token's holder more than anyone else.
  bool token_grants(const httplib::Request& req, const std::string& scope) const noexcept;
  // The token a bearer string names, when it is valid (not revoked, not expired). `for_read`: the
  // answer may come from memory (a GET); a write always reads the database.
  std::optional<store::ApiToken> find_token(const std::string& token, bool for_read = false) const;
  // Every repository called `name` (case-insensitive; on `forge` when not empty), by id, whoever
  // may see them: server/http/repo_lookup.h narrows them to the caller's. `for_read` as above.
  std::vector<store::RepoRow> repos_named(const std::string& name, const std::string& forge,
                                          bool for_read) const;
  bool public_read() const { return public_read_; }
  // Whether `resource` exists and `caller` may access its repository: what the resource variant
  // of authorize checks after the scope (the pages ask it to answer their own 404 page).
  bool may_access(const Caller& caller, const Resource& resource) const;

 private:
  struct Caches;
  store::Database& db_;
  bool public_read_;
  const ChangeFeed* feed_;
  std::unique_ptr<Caches> caches_;
};

}  // namespace mlgate::server
