// Reading from the mirror at a sha (files, paths, listings, commit info), resolving refs, and
// refusing hostile shas, keys and paths before anything touches the disk or the network.
#include <git2.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>

#include "tests/support/git_fixture.h"
#include "tests/support/temp_dir.h"
#include "vcs/mirror.h"
#include "vcs/validate.h"

namespace {

namespace fs = std::filesystem;
using mlgate::testing::GitRepoFixture;
using mlgate::testing::TempDir;
using mlgate::vcs::GitError;
using mlgate::vcs::MirrorCache;
using mlgate::vcs::RepoRemote;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

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

class MirrorRead : public ::testing::Test {
 protected:
  MirrorRead() : cache(cache_dir.path()), r(remote_for("local/owner/model", repo.file_url())) {}

  GitRepoFixture repo;
  TempDir cache_dir;
  MirrorCache cache;
  RepoRemote r;
};

TEST_F(MirrorRead, ReadFileAtOldAndNewSha) {
  std::string old_sha = repo.commit({{".mlgate.yml", "version: 1\n"}, {"src/a.py", "a = 1\n"}});
  std::string new_sha = repo.commit({{".mlgate.yml", "version: 1\ntiers: {}\n"}});
  EXPECT_EQ(cache.read_file(r, old_sha, ".mlgate.yml"), std::optional<std::string>("version: 1\n"));
  EXPECT_EQ(cache.read_file(r, new_sha, ".mlgate.yml"),
            std::optional<std::string>("version: 1\ntiers: {}\n"));
  EXPECT_EQ(cache.read_file(r, new_sha, "src/a.py"), std::optional<std::string>("a = 1\n"));
  EXPECT_EQ(cache.read_file(r, new_sha, "missing.yml"), std::nullopt);
  EXPECT_EQ(cache.read_file(r, new_sha, "src/missing/deeper.py"), std::nullopt);
  EXPECT_EQ(cache.read_file(r, new_sha, "src/a.py/not-a-dir"), std::nullopt);
  EXPECT_EQ(cache.fetch_count(), 1u);  // the first read fetched everything
}

// git_libgit2_init() answers how many initialisations are active, its own included.
int active_libgit2_inits() {
  const int n = git_libgit2_init();
  git_libgit2_shutdown();
  return n - 1;
}

// A cache that has read nothing has not initialised libgit2 (its initialisation loads the CA
// bundle: memory a server that fetches nothing yet would carry); the first read does, and works.
TEST_F(MirrorRead, Libgit2IsInitialisedOnFirstUse) {
  std::string sha = repo.commit({{".mlgate.yml", "version: 1\n"}});
  EXPECT_EQ(active_libgit2_inits(), 0);
  EXPECT_EQ(cache.read_file(r, sha, ".mlgate.yml"), std::optional<std::string>("version: 1\n"));
  EXPECT_EQ(active_libgit2_inits(), 1);
  EXPECT_EQ(cache.read_file(r, sha, ".mlgate.yml"), std::optional<std::string>("version: 1\n"));
  EXPECT_EQ(active_libgit2_inits(), 1);  // once per cache
}

TEST_F(MirrorRead, ReadFileRefusesDirectoriesSymlinksAndBigBlobs) {
  repo.symlink("link.yml", ".mlgate.yml");
  std::string sha = repo.commit({{".mlgate.yml", std::string(2000, 'x')}, {"dir/f", "f"}});
  EXPECT_THAT(git_error_of([&] { cache.read_file(r, sha, "dir"); }), HasSubstr("is a directory"));
  EXPECT_THAT(git_error_of([&] { cache.read_file(r, sha, "link.yml"); }),
              HasSubstr("is a symlink"));
  EXPECT_THAT(git_error_of([&] { cache.read_file(r, sha, ".mlgate.yml", 1000); }),
              HasSubstr("2000 bytes, over the limit of 1000"));
  EXPECT_EQ(cache.read_file(r, sha, ".mlgate.yml", 2000)->size(), 2000u);
  for (const char* bad : {"../etc/passwd", "/etc/passwd", "a/../b", "a//b", "", "./x"}) {
    EXPECT_THAT(git_error_of([&] { cache.read_file(r, sha, bad); }),
                HasSubstr("invalid path in tree"))
        << bad;
  }
}

TEST_F(MirrorRead, OpenCommitReadsManyPathsWithOneOpening) {
  repo.symlink("link.yml", ".mlgate.yml");
  std::string old_sha = repo.commit({{".mlgate.yml", "version: 1\n"}, {"docs/card.md", "c"}});
  std::string sha = repo.commit({{".mlgate.yml", "version: 1\ntiers: {}\n"}, {"dir/f", "f"}});
  const mlgate::vcs::CommitTree tree = cache.open_commit(r, sha);
  EXPECT_EQ(tree.sha(), sha);
  EXPECT_EQ(tree.read_file(".mlgate.yml"), std::optional<std::string>("version: 1\ntiers: {}\n"));
  // The blob's id is git's, and it names the content: the same text has the same id at any commit.
  EXPECT_EQ(tree.file_id(".mlgate.yml"), repo.write_blob("version: 1\ntiers: {}\n"));
  EXPECT_EQ(tree.file_id("docs/card.md"), cache.open_commit(r, old_sha).file_id("docs/card.md"));
  EXPECT_NE(tree.file_id(".mlgate.yml"), cache.open_commit(r, old_sha).file_id(".mlgate.yml"));
  EXPECT_EQ(tree.file_id("missing.yml"), std::nullopt);
  EXPECT_TRUE(tree.path_exists("dir"));
  EXPECT_TRUE(tree.path_exists("docs/card.md"));
  EXPECT_FALSE(tree.path_exists("docs/missing.md"));
  // file_id refuses what read_file refuses, without reading the blob.
  EXPECT_THAT(git_error_of([&] { tree.file_id("dir"); }), HasSubstr("is a directory"));
  EXPECT_THAT(git_error_of([&] { tree.file_id("link.yml"); }), HasSubstr("is a symlink"));
  EXPECT_THAT(git_error_of([&] { tree.file_id(".mlgate.yml", 5); }),
              HasSubstr("over the limit of 5"));
  EXPECT_THAT(git_error_of([&] { tree.file_id("../x"); }), HasSubstr("invalid path in tree"));
  EXPECT_EQ(cache.fetch_count(), 1u);
}

// A reader's mirror handle is kept for the next reader, one reader at a time: two trees open at
// once hold two handles, and both come back.
TEST_F(MirrorRead, AMirrorHandleIsKeptForTheNextReader) {
  std::string sha = repo.commit({{".mlgate.yml", "version: 1\n"}});
  EXPECT_EQ(cache.idle_handles(), 0u);
  { EXPECT_TRUE(cache.open_commit(r, sha).path_exists(".mlgate.yml")); }
  EXPECT_EQ(cache.idle_handles(), 1u);
  {
    const auto first = cache.open_commit(r, sha);  // takes the kept handle
    EXPECT_EQ(cache.idle_handles(), 0u);
    const auto second = cache.open_commit(r, sha);  // opens another
    EXPECT_EQ(first.read_file(".mlgate.yml"), second.read_file(".mlgate.yml"));
  }
  EXPECT_EQ(cache.idle_handles(), 2u);
  // A checkout writes through its handle: it neither takes nor keeps one.
  TempDir ws;
  cache.checkout(r, sha, ws.path() / "w");
  EXPECT_EQ(cache.idle_handles(), 2u);
  EXPECT_EQ(cache.fetch_count(), 1u);
}

// A kept handle is not stale: a commit that another process (here another cache on the same root)
// fetched after the handle was opened is read through it, without a fetch of its own.
TEST_F(MirrorRead, AKeptHandleSeesCommitsFetchedAfterItWasOpened) {
  std::string first = repo.commit({{".mlgate.yml", "version: 1\n"}});
  EXPECT_TRUE(cache.open_commit(r, first).path_exists(".mlgate.yml"));
  ASSERT_EQ(cache.idle_handles(), 1u);
  std::string later = repo.commit({{".mlgate.yml", "version: 1\ntiers: {}\n"}});
  MirrorCache other(cache_dir.path());
  other.ensure_commit(r, later);
  ASSERT_EQ(other.fetch_count(), 1u);
  EXPECT_EQ(cache.open_commit(r, later).read_file(".mlgate.yml"),
            std::optional<std::string>("version: 1\ntiers: {}\n"));
  EXPECT_EQ(cache.fetch_count(), 1u);  // the first fetch only: the kept handle found the new pack
  EXPECT_EQ(cache.idle_handles(), 1u);
}

// At most 16 handles wait, over all mirrors, however many readers there were at once.
TEST_F(MirrorRead, KeptHandlesAreBounded) {
  std::string sha = repo.commit({{".mlgate.yml", "version: 1\n"}});
  {
    std::vector<mlgate::vcs::CommitTree> open;
    for (int i = 0; i < 20; ++i) open.push_back(cache.open_commit(r, sha));
  }
  EXPECT_EQ(cache.idle_handles(), 16u);
}

TEST_F(MirrorRead, PathExistsAndListPaths) {
  repo.symlink("docs/current", "v2");
  std::string sha = repo.commit({{"docs/model_card.md", "card"},
                                 {"docs/v2/index.md", "v2"},
                                 {"tests/test_a.py", "a"},
                                 {"README.md", "readme"}});
  EXPECT_TRUE(cache.path_exists(r, sha, "docs/model_card.md"));
  EXPECT_TRUE(cache.path_exists(r, sha, "docs"));
  EXPECT_TRUE(cache.path_exists(r, sha, "docs/"));
  EXPECT_TRUE(cache.path_exists(r, sha, "docs/current"));
  EXPECT_FALSE(cache.path_exists(r, sha, "docs/missing.md"));

  EXPECT_THAT(cache.list_paths(r, sha),
              ElementsAre("README.md", "docs/current", "docs/model_card.md", "docs/v2/index.md",
                          "tests/test_a.py"));
  EXPECT_THAT(cache.list_paths(r, sha, "docs"),
              ElementsAre("docs/current", "docs/model_card.md", "docs/v2/index.md"));
  EXPECT_THAT(cache.list_paths(r, sha, "docs/"),
              ElementsAre("docs/current", "docs/model_card.md", "docs/v2/index.md"));
  EXPECT_THAT(cache.list_paths(r, sha, "README.md"), ElementsAre("README.md"));
  EXPECT_THAT(cache.list_paths(r, sha, "nope"), IsEmpty());
  EXPECT_THAT(git_error_of([&] { cache.list_paths(r, sha, "", 3); }), HasSubstr("more than 3"));
}

TEST_F(MirrorRead, ListPathsIsBoundedByTheTreeLimits) {
  std::map<std::string, std::string> files;
  for (int i = 0; i < 50; ++i) files["f" + std::to_string(i)] = "x";
  std::string sha = repo.commit(files);
  mlgate::vcs::MirrorOptions options;
  options.max_tree_entries = 20;
  MirrorCache small(cache_dir.path(), options);
  EXPECT_THAT(git_error_of([&] { small.list_paths(r, sha); }), HasSubstr("more than 20 entries"));
}

TEST_F(MirrorRead, ResolveBranchesTagsAndShas) {
  repo.set_date("2024-03-04T05:06:07Z");
  std::string c1 = repo.commit({{"a", "1"}}, "first");
  repo.tag("v1", /*annotated=*/true);
  repo.tag("light", /*annotated=*/false);
  std::string annotated_tag_object = repo.git({"rev-parse", "v1"});
  ASSERT_NE(annotated_tag_object, c1);

  EXPECT_EQ(cache.resolve(r, "main"), c1);
  EXPECT_EQ(cache.resolve(r, "refs/heads/main"), c1);
  EXPECT_EQ(cache.resolve(r, "v1"), c1);  // peeled: the commit, not the tag object
  EXPECT_EQ(cache.resolve(r, "refs/tags/v1"), c1);
  EXPECT_EQ(cache.resolve(r, "light"), c1);
  EXPECT_EQ(cache.resolve(r, c1), c1);

  std::string c2 = repo.commit({{"a", "2"}}, "second");
  EXPECT_EQ(cache.resolve(r, "main", /*refresh=*/false), c1);  // the mirror's value
  EXPECT_EQ(cache.resolve(r, "main"), c2);                     // fetched: the remote's value

  // A branch deleted upstream is pruned from the mirror (its commits stay readable).
  repo.branch("gone");
  EXPECT_EQ(cache.resolve(r, "gone"), c2);
  repo.git({"branch", "-D", "gone"});
  EXPECT_THAT(git_error_of([&] { cache.resolve(r, "gone"); }), HasSubstr("no such branch"));
  EXPECT_EQ(cache.read_file(r, c2, "a"), std::optional<std::string>("2"));

  EXPECT_THAT(
      git_error_of([&] { cache.resolve(r, "no-such-branch"); }),
      HasSubstr("resolve \"no-such-branch\": no such branch, tag or ref in " + repo.file_url()));
  for (const char* bad : {"main..other", "HEAD@{1}", "bad name", "-x/..", "", "a\\b"}) {
    EXPECT_THAT(git_error_of([&] { cache.resolve(r, bad); }), HasSubstr("resolve \"")) << bad;
  }
}

TEST_F(MirrorRead, CommitInfo) {
  repo.set_date("2024-03-04T05:06:07+0200");
  std::string c1 = repo.commit({{"a", "1"}}, "first");
  std::string c2 = repo.commit({{"a", "2"}}, "Retrain on new data\n\nBody line.");
  auto info = cache.commit_info(r, c2);
  EXPECT_EQ(info.sha, c2);
  EXPECT_EQ(info.summary, "Retrain on new data");
  EXPECT_THAT(info.message, HasSubstr("Body line."));
  EXPECT_EQ(info.author_name, "Test Author");
  EXPECT_EQ(info.author_email, "author@example.com");
  // 2024-03-04T03:06:07Z
  EXPECT_EQ(info.time.time_since_epoch().count(), 1709521567);
  EXPECT_EQ(info.time_offset_minutes, 120);
  EXPECT_THAT(info.parents, ElementsAre(c1));
}

TEST_F(MirrorRead, HostileShasAreRejectedBeforeAnyWork) {
  std::string sha = repo.commit({{"a", "1"}});
  std::string upper = sha;
  for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  std::vector<std::string> hostile{"../../etc",
                                   "HEAD; rm -rf /",
                                   upper,
                                   sha.substr(0, 7),
                                   sha + "0",
                                   "",
                                   "HEAD",
                                   std::string(39, 'a') + "g",
                                   std::string(40, 'a').replace(20, 1, std::string(1, '\0')),
                                   "--upload-pack=touch /tmp/pwned"};
  for (const auto& bad : hostile) {
    EXPECT_THAT(git_error_of([&] { cache.ensure_commit(r, bad); }), HasSubstr("invalid commit sha"))
        << bad;
    EXPECT_THAT(git_error_of([&] { cache.read_file(r, bad, "a"); }), HasSubstr("invalid"));
    EXPECT_THAT(git_error_of([&] { cache.commit_info(r, bad); }), HasSubstr("invalid"));
    TempDir ws;
    EXPECT_THAT(git_error_of([&] { cache.checkout(r, bad, ws.path() / "w"); }),
                HasSubstr("invalid"));
    EXPECT_FALSE(fs::exists(ws.path() / "w"));
  }
  EXPECT_EQ(cache.fetch_count(), 0u);
  EXPECT_FALSE(fs::exists(cache.mirror_path(r)));
  // A well-formed sha of an object that is not a commit.
  std::string blob = repo.git({"rev-parse", sha + ":a"});
  cache.ensure_commit(r, sha);
  EXPECT_THAT(git_error_of([&] { cache.ensure_commit(r, blob); }), HasSubstr("not a commit"));
  EXPECT_THAT(git_error_of([&] { cache.ensure_commit(r, std::string(64, 'a')); }),
              HasSubstr("SHA-256"));
}

TEST(MirrorKeys, SanitisedIntoPathsUnderTheRoot) {
  TempDir root;
  MirrorCache cache(root.path());
  auto path_of = [&](const std::string& key) {
    return cache.mirror_path(remote_for(key, "file:///nowhere"));
  };
  EXPECT_EQ(path_of("github/owner/name"), root.path() / "github/owner/name.git");
  EXPECT_EQ(cache.lock_path(remote_for("github/owner/name", "")),
            root.path() / "github/owner/name.lock");
  EXPECT_EQ(path_of("gitlab/group/sub group/p"), root.path() / "gitlab/group/sub%20group/p.git");
  EXPECT_EQ(path_of("github/owner/.hidden"), root.path() / "github/owner/%2Ehidden.git");
  // No key names another key's mirror directory or lock file.
  EXPECT_EQ(path_of("github/owner/name.git/x"), root.path() / "github/owner/name%2Egit/x.git");
  EXPECT_EQ(path_of("github/owner/name.lock"), root.path() / "github/owner/name%2Elock.git");
  EXPECT_EQ(path_of("a%2Eb"), root.path() / "a%252Eb.git");
  for (const char* bad :
       {"", "../evil", "a/../../evil", "/etc/passwd", "a//b", "a/./b", "a/", "..", "."}) {
    EXPECT_THAT(git_error_of([&] { path_of(bad); }), HasSubstr("invalid mirror key")) << bad;
  }
  EXPECT_THAT(git_error_of([&] { path_of(std::string(600, 'k')); }), HasSubstr("longer than"));
}

TEST(MirrorValidate, ShaAndUrlHelpers) {
  using mlgate::vcs::is_valid_sha;
  using mlgate::vcs::redact_url;
  using mlgate::vcs::url_host;
  EXPECT_TRUE(is_valid_sha(std::string(40, 'a')));
  EXPECT_TRUE(is_valid_sha(std::string(64, '0')));
  EXPECT_FALSE(is_valid_sha(std::string(41, 'a')));
  EXPECT_FALSE(is_valid_sha(std::string(40, 'A')));
  EXPECT_EQ(redact_url("https://user:tok@github.com/o/r.git"), "https://github.com/o/r.git");
  EXPECT_EQ(redact_url("https://github.com/o/r.git"), "https://github.com/o/r.git");
  EXPECT_EQ(url_host("https://user:tok@GitHub.com:443/o/r.git"), "github.com:443");
  EXPECT_EQ(url_host("file:///tmp/x"), "");
}

}  // namespace
