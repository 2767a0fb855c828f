// libFuzzer target: core/junit.h parse_junit on arbitrary bytes. Checks the promises of
// docs/results.md "junit.xml": a time is finite and >= 0, a passed test has no message, every
// text is valid UTF-8 (invalid bytes become U+FFFD), a message is trimmed and at most
// max_message_bytes long, mltest ids are trimmed, non-empty, comma-free and distinct; an error has
// a message and either no position or a 1-based line and column. A second parse with a tiny
// message cap must give the same tests apart from the (shorter) messages.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/junit.h"
#include "tests/fuzz/fuzz_check.h"

namespace {

using mlgate::core::TestCase;
using mlgate::core::TestStatus;

// Strict UTF-8: no overlong forms, no surrogates, nothing above U+10FFFF.
bool valid_utf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    std::size_t len = 0;
    unsigned char lo = 0x80;
    unsigned char hi = 0xBF;
    if (c < 0x80) {
      ++i;
      continue;
    } else if (c >= 0xC2 && c <= 0xDF) {
      len = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
      len = 3;
      if (c == 0xE0) lo = 0xA0;
      if (c == 0xED) hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      len = 4;
      if (c == 0xF0) lo = 0x90;
      if (c == 0xF4) hi = 0x8F;
    } else {
      return false;
    }
    if (i + len > s.size()) return false;
    const auto b1 = static_cast<unsigned char>(s[i + 1]);
    if (b1 < lo || b1 > hi) return false;
    for (std::size_t k = 2; k < len; ++k) {
      const auto b = static_cast<unsigned char>(s[i + k]);
      if (b < 0x80 || b > 0xBF) return false;
    }
    i += len;
  }
  return true;
}

bool space(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

void check_case(const TestCase& tc, std::size_t max_message_bytes) {
  FUZZ_CHECK(tc.status == TestStatus::passed || tc.status == TestStatus::failed ||
             tc.status == TestStatus::error || tc.status == TestStatus::skipped);
  FUZZ_CHECK(std::isfinite(tc.time_seconds) && tc.time_seconds >= 0);
  FUZZ_CHECK(valid_utf8(tc.name));
  FUZZ_CHECK(valid_utf8(tc.classname));
  FUZZ_CHECK(valid_utf8(tc.message));
  if (tc.status == TestStatus::passed) FUZZ_CHECK(tc.message.empty());
  FUZZ_CHECK(tc.message.size() <= max_message_bytes);
  if (!tc.message.empty()) FUZZ_CHECK(!space(tc.message.front()));
  for (std::size_t i = 0; i < tc.mltest.size(); ++i) {
    const std::string& id = tc.mltest[i];
    FUZZ_CHECK(!id.empty());
    FUZZ_CHECK(!space(id.front()) && !space(id.back()));
    FUZZ_CHECK(id.find(',') == std::string::npos);
    FUZZ_CHECK(valid_utf8(id));
    for (std::size_t k = 0; k < i; ++k) FUZZ_CHECK(tc.mltest[k] != id);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view xml(reinterpret_cast<const char*>(data), size);
  const mlgate::core::JunitOptions options;
  const auto result = mlgate::core::parse_junit(xml, options);
  if (result.ok()) {
    for (const TestCase& tc : result.value()) check_case(tc, options.max_message_bytes);
  } else {
    check_parse_error(result.error(), xml, options.file_name);
  }

  // A tiny cap (0 to 15 bytes) changes the messages only.
  mlgate::core::JunitOptions capped = options;
  capped.max_message_bytes = size % 16;
  const auto small = mlgate::core::parse_junit(xml, capped);
  FUZZ_CHECK(small.ok() == result.ok());
  if (small.ok()) {
    const std::vector<TestCase>& a = result.value();
    const std::vector<TestCase>& b = small.value();
    FUZZ_CHECK(a.size() == b.size());
    for (std::size_t i = 0; i < b.size(); ++i) {
      check_case(b[i], capped.max_message_bytes);
      FUZZ_CHECK(a[i].name == b[i].name && a[i].classname == b[i].classname);
      FUZZ_CHECK(a[i].status == b[i].status && a[i].mltest == b[i].mltest);
      if (a[i].message.size() <= capped.max_message_bytes) {
        FUZZ_CHECK(a[i].message == b[i].message);
      }
    }
  } else {
    FUZZ_CHECK(small.error() == result.error());
  }
  return 0;
}
