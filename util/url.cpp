#include "util/url.h"

#include <cctype>

#include "util/strings.h"

namespace mlgate::util {
namespace {

bool is_scheme_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '.' || c == '-';
}

bool all_digits(std::string_view s) {
  for (char c : s)
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
  return true;
}

// The scheme (before "://") and where the authority starts; nullopt when there is no valid scheme.
std::optional<std::size_t> authority_start(std::string_view url) {
  const auto sep = url.find("://");
  if (sep == std::string_view::npos || sep == 0 ||
      !std::isalpha(static_cast<unsigned char>(url[0])))
    return std::nullopt;
  for (std::size_t i = 1; i < sep; ++i)
    if (!is_scheme_char(url[i])) return std::nullopt;
  return sep + 3;
}

}  // namespace

std::optional<HttpUrl> split_http_url(std::string_view url) {
  const auto start = authority_start(url);
  if (!start) return std::nullopt;
  const std::string scheme = lower(std::string(url.substr(0, *start - 3)));
  if (scheme != "http" && scheme != "https") return std::nullopt;
  const auto end = std::min(url.find_first_of("/?#", *start), url.size());
  if (end == *start) return std::nullopt;
  return HttpUrl{scheme + "://" + std::string(url.substr(*start, end - *start)),
                 std::string(url.substr(end))};
}

std::optional<UrlOrigin> url_origin(std::string_view url) {
  const auto start = authority_start(url);
  if (!start) return std::nullopt;
  const auto end = std::min(url.find_first_of("/?#", *start), url.size());
  std::string_view authority = url.substr(*start, end - *start);
  if (authority.empty() || authority.find('@') != std::string_view::npos) return std::nullopt;
  UrlOrigin o;
  o.scheme = lower(std::string(url.substr(0, *start - 3)));
  std::string_view port;
  if (authority.front() == '[') {  // an IPv6 literal
    const auto close = authority.find(']');
    if (close == std::string_view::npos || close == 1) return std::nullopt;
    o.host = lower(std::string(authority.substr(0, close + 1)));
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return std::nullopt;
      port = after.substr(1);
      if (port.empty()) return std::nullopt;
    }
  } else {
    const auto colon = authority.find(':');
    o.host = lower(std::string(authority.substr(0, colon)));
    if (o.host.empty()) return std::nullopt;
    if (colon != std::string_view::npos) {
      port = authority.substr(colon + 1);
      if (port.empty()) return std::nullopt;
    }
  }
  if (!all_digits(port)) return std::nullopt;
  o.port = std::string(port);
  if (o.port.empty()) o.port = o.scheme == "https" ? "443" : o.scheme == "http" ? "80" : "";
  return o;
}

}  // namespace mlgate::util
