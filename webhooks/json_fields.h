// Internal to webhooks/: typed, path-addressed reads from an untrusted JSON payload. Every reader
// checks the JSON type before touching the value, so a hostile payload (a number where a string is
// expected, null, an array) ends in a FieldError naming the field, never in a nlohmann exception or
// undefined behaviour. Paths are dotted object keys ("pull_request.head.repo.clone_url"); `prefix`
// is prepended in messages when reading inside an array element ("pull_requests[0]").
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "webhooks/event.h"

namespace mlgate::webhooks::detail {

using Json = nlohmann::json;

// A payload problem that the endpoint answers with 400; what() is the message.
class FieldError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Parses body into a JSON object. Throws FieldError for malformed JSON ("malformed JSON at byte N")
// or a top-level value that is not an object.
Json parse_object(std::string_view body);

// The value at path, or nullptr when it (or any object on the way) is absent or null. Throws when
// something on the way exists but is not an object.
const Json* find(const Json& root, std::string_view path, std::string_view prefix = "");

// Optional readers: absent or null gives the empty value; a present value of another type throws.
std::string opt_string(const Json& root, std::string_view path, std::string_view prefix = "");
std::optional<std::int64_t> opt_int(const Json& root, std::string_view path,
                                    std::string_view prefix = "");
bool opt_bool(const Json& root, std::string_view path, bool fallback, std::string_view prefix = "");
const Json* opt_object(const Json& root, std::string_view path, std::string_view prefix = "");
const Json* opt_array(const Json& root, std::string_view path, std::string_view prefix = "");

// Required readers: absent, null or another type throws.
std::string req_string(const Json& root, std::string_view path, std::string_view prefix = "");
std::int64_t req_int(const Json& root, std::string_view path, std::string_view prefix = "");
// An integer id rendered in decimal (repository.id, project.id).
std::string req_id(const Json& root, std::string_view path, std::string_view prefix = "");
std::string opt_id(const Json& root, std::string_view path, std::string_view prefix = "");

// A git object id: 40 (SHA-1) or 64 (SHA-256) hex digits, returned lowercase. opt_sha gives "" for
// absent or null.
std::string req_sha(const Json& root, std::string_view path, std::string_view prefix = "");
std::string opt_sha(const Json& root, std::string_view path, std::string_view prefix = "");

// A ref or branch name: a non-empty string without ASCII control characters.
std::string req_ref(const Json& root, std::string_view path, std::string_view prefix = "");

bool is_zero_sha(std::string_view sha);

inline constexpr std::string_view kHeads = "refs/heads/";
inline constexpr std::string_view kTags = "refs/tags/";

// Where a forge's payload names the repository (GitHub: repository.*, GitLab: project.*).
struct RepoFields {
  std::string_view full_name;
  std::string_view id;
  std::string_view default_branch;
  std::vector<std::string_view> clone_urls;  // the first present one is taken
};
// Reads the repository fields into ev. `required`: the event plans something and must name its
// repository (full name and id); otherwise (ping, ignored events) they are filled in when present.
void read_repo(const Json& root, const RepoFields& fields, bool required, Event& ev);

// Marks ev as an event mlgate acknowledges and does nothing with, saying why.
void ignore(Event& ev, std::string reason);

// s made safe to put into a log line or an ignored_reason (stored as UTF-8 text): control
// characters become '?', anything past 100 bytes is cut between characters with "...", and bytes
// that are not UTF-8 are written as \xNN.
std::string printable(std::string_view s);
bool is_sha(std::string_view s);

}  // namespace mlgate::webhooks::detail
