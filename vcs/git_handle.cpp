#include "vcs/git_handle.h"

#include <string>

namespace mlgate::vcs {

std::string last_git_error_message() {
  const git_error* e = git_error_last();
  if (!e || !e->message || !*e->message) return "unknown error";
  std::string msg = e->message;
  while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
  return msg;
}

void throw_git_error(int rc, std::string_view what) {
  throw GitError(std::string(what) + ": " + last_git_error_message(), rc);
}

Libgit2::Libgit2() {
  int rc = git_libgit2_init();
  if (rc < 0) throw GitError("libgit2 initialisation failed: " + last_git_error_message(), rc);
}

Libgit2::Libgit2(const Libgit2&) : Libgit2() {}

Libgit2::~Libgit2() {
  git_libgit2_shutdown();
}

}  // namespace mlgate::vcs
