#include "vcs/lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>
#include <string>
#include <thread>

#include "vcs/git_handle.h"

namespace mlgate::vcs {
namespace {

// One mutex per lock path for the whole process (all MirrorCache instances). Entries are never
// removed: one small object per repository ever touched.
std::shared_ptr<std::timed_mutex> mutex_for(const std::string& key) {
  static std::mutex registry_mutex;
  static std::map<std::string, std::shared_ptr<std::timed_mutex>> registry;
  std::lock_guard<std::mutex> guard(registry_mutex);
  auto& slot = registry[key];
  if (!slot) slot = std::make_shared<std::timed_mutex>();
  return slot;
}

std::string format_ms(std::chrono::milliseconds ms) {
  return std::to_string(ms.count() / 1000) + "." + std::to_string((ms.count() % 1000) / 100) + " s";
}

}  // namespace

FileLock::FileLock(const std::filesystem::path& path, std::chrono::milliseconds timeout) {
  std::error_code ec;
  std::filesystem::create_directories(path.parent_path(), ec);
  if (ec) throw GitError("lock " + path.string() + ": create directory: " + ec.message());
  fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
  if (fd_ < 0) {
    throw GitError("lock " + path.string() + ": cannot open: " + std::strerror(errno));
  }
  auto deadline = std::chrono::steady_clock::now() + timeout;
  auto pause = std::chrono::milliseconds(5);
  while (true) {
    if (::flock(fd_, LOCK_EX | LOCK_NB) == 0) return;
    int err = errno;
    if (err == EINTR) continue;
    if (err != EWOULDBLOCK) {
      ::close(fd_);
      fd_ = -1;
      throw GitError("lock " + path.string() + ": flock: " + std::strerror(err));
    }
    auto now = std::chrono::steady_clock::now();
    if (now >= deadline) {
      ::close(fd_);
      fd_ = -1;
      throw GitError("lock " + path.string() + ": still held by another process after " +
                     format_ms(timeout));
    }
    std::this_thread::sleep_for(
        std::min<std::chrono::steady_clock::duration>(pause, deadline - now));
    pause = std::min(pause * 2, std::chrono::milliseconds(200));
  }
}

FileLock::~FileLock() {
  if (fd_ >= 0) ::close(fd_);  // closing the last descriptor releases the flock
}

MirrorLock::MirrorLock(const std::filesystem::path& lock_path, std::chrono::milliseconds timeout) {
  auto start = std::chrono::steady_clock::now();
  mutex_ = mutex_for(lock_path.lexically_normal().string());
  if (!mutex_->try_lock_for(timeout)) {
    throw GitError("lock " + lock_path.string() + ": still held by another thread after " +
                   format_ms(timeout));
  }
  try {
    auto spent = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - start);
    file_ = std::make_unique<FileLock>(lock_path,
                                       std::max(timeout - spent, std::chrono::milliseconds(0)));
  } catch (...) {
    mutex_->unlock();
    throw;
  }
}

MirrorLock::~MirrorLock() {
  file_.reset();
  mutex_->unlock();
}

}  // namespace mlgate::vcs
