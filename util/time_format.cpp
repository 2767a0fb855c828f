#include "util/time_format.h"

#include <cstdio>
#include <ctime>

namespace mlgate::util {

std::string iso8601(std::chrono::sys_seconds t) {
  const std::time_t tt = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string iso8601_millis(std::chrono::system_clock::time_point t) {
  using namespace std::chrono;
  const std::time_t tt = system_clock::to_time_t(t);
  const auto ms = duration_cast<milliseconds>(t.time_since_epoch()).count() % 1000;
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[96];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms));
  return buf;
}

std::string now_iso8601() {
  return iso8601(std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now()));
}

}  // namespace mlgate::util
