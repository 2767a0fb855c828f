#include "util/secret_file.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>

namespace mlgate::util {
namespace {

class SecretFile : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/mlgate-secret-test-XXXXXX";
    const int fd = mkstemp(tmpl);
    ASSERT_GE(fd, 0);
    ::close(fd);
    path_ = tmpl;
  }
  void TearDown() override { std::remove(path_.c_str()); }
  void write(const std::string& content) { std::ofstream(path_) << content; }
  std::string path_;
};

TEST_F(SecretFile, FirstLineWithoutTrailingBlanks) {
  write("s3cret-token  \r\nsecond line\n");
  EXPECT_EQ(read_secret_line(path_), "s3cret-token");
}

TEST_F(SecretFile, LeadingSpacesStay) {
  write("  token");
  EXPECT_EQ(read_secret_line(path_), "  token");
}

TEST_F(SecretFile, EmptyFileIsEmpty) {
  write("");
  EXPECT_EQ(read_secret_line(path_), "");
}

TEST_F(SecretFile, MissingFileIsNullopt) {
  EXPECT_EQ(read_secret_line(path_ + "-missing"), std::nullopt);
}

}  // namespace
}  // namespace mlgate::util
