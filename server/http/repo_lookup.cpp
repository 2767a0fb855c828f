#include "server/http/repo_lookup.h"

#include "server/http/http_util.h"

namespace mlgate::server {

VisibleRepo find_visible_repo(const Authorizer& auth, const Caller& caller, const std::string& name,
                              const std::string& forge, bool for_read) {
  VisibleRepo found;
  for (auto& row : auth.repos_named(name, forge, for_read)) {
    if (!caller.may_access_repo(row.id)) continue;
    if (++found.matches == 1) found.repo = std::move(row);
  }
  return found;
}

std::optional<store::RepoRow> find_repo_in_path(const Authorizer& auth, const httplib::Request& req,
                                                httplib::Response& res, const Caller& caller) {
  const std::string name = req.matches[1].str();
  const std::string forge = req.has_param("forge") ? req.get_param_value("forge") : "";
  auto found = find_visible_repo(auth, caller, name, forge, is_read(req));
  if (found.matches > 1) {
    send_error(res, 409, "ambiguous_repo",
               name + " is registered for more than one forge: add ?forge=github or ?forge=gitlab");
    return std::nullopt;
  }
  if (!found.repo) {
    send_error(res, 404, "not_found", "no repository " + name);
    return std::nullopt;
  }
  return found.repo;
}

}  // namespace mlgate::server
