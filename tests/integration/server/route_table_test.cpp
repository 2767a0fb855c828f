// The table of docs/security.md ("Routes and who may call them") against the real server: every
// registered route has exactly one row and every row is a route (server/http/router.h records
// them), and every row is called without a token, with too low a scope, with a token restricted to
// another repository, with one restricted to the right repository and with an unrestricted one,
// and answers as the table says. Every route's pattern matches, with the same groups, exactly what
// std::regex_match matches (server/http/route_pattern.h), on paths made from it. One in-process App
// (the code `mlgate serve` runs) on a real PostgreSQL, over real HTTP.
#include <gtest/gtest.h>
#include <httplib.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

#include "server/app.h"
#include "server/http/router.h"
#include "store/deliveries.h"
#include "store/pipelines.h"
#include "store/repos.h"
#include "store/runners.h"
#include "store/tokens.h"
#include "tests/support/mlgate_process.h"
#include "tests/support/pg_cluster.h"
#include "tests/support/temp_dir.h"

namespace mlgate {
namespace {

namespace fs = std::filesystem;
using Headers = httplib::Headers;

// One row of the table.
struct Row {
  std::string method, path, who, repository;
  int line = 0;
  std::string where() const {
    return "docs/security.md:" + std::to_string(line) + " " + method + " " + path;
  }
};

std::string strip(std::string s) {
  const auto first = s.find_first_not_of(" \t`");
  const auto last = s.find_last_not_of(" \t`");
  return first == std::string::npos ? "" : s.substr(first, last - first + 1);
}

// The rows of the section "## Routes and who may call them".
std::vector<Row> table_rows() {
  std::ifstream in(fs::path(MLGATE_SOURCE_DIR) / "docs" / "security.md");
  std::vector<Row> rows;
  bool inside = false;
  int n = 0;
  for (std::string line; std::getline(in, line);) {
    ++n;
    if (line.rfind("## ", 0) == 0) inside = line == "## Routes and who may call them";
    if (!inside || line.rfind("| ", 0) != 0) continue;
    std::vector<std::string> cells;
    std::stringstream cut(line.substr(1));
    for (std::string cell; std::getline(cut, cell, '|');) cells.push_back(strip(cell));
    static const std::set<std::string> methods = {"GET", "POST", "PUT", "PATCH", "DELETE"};
    if (cells.size() < 4 || !methods.count(cells[0])) continue;
    rows.push_back({cells[0], cells[1], cells[2], cells[3], n});
  }
  return rows;
}

// The path with every {placeholder} replaced by values[placeholder].
std::string fill(const std::string& path, const std::map<std::string, std::string>& values) {
  static const std::regex placeholder(R"(\{([a-z-]+)\})");
  std::string out;
  auto it = std::sregex_iterator(path.begin(), path.end(), placeholder);
  std::size_t at = 0;
  for (; it != std::sregex_iterator(); ++it) {
    out += path.substr(at, static_cast<std::size_t>(it->position()) - at);
    auto v = values.find((*it)[1].str());
    out += v == values.end() ? "{unknown placeholder " + (*it)[1].str() + "}" : v->second;
    at = static_cast<std::size_t>(it->position() + it->length());
  }
  return out + path.substr(at);
}

const std::map<std::string, std::string> kSampleValues = {{"repo", "acme/model"},
                                                          {"pipeline", "1"},
                                                          {"job", "1"},
                                                          {"delivery", "1"},
                                                          {"token", "1"},
                                                          {"runner", "1"},
                                                          {"runner-token", "1"},
                                                          {"file", "junit.xml"},
                                                          {"environment", "production"},
                                                          {"sha", std::string(40, 'a')}};

// The seeded server: repositories acme/model (A) and acme/other (B); a pipeline, a job and a
// delivery of A; a runner the walk calls the protocol as, and one it disables; tokens of every
// scope, unrestricted and restricted to A and to B.
class RouteTable : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { env_ = new Env(); }
  static void TearDownTestSuite() {
    delete env_;
    env_ = nullptr;
  }

  struct Env {
    testing::TempDir dir{"mlgate-routes"};
    std::string conninfo = testing::PgCluster::instance().create_database("routes");
    store::Database db{conninfo, 8, std::chrono::seconds(5)};
    std::unique_ptr<server::App> app;
    std::thread serving;
    int port = 0;
    std::int64_t repo_a = 0, repo_b = 0, pipeline = 0, job = 0, delivery = 0, victim_runner = 0;
    std::string runner_credential;
    // tokens[scope][restriction]: restriction "" (none), "A" or "B"; scope "read", "deploy",
    // "admin", "runner-register", and the too-low ones "below read|deploy|admin|runner-register".
    std::map<std::string, std::map<std::string, std::string>> tokens;

    Env() {
      seed();
      server::AppConfig config;
      config.data_dir = dir.path() / "server";
      config.test_endpoints = true;
      app = std::make_unique<server::App>(config, db);
      port = app->bind({"127.0.0.1", 0});
      serving = std::thread([this] { app->run(); });
      testing::eventually([&] { return get("/healthz", {}).status == 200; });
    }
    ~Env() {
      app->stop();
      serving.join();
      app.reset();
      testing::PgCluster::instance().drop_database(conninfo);
    }

    template <typename F>
    auto in_tx(F&& fn) {
      pqxx::connection c(conninfo);
      pqxx::work tx(c);
      auto out = fn(tx);
      tx.commit();
      return out;
    }
    std::string token(const std::vector<std::string>& scopes, std::optional<std::int64_t> repo,
                      const std::string& name) {
      const auto t = store::generate_token();
      in_tx([&](pqxx::work& tx) { return store::insert_api_token(tx, name, t, scopes, repo); });
      return t;
    }
    void seed() {
      in_tx([&](pqxx::work& tx) {
        store::NewRepo repo{.forge = "github",
                            .full_name = "acme/model",
                            .clone_url = "https://example.invalid/acme/model.git",
                            .webhook_secret = "route-table-secret"};
        repo_a = store::insert_repo(tx, repo);
        repo.full_name = "acme/other";
        repo.clone_url = "https://example.invalid/acme/other.git";
        repo_b = store::insert_repo(tx, repo);
        store::NewPipeline p{.repo_id = repo_a,
                             .trigger = "push",
                             .ref = "refs/heads/main",
                             .branch = "main",
                             .sha = std::string(40, 'a')};
        p.jobs.push_back({.tier = "functionality", .image = "busybox", .command = "true"});
        pipeline = store::create_pipeline(tx, p);
        job = tx.exec_params1("SELECT id FROM jobs WHERE pipeline_id = $1", pipeline)[0]
                  .as<std::int64_t>();
        const std::string ping =
            R"({"zen":"x","hook_id":1,"repository":{"full_name":"acme/model","name":"model"}})";
        delivery = store::insert_delivery(
            tx, {.repo_id = repo_a,
                 .forge = "github",
                 .delivery_id = "route-table-ping",
                 .event = "ping",
                 .headers = {{"X-GitHub-Event", "ping"}, {"X-GitHub-Delivery", "route-table-ping"}},
                 .body = ping});
        runner_credential = store::generate_runner_credential();
        store::insert_runner(tx, {.name = "walker", .executor = "local"}, runner_credential);
        victim_runner = store::insert_runner(tx, {.name = "victim", .executor = "local"},
                                             store::generate_runner_credential());
        return 0;
      });
      const std::map<std::string, std::optional<std::int64_t>> restrictions = {
          {"", std::nullopt}, {"A", repo_a}, {"B", repo_b}};
      for (const auto& [key, repo] : restrictions) {
        for (const std::string scope : {"read", "deploy", "admin"})
          tokens[scope][key] = token({scope}, repo, scope + " token " + key);
        tokens["runner-register"][key] = tokens["admin"][key];  // admin implies the scope
        tokens["observe"][key] = token({"observe"}, repo, "observe token " + key);
      }
      tokens["runner-register"][""] = token({"runner-register"}, std::nullopt, "registration");
      tokens["below read"][""] = tokens["runner-register"][""];
      tokens["below deploy"][""] = tokens["read"][""];
      tokens["below admin"][""] = token({"read", "deploy"}, std::nullopt, "deployer");
      tokens["below runner-register"][""] = tokens["read"][""];
      tokens["below observe"][""] = token({"read", "deploy"}, std::nullopt, "no observer");
    }

    // Fresh values for the placeholders of one call: a new victim token of A and a new
    // registration token for the routes that revoke them.
    std::map<std::string, std::string> values() {
      return {{"repo", "acme/model"},
              {"pipeline", std::to_string(pipeline)},
              {"job", std::to_string(job)},
              {"delivery", std::to_string(delivery)},
              {"token", victim({"read"}, repo_a)},
              {"runner", std::to_string(victim_runner)},
              {"runner-token", victim({"runner-register"}, std::nullopt)},
              {"file", "junit.xml"},
              {"environment", "production"},
              {"sha", std::string(40, 'a')}};
    }
    // A new token's id.
    std::string victim(const std::vector<std::string>& scopes, std::optional<std::int64_t> repo) {
      return std::to_string(in_tx([&](pqxx::work& tx) {
        return store::insert_api_token(tx, "victim", store::generate_token(), scopes, repo);
      }));
    }

    testing::HttpResult call(const std::string& method, const std::string& path,
                             const std::string& bearer) {
      httplib::Client client("127.0.0.1", port);
      client.set_read_timeout(30, 0);
      Headers h;
      if (!bearer.empty()) h.emplace("Authorization", "Bearer " + bearer);
      httplib::Result r = method == "GET"    ? client.Get(path.c_str(), h)
                          : method == "POST" ? client.Post(path.c_str(), h, "", "application/json")
                                             : client.Put(path.c_str(), h, "", "application/json");
      if (!r) return {};
      return {r->status, r->body};
    }
    testing::HttpResult get(const std::string& path, const std::string& bearer) {
      return call("GET", path, bearer);
    }
  };

  static Env* env_;
};
RouteTable::Env* RouteTable::env_ = nullptr;

bool refused(int status) {
  return status == 401 || status == 403 || status == 404;
}

TEST_F(RouteTable, EveryRegisteredRouteHasOneRowAndEveryRowIsARoute) {
  const auto rows = table_rows();
  ASSERT_GT(rows.size(), 40u) << "the table of docs/security.md was not found";
  const auto& routes = env_->app->routes();
  static const std::set<std::string> who = {"internet", "runner", "runner-register", "read",
                                            "deploy",   "admin",  "observe"};
  static const std::set<std::string> reach = {"one", "lists", "own", "server", "—"};
  std::map<std::size_t, std::string> claimed;  // route index -> the row that reaches it
  for (const auto& row : rows) {
    EXPECT_TRUE(who.count(row.who)) << row.where() << ": unknown 'who' " << row.who;
    EXPECT_TRUE(reach.count(row.repository))
        << row.where() << ": unknown 'repository' " << row.repository;
    const std::string sample = fill(row.path, kSampleValues);
    // cpp-httplib answers with the first route of the method whose pattern matches the path.
    std::optional<std::size_t> hit;
    for (std::size_t i = 0; i < routes.size() && !hit; ++i) {
      if (routes[i].method == row.method && std::regex_match(sample, std::regex(routes[i].pattern)))
        hit = i;
    }
    if (!hit) {
      ADD_FAILURE() << row.where() << ": no registered route answers " << sample;
      continue;
    }
    auto [it, fresh] = claimed.emplace(*hit, row.where());
    EXPECT_TRUE(fresh) << row.where() << " and " << it->second << " reach the same route "
                       << routes[*hit].method << " " << routes[*hit].pattern;
  }
  for (std::size_t i = 0; i < routes.size(); ++i) {
    EXPECT_TRUE(claimed.count(i)) << "the route " << routes[i].method << " " << routes[i].pattern
                                  << " is registered but has no row in docs/security.md "
                                     "(\"Routes and who may call them\")";
  }
}

// Routes can only be registered through the Router, which is also the table the server
// dispatches from (server/http/async_server.h): nothing in server/ or cli/ names cpp-httplib's
// server (cpp-httplib is only a client there), so no route can be added beside the Router.
TEST_F(RouteTable, RoutesAreRegisteredOnlyThroughTheRouter) {
  const fs::path root = MLGATE_SOURCE_DIR;
  const std::regex server_type(R"(httplib::(Server|ThreadPool|TaskQueue)\b)");
  int files = 0;
  for (const std::string folder : {"server", "cli"}) {
    for (const auto& e : fs::recursive_directory_iterator(root / folder)) {
      const auto ext = e.path().extension();
      if (ext != ".cpp" && ext != ".h") continue;
      ++files;
      const std::string rel = fs::relative(e.path(), root).string();
      std::ifstream in(e.path());
      const std::string text((std::istreambuf_iterator<char>(in)),
                             std::istreambuf_iterator<char>());
      EXPECT_FALSE(std::regex_search(text, server_type))
          << rel << " names cpp-httplib's server: register routes through server::Router";
    }
  }
  EXPECT_GT(files, 60);
  // What the Router does not know is not served.
  const auto r = env_->get("/api/v1/no-such-route", env_->tokens["admin"][""]);
  EXPECT_EQ(r.status, 404);
  EXPECT_NE(r.body.find("no such route"), std::string::npos) << r.body;
}

// What the table says one call must answer.
void expect_answer(const Row& row, const std::string& as, const testing::HttpResult& r,
                   bool allowed) {
  const std::string what =
      row.where() + " as " + as + ": " + std::to_string(r.status) + " " + r.body.substr(0, 300);
  ASSERT_NE(r.status, -1) << what;
  if (allowed)
    EXPECT_FALSE(refused(r.status)) << what;
  else if (row.repository == "one" && as == "another repository's token")
    EXPECT_EQ(r.status, 404) << what;
  else if (as == "no token" || row.who == "runner")
    EXPECT_EQ(r.status, 401) << what;
  else
    EXPECT_EQ(r.status, 403) << what;
}

// A list shows repository A's rows to A's and unrestricted tokens, and nothing of A to B's.
void expect_listing(const Row& row, const std::string& as, const testing::HttpResult& r,
                    bool shows_a) {
  const std::string what = row.where() + " as " + as + ": " + std::to_string(r.status);
  EXPECT_GE(r.status, 200) << what << " " << r.body.substr(0, 300);
  EXPECT_LT(r.status, 300) << what << " " << r.body.substr(0, 300);
  EXPECT_EQ(r.body.find("acme/model") != std::string::npos, shows_a) << what << " " << r.body;
}

TEST_F(RouteTable, EveryRowAnswersAsTheTableSays) {
  auto& env = *env_;
  const auto rows = table_rows();
  ASSERT_GT(rows.size(), 40u);
  for (const auto& row : rows) {
    SCOPED_TRACE(row.where());
    auto call = [&](const std::string& token) {
      return env.call(row.method, fill(row.path, env.values()), token);
    };
    if (row.who == "internet") {
      // Anyone: a token changes nothing.
      const auto anonymous = call("");
      const auto admin = call(env.tokens["admin"][""]);
      EXPECT_EQ(anonymous.status, admin.status) << anonymous.body;
      EXPECT_NE(anonymous.status, 403) << anonymous.body;
      continue;
    }
    if (row.who == "runner") {
      expect_answer(row, "no token", call(""), false);
      expect_answer(row, "an API token", call(env.tokens["admin"][""]), false);
      expect_answer(row, "the runner", call(env.runner_credential), true);
      continue;
    }
    auto& tokens = env.tokens[row.who];
    expect_answer(row, "no token", call(""), false);
    expect_answer(row, "too low a scope", call(env.tokens["below " + row.who][""]), false);
    const auto other = call(tokens["B"]);
    const auto right = call(tokens["A"]);
    const auto unrestricted = call(tokens[""]);
    expect_answer(row, "an unrestricted token", unrestricted, true);
    if (row.repository == "lists") {
      expect_listing(row, "another repository's token", other, false);
      expect_listing(row, "the repository's token", right, true);
      expect_listing(row, "an unrestricted token", unrestricted, true);
    } else if (row.repository == "server") {
      expect_answer(row, "another repository's token", other, false);
      expect_answer(row, "the repository's token", right, false);
    } else {
      expect_answer(row, "another repository's token", other, row.repository != "one");
      expect_answer(row, "the repository's token", right, true);
    }
  }
}

// Another repository's resource is answered exactly like one that does not exist.
TEST_F(RouteTable, AnotherRepositorysResourceIsAnsweredLikeANonexistentOne) {
  auto& env = *env_;
  for (const auto& row : table_rows()) {
    if (row.repository != "one") continue;
    SCOPED_TRACE(row.where());
    auto values = env.values();
    const std::string token = env.tokens[row.who]["B"];
    const auto other = env.call(row.method, fill(row.path, values), token);
    std::string real, missing;
    for (const auto& [name, value] : values) {
      if (row.path.find("{" + name + "}") == std::string::npos) continue;
      if (name == "sha") continue;  // a commit is its repository's: the repository is missing
      real = value;
      missing = name == "repo" ? "acme/nowhere" : "987654321";
      values[name] = missing;
    }
    ASSERT_FALSE(real.empty());
    const auto nonexistent = env.call(row.method, fill(row.path, values), token);
    EXPECT_EQ(other.status, 404) << other.body;
    EXPECT_EQ(nonexistent.status, 404) << nonexistent.body;
    std::string expected = nonexistent.body;
    for (auto at = expected.find(missing); at != std::string::npos;
         at = expected.find(missing, at + real.size()))
      expected.replace(at, missing.size(), real);
    EXPECT_EQ(other.body, expected);
  }
}

// Paths made from a route's pattern: each capture replaced by each of a set of values (ones that
// fit, ones just too short or too long, of the wrong characters, empty, with slashes), then each
// such path with a character added or taken away at either end.
std::vector<std::string> probe_paths(const std::string& pattern) {
  std::vector<std::string> pieces{""};  // literal, capture, literal, ... (captures: odd indexes)
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    if (pattern[i] == '\\') {
      pieces.back() += pattern[++i];
    } else if (pattern[i] == '(') {
      int depth = 0;
      std::size_t j = i;
      do {
        if (pattern[j] == '\\') ++j;
        depth += pattern[j] == '(' ? 1 : pattern[j] == ')' ? -1 : 0;
      } while (depth > 0 && ++j < pattern.size());
      pieces.push_back(pattern.substr(i, j - i + 1));
      pieces.emplace_back();
      i = j;
    } else {
      pieces.back() += pattern[i];
    }
  }
  std::vector<std::string> values = {"", "1", "42", "0x", "a", "prod", "a.b-c_d", "..", "x.svg"};
  for (std::size_t n : {18, 19, 100, 101}) values.push_back(std::string(n, n < 100 ? '9' : 'e'));
  for (std::size_t n : {40, 41, 63, 64}) values.push_back(std::string(n, n < 50 ? 'f' : 'A'));
  for (const char* name : {"acme/model", "group/sub/model", "acme/model/environments/prod",
                           "acme/model/gate", "acme/", "/model", "acme//model", "acme/mo del",
                           "caf\xc3\xa9", "junit.xml", "acme/model.svg", "environments"})
    values.emplace_back(name);
  values.push_back(std::string(40, 'g'));
  std::vector<std::string> paths{""};
  for (std::size_t p = 0; p < pieces.size(); ++p) {
    std::vector<std::string> longer;
    for (const auto& head : paths) {
      if (p % 2 == 0) {
        longer.push_back(head + pieces[p]);
      } else {
        for (const auto& v : values) longer.push_back(head + v);
      }
    }
    paths = std::move(longer);
  }
  std::vector<std::string> out;
  for (const auto& path : paths) {
    for (const std::string& variant : {path, path + "/", path + "x", "/" + path,
                                       path.substr(std::min<std::size_t>(1, path.size())),
                                       path.substr(0, path.empty() ? 0 : path.size() - 1)})
      out.push_back(variant);
  }
  return out;
}

TEST_F(RouteTable, EveryRouteMatchesWhatItsRegularExpressionMatchesWithTheSameGroups) {
  std::size_t refused = 0;
  for (const auto& entry : env_->app->routes()) {
    std::size_t matched = 0;
    server::Router router;
    router.get(entry.pattern, [](const httplib::Request&, httplib::Response&) {});
    const std::regex regex(entry.pattern);
    for (const auto& path : probe_paths(entry.pattern)) {
      std::smatch expected;
      const bool expect_match = std::regex_match(path, expected, regex);
      httplib::Request req;
      req.path = path;
      const bool got_match = router.match("GET", req) != nullptr;
      ASSERT_EQ(got_match, expect_match) << entry.pattern << " on " << path;
      ++(got_match ? matched : refused);
      if (!got_match) continue;
      ASSERT_EQ(req.matches.size(), expected.size()) << entry.pattern << " on " << path;
      for (std::size_t g = 0; g < expected.size(); ++g) {
        const int i = static_cast<int>(g);
        EXPECT_EQ(req.matches.position(i), expected.position(i)) << entry.pattern << " " << path;
        EXPECT_EQ(req.matches.length(i), expected.length(i)) << entry.pattern << " " << path;
        EXPECT_EQ(req.matches[g].matched, expected[g].matched) << entry.pattern << " " << path;
      }
    }
    EXPECT_GT(matched, 0u) << entry.pattern << " matched none of its paths";
  }
  EXPECT_GT(refused, 1000u);
}

}  // namespace
}  // namespace mlgate
