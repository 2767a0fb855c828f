// Small string helpers (ASCII only; no locale).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace mlgate::util {

// ASCII lower case; other bytes are left as they are.
std::string lower(std::string_view s);

// `s` without the leading and trailing characters found in `chars`.
std::string_view trim(std::string_view s, std::string_view chars = " \t\r\n");

// A whole number written in decimal digits with an optional '-', nothing else: nullopt for "",
// "1e3", "12abc", " 7", "+1" and numbers past int64.
std::optional<std::int64_t> parse_int64(std::string_view s);

// The first 12 characters of a commit id, as shown to people.
std::string short_sha(std::string_view sha);

}  // namespace mlgate::util
