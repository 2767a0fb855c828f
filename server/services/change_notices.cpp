#include "server/services/change_notices.h"

#include <spdlog/spdlog.h>

#include <vector>

#include "store/pipelines.h"

namespace mlgate::server {

ChangeNotices::ChangeNotices(store::Database& db, std::chrono::milliseconds every)
    : db_(db), every_(every) {}

ChangeNotices::~ChangeNotices() {
  stop();
}

void ChangeNotices::start() {
  worker_.start();
}

void ChangeNotices::stop() {
  if (!worker_.running()) return;
  worker_.stop();
  std::set<std::string> left;
  {
    std::lock_guard lock(mu_);
    left.swap(pending_);
    idle_ = true;
  }
  if (!left.empty()) send(left);
}

void ChangeNotices::add(std::string topic) {
  bool wake = false;
  {
    std::lock_guard lock(mu_);
    pending_.insert(std::move(topic));
    // While the worker waits out `every` after a send, what comes meanwhile joins the next batch.
    wake = idle_;
    idle_ = false;
  }
  if (wake) worker_.wake();
}

std::uint64_t ChangeNotices::sent() const {
  std::lock_guard lock(mu_);
  return sent_;
}

std::chrono::milliseconds ChangeNotices::tick() {
  std::set<std::string> batch;
  {
    std::lock_guard lock(mu_);
    if (pending_.empty()) {
      idle_ = true;
      return util::PeriodicWorker::kUntilWoken;
    }
    batch.swap(pending_);
  }
  if (!send(batch)) {
    std::lock_guard lock(mu_);
    pending_.insert(batch.begin(), batch.end());  // the next tick tries again
    return std::chrono::seconds(1);
  }
  return every_;
}

bool ChangeNotices::send(const std::set<std::string>& topics) {
  try {
    db_.with([&](pqxx::connection& c) {
      pqxx::work tx(c);
      store::notify_changes(tx, std::vector<std::string>(topics.begin(), topics.end()));
      tx.commit();
    });
    std::lock_guard lock(mu_);
    sent_ += topics.size();
    return true;
  } catch (const std::exception& e) {
    spdlog::warn("change notices: {} topics not sent yet: {}", topics.size(), e.what());
    return false;
  }
}

}  // namespace mlgate::server
