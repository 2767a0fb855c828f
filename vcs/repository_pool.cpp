#include "vcs/repository_pool.h"

#include <utility>

namespace mlgate::vcs {

PooledRepository::PooledRepository(RepositoryPtr repo, std::shared_ptr<RepositoryPool> pool,
                                   std::string path,
                                   std::chrono::steady_clock::time_point opened_at)
    : repo_(std::move(repo)),
      pool_(std::move(pool)),
      path_(std::move(path)),
      opened_at_(opened_at) {}

PooledRepository& PooledRepository::operator=(PooledRepository&& other) noexcept {
  if (this != &other) {
    give_back();
    repo_ = std::move(other.repo_);
    pool_ = std::move(other.pool_);
    path_ = std::move(other.path_);
    opened_at_ = other.opened_at_;
  }
  return *this;
}

PooledRepository::~PooledRepository() {
  give_back();
}

void PooledRepository::give_back() noexcept {
  if (repo_ && pool_) pool_->keep(std::move(path_), std::move(repo_), opened_at_);
  repo_.reset();
  pool_.reset();
}

PooledRepository RepositoryPool::take(const std::string& path) {
  const auto now = std::chrono::steady_clock::now();
  std::vector<RepositoryPtr> expired;  // freed after the lock is released
  PooledRepository out;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = by_path_.find(path);
    if (it == by_path_.end()) return out;
    auto& idle = it->second;
    while (!idle.empty()) {
      Idle entry = std::move(idle.back());
      idle.pop_back();
      --idle_;
      if (now - entry.opened_at >= options_.max_age) {
        expired.push_back(std::move(entry.repo));
        continue;
      }
      out = PooledRepository(std::move(entry.repo), shared_from_this(), path, entry.opened_at);
      break;
    }
    if (idle.empty()) by_path_.erase(it);
  }
  return out;
}

PooledRepository RepositoryPool::adopt(RepositoryPtr repo, const std::string& path) {
  return PooledRepository(std::move(repo), shared_from_this(), path,
                          std::chrono::steady_clock::now());
}

void RepositoryPool::keep(std::string path, RepositoryPtr repo,
                          std::chrono::steady_clock::time_point opened_at) {
  if (std::chrono::steady_clock::now() - opened_at >= options_.max_age) return;  // freed here
  std::lock_guard<std::mutex> lock(mu_);
  if (closed_ || idle_ >= options_.max_idle) return;  // `repo` is freed on return, after unlock
  by_path_[std::move(path)].push_back({std::move(repo), opened_at});
  ++idle_;
}

void RepositoryPool::close() {
  std::map<std::string, std::vector<Idle>> freed;
  {
    std::lock_guard<std::mutex> lock(mu_);
    closed_ = true;
    freed.swap(by_path_);
    idle_ = 0;
  }
}

std::size_t RepositoryPool::idle_count() const {
  std::lock_guard<std::mutex> lock(mu_);
  return idle_;
}

}  // namespace mlgate::vcs
