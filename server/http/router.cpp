#include "server/http/router.h"

namespace mlgate::server {

void Router::get(const std::string& pattern, httplib::Server::Handler handler) {
  routes_.push_back({"GET", pattern});
  http_.Get(pattern, std::move(handler));
}

void Router::post(const std::string& pattern, httplib::Server::Handler handler) {
  routes_.push_back({"POST", pattern});
  http_.Post(pattern, std::move(handler));
}

void Router::post(const std::string& pattern, httplib::Server::HandlerWithContentReader handler) {
  routes_.push_back({"POST", pattern});
  http_.Post(pattern, std::move(handler));
}

void Router::put(const std::string& pattern, httplib::Server::HandlerWithContentReader handler) {
  routes_.push_back({"PUT", pattern});
  http_.Put(pattern, std::move(handler));
}

}  // namespace mlgate::server
