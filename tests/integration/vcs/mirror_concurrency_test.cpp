// Many threads and several processes on one mirror at once: every caller succeeds and the mirror
// stays a valid repository.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <latch>
#include <thread>

#include "tests/support/git_fixture.h"
#include "tests/support/temp_dir.h"
#include "vcs/lock.h"
#include "vcs/mirror.h"

namespace {

namespace fs = std::filesystem;
using mlgate::testing::GitHttpServer;
using mlgate::testing::GitRepoFixture;
using mlgate::testing::TempDir;
using mlgate::vcs::GitError;
using mlgate::vcs::MirrorCache;
using mlgate::vcs::RepoRemote;
using ::testing::HasSubstr;

// A served repository with enough history that a fetch takes a moment, so callers overlap.
struct ServedRepo {
  GitHttpServer server;
  GitRepoFixture repo;
  std::string head;
  RepoRemote remote;

  ServedRepo() {
    fs::path bare = server.create_bare_repo("upstream.git");
    for (int i = 0; i < 4; ++i) {
      std::map<std::string, std::string> files;
      for (int j = 0; j < 10; ++j) {
        files["data/part" + std::to_string(j) + ".csv"] =
            std::string(20000 + i * 10 + j, static_cast<char>('a' + (i + j) % 26));
      }
      head = repo.commit(files, "commit " + std::to_string(i));
    }
    repo.tag("v1", true);
    repo.push(bare.string());
    remote.key = "http/owner/upstream";
    remote.clone_url = server.url("upstream.git");
  }
};

void expect_valid_mirror(const fs::path& mirror, const std::string& sha) {
  EXPECT_NO_THROW(mlgate::testing::run_git({"fsck", "--no-progress", "--strict"}, mirror));
  EXPECT_EQ(mlgate::testing::run_git({"cat-file", "-t", sha}, mirror), "commit");
  // No temporary directories left beside the mirror.
  for (const auto& e : fs::directory_iterator(mirror.parent_path())) {
    EXPECT_NE(e.path().filename().string().rfind(".tmp-", 0), 0u) << e.path();
  }
}

TEST(MirrorConcurrency, ThreadsOnOneKeyAllSucceed) {
  ServedRepo served;
  TempDir root;
  MirrorCache cache(root.path());
  MirrorCache second_instance(root.path());  // same root, another object: same locks
  constexpr int kThreads = 6;
  std::latch start(kThreads);
  std::atomic<int> ok{0};
  std::vector<std::string> errors(kThreads);
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      MirrorCache& c = i % 2 ? cache : second_instance;
      start.arrive_and_wait();
      try {
        c.ensure_commit(served.remote, served.head);
        if (c.read_file(served.remote, served.head, "data/part0.csv")) ++ok;
      } catch (const std::exception& e) {
        errors[static_cast<std::size_t>(i)] = e.what();
      }
    });
  }
  for (auto& t : threads) t.join();
  for (const auto& e : errors) EXPECT_EQ(e, "");
  EXPECT_EQ(ok.load(), kThreads);
  // The lock makes the late comers find the commit instead of fetching again.
  EXPECT_EQ(cache.fetch_count() + second_instance.fetch_count(), 1u);
  expect_valid_mirror(cache.mirror_path(served.remote), served.head);
}

TEST(MirrorConcurrency, ProcessesAndThreadsOnOneKeyAllSucceed) {
  ServedRepo served;
  TempDir root;
  // Fork before any thread exists in this process; each child makes its own cache object.
  int go[2];
  ASSERT_EQ(::pipe(go), 0);
  std::vector<pid_t> children;
  for (int i = 0; i < 2; ++i) {
    pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      ::close(go[1]);
      char c;
      if (::read(go[0], &c, 1) != 0) _exit(3);  // wait for the start signal (EOF)
      int code = 0;
      try {
        MirrorCache cache(root.path());
        cache.ensure_commit(served.remote, served.head);
        if (cache.resolve(served.remote, "v1", false) != served.head) code = 2;
      } catch (...) {
        code = 1;
      }
      _exit(code);
    }
    children.push_back(pid);
  }
  ::close(go[0]);
  MirrorCache cache(root.path());
  std::string thread_error;
  std::thread t([&] {
    try {
      cache.ensure_commit(served.remote, served.head);
    } catch (const std::exception& e) {
      thread_error = e.what();
    }
  });
  ::close(go[1]);  // start the children
  try {
    cache.ensure_commit(served.remote, served.head);
  } catch (const std::exception& e) {
    ADD_FAILURE() << e.what();
  }
  t.join();
  EXPECT_EQ(thread_error, "");
  for (pid_t pid : children) {
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "child status " << status;
  }
  expect_valid_mirror(cache.mirror_path(served.remote), served.head);
}

TEST(MirrorConcurrency, LockWaitIsBounded) {
  GitRepoFixture repo;
  std::string sha = repo.commit({{"a", "1"}});
  TempDir root;
  mlgate::vcs::MirrorOptions options;
  options.lock_timeout = std::chrono::milliseconds(300);
  MirrorCache cache(root.path(), options);
  RepoRemote r;
  r.key = "local/repo";
  r.clone_url = repo.file_url();
  // Another "process" holds the mirror's file lock.
  mlgate::vcs::FileLock held(cache.lock_path(r), std::chrono::seconds(1));
  auto start = std::chrono::steady_clock::now();
  try {
    cache.ensure_commit(r, sha);
    ADD_FAILURE() << "expected a lock timeout";
  } catch (const GitError& e) {
    EXPECT_THAT(e.what(), HasSubstr("still held by another process"));
  }
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

}  // namespace
