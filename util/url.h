// URLs taken apart by hand, in one pass and without recursion. std::regex (libstdc++) recurses once
// per character it matches, so a URL of some tens of thousands of characters from outside (a
// webhook's callback URL, a registered repository's API base) overflowed the stack of the thread
// that read it.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace mlgate::util {

// An http(s) URL as a client is given it: `origin` "scheme://authority" (the scheme lower-cased),
// `rest` what follows the authority ("" or starting with '/', '?' or '#').
struct HttpUrl {
  std::string origin;
  std::string rest;
};
// nullopt unless `url` starts with http:// or https:// (any case) and a non-empty authority.
std::optional<HttpUrl> split_http_url(std::string_view url);

// A URL's origin for comparing two URLs: the scheme and host lower-cased, the port ("" when the
// scheme has no default and none is written; 80 and 443 for http and https). nullopt for a URL
// that is not scheme://host[:digits][/?#...], and for one with credentials (user@host).
struct UrlOrigin {
  std::string scheme;
  std::string host;
  std::string port;
  bool operator==(const UrlOrigin&) const = default;
};
std::optional<UrlOrigin> url_origin(std::string_view url);

}  // namespace mlgate::util
