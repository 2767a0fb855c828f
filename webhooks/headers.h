// HTTP request headers as the webhook functions take them: a map whose keys compare
// case-insensitively (ASCII), so "X-GitHub-Event", "x-github-event" and "X-GITHUB-EVENT" are the
// same key. The server copies the request's headers into this map; when a header is repeated it
// must decide which value to keep (cpp-httplib's get_header_value gives the first) before calling
// us.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace mlgate::webhooks {

// ASCII case-insensitive ordering; transparent, so lookups take std::string_view without a copy.
struct CaseInsensitiveLess {
  using is_transparent = void;
  bool operator()(std::string_view a, std::string_view b) const noexcept;
};

using Headers = std::map<std::string, std::string, CaseInsensitiveLess>;

// The value of header `name`, or std::nullopt when absent. The view points into `headers`.
std::optional<std::string_view> find_header(const Headers& headers, std::string_view name);

// The value of header `name`, or "" when absent (an empty header and a missing one look the same).
std::string header_value(const Headers& headers, std::string_view name);

// Header names used by the forges (exact spelling as sent; lookups ignore case anyway).
inline constexpr std::string_view kGithubEventHeader = "X-GitHub-Event";
inline constexpr std::string_view kGithubDeliveryHeader = "X-GitHub-Delivery";
inline constexpr std::string_view kGithubSignatureHeader = "X-Hub-Signature-256";
inline constexpr std::string_view kGitlabEventHeader = "X-Gitlab-Event";
inline constexpr std::string_view kGitlabTokenHeader = "X-Gitlab-Token";
inline constexpr std::string_view kGitlabEventUuidHeader = "X-Gitlab-Event-UUID";
inline constexpr std::string_view kIdempotencyKeyHeader = "Idempotency-Key";

}  // namespace mlgate::webhooks
