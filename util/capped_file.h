// Reading a file that someone else wrote (a job's results, a config to check) without trusting it:
// never more than a cap, never blocking on a FIFO or a device, optionally never through a symbolic
// link. This is I/O: core must never include it.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

namespace mlgate::util {

struct CappedFile {
  // The file's first cap + 1 bytes at most (more than `cap` means it is over); nullopt when it was
  // not read.
  std::optional<std::string> bytes;
  std::uint64_t size = 0;  // its size on disk
  // Why it was not read: "" when it does not exist, else e.g. "is not a regular file".
  std::string problem;
};

// Opens `path` without blocking and reads it only when it is a regular file (after following a
// symbolic link only when `follow_symlinks`): at most cap + 1 bytes, whatever its size says.
CappedFile read_capped_file(const std::filesystem::path& path, std::uint64_t cap,
                            bool follow_symlinks);

}  // namespace mlgate::util
