#include "util/secret_file.h"

#include <fstream>

namespace mlgate::util {

std::optional<std::string> read_secret_line(const std::string& path) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  std::string s;
  std::getline(in, s);
  while (!s.empty() && (s.back() == '\r' || s.back() == ' ' || s.back() == '\n')) s.pop_back();
  return s;
}

}  // namespace mlgate::util
