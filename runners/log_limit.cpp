#include "runners/log_limit.h"

#include <cstdio>

namespace mlgate::runners {

LogLimit::LogLimit(std::size_t max_bytes) : max_(max_bytes) {}

std::string LogLimit::take(std::string_view chunk) {
  seen_ += chunk.size();
  if (truncated_) return {};
  const std::size_t room = max_ - kept_;
  if (chunk.size() <= room) {
    kept_ += chunk.size();
    return std::string(chunk);
  }
  // The cut falls inside this chunk. Cutting between the bytes of one UTF-8 character would leave
  // a broken character in a log that is otherwise text: step back over continuation bytes
  // (10xxxxxx) to where the character starts, at most 3 of them.
  std::size_t cut = room;
  for (int i = 0; i < 3 && cut > 0 && (static_cast<unsigned char>(chunk[cut]) & 0xC0) == 0x80;
       ++i) {
    --cut;
  }
  if ((static_cast<unsigned char>(chunk[cut]) & 0xC0) == 0x80) cut = room;  // not UTF-8 anyway
  kept_ += cut;
  truncated_ = true;
  std::string out(chunk.substr(0, cut));
  out += truncation_marker();
  return out;
}

std::string LogLimit::truncation_marker() const {
  return "\n[mlgate: log truncated at " + human_bytes(max_) +
         "; the job keeps running, its remaining output is not kept]\n";
}

std::string human_bytes(std::size_t bytes) {
  if (bytes < 1024) return std::to_string(bytes) + (bytes == 1 ? " byte" : " bytes");
  static const char* const units[] = {"KiB", "MiB", "GiB", "TiB"};
  double value = static_cast<double>(bytes) / 1024.0;
  int unit = 0;
  while (value >= 1024.0 && unit < 3) {
    value /= 1024.0;
    ++unit;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f %s", value, units[unit]);
  return buf;
}

}  // namespace mlgate::runners
