#include "server/http/repo_lookup.h"

#include "server/http/http_util.h"
#include "store/pipeline_queries.h"

namespace mlgate::server {

std::optional<store::RepoRow> find_repo_in_path(store::Database& db, const httplib::Request& req,
                                                httplib::Response& res, const Caller& caller) {
  const std::string name = req.matches[1].str();
  const std::string forge = req.has_param("forge") ? req.get_param_value("forge") : "";
  struct Found {
    std::size_t matches = 0;
    std::optional<store::RepoRow> repo;  // read only when the name is unambiguous
  };
  auto found = db.with([&](pqxx::connection& c) {
    pqxx::read_transaction tx(c);
    const auto ids = store::repo_ids_by_name(tx, name, forge);
    Found f{ids.size(), std::nullopt};
    if (ids.size() == 1) f.repo = store::find_repo_by_id(tx, ids[0]);
    return f;
  });
  if (found.matches > 1) {
    send_error(res, 409, "ambiguous_repo",
               name + " is registered for more than one forge: add ?forge=github or ?forge=gitlab");
    return std::nullopt;
  }
  if (!found.repo) {
    send_error(res, 404, "not_found", "no repository " + name);
    return std::nullopt;
  }
  if (caller.token && caller.token->repo_id && *caller.token->repo_id != found.repo->id) {
    send_error(res, 403, "forbidden", "this token is restricted to another repository");
    return std::nullopt;
  }
  return found.repo;
}

}  // namespace mlgate::server
