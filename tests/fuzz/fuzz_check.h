// Shared by the fuzz targets (tests/fuzz/*_fuzz.cpp): an invariant check that stops the process on
// violation, so that libFuzzer records the input as a crash and the replay tests fail.
#pragma once

#include <cstdio>
#include <cstdlib>

// Prints the failed condition and aborts (libFuzzer reports SIGABRT as a crash and saves the
// input).
#define FUZZ_CHECK(cond)                                                                       \
  do {                                                                                         \
    if (!(cond)) {                                                                             \
      std::fprintf(stderr, "%s:%d: fuzz invariant violated: %s\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                                            \
    }                                                                                          \
  } while (0)
