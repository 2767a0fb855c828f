// Reading a token or secret from a file. This is I/O: core must never include it.
#pragma once

#include <optional>
#include <string>

namespace mlgate::util {

// The file's first line without its trailing '\r', '\n' and spaces (a token written by `echo` or
// an editor ends in one); nullopt when the file cannot be opened. The caller decides what an
// unreadable or short secret means.
std::optional<std::string> read_secret_line(const std::string& path);

}  // namespace mlgate::util
