// peek_repo_name: the repository an unverified body names, read with a SAX handler that keeps only
// that string. The whole body is still checked (valid JSON, an object, at most kMaxJsonDepth levels
// deep) but no document is built: this runs before the signature is verified, for every delivery.
#include <cmath>
#include <nlohmann/json.hpp>

#include "core/json_bounded.h"
#include "webhooks/normalise.h"

namespace mlgate::webhooks {
namespace {

using Json = nlohmann::json;

// Follows the top-level `member` object and its `field`; a later duplicate of either replaces an
// earlier one, as it would in a parsed document.
class RepoNamePeek {
 public:
  RepoNamePeek(std::string_view member, std::string_view field) : member_(member), field_(field) {}

  bool null() { return scalar(nullptr); }
  bool boolean(bool) { return scalar(nullptr); }
  bool number_integer(Json::number_integer_t) { return scalar(nullptr); }
  bool number_unsigned(Json::number_unsigned_t) { return scalar(nullptr); }
  // A number no double holds is refused, as the document parser refuses it.
  bool number_float(Json::number_float_t v, const std::string&) {
    return std::isfinite(v) && scalar(nullptr);
  }
  bool string(std::string& v) { return scalar(&v); }
  bool binary(Json::binary_t&) { return false; }
  bool start_object(std::size_t) {
    if (depth_ == 0) root_is_object_ = true;
    if (member_key_) in_member_ = true;
    container_value();
    return ++depth_ <= core::kMaxJsonDepth;
  }
  bool start_array(std::size_t) {
    if (member_key_) name_.clear();
    container_value();
    return ++depth_ <= core::kMaxJsonDepth;
  }
  bool end_object() {
    if (--depth_ == 1) in_member_ = false;
    return true;
  }
  bool end_array() {
    --depth_;
    return true;
  }
  bool key(std::string& k) {
    if (depth_ == 1) {
      member_key_ = k == member_;
      in_member_ = false;
      if (member_key_) name_.clear();
    } else if (depth_ == 2 && in_member_) {
      field_key_ = k == field_;
      if (field_key_) name_.clear();
    }
    return true;
  }
  bool parse_error(std::size_t, const std::string&, const Json::exception&) { return false; }

  std::string name() const { return root_is_object_ ? name_ : std::string(); }

 private:
  bool scalar(const std::string* s) {
    if (field_key_) name_ = s ? *s : std::string();
    if (member_key_) name_.clear();
    member_key_ = field_key_ = false;
    return true;
  }
  void container_value() {
    if (field_key_) name_.clear();
    member_key_ = field_key_ = false;
  }

  std::string_view member_, field_;
  int depth_ = 0;
  bool root_is_object_ = false;
  bool member_key_ = false;  // the last key read was the top-level member
  bool in_member_ = false;   // inside the member's object, at its own level
  bool field_key_ = false;   // the last key read was the field, inside the member
  std::string name_;
};

}  // namespace

std::string peek_repo_name(Forge forge, std::string_view body) {
  const bool github = forge == Forge::github;
  RepoNamePeek peek(github ? "repository" : "project",
                    github ? "full_name" : "path_with_namespace");
  if (!Json::sax_parse(body.begin(), body.end(), &peek)) return {};
  return peek.name();
}

}  // namespace mlgate::webhooks
