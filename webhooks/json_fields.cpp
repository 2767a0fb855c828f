#include "webhooks/json_fields.h"

#include <algorithm>
#include <limits>

#include "core/json_bounded.h"
#include "core/utf8.h"

namespace mlgate::webhooks::detail {

namespace {

std::string full(std::string_view prefix, std::string_view path) {
  std::string out;
  out.reserve(prefix.size() + 1 + path.size());
  out.append(prefix);
  if (!prefix.empty() && !path.empty()) out.push_back('.');
  out.append(path);
  return out;
}

std::string type_name(const Json& j) {
  if (j.is_number_integer()) return "integer";
  if (j.is_number_float()) return "float";
  return j.type_name();  // "null", "object", "array", "string", "boolean", ...
}

[[noreturn]] void missing(std::string_view prefix, std::string_view path) {
  throw FieldError("missing field " + full(prefix, path));
}

[[noreturn]] void wrong_type(std::string_view prefix, std::string_view path, const Json& j,
                             std::string_view want) {
  throw FieldError("field " + full(prefix, path) + " must be " + std::string(want) + ", got " +
                   type_name(j));
}

bool has_control_char(std::string_view s) {
  return std::any_of(s.begin(), s.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u < 0x20 || u == 0x7f;
  });
}

}  // namespace

Json parse_object(std::string_view body) {
  Json j;
  try {
    j = core::parse_json_bounded(body);
  } catch (const core::JsonInputError& e) {
    std::string msg = e.what();
    if (body.starts_with("payload=")) {
      msg += " (the body looks form-encoded: set the webhook content type to application/json)";
    }
    throw FieldError(msg);
  } catch (const Json::exception&) {
    throw FieldError("malformed JSON");
  }
  if (!j.is_object()) throw FieldError("payload must be a JSON object, got " + type_name(j));
  return j;
}

const Json* find(const Json& root, std::string_view path, std::string_view prefix) {
  const Json* cur = &root;
  std::size_t start = 0;
  while (true) {
    if (!cur->is_object()) {
      wrong_type(prefix, path.substr(0, start == 0 ? 0 : start - 1), *cur, "an object");
    }
    const std::size_t dot = path.find('.', start);
    const std::string_view key =
        path.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    const auto it = cur->find(key);
    if (it == cur->end() || it->is_null()) return nullptr;
    cur = &*it;
    if (dot == std::string_view::npos) return cur;
    start = dot + 1;
  }
}

std::string opt_string(const Json& root, std::string_view path, std::string_view prefix) {
  const Json* j = find(root, path, prefix);
  if (j == nullptr) return {};
  if (!j->is_string()) wrong_type(prefix, path, *j, "a string");
  return j->get_ref<const std::string&>();
}

std::string req_string(const Json& root, std::string_view path, std::string_view prefix) {
  const Json* j = find(root, path, prefix);
  if (j == nullptr) missing(prefix, path);
  if (!j->is_string()) wrong_type(prefix, path, *j, "a string");
  return j->get_ref<const std::string&>();
}

std::optional<std::int64_t> opt_int(const Json& root, std::string_view path,
                                    std::string_view prefix) {
  const Json* j = find(root, path, prefix);
  if (j == nullptr) return std::nullopt;
  if (j->is_number_unsigned()) {
    const auto u = j->get<std::uint64_t>();
    if (u > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
      throw FieldError("field " + full(prefix, path) + " is out of range");
    }
    return static_cast<std::int64_t>(u);
  }
  if (j->is_number_integer()) return j->get<std::int64_t>();
  wrong_type(prefix, path, *j, "an integer");
}

std::int64_t req_int(const Json& root, std::string_view path, std::string_view prefix) {
  const auto v = opt_int(root, path, prefix);
  if (!v) missing(prefix, path);
  return *v;
}

std::string req_id(const Json& root, std::string_view path, std::string_view prefix) {
  return std::to_string(req_int(root, path, prefix));
}

std::string opt_id(const Json& root, std::string_view path, std::string_view prefix) {
  const auto v = opt_int(root, path, prefix);
  return v ? std::to_string(*v) : std::string();
}

bool opt_bool(const Json& root, std::string_view path, bool fallback, std::string_view prefix) {
  const Json* j = find(root, path, prefix);
  if (j == nullptr) return fallback;
  if (!j->is_boolean()) wrong_type(prefix, path, *j, "a boolean");
  return j->get<bool>();
}

const Json* opt_object(const Json& root, std::string_view path, std::string_view prefix) {
  const Json* j = find(root, path, prefix);
  if (j != nullptr && !j->is_object()) wrong_type(prefix, path, *j, "an object");
  return j;
}

const Json* opt_array(const Json& root, std::string_view path, std::string_view prefix) {
  const Json* j = find(root, path, prefix);
  if (j != nullptr && !j->is_array()) wrong_type(prefix, path, *j, "an array");
  return j;
}

bool is_sha(std::string_view s) {
  if (s.size() != 40 && s.size() != 64) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
  });
}

bool is_zero_sha(std::string_view sha) {
  return !sha.empty() && std::all_of(sha.begin(), sha.end(), [](char c) { return c == '0'; });
}

std::string opt_sha(const Json& root, std::string_view path, std::string_view prefix) {
  std::string s = opt_string(root, path, prefix);
  if (s.empty()) return s;
  if (!is_sha(s)) {
    throw FieldError("field " + full(prefix, path) + " must be a 40 or 64 digit hex commit id");
  }
  std::transform(s.begin(), s.end(), s.begin(), [](char c) {
    return (c >= 'A' && c <= 'F') ? static_cast<char>(c - 'A' + 'a') : c;
  });
  return s;
}

std::string req_sha(const Json& root, std::string_view path, std::string_view prefix) {
  std::string s = opt_sha(root, path, prefix);
  if (s.empty()) {
    // Distinguish absent from present-but-empty for the message.
    if (find(root, path, prefix) == nullptr) missing(prefix, path);
    throw FieldError("field " + full(prefix, path) + " must be a 40 or 64 digit hex commit id");
  }
  return s;
}

std::string printable(std::string_view s) {
  constexpr std::size_t kMax = 100;
  // Whole characters, and bytes that are not UTF-8 written as \xNN: the text is stored (a
  // delivery's reason) in a column PostgreSQL keeps as UTF-8, and comes from a header unsigned.
  std::string out = core::escape_invalid_utf8(std::string(core::utf8_prefix(s, kMax)));
  for (char& c : out) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) c = '?';
  }
  if (s.size() > kMax) out += "...";
  return out;
}

std::string req_ref(const Json& root, std::string_view path, std::string_view prefix) {
  std::string s = req_string(root, path, prefix);
  if (s.empty()) throw FieldError("field " + full(prefix, path) + " must not be empty");
  if (has_control_char(s)) {
    throw FieldError("field " + full(prefix, path) + " contains control characters");
  }
  return s;
}

void read_repo(const Json& root, const RepoFields& fields, bool required, Event& ev) {
  if (required) {
    ev.repo = req_string(root, fields.full_name);
    if (ev.repo.empty())
      throw FieldError("field " + std::string(fields.full_name) + " must not be empty");
    ev.repo_forge_id = req_id(root, fields.id);
  } else {
    ev.repo = opt_string(root, fields.full_name);
    ev.repo_forge_id = opt_id(root, fields.id);
  }
  ev.default_branch = opt_string(root, fields.default_branch);
  for (const auto& path : fields.clone_urls) {
    ev.clone_url = opt_string(root, path);
    if (!ev.clone_url.empty()) break;
  }
}

void ignore(Event& ev, std::string reason) {
  ev.kind = EventKind::ignored;
  ev.ignored_reason = std::move(reason);
}

}  // namespace mlgate::webhooks::detail
