#include "vcs/validate.h"

#include <algorithm>
#include <cctype>
#include <cstdio>

#include "util/strings.h"
#include "vcs/git_handle.h"

namespace mlgate::vcs {
namespace {

constexpr std::size_t kMaxKeyBytes = 512;

bool is_lower_hex(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

bool is_plain(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == '-';
}

std::string percent(unsigned char c) {
  char buf[4];
  std::snprintf(buf, sizeof buf, "%%%02X", c);
  return buf;
}

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

std::string encode_component(std::string_view comp) {
  std::string out;
  for (std::size_t i = 0; i < comp.size(); ++i) {
    char c = comp[i];
    if (c == '.' && i == 0) {
      out += "%2E";  // no hidden names: ".tmp-*" belongs to the cache itself
    } else if (is_plain(c)) {
      out += c;
    } else {
      out += percent(static_cast<unsigned char>(c));
    }
  }
  // "b.git" as a directory would be the mirror of key ".../b"; "b.lock" its lock file.
  for (std::string_view suffix : {std::string_view(".git"), std::string_view(".lock")}) {
    if (ends_with(out, suffix)) {
      out.replace(out.size() - suffix.size(), 1, "%2E");
    }
  }
  return out;
}

}  // namespace

bool is_valid_sha(std::string_view s) {
  return (s.size() == 40 || s.size() == 64) && std::all_of(s.begin(), s.end(), is_lower_hex);
}

void require_valid_sha(std::string_view s) {
  if (!is_valid_sha(s)) {
    throw GitError("invalid commit sha " + quote_for_message(s) +
                   ": expected 40 (or 64) lowercase hexadecimal digits");
  }
}

std::filesystem::path key_to_relative_path(std::string_view key) {
  if (key.empty()) throw GitError("invalid mirror key: empty");
  if (key.size() > kMaxKeyBytes) {
    throw GitError("invalid mirror key " + quote_for_message(key) + ": longer than " +
                   std::to_string(kMaxKeyBytes) + " bytes");
  }
  if (key.find('\0') != std::string_view::npos) {
    throw GitError("invalid mirror key " + quote_for_message(key) + ": contains a NUL byte");
  }
  std::filesystem::path out;
  std::size_t start = 0;
  while (true) {
    std::size_t slash = key.find('/', start);
    std::string_view comp =
        key.substr(start, slash == std::string_view::npos ? std::string_view::npos : slash - start);
    if (comp.empty()) {
      throw GitError("invalid mirror key " + quote_for_message(key) +
                     ": empty path component (absolute key, \"//\" or trailing '/')");
    }
    if (comp == "." || comp == "..") {
      throw GitError("invalid mirror key " + quote_for_message(key) + ": \"" + std::string(comp) +
                     "\" component");
    }
    out /= encode_component(comp);
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  return out;
}

std::string normalise_tree_path(std::string_view path) {
  std::string p(path);
  if (p.size() > 1 && p.back() == '/') p.pop_back();
  if (p.empty()) throw GitError("invalid path in tree: empty");
  if (p.find('\0') != std::string::npos) {
    throw GitError("invalid path in tree " + quote_for_message(path) + ": contains a NUL byte");
  }
  if (p.front() == '/') {
    throw GitError("invalid path in tree " + quote_for_message(path) + ": absolute");
  }
  std::size_t start = 0;
  while (true) {
    std::size_t slash = p.find('/', start);
    std::string_view comp = std::string_view(p).substr(
        start, slash == std::string::npos ? std::string::npos : slash - start);
    if (comp.empty() || comp == "." || comp == "..") {
      throw GitError("invalid path in tree " + quote_for_message(path) +
                     ": empty, \".\" or \"..\" component");
    }
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  return p;
}

std::string redact_url(std::string_view url) {
  std::size_t scheme = url.find("://");
  if (scheme == std::string_view::npos) return std::string(url);
  std::size_t auth_start = scheme + 3;
  std::size_t auth_end = url.find_first_of("/?#", auth_start);
  std::string_view authority =
      url.substr(auth_start, auth_end == std::string_view::npos ? std::string_view::npos
                                                                : auth_end - auth_start);
  std::size_t at = authority.rfind('@');
  if (at == std::string_view::npos) return std::string(url);
  std::string out(url.substr(0, auth_start));
  out += authority.substr(at + 1);
  if (auth_end != std::string_view::npos) out += url.substr(auth_end);
  return out;
}

std::string url_host(std::string_view url) {
  std::size_t scheme = url.find("://");
  if (scheme == std::string_view::npos) return "";
  std::string_view s = url.substr(0, scheme);
  if (s == "file") return "";
  std::size_t auth_start = scheme + 3;
  std::size_t auth_end = url.find_first_of("/?#", auth_start);
  std::string_view authority =
      url.substr(auth_start, auth_end == std::string_view::npos ? std::string_view::npos
                                                                : auth_end - auth_start);
  std::size_t at = authority.rfind('@');
  if (at != std::string_view::npos) authority = authority.substr(at + 1);
  return util::lower(authority);
}

std::string quote_for_message(std::string_view s) {
  constexpr std::size_t kMax = 80;
  std::string out = "\"";
  for (std::size_t i = 0; i < s.size() && i < kMax; ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c < 0x20 || c >= 0x7f || c == '"' || c == '\\') {
      char buf[5];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  out += s.size() > kMax ? "\"..." : "\"";
  return out;
}

}  // namespace mlgate::vcs
