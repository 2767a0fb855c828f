// RAII for libgit2: the process-wide init guard, one unique_ptr alias per libgit2 type that vcs/
// uses, and GitError, the one exception type the vcs library throws.
#pragma once

#include <git2.h>

#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>

namespace mlgate::vcs {

// Everything vcs/ throws. what() names what was being done and, when libgit2 failed, libgit2's own
// message: "fetch https://host/o/r.git: authentication required ...". Never contains a token.
class GitError : public std::runtime_error {
 public:
  explicit GitError(const std::string& what, int code = 0)
      : std::runtime_error(what), code_(code) {}
  // The libgit2 error code (GIT_ENOTFOUND, GIT_EAUTH, ...) when libgit2 reported one, else 0.
  int code() const { return code_; }

 private:
  int code_;
};

// libgit2's last error message on this thread ("unknown error" when there is none).
std::string last_git_error_message();

// Throws GitError("<what>: <libgit2 message>", rc).
[[noreturn]] void throw_git_error(int rc, std::string_view what);

inline void check(int rc, std::string_view what) {
  if (rc < 0) throw_git_error(rc, what);
}

// Keeps libgit2 initialised while at least one guard lives (git_libgit2_init/shutdown are
// reference-counted and thread-safe). Every object that calls libgit2 holds one, declared first
// so that it is destroyed last.
class Libgit2 {
 public:
  Libgit2();
  ~Libgit2();
  Libgit2(const Libgit2&);
  Libgit2& operator=(const Libgit2&) { return *this; }
};

template <typename T, void (*Free)(T*)>
struct GitFree {
  void operator()(T* p) const noexcept {
    if (p) Free(p);
  }
};

template <typename T, void (*Free)(T*)>
using GitPtr = std::unique_ptr<T, GitFree<T, Free>>;

using RepositoryPtr = GitPtr<git_repository, git_repository_free>;
using RemotePtr = GitPtr<git_remote, git_remote_free>;
using ObjectPtr = GitPtr<git_object, git_object_free>;
using CommitPtr = GitPtr<git_commit, git_commit_free>;
using TreePtr = GitPtr<git_tree, git_tree_free>;
using TreeEntryPtr = GitPtr<git_tree_entry, git_tree_entry_free>;
using BlobPtr = GitPtr<git_blob, git_blob_free>;
using ReferencePtr = GitPtr<git_reference, git_reference_free>;
using OdbPtr = GitPtr<git_odb, git_odb_free>;
using IndexPtr = GitPtr<git_index, git_index_free>;
using ConfigPtr = GitPtr<git_config, git_config_free>;

// A git_buf owned by the scope.
class GitBuf {
 public:
  GitBuf() = default;
  ~GitBuf() { git_buf_dispose(&buf_); }
  GitBuf(const GitBuf&) = delete;
  GitBuf& operator=(const GitBuf&) = delete;
  git_buf* get() { return &buf_; }
  std::string str() const { return buf_.ptr ? std::string(buf_.ptr, buf_.size) : std::string(); }

 private:
  git_buf buf_ = GIT_BUF_INIT;
};

}  // namespace mlgate::vcs
