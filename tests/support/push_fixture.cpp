#include "tests/support/push_fixture.h"

#include <nlohmann/json.hpp>

#include "tests/support/temp_dir.h"

namespace mlgate::testing {

std::string github_push_body(const std::string& sha) {
  nlohmann::json p = nlohmann::json::parse(
      read_file(std::string(MLGATE_SHARED_FIXTURES) + "/webhooks/github/push.json"));
  p["ref"] = "refs/heads/main";
  p["after"] = sha;
  p["head_commit"]["id"] = sha;
  p["repository"]["full_name"] = "acme/model";
  p["repository"]["name"] = "model";
  p["repository"]["default_branch"] = "main";
  return p.dump();
}

}  // namespace mlgate::testing
