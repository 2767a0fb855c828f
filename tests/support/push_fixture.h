// The real GitHub push payload (tests/fixtures/webhooks/github/push.json) made to name a commit of
// acme/model on main: what the tests that send many signed pushes post.
#pragma once

#include <string>

namespace mlgate::testing {

std::string github_push_body(const std::string& sha);

}  // namespace mlgate::testing
