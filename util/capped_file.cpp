#include "util/capped_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace mlgate::util {

CappedFile read_capped_file(const std::filesystem::path& path, std::uint64_t cap,
                            bool follow_symlinks) {
  CappedFile out;
  const int flags = O_RDONLY | O_CLOEXEC | O_NONBLOCK | (follow_symlinks ? 0 : O_NOFOLLOW);
  const int fd = ::open(path.c_str(), flags);
  if (fd < 0) {
    if (errno == ELOOP && !follow_symlinks)
      out.problem = "is a symbolic link (not followed)";
    else if (errno != ENOENT)
      out.problem = std::string("cannot be opened: ") + std::strerror(errno);
    return out;
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    out.problem = "is not a regular file";
    return out;
  }
  out.size = static_cast<std::uint64_t>(st.st_size);
  std::string data(static_cast<std::size_t>(std::min(out.size, cap + 1)), '\0');
  std::size_t got = 0;
  while (got < data.size()) {
    const auto n = ::read(fd, data.data() + got, data.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    got += static_cast<std::size_t>(n);
  }
  ::close(fd);
  data.resize(got);
  out.bytes = std::move(data);
  return out;
}

}  // namespace mlgate::util
