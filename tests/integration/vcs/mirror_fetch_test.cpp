// MirrorCache::ensure_commit against real repositories: file://, smart HTTP (lighttpd + git
// http-backend), token auth, forks, pull-request refs and fetching a sha directly.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <cerrno>
#include <chrono>
#include <filesystem>

#include "tests/support/git_fixture.h"
#include "tests/support/temp_dir.h"
#include "vcs/mirror.h"

namespace {

namespace fs = std::filesystem;
using mlgate::testing::GitHttpAuth;
using mlgate::testing::GitHttpServer;
using mlgate::testing::GitRepoFixture;
using mlgate::testing::TempDir;
using mlgate::vcs::GitError;
using mlgate::vcs::MirrorCache;
using mlgate::vcs::RepoRemote;
using ::testing::HasSubstr;
using ::testing::Not;

RepoRemote remote_for(const std::string& key, const std::string& url) {
  RepoRemote r;
  r.key = key;
  r.clone_url = url;
  return r;
}

template <typename F>
std::string git_error_of(F&& f) {
  try {
    f();
  } catch (const GitError& e) {
    return e.what();
  }
  return "<no GitError thrown>";
}

// Every regular file of the mirror, concatenated: to prove that no secret was written anywhere.
std::string all_mirror_bytes(const fs::path& mirror) {
  std::string all;
  for (const auto& e : fs::recursive_directory_iterator(mirror)) {
    if (e.is_regular_file()) all += mlgate::testing::read_file(e.path());
  }
  return all;
}

TEST(MirrorFetch, FileUrlFetchesOnlyWhenTheCommitIsMissing) {
  GitRepoFixture repo;
  std::string c1 = repo.commit({{"model.py", "print('v1')\n"}}, "first");
  TempDir cache_dir;
  MirrorCache cache(cache_dir.path());
  RepoRemote r = remote_for("local/owner/model", repo.file_url());

  cache.ensure_commit(r, c1);
  EXPECT_EQ(cache.fetch_count(), 1u);
  EXPECT_TRUE(fs::exists(cache_dir.path() / "local/owner/model.git/HEAD"));
  EXPECT_EQ(cache.mirror_path(r), cache_dir.path() / "local/owner/model.git");

  cache.ensure_commit(r, c1);  // present: no fetch
  EXPECT_EQ(cache.fetch_count(), 1u);

  std::string c2 = repo.commit({{"model.py", "print('v2')\n"}}, "second");
  cache.ensure_commit(r, c2);
  EXPECT_EQ(cache.fetch_count(), 2u);
  cache.ensure_commit(r, c1);
  EXPECT_EQ(cache.fetch_count(), 2u);

  // An anonymous remote: the URL is not written into the mirror's config.
  std::string config = mlgate::testing::read_file(cache.mirror_path(r) / "config");
  EXPECT_THAT(config, Not(HasSubstr(repo.path().string())));
  EXPECT_THAT(config, Not(HasSubstr("[remote")));
  // The mirror is a valid repository for git itself.
  mlgate::testing::run_git({"fsck", "--no-progress"}, cache.mirror_path(r));
}

TEST(MirrorFetch, UnknownCommitNamesTheUrl) {
  GitRepoFixture repo;
  repo.commit({{"a", "a"}});
  TempDir cache_dir;
  MirrorCache cache(cache_dir.path());
  RepoRemote r = remote_for("local/x", repo.file_url());
  std::string missing(40, 'e');
  std::string msg = git_error_of([&] { cache.ensure_commit(r, missing); });
  EXPECT_THAT(msg,
              HasSubstr("commit " + missing + " not found in " + repo.file_url() + " after fetch"));
}

TEST(MirrorFetch, SmartHttpThenNoNetworkWhenPresent) {
  GitHttpServer server;
  server.create_bare_repo("upstream.git");
  GitRepoFixture repo;
  std::string c1 = repo.commit({{".mlgate.yml", "version: 1\n"}}, "config");
  repo.push((server.repos_root() / "upstream.git").string());

  TempDir cache_dir;
  MirrorCache cache(cache_dir.path());
  RepoRemote r = remote_for("http/owner/upstream", server.url("upstream.git"));
  cache.ensure_commit(r, c1);
  EXPECT_EQ(cache.fetch_count(), 1u);

  // With the server gone, everything about a present commit still works: no network involved.
  server.stop();
  cache.ensure_commit(r, c1);
  EXPECT_EQ(cache.read_file(r, c1, ".mlgate.yml"), std::optional<std::string>("version: 1\n"));
  EXPECT_EQ(cache.fetch_count(), 1u);

  // A missing commit needs the network: the error says which URL failed.
  std::string msg = git_error_of([&] { cache.ensure_commit(r, std::string(40, 'a')); });
  EXPECT_THAT(msg, HasSubstr("fetch " + server.url("upstream.git") + ": "));
}

TEST(MirrorFetch, TokenAuthOverHttp) {
  const std::string token = "s3cret-token-0123456789";
  GitHttpServer server(GitHttpAuth{"x-access-token", token});
  server.create_bare_repo("private.git");
  GitRepoFixture repo;
  std::string c1 = repo.commit({{"train.py", "fit()\n"}});
  repo.push((server.repos_root() / "private.git").string());
  TempDir cache_dir;
  MirrorCache cache(cache_dir.path());

  // Right token.
  RepoRemote ok = remote_for("http/owner/private", server.url("private.git"));
  ok.token = token;
  cache.ensure_commit(ok, c1);
  EXPECT_EQ(cache.read_file(ok, c1, "train.py"), std::optional<std::string>("fit()\n"));
  EXPECT_THAT(all_mirror_bytes(cache.mirror_path(ok)), Not(HasSubstr(token)));

  // Wrong token: one attempt, a clear error, no hang, and the token is not in the message.
  RepoRemote wrong = remote_for("http/owner/private-wrong", server.url("private.git"));
  wrong.token = "wrong-token-abcdefgh";
  auto start = std::chrono::steady_clock::now();
  std::string msg = git_error_of([&] { cache.ensure_commit(wrong, c1); });
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(20));
  EXPECT_THAT(msg, HasSubstr("fetch " + server.url("private.git") + ": authentication failed"));
  EXPECT_THAT(msg, HasSubstr("x-access-token"));
  EXPECT_THAT(msg, Not(HasSubstr("wrong-token-abcdefgh")));

  // No token at all.
  RepoRemote none = remote_for("http/owner/private-none", server.url("private.git"));
  msg = git_error_of([&] { cache.ensure_commit(none, c1); });
  EXPECT_THAT(msg, HasSubstr("authentication required"));

  // A GitLab-style user is sent as given (and rejected here: the server only knows x-access-token).
  RepoRemote gitlab = remote_for("http/owner/private-gitlab", server.url("private.git"));
  gitlab.token = token;
  gitlab.token_user = "oauth2";
  msg = git_error_of([&] { cache.ensure_commit(gitlab, c1); });
  EXPECT_THAT(msg, HasSubstr("authentication failed"));
  EXPECT_THAT(msg, HasSubstr("oauth2"));
}

TEST(MirrorFetch, ForkFetchedViaOverrideWithoutClobberingBranches) {
  GitHttpServer server;
  server.create_bare_repo("upstream.git");
  server.create_bare_repo("fork.git");
  GitRepoFixture upstream;
  std::string base = upstream.commit({{"a.txt", "base\n"}}, "base");
  upstream.push((server.repos_root() / "upstream.git").string());
  // The fork: same history plus a commit on its own main.
  upstream.push((server.repos_root() / "fork.git").string());
  std::string fork_commit = upstream.commit({{"a.txt", "fork change\n"}}, "fork change");
  upstream.push((server.repos_root() / "fork.git").string());

  TempDir cache_dir;
  MirrorCache cache(cache_dir.path());
  RepoRemote r = remote_for("http/owner/upstream", server.url("upstream.git"));
  r.fetch_url_override = server.url("fork.git");
  cache.ensure_commit(r, fork_commit);
  EXPECT_EQ(cache.read_file(r, fork_commit, "a.txt"), std::optional<std::string>("fork change\n"));
  // The mirror's own main is still upstream's.
  EXPECT_EQ(cache.resolve(r, "main", /*refresh=*/false), base);
  EXPECT_EQ(cache.resolve(r, "main"), base);

  // Without the override the fork's commit is nowhere to be found.
  TempDir other_dir;
  MirrorCache other(other_dir.path());
  RepoRemote plain = remote_for("http/owner/upstream", server.url("upstream.git"));
  std::string msg = git_error_of([&] { other.ensure_commit(plain, fork_commit); });
  EXPECT_THAT(msg, HasSubstr("commit " + fork_commit + " not found in " +
                             server.url("upstream.git") + " after fetch"));
}

TEST(MirrorFetch, PullRequestRefFetchedWhenGiven) {
  GitHttpServer server;
  fs::path bare = server.create_bare_repo("upstream.git");
  GitRepoFixture repo;
  repo.commit({{"a", "1"}}, "main");
  repo.push(bare.string());
  repo.branch("pr");
  repo.switch_to("pr");
  std::string pr_head = repo.commit({{"a", "2"}}, "pr head");
  // Only refs/pull/12/head points at it on the server; advertised tips are fetchable by sha, so
  // hide the ref from the advertisement to prove fetch_ref does the work.
  repo.push(bare.string(), {"+refs/heads/pr:refs/pull/12/head"});
  mlgate::testing::run_git({"config", "uploadpack.hideRefs", "refs/pull"}, bare);

  TempDir cache_dir;
  MirrorCache cache(cache_dir.path());
  RepoRemote r = remote_for("http/owner/upstream", server.url("upstream.git"));
  std::string msg = git_error_of([&] { cache.ensure_commit(r, pr_head); });
  EXPECT_THAT(msg, HasSubstr("not found in"));

  mlgate::testing::run_git({"config", "--unset", "uploadpack.hideRefs"}, bare);
  r.fetch_ref = "refs/pull/12/head";
  cache.ensure_commit(r, pr_head);
  EXPECT_EQ(cache.resolve(r, "refs/pull/12/head", false), pr_head);

  RepoRemote bad = r;
  bad.fetch_ref = "refs/pull/*";
  EXPECT_THAT(git_error_of([&] { cache.ensure_commit(bad, std::string(40, 'c')); }),
              HasSubstr("invalid fetch ref"));
}

TEST(MirrorFetch, ShaItselfFetchedWhereTheServerAllowsIt) {
  GitHttpServer server;
  fs::path bare = server.create_bare_repo("upstream.git");
  GitRepoFixture repo;
  repo.commit({{"a", "1"}}, "main");
  repo.push(bare.string());
  repo.branch("side");
  repo.switch_to("side");
  std::string hidden = repo.commit({{"a", "hidden"}}, "hidden");
  repo.push(bare.string(), {"+refs/heads/side:refs/hidden/side"});
  mlgate::testing::run_git({"config", "uploadpack.hideRefs", "refs/hidden"}, bare);

  TempDir cache_dir;
  MirrorCache cache(cache_dir.path());
  RepoRemote r = remote_for("http/owner/upstream", server.url("upstream.git"));
  // Not advertised, and the server does not allow unadvertised wants.
  std::string msg = git_error_of([&] { cache.ensure_commit(r, hidden); });
  EXPECT_THAT(msg, HasSubstr("commit " + hidden + " not found in"));
  EXPECT_THAT(msg, HasSubstr("fetching the sha itself failed"));

  mlgate::testing::run_git({"config", "uploadpack.allowTipSHA1InWant", "true"}, bare);
  cache.ensure_commit(r, hidden);
  EXPECT_EQ(cache.read_file(r, hidden, "a"), std::optional<std::string>("hidden"));
  // Kept alive by a ref of its own.
  EXPECT_EQ(cache.resolve(r, "refs/mlgate/commits/" + hidden, false), hidden);
}

TEST(MirrorFetch, ShaItselfOverFileUrl) {
  GitRepoFixture repo;
  repo.commit({{"a", "1"}}, "main");
  repo.branch("side");
  repo.switch_to("side");
  std::string hidden = repo.commit({{"a", "2"}}, "side");
  repo.update_ref("refs/hidden/side", hidden);
  repo.switch_to("main");
  repo.git({"branch", "-D", "side"});

  TempDir cache_dir;
  MirrorCache cache(cache_dir.path());
  RepoRemote r = remote_for("local/upstream", repo.file_url());
  cache.ensure_commit(r, hidden);
  EXPECT_EQ(cache.read_file(r, hidden, "a"), std::optional<std::string>("2"));
}

TEST(MirrorFetch, FetchLimitsAbortWithAClearError) {
  GitHttpServer server;
  fs::path bare = server.create_bare_repo("upstream.git");
  GitRepoFixture repo;
  std::string sha = repo.commit({{"big.bin", std::string(200000, 'x') + "end"}});
  repo.push(bare.string());
  RepoRemote r = remote_for("http/owner/upstream", server.url("upstream.git"));

  TempDir d1;
  mlgate::vcs::MirrorOptions size_limited;
  size_limited.max_fetch_bytes = 10;
  MirrorCache small(d1.path(), size_limited);
  EXPECT_THAT(git_error_of([&] { small.ensure_commit(r, sha); }),
              HasSubstr("fetch " + server.url("upstream.git") + ": aborted: more than 10 bytes"));

  TempDir d2;
  mlgate::vcs::MirrorOptions no_time;
  no_time.fetch_timeout = std::chrono::milliseconds(0);
  MirrorCache hurried(d2.path(), no_time);
  EXPECT_THAT(git_error_of([&] { hurried.ensure_commit(r, sha); }), HasSubstr("timed out"));

  // The same mirror recovers once the limits allow the fetch.
  TempDir d3;
  MirrorCache normal(d3.path());
  normal.ensure_commit(r, sha);
}

TEST(MirrorFetch, StaleGitLockFilesFromACrashedWriterAreCleared) {
  GitRepoFixture repo;
  repo.commit({{"a", "1"}});
  repo.tag("v1");
  TempDir cache_dir;
  MirrorCache cache(cache_dir.path());
  RepoRemote r = remote_for("local/repo", repo.file_url());
  cache.ensure_commit(r, repo.head());
  // A process killed mid-fetch leaves these behind; git would refuse to update the refs.
  mlgate::testing::write_file(cache.mirror_path(r) / "refs/heads/main.lock", "");
  mlgate::testing::write_file(cache.mirror_path(r) / "packed-refs.lock", "");
  std::string c2 = repo.commit({{"a", "2"}});
  cache.ensure_commit(r, c2);
  EXPECT_EQ(cache.resolve(r, "main", false), c2);
  EXPECT_FALSE(fs::exists(cache.mirror_path(r) / "refs/heads/main.lock"));
}

TEST(GitHttpServer, StopLeavesNoProcessBehind) {
  pid_t pid;
  {
    GitHttpServer server;
    pid = server.pid();
    ASSERT_GT(pid, 0);
    EXPECT_EQ(::kill(pid, 0), 0);
  }
  errno = 0;
  EXPECT_EQ(::kill(pid, 0), -1);
  EXPECT_EQ(errno, ESRCH);
  EXPECT_EQ(::kill(-pid, 0), -1);  // nor anything of its process group
}

}  // namespace
