#include "webhooks/normalise.h"

#include <algorithm>
#include <array>
#include <nlohmann/json.hpp>

#include "core/json_bounded.h"
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

std::string peek_repo_name(Forge forge, std::string_view body) {
  using Json = nlohmann::json;
  const std::string_view member = forge == Forge::github ? "repository" : "project";
  const std::string_view field = forge == Forge::github ? "full_name" : "path_with_namespace";
  // Keep only the top-level member we need; everything else is parsed and dropped at once.
  const Json::parser_callback_t keep = [member](int depth, Json::parse_event_t event,
                                                Json& parsed) {
    if (event == Json::parse_event_t::key && depth == 1) {
      return parsed.is_string() && parsed.get_ref<const std::string&>() == member;
    }
    return true;
  };
  Json root;
  try {
    root = core::parse_json_bounded(body, core::kMaxJsonDepth, keep);
  } catch (const core::JsonInputError&) {
    return {};
  }
  if (root.is_discarded() || !root.is_object()) return {};
  const auto it = root.find(member);
  if (it == root.end() || !it->is_object()) return {};
  const auto name = it->find(field);
  if (name == it->end() || !name->is_string()) return {};
  return name->get<std::string>();
}

NormaliseResult normalise(Forge forge, const Headers& headers, std::string_view body) {
  return forge == Forge::github ? normalise_github(headers, body) : normalise_gitlab(headers, body);
}

}  // namespace mlgate::webhooks
