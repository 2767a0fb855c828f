#include "core/rubric_globs.h"

#include "core/glob.h"

namespace mlgate::core {

CompiledGlob::CompiledGlob(std::string pattern) : pattern_(std::move(pattern)) {
  general_ = pattern_.find_first_of("?[\\") != std::string::npos;
  if (general_) return;
  starred_ = pattern_.find('*') != std::string::npos;
  std::string piece;
  for (char c : pattern_) {
    if (c == '*') {
      pieces_.push_back(std::move(piece));
      piece.clear();
    } else {
      piece += c;
    }
  }
  pieces_.push_back(
      std::move(piece));  // "a**b" gives "a", "", "b": an empty piece is no constraint
}

bool CompiledGlob::matches(std::string_view text) const {
  if (general_) return glob_match(pattern_, text);
  if (!starred_) return text == pattern_;
  // "first*middle*…*last": text starts with first and ends with last, with the middle pieces in
  // order in between, not overlapping them. Taking the leftmost place of each middle piece leaves
  // the most room for the rest, so it finds a match whenever there is one.
  const std::string& first = pieces_.front();
  const std::string& last = pieces_.back();
  if (text.size() < first.size() + last.size()) return false;
  if (text.substr(0, first.size()) != first) return false;
  if (text.substr(text.size() - last.size()) != last) return false;
  std::size_t at = first.size();
  const std::size_t end = text.size() - last.size();
  for (std::size_t i = 1; i + 1 < pieces_.size(); ++i) {
    const std::string& piece = pieces_[i];
    if (piece.empty()) continue;
    const std::size_t found = text.substr(0, end).find(piece, at);
    if (found == std::string_view::npos) return false;
    at = found + piece.size();
  }
  return true;
}

bool any_matches(const std::vector<CompiledGlob>& globs, const std::vector<std::string>& ids) {
  for (const CompiledGlob& g : globs)
    for (const std::string& id : ids)
      if (g.matches(id)) return true;
  return false;
}

}  // namespace mlgate::core
