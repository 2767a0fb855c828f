#include "core/results.h"

namespace mlgate::core {

std::string to_string(TestStatus s) {
  switch (s) {
    case TestStatus::passed:
      return "passed";
    case TestStatus::failed:
      return "failed";
    case TestStatus::error:
      return "error";
    case TestStatus::skipped:
      return "skipped";
  }
  return "unknown";
}

std::optional<TestStatus> test_status_from_string(const std::string& s) {
  if (s == "passed") return TestStatus::passed;
  if (s == "failed") return TestStatus::failed;
  if (s == "error") return TestStatus::error;
  if (s == "skipped") return TestStatus::skipped;
  return std::nullopt;
}

}  // namespace mlgate::core
