#include "server/repo_lookup.h"

#include "server/app.h"
#include "server/http_util.h"

namespace mlgate::server {

std::optional<store::RepoRow> find_repo_in_path(App& app, const httplib::Request& req,
                                                httplib::Response& res, const Caller& caller) {
  const std::string name = req.matches[1].str();
  const std::string forge = req.has_param("forge") ? req.get_param_value("forge") : "";
  auto repos = app.db().with([&](pqxx::connection& c) {
    pqxx::read_transaction tx(c);
    std::vector<store::RepoRow> out;
    for (const auto& r : tx.exec_params(
             "SELECT id FROM repos WHERE lower(full_name) = lower($1) AND ($2 = '' OR forge = $2) "
             "ORDER BY id",
             name, forge)) {
      if (auto row = store::find_repo_by_id(tx, r[0].as<std::int64_t>()))
        out.push_back(std::move(*row));
    }
    return out;
  });
  if (repos.empty()) {
    send_error(res, 404, "not_found", "no repository " + name);
    return std::nullopt;
  }
  if (repos.size() > 1) {
    send_error(res, 409, "ambiguous_repo",
               name + " is registered for more than one forge: add ?forge=github or ?forge=gitlab");
    return std::nullopt;
  }
  if (caller.token && caller.token->repo_id && *caller.token->repo_id != repos[0].id) {
    send_error(res, 403, "forbidden", "this token is restricted to another repository");
    return std::nullopt;
  }
  return std::move(repos[0]);
}

}  // namespace mlgate::server
