#include "server/http/router.h"

#include <algorithm>
#include <array>
#include <regex>

namespace mlgate::server {

namespace {

// Sets req.matches as std::regex_match would for a whole-path match with these groups. Only the
// regex functions make a match_results of the right size: one matches `count` empty groups
// against the empty range at the start of the path (one tiny regex per count, made once), then
// the whole match and each group are pointed at their spans. Those sub_matches are the
// match_results' own objects, not const ones: assigning them through const_cast is defined.
void set_matches(httplib::Request& req, std::size_t count, const RoutePattern::Groups& groups) {
  static const auto shapes = [] {
    std::array<std::regex, RoutePattern::kMaxGroups + 1> out;
    std::string empty_groups;
    for (auto& shape : out) {
      shape = std::regex(empty_groups);
      empty_groups += "()";
    }
    return out;
  }();
  const auto begin = req.path.cbegin();
  std::regex_match(begin, begin, req.matches, shapes[count]);
  auto point = [&](const std::ssub_match& sub, std::size_t at, std::size_t length, bool matched) {
    auto& s = const_cast<std::ssub_match&>(sub);
    s.first = begin + static_cast<std::ptrdiff_t>(at);
    s.second = s.first + static_cast<std::ptrdiff_t>(length);
    s.matched = matched;
  };
  point(req.matches[0], 0, req.path.size(), true);
  for (std::size_t i = 0; i < count; ++i)
    point(req.matches[i + 1], groups[i].begin, groups[i].length, true);
  point(req.matches.suffix(), req.path.size(), 0, false);
}

}  // namespace

Route& Router::add(const std::string& method, const std::string& pattern) {
  RoutePattern parsed(pattern);  // throws before anything is recorded
  entries_.push_back({method, pattern});
  table_.push_back({.entry = {method, pattern}, .pattern = std::move(parsed)});
  return table_.back();
}

void Router::get(const std::string& pattern, Handler handler) {
  add("GET", pattern).plain = std::move(handler);
}

void Router::post(const std::string& pattern, Handler handler) {
  add("POST", pattern).plain = std::move(handler);
}

void Router::post(const std::string& pattern, ReaderHandler handler) {
  add("POST", pattern).reader = std::move(handler);
}

void Router::put(const std::string& pattern, ReaderHandler handler) {
  add("PUT", pattern).reader = std::move(handler);
}

void Router::post_buffered(const std::string& pattern, std::size_t max_bytes,
                           ReaderHandler handler) {
  Route& route = add("POST", pattern);
  route.reader = std::move(handler);
  route.buffered_max_bytes = max_bytes;
}

void Router::post_parking(const std::string& pattern, ParkingHandler handler) {
  add("POST", pattern).parking = std::move(handler);
}

const Route* Router::match(const std::string& method, httplib::Request& req) const {
  const std::string& wanted = method == "HEAD" ? std::string("GET") : method;
  RoutePattern::Groups groups;
  for (const auto& route : table_) {
    if (route.entry.method != wanted) continue;
    if (route.pattern.match(req.path, groups)) {
      set_matches(req, route.pattern.group_count(), groups);
      return &route;
    }
  }
  req.matches = httplib::Match();
  return nullptr;
}

std::string Router::allowed_methods(const std::string& path) const {
  std::vector<std::string> methods;
  RoutePattern::Groups groups;
  for (const auto& route : table_) {
    const std::string& m = route.entry.method;
    if (std::find(methods.begin(), methods.end(), m) != methods.end()) continue;
    if (!route.pattern.match(path, groups)) continue;
    methods.push_back(m);
    if (m == "GET") methods.push_back("HEAD");
  }
  std::sort(methods.begin(), methods.end());
  std::string out;
  for (const auto& m : methods) out += (out.empty() ? "" : ", ") + m;
  return out;
}

}  // namespace mlgate::server
