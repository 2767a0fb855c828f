// libFuzzer target: webhooks/ on a hostile delivery: normalise(), peek_repo_name(), delivery_id()
// and verify_request(). Checks the promises of docs/webhooks.md: only a 400 NormaliseError whose
// message never echoes input, or an Event of the right forge whose commit ids are 40/64 lowercase
// hex, whose refs have no control characters and whose repository is the one peek_repo_name saw
// (the server picks the secret by that name); the delivery id is a valid header id or the body's
// hash; a correct signature/token verifies and any other header value does not.
//
// Input layout (tests/fuzz/corpus/webhooks/ seeds are built this way): the body first, then the
// control bytes, which FuzzedDataProvider reads from the end:
//   last byte          flags: bit 0 GitLab (else GitHub); bit 1 no event header; bit 2 the event
//                      header is a string taken from the front; bit 3 delivery id headers taken
//                      from the front; bit 4 a signature/token header taken from the front;
//                      bit 5 header names in lower case
//   last byte but one  index into kEvents (when bit 2 is clear)
//   the rest           the strings the flags ask for (front), then the body.
#include <fuzzer/FuzzedDataProvider.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

#include "tests/fuzz/fuzz_check.h"
#include "util/hash.h"
#include "webhooks/event.h"
#include "webhooks/headers.h"
#include "webhooks/normalise.h"
#include "webhooks/signature.h"

namespace {

using mlgate::webhooks::Event;
using mlgate::webhooks::EventKind;
using mlgate::webhooks::Forge;
using mlgate::webhooks::Headers;
using mlgate::webhooks::NormaliseError;

constexpr std::string_view kEvents[] = {
    "ping",        "push",          "pull_request",  "deployment_protection_rule",
    "issues",      "Push Hook",     "Tag Push Hook", "Merge Request Hook",
    "System Hook", "Pipeline Hook", "check_suite",   "Note Hook",
};

constexpr std::string_view kSecret = "fuzz-secret";

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](char c) {
    return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  });
  return out;
}

std::string upper(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](char c) {
    return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c;
  });
  return out;
}

bool has_control(std::string_view s) {
  return std::any_of(s.begin(), s.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u < 0x20 || u == 0x7f;
  });
}

// A stored commit id: empty, or 40/64 lowercase hex digits.
bool stored_sha(std::string_view s) {
  if (s.empty()) return true;
  if (s.size() != 40 && s.size() != 64) return false;
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

bool decimal(std::string_view s) {
  if (!s.empty() && s.front() == '-') s.remove_prefix(1);
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// docs/webhooks.md "Delivery id": the first present and valid header, else the body's hash.
std::string expected_delivery_id(Forge forge, const Headers& headers, std::string_view body) {
  const std::string_view github[] = {mlgate::webhooks::kGithubDeliveryHeader};
  const std::string_view gitlab[] = {mlgate::webhooks::kGitlabEventUuidHeader,
                                     mlgate::webhooks::kIdempotencyKeyHeader};
  const auto try_names = [&](auto& names) -> std::string {
    for (const std::string_view name : names) {
      const auto v = mlgate::webhooks::find_header(headers, name);
      if (v && mlgate::webhooks::is_valid_delivery_id(*v)) return std::string(*v);
    }
    return {};
  };
  std::string id = forge == Forge::github ? try_names(github) : try_names(gitlab);
  if (id.empty()) id = "sha256:" + mlgate::util::sha256_hex(body);
  return id;
}

void check_event(const Event& ev, Forge forge, std::string_view event_header,
                 const std::string& delivery, const std::string& peeked) {
  FUZZ_CHECK(ev.forge == forge);
  FUZZ_CHECK(ev.event_name == event_header);
  FUZZ_CHECK(ev.delivery_id == delivery);
  FUZZ_CHECK(ev.repo == peeked);  // the repository whose secret verified the delivery
  FUZZ_CHECK(stored_sha(ev.sha));
  FUZZ_CHECK(stored_sha(ev.before));
  FUZZ_CHECK((ev.kind == EventKind::ignored) == !ev.ignored_reason.empty());
  FUZZ_CHECK(!has_control(ev.ignored_reason));  // safe to log
  if (!ev.repo_forge_id.empty()) FUZZ_CHECK(decimal(ev.repo_forge_id));
  switch (ev.kind) {
    case EventKind::push:
    case EventKind::branch_delete:
      FUZZ_CHECK(!ev.branch.empty() && !has_control(ev.branch));
      FUZZ_CHECK(ev.ref == "refs/heads/" + ev.branch);
      break;
    case EventKind::tag:
    case EventKind::tag_delete:
      FUZZ_CHECK(!ev.tag.empty() && !has_control(ev.tag));
      FUZZ_CHECK(ev.ref == "refs/tags/" + ev.tag);
      break;
    case EventKind::pull_request_open:
    case EventKind::pull_request_update:
    case EventKind::pull_request_close:
      FUZZ_CHECK(ev.pr_number.has_value() && *ev.pr_number > 0);
      FUZZ_CHECK(!ev.branch.empty() && !has_control(ev.branch));
      FUZZ_CHECK(!ev.base_branch.empty() && !has_control(ev.base_branch));
      break;
    case EventKind::deployment_protection_rule:
      FUZZ_CHECK(!ev.environment.empty());
      FUZZ_CHECK(!ev.deployment_callback_url.empty());
      FUZZ_CHECK(!has_control(ev.deployment_callback_url));
      FUZZ_CHECK(ev.deployment_id.has_value());
      FUZZ_CHECK(!ev.sha.empty());
      break;
    case EventKind::ping:
    case EventKind::ignored:
      break;
  }
  switch (ev.kind) {
    case EventKind::push:
    case EventKind::tag:
    case EventKind::branch_delete:
    case EventKind::tag_delete:
    case EventKind::pull_request_open:
    case EventKind::pull_request_update:
    case EventKind::pull_request_close:
    case EventKind::deployment_protection_rule:
      FUZZ_CHECK(!ev.repo.empty() && decimal(ev.repo_forge_id));  // the repository is required
      break;
    case EventKind::ping:
    case EventKind::ignored:
      break;
  }
  if (ev.kind == EventKind::branch_delete || ev.kind == EventKind::tag_delete) {
    FUZZ_CHECK(ev.sha.empty());
  }
  if (ev.kind == EventKind::push || ev.kind == EventKind::tag ||
      ev.kind == EventKind::pull_request_open || ev.kind == EventKind::pull_request_update) {
    FUZZ_CHECK(!ev.sha.empty());
  }
}

void check_error(const NormaliseError& e) {
  FUZZ_CHECK(e.http_status == 400);
  FUZZ_CHECK(!e.message.empty());
  // It names the field and never repeats the value: printable ASCII only.
  FUZZ_CHECK(std::all_of(e.message.begin(), e.message.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u >= 0x20 && u < 0x7f;
  }));
}

void check_signatures(Forge forge, const Headers& headers, std::string_view body) {
  using mlgate::webhooks::verify_request;
  const std::string hex = mlgate::util::hmac_sha256_hex(kSecret, body);
  FUZZ_CHECK(hex.size() == 64 && stored_sha(hex));
  // Whatever header the input brought verifies only when it is the right one.
  const bool ok = verify_request(forge, kSecret, headers, body);
  if (forge == Forge::github) {
    const auto v = mlgate::webhooks::find_header(headers, mlgate::webhooks::kGithubSignatureHeader);
    const bool right =
        v && v->size() == 71 && v->starts_with("sha256=") && lower(v->substr(7)) == hex &&
        std::all_of(v->begin() + 7, v->end(), [](char c) {
          return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
        });
    FUZZ_CHECK(ok == right);
    FUZZ_CHECK(mlgate::webhooks::verify_github_signature(kSecret, body, "sha256=" + hex));
    FUZZ_CHECK(mlgate::webhooks::verify_github_signature(kSecret, body, "sha256=" + upper(hex)));
    FUZZ_CHECK(!mlgate::webhooks::verify_github_signature(kSecret, body, "sha256=" + hex + " "));
    FUZZ_CHECK(!mlgate::webhooks::verify_github_signature("", body, "sha256=" + hex));
  } else {
    const auto v = mlgate::webhooks::find_header(headers, mlgate::webhooks::kGitlabTokenHeader);
    FUZZ_CHECK(ok == (v && *v == kSecret));
    FUZZ_CHECK(mlgate::webhooks::verify_gitlab_token(kSecret, kSecret));
    FUZZ_CHECK(!mlgate::webhooks::verify_gitlab_token("", ""));
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider fdp(data, size);
  const auto flags = fdp.ConsumeIntegral<std::uint8_t>();
  const std::string_view picked = fdp.PickValueInArray(kEvents);
  const Forge forge = (flags & 1) != 0 ? Forge::gitlab : Forge::github;
  const bool lower_names = (flags & 32) != 0;
  const auto name = [&](std::string_view n) { return lower_names ? lower(n) : std::string(n); };

  Headers headers;
  std::string event_header;
  if ((flags & 2) == 0) {
    event_header = (flags & 4) != 0 ? fdp.ConsumeRandomLengthString(64) : std::string(picked);
    headers[name(forge == Forge::github ? mlgate::webhooks::kGithubEventHeader
                                        : mlgate::webhooks::kGitlabEventHeader)] = event_header;
  }
  if ((flags & 8) != 0) {
    headers[name(mlgate::webhooks::kGithubDeliveryHeader)] = fdp.ConsumeRandomLengthString(256);
    headers[name(mlgate::webhooks::kGitlabEventUuidHeader)] = fdp.ConsumeRandomLengthString(256);
    headers[name(mlgate::webhooks::kIdempotencyKeyHeader)] = fdp.ConsumeRandomLengthString(256);
  }
  if ((flags & 16) != 0) {
    headers[name(forge == Forge::github ? mlgate::webhooks::kGithubSignatureHeader
                                        : mlgate::webhooks::kGitlabTokenHeader)] =
        fdp.ConsumeRandomLengthString(128);
  }
  const std::string body = fdp.ConsumeRemainingBytesAsString();

  const std::string peeked = mlgate::webhooks::peek_repo_name(forge, body);
  const std::string delivery = mlgate::webhooks::delivery_id(forge, headers, body);
  FUZZ_CHECK(delivery == expected_delivery_id(forge, headers, body));

  const mlgate::webhooks::NormaliseResult result =
      mlgate::webhooks::normalise(forge, headers, body);
  if (const auto* ev = std::get_if<Event>(&result)) {
    FUZZ_CHECK(!event_header.empty());
    check_event(*ev, forge, event_header, delivery, peeked);
  } else {
    check_error(std::get<NormaliseError>(result));
  }
  check_signatures(forge, headers, body);
  return 0;
}
