// Checks on strings that reach vcs/ from webhooks and configuration (hostile until proven
// otherwise): commit shas, mirror keys, paths inside a tree, ref names, URLs in messages.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

namespace mlgate::vcs {

// Exactly 40 (SHA-1) or 64 (SHA-256) lowercase hexadecimal digits. Nothing else: no abbreviations,
// no uppercase, no revision syntax.
bool is_valid_sha(std::string_view s);

// Throws GitError unless is_valid_sha(s). The message quotes (a bounded, escaped prefix of) s.
void require_valid_sha(std::string_view s);

// The mirror key "github/owner/name" as a relative directory path "github/owner/name": '/'
// separates components; each component keeps [A-Za-z0-9._-] and percent-encodes every other byte
// (and a leading '.', and a final ".git"/".lock" suffix's dot, so that no key can name another
// key's mirror, lock file or temporary directory). Throws GitError for an empty key, an empty
// component (leading '/', "//", trailing '/'), a "." or ".." component, a NUL byte, or a key longer
// than 512 bytes.
std::filesystem::path key_to_relative_path(std::string_view key);

// A path inside a commit's tree: "a/b.txt". Throws GitError for an empty path, a leading '/', an
// empty, "." or ".." component or a NUL byte. A single trailing '/' is dropped.
std::string normalise_tree_path(std::string_view path);

// The URL with any userinfo ("user:password@") removed, for messages.
std::string redact_url(std::string_view url);

// The host (and port) of an http(s)/ssh/git URL, lowercased; empty for file:// and local paths.
std::string url_host(std::string_view url);

// s quoted for an error message: at most 80 bytes, control and non-ASCII bytes escaped as \xNN.
std::string quote_for_message(std::string_view s);

}  // namespace mlgate::vcs
