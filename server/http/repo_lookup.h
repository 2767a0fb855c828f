// The repository named in an API path (/api/v1/repos/{owner}/{name}/...), shared by the routes
// that take one: case-insensitive, ?forge= picks one when the name exists on both forges, and a
// token restricted to another repository is refused.
#pragma once

#include <httplib.h>

#include <optional>

#include "server/http/auth.h"
#include "store/database.h"
#include "store/repos.h"

namespace mlgate::server {

// A repository's full name: owner/name, or group/subgroup/name on GitLab (capture group 1).
inline constexpr const char* kApiRepoPattern =
    R"(/api/v1/repos/([A-Za-z0-9_.-]+(?:/[A-Za-z0-9_.-]+)+))";

// The repo named by req.matches[1]. Answers 404 (unknown), 409 (on both forges, no ?forge=) or
// 403 (token for another repo) itself and returns nullopt.
std::optional<store::RepoRow> find_repo_in_path(store::Database& db, const httplib::Request& req,
                                                httplib::Response& res, const Caller& caller);

}  // namespace mlgate::server
