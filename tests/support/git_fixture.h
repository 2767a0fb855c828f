// Real git for integration tests: a non-bare repository driven by the `git` CLI (argv vectors, no
// shell, no user or system git config), and a smart-HTTP server (lighttpd + git http-backend as
// CGI) serving bare repositories on 127.0.0.1, optionally behind HTTP basic auth.
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "tests/support/temp_dir.h"
#include "util/child_process.h"

namespace mlgate::testing {

// Runs `git <args>` (in `cwd` when given) with an isolated configuration (GIT_CONFIG_NOSYSTEM,
// GIT_CONFIG_GLOBAL=/dev/null, a fixed identity); returns stdout+stderr with one trailing newline
// removed. Throws std::runtime_error with the output when git fails.
std::string run_git(const std::vector<std::string>& args, const std::filesystem::path& cwd = {},
                    const std::map<std::string, std::string>& extra_env = {});

class GitRepoFixture {
 public:
  // `git init -b main` in a fresh temporary directory.
  explicit GitRepoFixture(const std::string& prefix = "mlgate-gitrepo");
  GitRepoFixture(const GitRepoFixture&) = delete;
  GitRepoFixture& operator=(const GitRepoFixture&) = delete;

  const std::filesystem::path& path() const { return dir_.path(); }
  std::string file_url() const { return "file://" + path().string(); }

  // Writes `files` (path relative to the work tree -> content; parent directories created),
  // stages everything (`git add -A`, so removals and the helpers below count too) and commits.
  // Returns the new commit's sha. The commit may be empty.
  std::string commit(const std::map<std::string, std::string>& files,
                     const std::string& message = "commit");
  // Work-tree edits picked up by the next commit().
  void remove(const std::string& path);
  void symlink(const std::string& path, const std::string& target);
  void set_executable(const std::string& path, bool executable = true);

  // Author/committer date of the following commits ("2024-01-02T03:04:05Z"), or none for now.
  void set_date(std::optional<std::string> date) { date_ = std::move(date); }

  void branch(const std::string& name, const std::string& start = "HEAD");
  void switch_to(const std::string& branch);  // git switch
  // Lightweight or annotated tag on `target`.
  void tag(const std::string& name, bool annotated = false, const std::string& target = "HEAD",
           const std::string& message = "tag");
  // A ref outside refs/heads and refs/tags, e.g. refs/pull/12/head.
  void update_ref(const std::string& ref, const std::string& sha);
  std::string head() const { return rev_parse("HEAD"); }
  std::string rev_parse(const std::string& rev) const;

  // `git push --force <dest> <refspecs...>`; dest is a path or URL of a bare repository.
  void push(const std::string& dest, const std::vector<std::string>& refspecs = {
                                         "+refs/heads/*:refs/heads/*", "+refs/tags/*:refs/tags/*"});

  // Raw objects, for trees git itself would never write (duplicate names, unsorted entries).
  struct TreeEntry {
    std::string mode;  // "100644", "100755", "120000", "40000"
    std::string name;
    std::string sha;
  };
  std::string write_blob(const std::string& content);
  std::string write_tree(const std::vector<TreeEntry>& entries);  // written as given
  // A commit of `tree` on top of HEAD; moves the current branch to it. Returns its sha.
  std::string commit_tree(const std::string& tree, const std::string& message = "raw commit");

  // `git <args>` in this repository.
  std::string git(const std::vector<std::string>& args) const;

 private:
  std::map<std::string, std::string> env() const;

  TempDir dir_;
  std::optional<std::string> date_;
};

struct GitHttpAuth {
  std::string user;      // empty: no authentication
  std::string password;  // the "token"
};

class GitHttpServer {
 public:
  // Starts lighttpd in the foreground on a free port of 127.0.0.1 and waits until it accepts
  // connections. Throws std::runtime_error (with lighttpd's error log) when it cannot.
  explicit GitHttpServer(GitHttpAuth auth = {});
  // Stops lighttpd and everything in its process group (CGI children included).
  ~GitHttpServer();
  GitHttpServer(const GitHttpServer&) = delete;
  GitHttpServer& operator=(const GitHttpServer&) = delete;

  // The directory served (GIT_PROJECT_ROOT).
  const std::filesystem::path& repos_root() const { return repos_; }
  // `git init --bare <repos_root>/<name>`; name like "upstream.git". Returns its path.
  std::filesystem::path create_bare_repo(const std::string& name);
  // http://127.0.0.1:<port>/git/<name>
  std::string url(const std::string& repo_name) const;
  int port() const { return port_; }

  void stop();
  void start();  // again, on the same port
  bool running();
  pid_t pid() const { return process_.pid(); }

 private:
  void write_config();

  TempDir dir_;
  std::filesystem::path repos_;
  GitHttpAuth auth_;
  int port_ = 0;
  util::ChildProcess process_;
};

}  // namespace mlgate::testing
