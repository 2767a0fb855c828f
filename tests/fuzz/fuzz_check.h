// Shared by the fuzz targets (tests/fuzz/*_fuzz.cpp): an invariant check that stops the process on
// violation, so that libFuzzer records the input as a crash and the replay tests fail.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "core/parse_error.h"

// Prints the failed condition and aborts (libFuzzer reports SIGABRT as a crash and saves the
// input).
#define FUZZ_CHECK(cond)                                                                       \
  do {                                                                                         \
    if (!(cond)) {                                                                             \
      std::fprintf(stderr, "%s:%d: fuzz invariant violated: %s\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                                            \
    }                                                                                          \
  } while (0)

// What docs/results.md promises of a results file's parse error: it names the file, says something,
// and its position is unknown (0:0) or 1-based and on a line the text has.
inline void check_parse_error(const mlgate::core::ParseError& e, std::string_view text,
                              const std::string& file) {
  FUZZ_CHECK(e.file == file);
  FUZZ_CHECK(!e.message.empty());
  FUZZ_CHECK((e.line == 0 && e.column == 0) || (e.line >= 1 && e.column >= 1));
  if (e.line >= 1) {
    const auto lines = static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n')) + 1;
    FUZZ_CHECK(static_cast<std::size_t>(e.line) <= lines);
  }
}
