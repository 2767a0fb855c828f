// The merged results of judged pipelines kept in memory for the gate (server/services/
// gate_service.h), keyed by the pipeline's id and marker (store/gate_inputs.h). A marker changes
// with every state change, result upload, retry or retention of the pipeline's jobs: replacing a
// job's results gives a new key, so an entry is never stale and needs no change notification (a
// replica that did not replace them computes the new marker from the database too). The deployed
// commit's results are read once, not for every candidate judged against them.
//
// Bounded by bytes (an estimate of the memory the parsed results hold), dropping the least
// recently used entries first: the deployed commit's results, which every decision uses, stay while
// a stream of new candidates passes through. An entry larger than the bound alone is returned but
// not kept. Thread-safe; a result being loaded is not locked against a second load of the same key
// (both give the same results; the second replaces the first).
#pragma once

#include <cstddef>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "core/results.h"

namespace mlgate::server {

// About how many bytes `results` holds in memory (its strings, vectors and maps), for the bound.
std::size_t approximate_bytes(const core::JobResults& results);

class GateResultsCache {
 public:
  using Results = std::shared_ptr<const core::JobResults>;

  explicit GateResultsCache(std::size_t max_bytes) : max_bytes_(max_bytes) {}

  // The results kept under `key`; else `load()`, kept under `key` (when within the bound).
  Results get_or_load(const std::string& key, const std::function<core::JobResults()>& load);

  std::size_t bytes() const;
  std::size_t size() const;

 private:
  struct Entry {
    std::string key;
    Results results;
    std::size_t bytes = 0;
  };
  using Order = std::list<Entry>;  // most recently used first
  std::size_t max_bytes_;
  mutable std::mutex mu_;
  Order order_;
  std::unordered_map<std::string, Order::iterator> index_;
  std::size_t bytes_ = 0;
};

}  // namespace mlgate::server
