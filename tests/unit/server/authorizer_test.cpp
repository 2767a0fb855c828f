// The one authorization entry point (server/http/auth.h), for what it decides before it needs the
// database: a missing or malformed Authorization header, and anonymous readers with --public-read.
// A token it cannot check (the database is unreachable) is never granted.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "server/http/auth.h"
#include "store/database.h"

namespace mlgate::server {
namespace {

// A pool whose first use fails: these cases must decide without it.
store::Database unreachable_db() {
  return store::Database("host=/nonexistent-mlgate-socket-dir dbname=x connect_timeout=1", 1,
                         std::chrono::milliseconds(200));
}

std::string error_code(const httplib::Response& res) {
  return nlohmann::json::parse(res.body)["error"]["code"].get<std::string>();
}

TEST(Authorizer, NoTokenIs401WithAChallenge) {
  auto db = unreachable_db();
  Authorizer auth(db, false);
  httplib::Request req;
  httplib::Response res;
  EXPECT_FALSE(auth.authorize(req, res, "read"));
  EXPECT_EQ(res.status, 401);
  EXPECT_EQ(res.get_header_value("WWW-Authenticate"), "Bearer");
  EXPECT_EQ(error_code(res), "unauthorized");
}

TEST(Authorizer, PublicReadLetsAnonymousReadersReadAndNothingElse) {
  auto db = unreachable_db();
  Authorizer auth(db, true);
  httplib::Request req;
  httplib::Response res;
  auto caller = auth.authorize(req, res, "read");
  ASSERT_TRUE(caller);
  EXPECT_FALSE(caller->token);
  EXPECT_EQ(caller->name(), "anonymous");
  for (const char* scope : {"deploy", "admin"}) {
    httplib::Response denied;
    EXPECT_FALSE(auth.authorize(req, denied, scope)) << scope;
    EXPECT_EQ(denied.status, 401) << scope;
  }
}

TEST(Authorizer, AHeaderThatIsNotABearerTokenIs401) {
  auto db = unreachable_db();
  Authorizer auth(db, true);  // even on a public server: a wrong header is an error, not anonymous
  for (const char* header : {"Basic dXNlcjpwYXNz", "Bearer ", "Token abc"}) {
    httplib::Request req;
    req.headers.emplace("Authorization", header);
    httplib::Response res;
    EXPECT_FALSE(auth.authorize(req, res, "read")) << header;
    EXPECT_EQ(res.status, 401) << header;
    EXPECT_NE(res.body.find("Bearer <token>"), std::string::npos) << header << res.body;
  }
}

// The scheme's name is case-insensitive (RFC 9110, 11.1): "bearer" and "BEARER" carry a token,
// which is then checked (here: the database is unreachable, so the check throws).
TEST(Authorizer, TheBearerSchemeIsReadInAnyCase) {
  auto db = unreachable_db();
  Authorizer auth(db, false);
  for (const char* header : {"bearer mlg_0123456789abcdef", "BEARER mlg_0123456789abcdef"}) {
    httplib::Request req;
    req.headers.emplace("Authorization", header);
    httplib::Response res;
    EXPECT_THROW(auth.authorize(req, res, "read"), store::DatabaseUnavailable) << header;
  }
}

TEST(Authorizer, ATokenThatCannotBeCheckedIsNeverGranted) {
  auto db = unreachable_db();
  Authorizer auth(db, true);
  httplib::Request req;
  req.headers.emplace("Authorization", "Bearer mlg_0123456789abcdef");
  httplib::Response res;
  // The server's exception handler turns this into 503 database_unavailable.
  EXPECT_THROW(auth.authorize(req, res, "read"), store::DatabaseUnavailable);
}

// token_grants (what /readyz asks before it tells its reason) answers nothing and never throws:
// no token, --public-read's anonymous reader, a malformed header and a token it cannot check are
// all "no".
TEST(Authorizer, TokenGrantsIsFalseWithoutACheckedToken) {
  auto db = unreachable_db();
  Authorizer auth(db, true);
  for (const char* header : {"", "Basic dXNlcjpwYXNz", "Bearer ", "Bearer mlg_0123456789abcdef"}) {
    httplib::Request req;
    if (*header) req.headers.emplace("Authorization", header);
    bool granted = true;
    EXPECT_NO_THROW(granted = auth.token_grants(req, "read")) << header;
    EXPECT_FALSE(granted) << header;
  }
}

// The repository rule (docs/security.md, "Routes and who may call them"): a restricted token
// reaches its own repository only; an unrestricted token and an anonymous --public-read caller
// reach all.
TEST(Caller, ARestrictedTokenReachesItsRepositoryOnly) {
  Caller anonymous;
  Caller unrestricted{store::ApiToken{.id = 1, .name = "all", .scopes = {"read"}}};
  Caller restricted{
      store::ApiToken{.id = 2, .name = "one", .scopes = {"admin"}, .repo_id = std::int64_t{7}}};
  for (std::int64_t repo : {1, 7, 8}) {
    EXPECT_TRUE(anonymous.may_access_repo(repo));
    EXPECT_TRUE(unrestricted.may_access_repo(repo));
    EXPECT_EQ(restricted.may_access_repo(repo), repo == 7) << repo;
  }
  EXPECT_FALSE(anonymous.restricted_to());
  EXPECT_FALSE(unrestricted.restricted_to());
  EXPECT_EQ(restricted.restricted_to(), 7);
}

// Scopes are ordered read < deploy < admin (docs/api.md, "Conventions"): a deploy-only token reads
// (a deploy bot asks the gate before it deploys); `observe` stands apart and reads nothing.
TEST(ApiTokenScopes, DeployImpliesReadAndObserveImpliesNothing) {
  const auto holds = [](std::vector<std::string> scopes, const char* scope) {
    return store::ApiToken{.id = 1, .name = "t", .scopes = std::move(scopes)}.has_scope(scope);
  };
  EXPECT_TRUE(holds({"deploy"}, "read"));
  EXPECT_TRUE(holds({"deploy"}, "deploy"));
  EXPECT_FALSE(holds({"deploy"}, "admin"));
  EXPECT_FALSE(holds({"deploy"}, "observe"));
  EXPECT_FALSE(holds({"read"}, "deploy"));
  EXPECT_FALSE(holds({"observe"}, "read"));
  EXPECT_FALSE(holds({"observe"}, "deploy"));
  for (const char* scope : {"read", "deploy", "admin", "observe"})
    EXPECT_TRUE(holds({"admin"}, scope)) << scope;
}

// An admin token grants what it holds; a restricted one only for its own repository.
TEST(Caller, GrantsOnlyItsScopesAndOnlyForItsRepository) {
  Caller anonymous;
  Caller admin{store::ApiToken{.id = 1, .name = "root", .scopes = {"admin"}}};
  Caller deployer{store::ApiToken{.id = 2, .name = "ci", .scopes = {"read", "deploy"}}};
  Caller repo_admin{
      store::ApiToken{.id = 3, .name = "one", .scopes = {"admin"}, .repo_id = std::int64_t{7}}};
  const std::vector<std::string> all = {"read", "deploy", "admin"};
  EXPECT_TRUE(admin.may_grant(all, std::nullopt));
  EXPECT_TRUE(admin.may_grant(all, 8));
  EXPECT_TRUE(deployer.may_grant({"read"}, std::nullopt));
  EXPECT_FALSE(deployer.may_grant({"read", "admin"}, std::nullopt));
  EXPECT_TRUE(repo_admin.may_grant(all, 7));
  EXPECT_FALSE(repo_admin.may_grant({"read"}, std::nullopt));
  EXPECT_FALSE(repo_admin.may_grant({"read"}, 8));
  EXPECT_FALSE(anonymous.may_grant({"read"}, std::nullopt));
}

// A token that expires grants only tokens that expire no later; one that never expires, any.
TEST(Caller, AnExpiringTokenGrantsOnlyTokensThatExpireNoLater) {
  const auto now = std::chrono::system_clock::now();
  const auto day = std::chrono::hours(24);
  Caller expiring{
      store::ApiToken{.id = 4, .name = "temp", .scopes = {"admin"}, .expires_at = now + day}};
  EXPECT_FALSE(expiring.may_grant({"read"}, std::nullopt));
  EXPECT_FALSE(expiring.may_grant({"read"}, std::nullopt, now + 2 * day));
  EXPECT_TRUE(expiring.may_grant({"read"}, std::nullopt, now + day / 2));
  EXPECT_TRUE(expiring.may_grant({"read"}, std::nullopt, now + day));
  Caller lasting{store::ApiToken{.id = 1, .name = "root", .scopes = {"admin"}}};
  EXPECT_TRUE(lasting.may_grant({"read"}, std::nullopt));
  EXPECT_TRUE(lasting.may_grant({"read"}, std::nullopt, now + 2 * day));
}

// The 404 of another repository's resource names it like a missing one: "no job 5".
TEST(Authorizer, DescribesResourcesAsTheNotFoundAnswerNamesThem) {
  EXPECT_EQ(describe({ResourceKind::job, 5}), "job 5");
  EXPECT_EQ(describe({ResourceKind::pipeline, 12}), "pipeline 12");
  EXPECT_EQ(describe({ResourceKind::delivery, 3}), "delivery 3");
  EXPECT_EQ(describe({ResourceKind::token, 9}), "token 9");
}

// Refusals are decided before the database is asked about the resource: without a token, 401.
TEST(Authorizer, AResourceIsNotLookedUpForAnUnauthenticatedCaller) {
  auto db = unreachable_db();
  Authorizer auth(db, false);
  httplib::Request req;
  httplib::Response res;
  EXPECT_FALSE(auth.authorize(req, res, "read", {ResourceKind::job, 1}));
  EXPECT_EQ(res.status, 401);
  httplib::Response server;
  EXPECT_FALSE(auth.authorize_server(req, server, "admin"));
  EXPECT_EQ(server.status, 401);
}

}  // namespace
}  // namespace mlgate::server
