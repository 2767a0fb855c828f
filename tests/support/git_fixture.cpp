#include "tests/support/git_fixture.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <stdexcept>
#include <thread>

#include "tests/support/mlgate_process.h"

namespace mlgate::testing {
namespace fs = std::filesystem;

namespace {

constexpr const char* kHttpBackend = "/usr/lib/git-core/git-http-backend";

std::map<std::string, std::string> isolated_git_env() {
  return {
      {"GIT_CONFIG_NOSYSTEM", "1"},
      {"GIT_CONFIG_GLOBAL", "/dev/null"},
      {"GIT_TERMINAL_PROMPT", "0"},
      {"GIT_AUTHOR_NAME", "Test Author"},
      {"GIT_AUTHOR_EMAIL", "author@example.com"},
      {"GIT_COMMITTER_NAME", "Test Committer"},
      {"GIT_COMMITTER_EMAIL", "committer@example.com"},
      {"LC_ALL", "C"},
  };
}

std::string describe_args(const std::vector<std::string>& args) {
  std::string s = "git";
  for (const auto& a : args) s += " " + a;
  return s;
}

bool port_accepts(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  ::close(fd);
  return ok;
}

std::string read_if_exists(const fs::path& p) {
  std::error_code ec;
  if (!fs::exists(p, ec)) return "";
  return read_file(p);
}

// lighttpd string literal: the paths come from mkdtemp, but be strict anyway.
std::string lq(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

}  // namespace

std::string run_git(const std::vector<std::string>& args, const fs::path& cwd,
                    const std::map<std::string, std::string>& extra_env) {
  std::vector<std::string> argv{"git"};
  if (!cwd.empty()) {
    argv.push_back("-C");
    argv.push_back(cwd.string());
  }
  argv.insert(argv.end(), args.begin(), args.end());
  util::ChildOptions opts;
  opts.env = isolated_git_env();
  for (const auto& [k, v] : extra_env) opts.env[k] = v;
  std::string out;
  int status = util::run_capture(argv, out, opts);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    throw std::runtime_error(describe_args(args) + " " + util::describe_wait_status(status) +
                             ":\n" + out);
  }
  if (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

// --- GitRepoFixture ----------------------------------------------------------------------------

GitRepoFixture::GitRepoFixture(const std::string& prefix) : dir_(prefix) {
  git({"init", "-q", "-b", "main"});
}

std::map<std::string, std::string> GitRepoFixture::env() const {
  std::map<std::string, std::string> e;
  if (date_) {
    e["GIT_AUTHOR_DATE"] = *date_;
    e["GIT_COMMITTER_DATE"] = *date_;
  }
  return e;
}

std::string GitRepoFixture::git(const std::vector<std::string>& args) const {
  return run_git(args, path(), env());
}

std::string GitRepoFixture::commit(const std::map<std::string, std::string>& files,
                                   const std::string& message) {
  for (const auto& [rel, content] : files) write_file(path() / rel, content);
  git({"add", "-A"});
  git({"commit", "-q", "--allow-empty", "--no-verify", "-m", message});
  return head();
}

void GitRepoFixture::remove(const std::string& rel) {
  fs::remove_all(path() / rel);
}

void GitRepoFixture::symlink(const std::string& rel, const std::string& target) {
  fs::path p = path() / rel;
  if (p.has_parent_path()) fs::create_directories(p.parent_path());
  std::error_code ec;
  fs::remove(p, ec);
  fs::create_symlink(target, p);
}

void GitRepoFixture::set_executable(const std::string& rel, bool executable) {
  fs::path p = path() / rel;
  auto perms = fs::perms::owner_exec | fs::perms::group_exec | fs::perms::others_exec;
  fs::permissions(p, perms, executable ? fs::perm_options::add : fs::perm_options::remove);
}

void GitRepoFixture::branch(const std::string& name, const std::string& start) {
  git({"branch", "-f", name, start});
}

void GitRepoFixture::switch_to(const std::string& branch) {
  git({"switch", "-q", branch});
}

void GitRepoFixture::tag(const std::string& name, bool annotated, const std::string& target,
                         const std::string& message) {
  if (annotated) {
    git({"tag", "-f", "-a", "-m", message, name, target});
  } else {
    git({"tag", "-f", name, target});
  }
}

void GitRepoFixture::update_ref(const std::string& ref, const std::string& sha) {
  git({"update-ref", ref, sha});
}

std::string GitRepoFixture::rev_parse(const std::string& rev) const {
  return git({"rev-parse", "--verify", "-q", rev + "^{object}"});
}

void GitRepoFixture::push(const std::string& dest, const std::vector<std::string>& refspecs) {
  std::vector<std::string> args{"push", "-q", "--force", dest};
  args.insert(args.end(), refspecs.begin(), refspecs.end());
  git(args);
}

std::string GitRepoFixture::write_blob(const std::string& content) {
  fs::path tmp = path() / ".git" / "mlgate-fixture-object";
  write_file(tmp, content);
  std::string sha = git({"hash-object", "-w", tmp.string()});
  fs::remove(tmp);
  return sha;
}

std::string GitRepoFixture::write_tree(const std::vector<TreeEntry>& entries) {
  std::string raw;
  for (const auto& e : entries) {
    if (e.sha.size() != 40) throw std::invalid_argument("write_tree: bad sha " + e.sha);
    raw += e.mode + " " + e.name;
    raw.push_back('\0');
    for (std::size_t i = 0; i < 40; i += 2) {
      raw.push_back(static_cast<char>(std::stoi(e.sha.substr(i, 2), nullptr, 16)));
    }
  }
  fs::path tmp = path() / ".git" / "mlgate-fixture-object";
  write_file(tmp, raw);
  std::string sha = git({"hash-object", "-t", "tree", "-w", "--literally", tmp.string()});
  fs::remove(tmp);
  return sha;
}

std::string GitRepoFixture::commit_tree(const std::string& tree, const std::string& message) {
  std::vector<std::string> args{"commit-tree", tree, "-m", message};
  std::string parent;
  try {
    parent = git({"rev-parse", "--verify", "-q", "HEAD"});
  } catch (const std::runtime_error&) {
  }
  if (!parent.empty()) {
    args.push_back("-p");
    args.push_back(parent);
  }
  std::string sha = git(args);
  git({"update-ref", "HEAD", sha});
  return sha;
}

// --- GitHttpServer -----------------------------------------------------------------------------

GitHttpServer::GitHttpServer(GitHttpAuth auth)
    : dir_("mlgate-githttp"), repos_(dir_.path() / "repos"), auth_(std::move(auth)) {
  fs::create_directories(repos_);
  fs::create_directories(dir_.path() / "www");
  if (!fs::exists(kHttpBackend)) {
    throw std::runtime_error(std::string(kHttpBackend) + " is missing (install git)");
  }
  for (int attempt = 0;; ++attempt) {
    port_ = free_port();
    try {
      start();
      return;
    } catch (const std::runtime_error&) {
      // Another process may have taken the port between free_port() and lighttpd's bind().
      if (attempt >= 4) throw;
    }
  }
}

GitHttpServer::~GitHttpServer() {
  stop();
}

void GitHttpServer::write_config() {
  const fs::path base = dir_.path();
  std::string conf;
  conf += "server.document-root = " + lq((base / "www").string()) + "\n";
  conf += "server.bind = \"127.0.0.1\"\n";
  conf += "server.port = " + std::to_string(port_) + "\n";
  conf += "server.errorlog = " + lq((base / "error.log").string()) + "\n";
  // mod_auth before mod_cgi (lighttpd warns otherwise).
  conf +=
      "server.modules = ( \"mod_alias\", \"mod_setenv\", \"mod_auth\", \"mod_authn_file\", "
      "\"mod_cgi\" )\n";
  conf += "alias.url = ( \"/git\" => " + lq(kHttpBackend) + " )\n";
  conf += "$HTTP[\"url\"] =~ \"^/git\" {\n";
  conf += "  cgi.assign = ( \"\" => \"\" )\n";
  conf += "  setenv.add-environment = ( \"GIT_PROJECT_ROOT\" => " + lq(repos_.string()) +
          ", \"GIT_HTTP_EXPORT_ALL\" => \"1\", \"GIT_CONFIG_NOSYSTEM\" => \"1\" )\n";
  conf += "}\n";
  if (!auth_.user.empty()) {
    write_file(base / "users", auth_.user + ":" + auth_.password + "\n");
    conf += "auth.backend = \"plain\"\n";
    conf += "auth.backend.plain.userfile = " + lq((base / "users").string()) + "\n";
    conf +=
        "auth.require = ( \"/git\" => ( \"method\" => \"basic\", \"realm\" => \"git\", "
        "\"require\" => \"valid-user\" ) )\n";
  }
  write_file(base / "lighttpd.conf", conf);
}

void GitHttpServer::start() {
  if (running()) return;
  write_config();
  fs::path log = dir_.path() / "error.log";
  std::error_code ec;
  fs::remove(log, ec);
  util::ChildOptions opts;
  opts.new_process_group = true;  // stop() takes the CGI children down with it
  opts.stdout_path = (dir_.path() / "lighttpd.out").string();
  opts.stderr_path = "=stdout";
  process_ =
      util::ChildProcess({"lighttpd", "-D", "-f", (dir_.path() / "lighttpd.conf").string()}, opts);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < deadline) {
    if (!process_.running()) break;
    if (port_accepts(port_)) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  std::string why = process_.running() ? "did not accept connections within 10 s"
                                       : util::describe_wait_status(process_.wait());
  stop();
  throw std::runtime_error("lighttpd on 127.0.0.1:" + std::to_string(port_) + " " + why + "\n" +
                           read_if_exists(log) + read_if_exists(dir_.path() / "lighttpd.out"));
}

void GitHttpServer::stop() {
  if (!process_.valid()) return;
  pid_t pgid = process_.pid();
  if (process_.running()) ::kill(-pgid, SIGTERM);
  process_.stop(SIGTERM, std::chrono::seconds(5));
  ::kill(-pgid, SIGKILL);  // whatever is left of the group (a CGI mid-request); ESRCH when none
  process_ = util::ChildProcess();
}

bool GitHttpServer::running() {
  return process_.valid() && process_.running();
}

fs::path GitHttpServer::create_bare_repo(const std::string& name) {
  fs::path p = repos_ / name;
  run_git({"init", "-q", "--bare", "-b", "main", p.string()});
  return p;
}

std::string GitHttpServer::url(const std::string& repo_name) const {
  return "http://127.0.0.1:" + std::to_string(port_) + "/git/" + repo_name;
}

}  // namespace mlgate::testing
