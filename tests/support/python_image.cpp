#include "tests/support/python_image.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "util/child_process.h"

namespace mlgate::testing {

std::string docker_missing() {
  if (util::find_program("docker").empty()) return "the docker CLI is not installed";
  std::string out;
  const int status = util::run_capture({"docker", "info", "--format", "{{.ServerVersion}}"}, out);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) return "Docker does not answer: " + out;
  return "";
}

nlohmann::json run_python_reference(const TempDir& dir, const std::string& script) {
  chmod(dir.str().c_str(), 0755);
  write_file(dir.path() / "check.py",
             read_file(std::string(MLGATE_SOURCE_DIR "/tests/integration/core/") + script));
  std::string out;
  const int status =
      util::run_capture({"docker", "run", "--rm", "--network", "none", "-v",
                         dir.str() + ":/data:ro", kPythonImage, "python3", "/data/check.py"},
                        out);
  const auto at = out.find("RESULT ");
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || at == std::string::npos) {
    ADD_FAILURE() << "the reference failed (" << util::describe_wait_status(status)
                  << "; is the image " << kPythonImage << " built? scripts/images python):\n"
                  << out;
    return nullptr;
  }
  return nlohmann::json::parse(out.substr(at + 7, out.find('\n', at) - at - 7));
}

}  // namespace mlgate::testing
