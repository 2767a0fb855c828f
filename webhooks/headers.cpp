#include "webhooks/headers.h"

#include <algorithm>
#include <cstddef>

namespace mlgate::webhooks {

namespace {

unsigned char ascii_lower(unsigned char c) noexcept {
  return (c >= 'A' && c <= 'Z') ? static_cast<unsigned char>(c - 'A' + 'a') : c;
}

}  // namespace

bool CaseInsensitiveLess::operator()(std::string_view a, std::string_view b) const noexcept {
  const std::size_t n = std::min(a.size(), b.size());
  for (std::size_t i = 0; i < n; ++i) {
    const unsigned char ca = ascii_lower(static_cast<unsigned char>(a[i]));
    const unsigned char cb = ascii_lower(static_cast<unsigned char>(b[i]));
    if (ca != cb) return ca < cb;
  }
  return a.size() < b.size();
}

std::optional<std::string_view> find_header(const Headers& headers, std::string_view name) {
  const auto it = headers.find(name);
  if (it == headers.end()) return std::nullopt;
  return std::string_view(it->second);
}

std::string header_value(const Headers& headers, std::string_view name) {
  const auto it = headers.find(name);
  return it == headers.end() ? std::string() : it->second;
}

}  // namespace mlgate::webhooks
