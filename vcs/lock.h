// Mutual exclusion for one mirror: a process-wide mutex per lock path (threads) and an flock() on
// the lock file (processes: server replicas and runners sharing a cache directory).
#pragma once

#include <chrono>
#include <filesystem>
#include <memory>
#include <mutex>

namespace mlgate::vcs {

// An exclusive flock() on `path` (created 0644 with its directory if missing, never removed), held
// for the object's lifetime. Waits up to `timeout`, then throws GitError naming the path. flock()
// locks belong to the open file description, so two FileLocks on one path exclude each other even
// inside one process. The descriptor is close-on-exec.
class FileLock {
 public:
  FileLock(const std::filesystem::path& path, std::chrono::milliseconds timeout);
  ~FileLock();
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;

 private:
  int fd_ = -1;
};

// Both locks for one mirror, taken in order (in-process mutex, then the file lock) and released in
// reverse. Throws GitError when either cannot be had within `timeout` in total.
class MirrorLock {
 public:
  MirrorLock(const std::filesystem::path& lock_path, std::chrono::milliseconds timeout);
  ~MirrorLock();
  MirrorLock(const MirrorLock&) = delete;
  MirrorLock& operator=(const MirrorLock&) = delete;

 private:
  std::shared_ptr<std::timed_mutex> mutex_;
  std::unique_ptr<FileLock> file_;
};

}  // namespace mlgate::vcs
