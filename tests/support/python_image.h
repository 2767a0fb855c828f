// The scikit-learn/SciPy image (`scripts/images python`) as the reference the parity tests compare
// mlgate's statistics with: whether Docker answers, and one run of a Python check script on a
// request written by the test.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "tests/support/temp_dir.h"

namespace mlgate::testing {

inline constexpr const char* kPythonImage = "mlgate/python-ml:bookworm";

// What is wrong with Docker, or "" when it answers. An absent Docker skips a test; a missing image
// fails it.
std::string docker_missing();

// Copies tests/integration/core/<script> into `dir` (which holds the test's request.json) and runs
// it with python3 in the image, `dir` mounted read-only at /data, without a network. Returns the
// JSON the script printed after "RESULT "; adds a test failure (with the output) and returns null
// when it failed.
nlohmann::json run_python_reference(const TempDir& dir, const std::string& script);

}  // namespace mlgate::testing
