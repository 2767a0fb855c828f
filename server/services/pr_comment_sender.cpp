#include "server/services/pr_comment_sender.h"

#include <nlohmann/json.hpp>

#include "store/pr_comments.h"

namespace mlgate::server {
namespace {

bool ok(int status) {
  return status >= 200 && status < 300;
}

struct Sending {
  store::Database& db;
  const store::OutboxItem& item;
  const store::RepoRow& repo;
  const SenderOptions& options;
  std::int64_t pr = 0;
  HeaderList headers;

  ForgeAnswer http(const std::string& method, const std::string& url, const std::string& body) {
    return forge_http(method, url, body, headers, options.connect_timeout_seconds,
                      options.read_timeout_seconds);
  }

  void remember(const std::string& id) {
    db.with([&](pqxx::connection& c) {
      pqxx::work tx(c);
      store::set_pr_comment_id(tx, repo.id, pr, id);
      tx.commit();
    });
  }

  // The id of the comment an earlier, unanswered POST may have made; "" when there is none.
  // nullopt (with `failed` set) when the forge could not be asked.
  std::optional<std::string> earlier_comment(ForgeAnswer& failed) {
    auto since = db.with([&](pqxx::connection& c) {
      pqxx::work tx(c);
      auto s = store::start_pr_comment_post(tx, repo.id, pr);
      tx.commit();
      return s;
    });
    if (!since.earlier_attempt) return std::string();
    auto list = http("GET", pr_comment_list_url(repo.forge, item.url, since.since), "");
    if (!ok(list.status)) {
      failed = list;
      return std::nullopt;
    }
    return find_pr_report_comment(nlohmann::json::parse(list.body, nullptr, false));
  }

  ForgeAnswer post() {
    auto a = http("POST", item.url, item.body_json);
    if (!ok(a.status)) return a;
    const auto answer = nlohmann::json::parse(a.body, nullptr, false);
    if (answer.is_object() && answer.contains("id") && answer["id"].is_number_integer())
      remember(std::to_string(answer["id"].get<std::int64_t>()));
    return a;
  }

  ForgeAnswer edit(const std::string& id) {
    auto req = pr_comment_edit_request(repo.forge, item.url, id,
                                       nlohmann::json::parse(item.body_json, nullptr, false));
    return http(req.method, req.url, req.body.dump());
  }
};

}  // namespace

std::string pr_comment_context(std::int64_t pr_number) {
  return "pr-comment/" + std::to_string(pr_number);
}

std::optional<std::int64_t> pr_number_of_context(const std::string& context) {
  const std::string prefix = "pr-comment/";
  if (context.rfind(prefix, 0) != 0) return std::nullopt;
  try {
    std::size_t used = 0;
    const auto n = std::stoll(context.substr(prefix.size()), &used);
    if (used + prefix.size() != context.size() || n <= 0) return std::nullopt;
    return n;
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

ForgeAnswer send_pr_comment(store::Database& db, const store::OutboxItem& item,
                            const store::RepoRow& repo, const SenderOptions& options) {
  Sending s{db, item, repo, options, 0, forge_headers(repo.forge, repo.forge_token)};
  auto pr = pr_number_of_context(item.context);
  if (!pr) {
    ForgeAnswer bad;
    bad.status = 400;  // never sendable: given up
    bad.error = "not a pull-request report: " + item.context;
    return bad;
  }
  s.pr = *pr;
  auto id = db.with([&](pqxx::connection& c) {
    pqxx::read_transaction tx(c);
    return store::pr_comment_id(tx, repo.id, s.pr);
  });
  if (id) {
    auto a = s.edit(*id);
    if (a.status != 404) return a;
    db.with([&](pqxx::connection& c) {  // deleted on the forge: post a new one
      pqxx::work tx(c);
      store::forget_pr_comment(tx, repo.id, s.pr);
      tx.commit();
    });
  }
  ForgeAnswer failed;
  auto earlier = s.earlier_comment(failed);
  if (!earlier) return failed;
  if (!earlier->empty()) {
    s.remember(*earlier);
    return s.edit(*earlier);
  }
  return s.post();
}

}  // namespace mlgate::server
