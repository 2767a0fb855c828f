// One HTTP request to a forge's API or a notification target, as the forge sender makes it: the
// answer's status (0 when there was none), its body, and the headers the retry policy reads.
#pragma once

#include <optional>
#include <string>

#include "server/services/forge_requests.h"

namespace mlgate::server {

struct ForgeAnswer {
  int status = 0;
  std::string error;  // a failed answer's body (cut) or why there was none
  std::string body;   // a 2xx answer's body
  std::optional<std::string> retry_after;
  std::optional<std::string> ratelimit_remaining;
};

// `method` GET, POST, PATCH or PUT; `body` JSON (ignored for GET).
ForgeAnswer forge_http(const std::string& method, const std::string& url, const std::string& body,
                       const HeaderList& headers, int connect_timeout_seconds,
                       int read_timeout_seconds);

}  // namespace mlgate::server
