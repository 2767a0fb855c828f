#include "server/services/gate_results_cache.h"

#include <vector>

namespace mlgate::server {
namespace {

std::size_t text_bytes(const std::string& s) {
  return sizeof(std::string) + s.capacity();
}

std::size_t prediction_bytes(const core::Prediction& p) {
  std::size_t n = sizeof(core::Prediction) + p.id.capacity() + p.label.capacity() +
                  (p.truth ? p.truth->capacity() : 0);
  for (const auto& [k, v] : p.slices) n += text_bytes(k) + text_bytes(v);
  for (const auto& [k, v] : p.scores) n += text_bytes(k) + sizeof(double);
  return n;
}

std::size_t predictions_bytes(const std::vector<core::Prediction>& predictions) {
  std::size_t n = 0;
  for (const auto& p : predictions) n += prediction_bytes(p);
  return n;
}

// A std::map node's own bookkeeping, about four pointers.
constexpr std::size_t kMapNodeBytes = 4 * sizeof(void*);

}  // namespace

std::size_t approximate_bytes(const core::JobResults& r) {
  std::size_t n = sizeof(core::JobResults);
  for (const auto& t : r.tests) {
    n += sizeof(core::TestCase) + t.name.capacity() + t.classname.capacity() + t.message.capacity();
    for (const auto& id : t.mltest) n += text_bytes(id);
  }
  for (const auto& m : r.metrics)
    n += sizeof(core::Metric) + m.name.capacity() + m.slice_key.capacity() +
         m.slice_value.capacity();
  n += predictions_bytes(r.predictions);
  for (const auto& [name, values] : r.repeat_values)
    n += kMapNodeBytes + text_bytes(name) + sizeof(values) + values.capacity() * sizeof(double);
  for (const auto& [key, values] : r.slice_repeat_values)
    n += kMapNodeBytes + text_bytes(std::get<0>(key)) + text_bytes(std::get<1>(key)) +
         text_bytes(std::get<2>(key)) + sizeof(values) + values.capacity() * sizeof(double);
  for (const auto& repeat : r.repeat_predictions) n += sizeof(repeat) + predictions_bytes(repeat);
  return n;
}

GateResultsCache::Results GateResultsCache::get_or_load(
    const std::string& key, const std::function<core::JobResults()>& load) {
  {
    std::lock_guard lock(mu_);
    if (auto it = index_.find(key); it != index_.end()) {
      order_.splice(order_.begin(), order_, it->second);
      return it->second->results;
    }
  }
  auto results = std::make_shared<const core::JobResults>(load());
  const std::size_t size = approximate_bytes(*results) + key.size();
  if (size > max_bytes_) return results;
  Order dropped;  // destroyed once the lock is released: thousands of rows each
  std::lock_guard lock(mu_);
  if (auto it = index_.find(key); it != index_.end()) {  // loaded meanwhile by another thread
    bytes_ -= it->second->bytes;
    dropped.splice(dropped.end(), order_, it->second);
    index_.erase(it);
  }
  while (!order_.empty() && bytes_ + size > max_bytes_) {
    bytes_ -= order_.back().bytes;
    index_.erase(order_.back().key);
    dropped.splice(dropped.end(), order_, std::prev(order_.end()));
  }
  order_.push_front(Entry{key, results, size});
  index_[key] = order_.begin();
  bytes_ += size;
  return results;
}

std::size_t GateResultsCache::bytes() const {
  std::lock_guard lock(mu_);
  return bytes_;
}

std::size_t GateResultsCache::size() const {
  std::lock_guard lock(mu_);
  return index_.size();
}

}  // namespace mlgate::server
