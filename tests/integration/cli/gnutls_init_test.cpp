// GnuTLS's implicit initialisation is skipped in the real binary (cli/gnutls_implicit_init.cpp):
// GnuTLS's library constructor asks _gnutls_global_init_skip, and the dynamic linker binds that
// question to mlgate's definition (which answers 1), not to GnuTLS's own (which answers 0). Read
// from the dynamic linker's own account of its bindings (LD_DEBUG=bindings, ld.so(8)).
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <sstream>
#include <string>
#include <vector>

#include "util/child_process.h"

namespace mlgate {
namespace {

TEST(GnutlsInit, GnutlsAsksMlgateWhetherToSkipItsInitialisation) {
  util::ChildOptions options;
  options.env = {{"LD_DEBUG", "bindings"}};
  std::string output;
  const int status = util::run_capture({MLGATE_BINARY, "--version"}, output, options);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << output;
  std::vector<std::string> bindings;
  std::istringstream lines(output);
  for (std::string line; std::getline(lines, line);) {
    if (line.find("`_gnutls_global_init_skip'") != std::string::npos) bindings.push_back(line);
  }
  ASSERT_FALSE(bindings.empty()) << "GnuTLS is not loaded, or never asked:\n" << output;
  for (const auto& line : bindings) {
    EXPECT_NE(line.find("libgnutls"), std::string::npos) << line;
    EXPECT_NE(line.find(std::string(" to ") + MLGATE_BINARY + " "), std::string::npos) << line;
  }
}

}  // namespace
}  // namespace mlgate
