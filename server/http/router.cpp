#include "server/http/router.h"

namespace mlgate::server {

Route& Router::add(const std::string& method, const std::string& pattern) {
  entries_.push_back({method, pattern});
  table_.push_back({.entry = {method, pattern}, .regex = std::regex(pattern)});
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

void Router::post_parking(const std::string& pattern, ParkingHandler handler) {
  add("POST", pattern).parking = std::move(handler);
}

const Route* Router::match(const std::string& method, httplib::Request& req) const {
  const std::string& wanted = method == "HEAD" ? std::string("GET") : method;
  for (const auto& route : table_) {
    if (route.entry.method != wanted) continue;
    if (std::regex_match(req.path, req.matches, route.regex)) return &route;
  }
  req.matches = httplib::Match();
  return nullptr;
}

}  // namespace mlgate::server
