// The rule every in-memory answer follows (server/http/stamped_cache.h): served only under the
// stamp it was stored with, never without a stamp (not listening), never past its age.
#include "server/http/stamped_cache.h"

#include <gtest/gtest.h>

#include <thread>

namespace mlgate::server {
namespace {

constexpr ChangeStamp kStored{1, 7, 0};

TEST(StampedCache, ServesAnEntryOnlyUnderTheStampItWasStoredWith) {
  StampedCache<int> cache(16, std::chrono::seconds(60));
  cache.put("k", kStored, 42);
  EXPECT_EQ(cache.get("k", kStored), 42);
  EXPECT_EQ(cache.get("other", kStored), std::nullopt);
  // The topic changed (its counter), a wildcard changed, or the listener reconnected.
  EXPECT_EQ(cache.get("k", ChangeStamp{1, 8, 0}), std::nullopt);
  cache.put("k", kStored, 42);
  EXPECT_EQ(cache.get("k", ChangeStamp{1, 7, 1}), std::nullopt);
  cache.put("k", kStored, 42);
  EXPECT_EQ(cache.get("k", ChangeStamp{2, 7, 0}), std::nullopt);
  // A changed stamp drops the entry: going back to the old stamp does not revive it.
  EXPECT_EQ(cache.get("k", kStored), std::nullopt);
}

TEST(StampedCache, WithoutAStampNothingIsStoredOrServed) {
  StampedCache<int> cache(16, std::chrono::seconds(60));
  cache.put("k", std::nullopt, 42);
  EXPECT_EQ(cache.get("k", kStored), std::nullopt);
  cache.put("k", kStored, 42);
  EXPECT_EQ(cache.get("k", std::nullopt), std::nullopt);
  EXPECT_EQ(cache.get("k", kStored), 42);
}

TEST(StampedCache, NeverServesAnEntryPastItsAge) {
  StampedCache<int> cache(16, std::chrono::milliseconds(1));
  cache.put("k", kStored, 42);
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  EXPECT_EQ(cache.get("k", kStored), std::nullopt);
}

TEST(StampedCache, IsEmptiedWhenFull) {
  StampedCache<int> cache(2, std::chrono::seconds(60));
  cache.put("a", kStored, 1);
  cache.put("b", kStored, 2);
  cache.put("c", kStored, 3);
  EXPECT_EQ(cache.get("a", kStored), std::nullopt);
  EXPECT_EQ(cache.get("c", kStored), 3);
  cache.erase("c");
  EXPECT_EQ(cache.get("c", kStored), std::nullopt);
}

}  // namespace
}  // namespace mlgate::server
