#include "webhooks/normalise.h"

#include <algorithm>
#include <array>

#include "util/hash.h"

namespace mlgate::webhooks {

bool is_valid_delivery_id(std::string_view id) {
  if (id.empty() || id.size() > kMaxDeliveryIdLength) return false;
  return std::all_of(id.begin(), id.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u >= 0x21 && u <= 0x7e;
  });
}

std::string delivery_id(Forge forge, const Headers& headers, std::string_view body) {
  static constexpr std::array<std::string_view, 1> kGithub{kGithubDeliveryHeader};
  static constexpr std::array<std::string_view, 2> kGitlab{kGitlabEventUuidHeader,
                                                           kIdempotencyKeyHeader};
  const auto try_headers = [&](const auto& names) -> std::string {
    for (const std::string_view name : names) {
      const auto v = find_header(headers, name);
      if (v && is_valid_delivery_id(*v)) return std::string(*v);
    }
    return {};
  };
  std::string id = forge == Forge::github ? try_headers(kGithub) : try_headers(kGitlab);
  if (id.empty()) id = "sha256:" + util::sha256_hex(body);
  return id;
}

NormaliseResult normalise(Forge forge, const Headers& headers, std::string_view body) {
  return forge == Forge::github ? normalise_github(headers, body) : normalise_gitlab(headers, body);
}

}  // namespace mlgate::webhooks
