// ISO 8601 UTC timestamps as the API, the logs and the pages write them.
#pragma once

#include <chrono>
#include <string>

namespace mlgate::util {

// "2026-03-01T12:34:56Z".
std::string iso8601(std::chrono::sys_seconds t);
// "2026-03-01T12:34:56.789Z" (milliseconds, truncated).
std::string iso8601_millis(std::chrono::system_clock::time_point t);
// iso8601 of the current time.
std::string now_iso8601();

}  // namespace mlgate::util
