// The pieces of the Docker API client that need no daemon: the attach stream's frames and the
// wait's answer.
#include "runners/docker_api.h"

#include <gtest/gtest.h>

#include <string>

namespace mlgate::runners {
namespace {

std::string frame(char stream, const std::string& payload) {
  std::string f = {stream, 0, 0, 0};
  const auto n = static_cast<std::uint32_t>(payload.size());
  f += static_cast<char>((n >> 24) & 0xff);
  f += static_cast<char>((n >> 16) & 0xff);
  f += static_cast<char>((n >> 8) & 0xff);
  f += static_cast<char>(n & 0xff);
  return f + payload;
}

TEST(AttachDemux, PayloadsOfBothStreamsInOrderWhereverTheReadsSplitThem) {
  const std::string big(70000, 'x');  // a size that needs more than the low byte
  const std::string raw = frame(1, "out one\n") + frame(2, "err\n") + frame(1, big) + frame(1, "");
  const std::string want = "out one\nerr\n" + big;
  for (std::size_t step : {std::size_t{1}, std::size_t{3}, std::size_t{8}, std::size_t{9},
                           std::size_t{4096}, raw.size()}) {
    AttachDemux demux;
    std::string got;
    for (std::size_t at = 0; at < raw.size(); at += step) got += demux.feed(raw.substr(at, step));
    EXPECT_EQ(got, want) << "reads of " << step << " bytes";
  }
}

TEST(WaitStatusCode, TheExitCodeOrNothing) {
  EXPECT_EQ(wait_status_code(R"({"Error":null,"StatusCode":0})"), 0);
  EXPECT_EQ(wait_status_code(R"({"Error":null,"StatusCode":137})"), 137);
  EXPECT_EQ(wait_status_code(R"({"Error":{"Message":"boom"},"StatusCode":0})"), std::nullopt);
  EXPECT_EQ(wait_status_code(R"({"message":"No such container: x"})"), std::nullopt);
  EXPECT_EQ(wait_status_code(""), std::nullopt);
}

}  // namespace
}  // namespace mlgate::runners
