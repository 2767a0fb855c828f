// A temporary directory removed (recursively) when the object goes away.
#pragma once

#include <filesystem>
#include <string>

namespace mlgate::testing {

class TempDir {
 public:
  explicit TempDir(const std::string& prefix = "mlgate-test");
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::string str() const { return path_.string(); }

 private:
  std::filesystem::path path_;
};

// Reads a whole file; throws when it cannot.
std::string read_file(const std::filesystem::path& p);
void write_file(const std::filesystem::path& p, const std::string& content);
// `s` without its trailing newlines (a token file's content).
std::string strip_newlines(std::string s);

}  // namespace mlgate::testing
