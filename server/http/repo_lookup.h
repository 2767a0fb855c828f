// The repository named in a path (/api/v1/repos/{owner}/{name}/..., /badge/..., /repos/...) or a
// parameter, shared by the routes that take one: case-insensitive, ?forge= picks one when the name
// exists on both forges, and a repository the caller may not access (Caller::may_access_repo,
// server/http/auth.h) is treated exactly as one that does not exist.
#pragma once

#include <httplib.h>

#include <optional>
#include <string>

#include "server/http/auth.h"
#include "store/database.h"
#include "store/repos.h"

namespace mlgate::server {

// A repository's full name: owner/name, or group/subgroup/name on GitLab (capture group 1).
inline constexpr const char* kApiRepoPattern =
    R"(/api/v1/repos/([A-Za-z0-9_.-]+(?:/[A-Za-z0-9_.-]+)+))";

// The repositories called `name` (on `forge` when not empty) that `caller` may access; `for_read`:
// a GET's lookup, which may be answered from memory (Authorizer::repos_named).
struct VisibleRepo {
  std::size_t matches = 0;             // 0: none (or none the caller may access); 2: on both forges
  std::optional<store::RepoRow> repo;  // the first of them (by id); the API answers 409 for 2
};
VisibleRepo find_visible_repo(const Authorizer& auth, const Caller& caller, const std::string& name,
                              const std::string& forge, bool for_read);

// The repo named by req.matches[1] (and ?forge=). Answers 404 (unknown, or not the caller's to
// access) or 409 (on both forges, no ?forge=) itself and returns nullopt.
std::optional<store::RepoRow> find_repo_in_path(const Authorizer& auth, const httplib::Request& req,
                                                httplib::Response& res, const Caller& caller);

}  // namespace mlgate::server
