// Opened mirrors kept for the next reader (MirrorCache::open_at). Opening a repository is dozens of
// file system calls (its directory, config files, the pack directory): measured under
// `scripts/bench gate`, a tenth of serve's CPU per uncached gate decision. A kept handle is used by
// one reader at a time (libgit2's objects are not for several threads at once) and comes back when
// its reader is done. It never goes stale: objects are only ever added to a mirror, and libgit2
// reads the pack directory again when an object is not found (git_odb_read refreshes on a miss), so
// a kept handle sees what a later fetch added, from this process or another. See docs/vcs.md.
#pragma once

#include <chrono>
#include <cstddef>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "vcs/git_handle.h"

namespace mlgate::vcs {

struct RepositoryPoolOptions {
  // Most handles kept idle, over all mirrors: each holds its packs' file descriptors and maps.
  std::size_t max_idle = 16;
  // A handle is freed rather than reused once this old (a mirror replaced on disk by an operator
  // is then reopened within this time).
  std::chrono::seconds max_age{60};
};

class RepositoryPool;

// A handle taken from the pool (or opened for it): given back when destroyed, unless the pool is
// closed or full. Move-only.
class PooledRepository {
 public:
  PooledRepository() = default;
  // A handle no pool keeps: freed when destroyed (a checkout's).
  explicit PooledRepository(RepositoryPtr repo) : repo_(std::move(repo)) {}
  PooledRepository(RepositoryPtr repo, std::shared_ptr<RepositoryPool> pool, std::string path,
                   std::chrono::steady_clock::time_point opened_at);
  PooledRepository(PooledRepository&&) noexcept = default;
  PooledRepository& operator=(PooledRepository&& other) noexcept;
  PooledRepository(const PooledRepository&) = delete;
  PooledRepository& operator=(const PooledRepository&) = delete;
  ~PooledRepository();

  git_repository* get() const { return repo_.get(); }
  explicit operator bool() const { return static_cast<bool>(repo_); }

 private:
  void give_back() noexcept;

  RepositoryPtr repo_;
  std::shared_ptr<RepositoryPool> pool_;
  std::string path_;
  std::chrono::steady_clock::time_point opened_at_{};
};

class RepositoryPool : public std::enable_shared_from_this<RepositoryPool> {
 public:
  explicit RepositoryPool(RepositoryPoolOptions options = {}) : options_(options) {}

  // A kept handle of the repository at `path` younger than max_age, or an empty one.
  PooledRepository take(const std::string& path);
  // Wraps a handle just opened at `path` so that it is kept when its reader is done.
  PooledRepository adopt(RepositoryPtr repo, const std::string& path);
  // Frees every idle handle; handles given back later are freed instead of kept. Called before
  // libgit2 is shut down.
  void close();

  std::size_t idle_count() const;

 private:
  friend class PooledRepository;
  struct Idle {
    RepositoryPtr repo;
    std::chrono::steady_clock::time_point opened_at;
  };
  void keep(std::string path, RepositoryPtr repo, std::chrono::steady_clock::time_point opened_at);

  RepositoryPoolOptions options_;
  mutable std::mutex mu_;
  bool closed_ = false;
  std::size_t idle_ = 0;
  std::map<std::string, std::vector<Idle>> by_path_;
};

}  // namespace mlgate::vcs
