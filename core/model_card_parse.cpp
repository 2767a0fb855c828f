// model_card.yml read from the parser's events: no tree is built, so no alias can expand and no
// nesting deeper than a list is ever followed (docs/model-cards.md).
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include <set>
#include <sstream>

#include "core/model_card.h"

namespace mlgate::core {
namespace {

enum class Field { text, list };

struct Key {
  std::string_view name;
  Field field;
};

constexpr Key kKeys[] = {{"name", Field::text},         {"version", Field::text},
                         {"license", Field::text},      {"model_details", Field::text},
                         {"intended_use", Field::text}, {"intended_users", Field::list},
                         {"owners", Field::list},       {"data", Field::text},
                         {"caveats", Field::text},      {"ethical_considerations", Field::text}};

std::string* text_field(ModelCardFile& f, std::string_view key) {
  if (key == "name") return &f.name;
  if (key == "version") return &f.version;
  if (key == "license") return &f.license;
  if (key == "model_details") return &f.model_details;
  if (key == "intended_use") return &f.intended_use;
  if (key == "data") return &f.data;
  if (key == "caveats") return &f.caveats;
  if (key == "ethical_considerations") return &f.ethical_considerations;
  return nullptr;
}

std::vector<std::string>* list_field(ModelCardFile& f, std::string_view key) {
  if (key == "intended_users") return &f.intended_users;
  if (key == "owners") return &f.owners;
  return nullptr;
}

class CardEvents : public YAML::EventHandler {
 public:
  ModelCardFile card;
  std::optional<ParseError> error;
  int documents = 0;

  void OnDocumentStart(const YAML::Mark& mark) override {
    if (++documents > 1)
      fail(mark, "model_card.yml holds one YAML document (unexpected content after it)");
  }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    if (!usable(mark, anchor)) return;
    if (depth_ == 1 && !key_) return fail(mark, "a key must be a string");
    if (depth_ == 1) key_.reset();  // `key:` with nothing: left empty
  }
  void OnAlias(const YAML::Mark& mark, YAML::anchor_t) override {
    fail(mark, "anchors and aliases are not allowed in model_card.yml");
  }
  void OnScalar(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                const std::string& value) override;
  void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                       YAML::EmitterStyle::value) override {
    if (!usable(mark, anchor)) return;
    if (depth_ == 2) return fail(mark, "an item of " + *key_ + " must be text, not a list");
    if (depth_ != 1 || !key_ || !list_field(card, *key_))
      return fail(mark, key_ ? *key_ + " must be text, not a list" : "a list is not allowed here");
    depth_ = 2;
  }
  void OnSequenceEnd() override {
    if (depth_ != 2) return;
    depth_ = 1;
    key_.reset();
  }
  void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                  YAML::EmitterStyle::value) override {
    if (!usable(mark, anchor)) return;
    if (depth_ == 2) return fail(mark, "an item of " + *key_ + " must be text, not a mapping");
    if (depth_ != 0)
      return fail(mark,
                  key_ ? *key_ + " must be text, not a mapping" : "a mapping is not allowed here");
    depth_ = 1;
  }
  void OnMapEnd() override {
    if (depth_ == 1) depth_ = 0;
  }

  void fail(const YAML::Mark& mark, std::string message) {
    if (error) return;
    error =
        ParseError{std::string(kModelCardPath), mark.line + 1, mark.column + 1, std::move(message)};
  }

 private:
  bool usable(const YAML::Mark& mark, YAML::anchor_t anchor) {
    if (error) return false;
    if (anchor != YAML::NullAnchor) {
      fail(mark, "anchors and aliases are not allowed in model_card.yml");
      return false;
    }
    return true;
  }
  void key(const YAML::Mark& mark, const std::string& name);

  int depth_ = 0;  // 0 outside, 1 in the top mapping, 2 in a list value
  std::optional<std::string> key_;
  std::set<std::string> seen_;
};

void CardEvents::key(const YAML::Mark& mark, const std::string& name) {
  bool known = false;
  for (const auto& k : kKeys) known = known || k.name == name;
  if (!known) {
    std::string names;
    for (const auto& k : kKeys) names += (names.empty() ? "" : ", ") + std::string(k.name);
    return fail(mark, "unknown key '" + name.substr(0, 60) + "' (known: " + names + ")");
  }
  if (!seen_.insert(name).second) return fail(mark, "key '" + name + "' appears twice");
  key_ = name;
}

void CardEvents::OnScalar(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                          const std::string& value) {
  if (!usable(mark, anchor)) return;
  if (depth_ == 0) return fail(mark, "model_card.yml must be a mapping of keys to text");
  if (depth_ == 1 && !key_) return key(mark, value);
  if (depth_ == 1) {
    std::string* text = text_field(card, *key_);
    if (!text) return fail(mark, *key_ + " must be a list of text");
    if (value.size() > kModelCardMaxText)
      return fail(mark, *key_ + " is over " + std::to_string(kModelCardMaxText) + " bytes");
    *text = value;
    key_.reset();
    return;
  }
  auto* list = list_field(card, *key_);
  if (list->size() >= kModelCardMaxItems)
    return fail(mark, *key_ + " has more than " + std::to_string(kModelCardMaxItems) + " items");
  if (value.size() > 200) return fail(mark, "an item of " + *key_ + " is over 200 bytes");
  list->push_back(value);
}

}  // namespace

Parsed<ModelCardFile> parse_model_card(std::string_view yaml) {
  if (yaml.size() > kModelCardMaxBytes)
    return ParseError{
        std::string(kModelCardPath), 0, 0,
        "model_card.yml is over " + std::to_string(kModelCardMaxBytes / 1024) + " KiB"};
  std::istringstream in{std::string(yaml)};
  CardEvents events;
  try {
    YAML::Parser parser(in);
    // Two looks at most: yaml-cpp may not advance past a stray ',' (it would loop forever).
    if (parser.HandleNextDocument(events) && !events.error) parser.HandleNextDocument(events);
  } catch (const YAML::Exception& e) {
    events.fail(e.mark, e.msg);
  }
  if (events.error) return *events.error;
  return events.card;
}

}  // namespace mlgate::core
