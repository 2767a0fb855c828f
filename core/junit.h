// junit.xml -> TestCase rows (the contract is docs/results.md).
//
// Reads JUnit XML as pytest --junitxml writes it (a <testsuites> root since pytest 5.1, a
// <testsuite> root before) and as JUnit/Surefire and Go's junit reporters write it: every
// <testcase> under <testsuite>/<testsuites> elements nested at any depth, in document order.
// Pure: takes the text, no I/O. pugixml neither loads external entities nor expands the entities
// a DOCTYPE declares, so entity bombs stay as literal text.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "core/parse_error.h"
#include "core/results.h"

namespace mlgate::core {

struct JunitOptions {
  std::string file_name = "junit.xml";  // used in ParseError::file
  std::size_t max_bytes = std::size_t{16} << 20;
  std::size_t max_message_bytes = 2000;  // TestCase::message is cut to at most this many bytes
};

// Status: a <failure> child -> failed, else an <error> child -> error, else a <skipped> child ->
// skipped (pytest writes xfail as skipped), else passed. message: that child's "message"
// attribute, else its text, trimmed, invalid UTF-8 replaced by U+FFFD, cut at a character
// boundary and ended with "..." when longer than max_message_bytes. A "time" that is not a
// finite number >= 0 reads as 0. mltest: the values of <properties><property name="mltest">
// children of the test case, split at commas, trimmed, empty and repeated ids dropped, not
// validated.
Parsed<std::vector<TestCase>> parse_junit(std::string_view xml, const JunitOptions& options = {});

}  // namespace mlgate::core
