// The mirror cache: one bare git mirror per repository under a root directory, shared by threads
// and processes (server replicas, runners). Fetches a commit when it is missing, reads blobs at a
// commit, and checks a commit's tree out into a job workspace. See docs/vcs.md.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "vcs/git_handle.h"
#include "vcs/repository_pool.h"

namespace mlgate::vcs {

struct RepoRemote {
  // Names the mirror: "github/owner/name" -> <root>/github/owner/name.git (see
  // key_to_relative_path). Lowercase it first where the forge is case-insensitive.
  std::string key;
  // Where the repository is fetched from: https://, http:// or file://. Never stored on disk.
  std::string clone_url;
  // Optional HTTP(S) token, sent as basic-auth password to clone_url's host only.
  std::string token;
  // The basic-auth user that goes with the token: "x-access-token" (GitHub), "oauth2" (GitLab).
  std::string token_user = "x-access-token";
  // Optional second URL fetched into the same mirror when the commit is not in clone_url, e.g. the
  // head repository of a pull request from a fork. Its branches land under
  // refs/mlgate/forks/<hash of the URL>/heads/*, never over the mirror's own refs/heads/*.
  std::string fetch_url_override;
  // Optional extra ref fetched from clone_url, e.g. "refs/pull/12/head" (GitHub) or
  // "refs/merge-requests/3/head" (GitLab). Must be a valid full ref name under refs/.
  std::string fetch_ref;
};

struct CommitInfo {
  std::string sha;
  std::string message;  // the full message, as stored
  std::string summary;  // its first line
  std::string author_name;
  std::string author_email;
  std::chrono::sys_seconds time;  // author time
  int time_offset_minutes = 0;    // author's UTC offset
  std::vector<std::string> parents;
};

struct CheckoutResult {
  std::size_t files = 0;  // regular files and symlinks written
  // Symlinks whose target is absolute or resolves outside the workspace. They are written as
  // regular files holding the link text (what git does with core.symlinks=false), so that nothing
  // in the workspace leads outside it.
  std::vector<std::string> neutralised_symlinks;
};

struct MirrorOptions {
  // Longest wait for another thread or process working on the same mirror.
  std::chrono::milliseconds lock_timeout{std::chrono::minutes(15)};
  // Longest fetch, checked whenever libgit2 reports progress (see docs/vcs.md for the limits).
  std::chrono::milliseconds fetch_timeout{std::chrono::minutes(30)};
  // Largest pack one fetch may receive; 0 = no limit.
  std::uint64_t max_fetch_bytes = 0;
  // Bounds on tree walks (list_paths, checkout's pre-scan).
  std::size_t max_tree_entries = 1'000'000;
  std::size_t max_tree_depth = 256;
};

inline constexpr std::size_t kDefaultMaxFileBytes = 1024 * 1024;
inline constexpr std::size_t kDefaultMaxListedPaths = 100'000;

// One commit's tree in a mirror, opened once (MirrorCache::open_commit): several reads at the same
// commit without opening the mirror for each (the gate reads a config and evidence paths). Objects
// are only ever added to a mirror, so an open tree never goes stale. Not for several threads at
// once: libgit2's objects are not.
class CommitTree {
 public:
  CommitTree(CommitTree&&) noexcept = default;
  CommitTree& operator=(CommitTree&&) noexcept = default;
  ~CommitTree() = default;

  const std::string& sha() const { return sha_; }
  // As MirrorCache::read_file, at this commit.
  std::optional<std::string> read_file(std::string_view path,
                                       std::size_t max_bytes = kDefaultMaxFileBytes) const;
  // The blob id (40 hex digits) of the file read_file would read, with its checks (no directory,
  // symlink or submodule; at most max_bytes), without reading the blob; nullopt when nothing is at
  // `path`. The same id is always the same content.
  std::optional<std::string> file_id(std::string_view path,
                                     std::size_t max_bytes = kDefaultMaxFileBytes) const;
  // As MirrorCache::path_exists, at this commit.
  bool path_exists(std::string_view path) const;

 private:
  friend class MirrorCache;
  CommitTree() = default;
  // Opens the blob entry at `path` after read_file's checks; null when nothing is there.
  TreeEntryPtr file_entry(std::string_view path, std::size_t max_bytes) const;

  PooledRepository repo;  // declared first: destroyed (given back) last
  CommitPtr commit;
  TreePtr tree;
  std::string sha_;
};

// Every method is safe to call from many threads at once, and from several processes sharing
// `root`. Every `sha` parameter must be a full lowercase hex commit id (is_valid_sha), else
// GitError; methods that take one fetch the commit first when the mirror lacks it.
class MirrorCache {
 public:
  explicit MirrorCache(std::filesystem::path root, MirrorOptions options = {});
  ~MirrorCache();
  MirrorCache(const MirrorCache&) = delete;
  MirrorCache& operator=(const MirrorCache&) = delete;

  const std::filesystem::path& root() const { return root_; }
  // <root>/<sanitised key>.git and its lock file <root>/<sanitised key>.lock.
  std::filesystem::path mirror_path(const RepoRemote& remote) const;
  std::filesystem::path lock_path(const RepoRemote& remote) const;

  // Makes sure the mirror holds commit `sha`: no network when it does; else fetches heads, tags
  // and remote.fetch_ref from clone_url, then fetch_url_override, then the sha itself; throws
  // "commit <sha> not found in <url> after fetch" when it is still missing.
  void ensure_commit(const RepoRemote& remote, std::string_view sha);

  // A full commit sha for a sha, a full ref ("refs/heads/main", "refs/pull/12/head") or a short
  // name, looked up like git: refs/<name>, refs/tags/<name>, refs/heads/<name>. Annotated tags are
  // peeled to their commit. A name is fetched first when `refresh` (what does "main" point to
  // now?); without it, the mirror's value is used and the network only when the name is unknown.
  std::string resolve(const RepoRemote& remote, std::string_view ref_or_sha, bool refresh = true);

  // The content of the file at `path` in commit `sha`; nullopt when nothing is at that path.
  // Throws when the path is a directory, a symlink or a submodule, or the blob is over max_bytes.
  std::optional<std::string> read_file(const RepoRemote& remote, std::string_view sha,
                                       std::string_view path,
                                       std::size_t max_bytes = kDefaultMaxFileBytes);
  // True when anything (file, directory, symlink, submodule) is at `path` in commit `sha`.
  bool path_exists(const RepoRemote& remote, std::string_view sha, std::string_view path);
  // Every file and symlink path (not directories or submodules) under the directory `prefix` ("" =
  // the whole tree), in git's tree order. Throws when there are more than max_entries.
  std::vector<std::string> list_paths(const RepoRemote& remote, std::string_view sha,
                                      std::string_view prefix = "",
                                      std::size_t max_entries = kDefaultMaxListedPaths);

  // Writes the tree of commit `sha` into `dest` (missing or an empty directory; a symlink or a
  // non-empty directory is refused), with no .git, keeping the executable bit. Nothing is written
  // outside dest: a tree whose names collide or are unsafe is refused, files are created with
  // O_EXCL|O_NOFOLLOW, and symlinks leading outside are neutralised (see CheckoutResult). On error,
  // what was written into dest is removed again.
  CheckoutResult checkout(const RepoRemote& remote, std::string_view sha,
                          const std::filesystem::path& dest);

  CommitInfo commit_info(const RepoRemote& remote, std::string_view sha);

  // The tree of commit `sha` (fetched first when missing), for several reads at that commit with
  // one opening of the mirror. The mirror's handle is kept for the next reader (RepositoryPool).
  CommitTree open_commit(const RepoRemote& remote, std::string_view sha) {
    return open_at(remote, sha);
  }

  // Mirror handles kept idle for reuse (for tests).
  std::size_t idle_handles() const { return pool_->idle_count(); }

  // Fetches this object has started (for metrics and tests).
  std::uint64_t fetch_count() const { return fetches_.load(); }

 private:
  struct FetchSpec;
  RepositoryPtr open_or_create(const RepoRemote& remote);
  RepositoryPtr open_existing(const RepoRemote& remote) const;
  CommitPtr lookup_commit(git_repository* repo, std::string_view sha) const;
  void fetch(git_repository* repo, const RepoRemote& remote, const FetchSpec& spec);
  // The mirror opened at that commit and its tree; ensure_commit first when it lacks the commit.
  // With `reuse`, the mirror's handle comes from and goes back to pool_ (read-only uses only).
  CommitTree open_at(const RepoRemote& remote, std::string_view sha, bool reuse = true);

  // libgit2 is initialised on first use, not when the cache is made: its initialisation loads the
  // system's CA bundle into its TLS backend, memory that a server fetching nothing yet would carry
  // from the start. Every public entry point calls use_libgit2() first.
  void use_libgit2() const;
  mutable std::once_flag libgit2_once_;
  mutable std::optional<Libgit2> libgit2_;  // first: outlives every libgit2 object below
  std::filesystem::path root_;
  MirrorOptions options_;
  std::atomic<std::uint64_t> fetches_{0};
  // After libgit2_: closed (its idle handles freed) before libgit2 is shut down.
  std::shared_ptr<RepositoryPool> pool_ = std::make_shared<RepositoryPool>();
};

}  // namespace mlgate::vcs
