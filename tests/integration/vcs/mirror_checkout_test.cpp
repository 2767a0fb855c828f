// MirrorCache::checkout: a commit's tree written into a fresh workspace, with no .git, the
// executable bit kept, and nothing written (or reachable through a symlink) outside it.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>

#include "tests/support/git_fixture.h"
#include "tests/support/temp_dir.h"
#include "vcs/mirror.h"

namespace {

namespace fs = std::filesystem;
using mlgate::testing::GitRepoFixture;
using mlgate::testing::read_file;
using mlgate::testing::TempDir;
using mlgate::testing::write_file;
using mlgate::vcs::GitError;
using mlgate::vcs::MirrorCache;
using mlgate::vcs::RepoRemote;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

template <typename F>
std::string git_error_of(F&& f) {
  try {
    f();
  } catch (const GitError& e) {
    return e.what();
  }
  return "<no GitError thrown>";
}

bool is_executable(const fs::path& p) {
  struct stat st;
  return ::lstat(p.c_str(), &st) == 0 && (st.st_mode & S_IXUSR) != 0;
}

std::vector<std::string> listing(const fs::path& dir) {
  std::vector<std::string> out;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    out.push_back(e.path().lexically_relative(dir).string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

class MirrorCheckout : public ::testing::Test {
 protected:
  MirrorCheckout() : cache(cache_dir.path()) {
    r.key = "local/owner/model";
    r.clone_url = repo.file_url();
  }

  GitRepoFixture repo;
  TempDir cache_dir;
  TempDir work;
  MirrorCache cache;
  RepoRemote r;
};

TEST_F(MirrorCheckout, WritesFilesAndExecBitsWithoutGit) {
  std::string old_sha = repo.commit({{"train.py", "old\n"}});
  write_file(repo.path() / "scripts/run.sh", "#!/bin/sh\necho hi\n");
  repo.set_executable("scripts/run.sh");
  std::string sha = repo.commit({{"train.py", "new\n"}, {"data/schema/columns.txt", "a,b\n"}});

  fs::path dest = work.path() / "jobs" / "42";  // missing, parents too
  auto result = cache.checkout(r, sha, dest);
  EXPECT_EQ(result.files, 3u);
  EXPECT_THAT(result.neutralised_symlinks, IsEmpty());
  EXPECT_EQ(read_file(dest / "train.py"), "new\n");
  EXPECT_EQ(read_file(dest / "data/schema/columns.txt"), "a,b\n");
  EXPECT_TRUE(is_executable(dest / "scripts/run.sh"));
  EXPECT_FALSE(is_executable(dest / "train.py"));
  EXPECT_FALSE(fs::exists(dest / ".git"));
  EXPECT_THAT(listing(dest), ElementsAre("data", "data/schema", "data/schema/columns.txt",
                                         "scripts", "scripts/run.sh", "train.py"));

  // An existing empty directory is fine; the old commit's content is what lands.
  fs::create_directories(work.path() / "old");
  cache.checkout(r, old_sha, work.path() / "old");
  EXPECT_EQ(read_file(work.path() / "old/train.py"), "old\n");
  EXPECT_FALSE(fs::exists(work.path() / "old/scripts"));

  // The mirror's own index and HEAD are untouched by checkouts.
  EXPECT_FALSE(fs::exists(cache.mirror_path(r) / "index"));
}

TEST_F(MirrorCheckout, RefusesNonEmptyOrSymlinkDestination) {
  std::string sha = repo.commit({{"a", "1"}});
  fs::path dest = work.path() / "busy";
  write_file(dest / "keep.txt", "mine");
  EXPECT_THAT(git_error_of([&] { cache.checkout(r, sha, dest); }),
              HasSubstr("destination exists and is not empty"));
  EXPECT_THAT(listing(dest), ElementsAre("keep.txt"));
  EXPECT_EQ(read_file(dest / "keep.txt"), "mine");

  fs::create_directories(work.path() / "real");
  fs::create_symlink(work.path() / "real", work.path() / "link");
  EXPECT_THAT(git_error_of([&] { cache.checkout(r, sha, work.path() / "link"); }),
              HasSubstr("destination is a symlink"));
  EXPECT_THAT(listing(work.path() / "real"), IsEmpty());

  write_file(work.path() / "file", "x");
  EXPECT_THAT(git_error_of([&] { cache.checkout(r, sha, work.path() / "file"); }),
              HasSubstr("not a directory"));
}

TEST_F(MirrorCheckout, SymlinksLeadingOutsideAreNeutralised) {
  TempDir outside;
  write_file(outside.path() / "secret", "outside\n");
  std::string passwd_before = read_file("/etc/passwd");

  repo.symlink("passwd", "/etc/passwd");
  repo.symlink("escape", "../../../../../../../../" + outside.path().string().substr(1));
  repo.symlink("a/b/up", "..");                 // a/b/up -> a: inside
  repo.symlink("trick", "a/b/up/../..");        // a -> dest -> dest's parent: outside
  repo.symlink("docs/current", "v2");           // inside
  repo.symlink("dangling", "nowhere/../../x");  // lexically outside
  std::string sha = repo.commit({{"docs/v2/index.md", "v2\n"}, {"a/b/file", "f\n"}});

  fs::path dest = work.path() / "ws";
  auto result = cache.checkout(r, sha, dest);
  EXPECT_THAT(result.neutralised_symlinks, ElementsAre("dangling", "escape", "passwd", "trick"));

  EXPECT_EQ(read_file("/etc/passwd"), passwd_before);
  EXPECT_FALSE(fs::is_symlink(dest / "passwd"));
  EXPECT_EQ(read_file(dest / "passwd"), "/etc/passwd");  // the link text, as a plain file
  EXPECT_FALSE(fs::is_symlink(dest / "trick"));
  EXPECT_FALSE(fs::is_symlink(dest / "escape"));
  EXPECT_TRUE(fs::is_symlink(dest / "docs/current"));
  EXPECT_EQ(read_file(dest / "docs/current/index.md"), "v2\n");
  EXPECT_TRUE(fs::is_symlink(dest / "a/b/up"));
  EXPECT_THAT(listing(outside.path()), ElementsAre("secret"));
}

TEST_F(MirrorCheckout, HostileTreesAreRefusedAndNothingIsWritten) {
  repo.commit({{"README.md", "hi\n"}});
  TempDir outside;
  std::string link_blob = repo.write_blob(outside.path().string());
  std::string file_blob = repo.write_blob("pwned\n");
  std::string inner = repo.write_tree({{"100644", "pwned", file_blob}});

  // A symlink and a directory with the same name: writing "evil/pwned" through the link would
  // land in `outside`.
  std::string dup =
      repo.commit_tree(repo.write_tree({{"120000", "evil", link_blob}, {"40000", "evil", inner}}),
                       "duplicate names");
  fs::path dest = work.path() / "ws";
  EXPECT_THAT(git_error_of([&] { cache.checkout(r, dup, dest); }),
              HasSubstr("two entries named \"evil\""));
  EXPECT_THAT(listing(outside.path()), IsEmpty());
  EXPECT_THAT(listing(dest), IsEmpty());

  for (const char* name : {"..", ".git", ".GIT", "."}) {
    std::string bad = repo.commit_tree(repo.write_tree({{"40000", name, inner}}), "bad name");
    fs::path d = work.path() / (std::string("ws-") + (name[1] ? name + 1 : "dot"));
    EXPECT_THAT(git_error_of([&] { cache.checkout(r, bad, d); }), HasSubstr("unsafe path")) << name;
    EXPECT_THAT(listing(d), IsEmpty()) << name;
    EXPECT_THAT(git_error_of([&] { cache.list_paths(r, bad); }), HasSubstr("unsafe path"));
  }
  EXPECT_FALSE(fs::exists(work.path() / "pwned"));
  EXPECT_THAT(listing(outside.path()), IsEmpty());
}

}  // namespace
