#include "server/http/repo_lookup.h"

#include "server/http/http_util.h"
#include "store/pipeline_queries.h"

namespace mlgate::server {

VisibleRepo find_visible_repo(store::Database& db, const Caller& caller, const std::string& name,
                              const std::string& forge) {
  return db.with([&](pqxx::connection& c) {
    pqxx::read_transaction tx(c);
    VisibleRepo found;
    for (auto id : store::repo_ids_by_name(tx, name, forge)) {
      if (!caller.may_access_repo(id)) continue;
      if (++found.matches == 1) found.repo = store::find_repo_by_id(tx, id);
    }
    return found;
  });
}

std::optional<store::RepoRow> find_repo_in_path(store::Database& db, const httplib::Request& req,
                                                httplib::Response& res, const Caller& caller) {
  const std::string name = req.matches[1].str();
  const std::string forge = req.has_param("forge") ? req.get_param_value("forge") : "";
  auto found = find_visible_repo(db, caller, name, forge);
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
