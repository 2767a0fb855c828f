// HMAC/SHA-256 helpers and the GitHub/GitLab authenticity checks.
#include "webhooks/signature.h"

#include <gtest/gtest.h>

#include <string>

#include "tests/support/temp_dir.h"
#include "util/hash.h"
#include "webhooks/headers.h"

namespace mlgate::webhooks {
namespace {

// GitHub's documented example ("Validating webhook deliveries").
constexpr std::string_view kDocSecret = "It's a Secret to Everybody";
constexpr std::string_view kDocPayload = "Hello, World!";
constexpr std::string_view kDocDigest =
    "757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";

std::string upper(std::string s) {
  for (char& c : s) {
    if (c >= 'a' && c <= 'f') c = static_cast<char>(c - 'a' + 'A');
  }
  return s;
}

TEST(Signature, HmacMatchesGithubDocumentedVector) {
  EXPECT_EQ(util::hmac_sha256_hex(kDocSecret, kDocPayload), kDocDigest);
}

TEST(Signature, HmacRfc4231TestCase2) {
  EXPECT_EQ(util::hmac_sha256_hex("Jefe", "what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(Signature, Sha256KnownVectors) {
  EXPECT_EQ(util::sha256_hex(""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(util::sha256_hex("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(Signature, HmacOfEmptyBodyIsDefined) {
  // RFC 4231-style sanity: an empty body still gives a 64-digit MAC.
  EXPECT_EQ(util::hmac_sha256_hex("key", "").size(), 64u);
  EXPECT_NE(util::hmac_sha256_hex("key", ""), util::hmac_sha256_hex("key2", ""));
}

TEST(GithubSignature, AcceptsCorrectSignature) {
  EXPECT_TRUE(
      verify_github_signature(kDocSecret, kDocPayload, "sha256=" + std::string(kDocDigest)));
}

TEST(GithubSignature, AcceptsUppercaseHexDigits) {
  EXPECT_TRUE(
      verify_github_signature(kDocSecret, kDocPayload, "sha256=" + upper(std::string(kDocDigest))));
}

TEST(GithubSignature, RejectsUppercasePrefix) {
  EXPECT_FALSE(
      verify_github_signature(kDocSecret, kDocPayload, "SHA256=" + std::string(kDocDigest)));
}

TEST(GithubSignature, RejectsWrongSecretAndWrongBody) {
  const std::string header = "sha256=" + std::string(kDocDigest);
  EXPECT_FALSE(verify_github_signature("It's a secret to everybody", kDocPayload, header));
  EXPECT_FALSE(verify_github_signature(kDocSecret, "Hello, World!\n", header));
  EXPECT_FALSE(verify_github_signature(kDocSecret, "", header));
}

TEST(GithubSignature, RejectsOneFlippedDigit) {
  std::string digest(kDocDigest);
  digest.back() = digest.back() == '7' ? '8' : '7';
  EXPECT_FALSE(verify_github_signature(kDocSecret, kDocPayload, "sha256=" + digest));
  digest = std::string(kDocDigest);
  digest.front() = '0';
  EXPECT_FALSE(verify_github_signature(kDocSecret, kDocPayload, "sha256=" + digest));
}

TEST(GithubSignature, RejectsMissingOrOtherPrefix) {
  EXPECT_FALSE(verify_github_signature(kDocSecret, kDocPayload, kDocDigest));
  EXPECT_FALSE(verify_github_signature(kDocSecret, kDocPayload, "sha1=" + std::string(kDocDigest)));
  EXPECT_FALSE(
      verify_github_signature(kDocSecret, kDocPayload, "sha256:" + std::string(kDocDigest)));
  EXPECT_FALSE(verify_github_signature(kDocSecret, kDocPayload, "sha256="));
  EXPECT_FALSE(verify_github_signature(kDocSecret, kDocPayload, ""));
}

TEST(GithubSignature, RejectsTruncatedOrExtendedDigest) {
  const std::string full = "sha256=" + std::string(kDocDigest);
  EXPECT_FALSE(verify_github_signature(kDocSecret, kDocPayload, full.substr(0, full.size() - 1)));
  EXPECT_FALSE(verify_github_signature(kDocSecret, kDocPayload, full.substr(0, full.size() - 2)));
  EXPECT_FALSE(verify_github_signature(kDocSecret, kDocPayload, full.substr(0, 7 + 32)));
  EXPECT_FALSE(verify_github_signature(kDocSecret, kDocPayload, full + "0"));
  EXPECT_FALSE(verify_github_signature(kDocSecret, kDocPayload, full + "00"));
}

TEST(GithubSignature, RejectsWhitespaceAndNonHex) {
  const std::string digest(kDocDigest);
  EXPECT_FALSE(verify_github_signature(kDocSecret, kDocPayload, " sha256=" + digest));
  EXPECT_FALSE(verify_github_signature(kDocSecret, kDocPayload, "sha256=" + digest + " "));
  EXPECT_FALSE(verify_github_signature(kDocSecret, kDocPayload, "sha256= " + digest.substr(1)));
  std::string bad = digest;
  bad[10] = 'g';
  EXPECT_FALSE(verify_github_signature(kDocSecret, kDocPayload, "sha256=" + bad));
  std::string nul = "sha256=" + digest;
  nul[20] = '\0';
  EXPECT_FALSE(verify_github_signature(kDocSecret, kDocPayload, nul));
}

TEST(GithubSignature, EmptySecretNeverVerifies) {
  // Even a signature that is correct for the empty key.
  const std::string header = "sha256=" + util::hmac_sha256_hex("", kDocPayload);
  EXPECT_FALSE(verify_github_signature("", kDocPayload, header));
}

TEST(GithubSignature, SignsFixtureBytesExactly) {
  const std::string body =
      mlgate::testing::read_file(MLGATE_SHARED_FIXTURES "/webhooks/github/push.json");
  const std::string secret = "mlgate-test-secret";
  const std::string header = "sha256=" + util::hmac_sha256_hex(secret, body);
  EXPECT_TRUE(verify_github_signature(secret, body, header));
  std::string tampered = body;
  tampered[tampered.size() / 2] ^= 0x01;
  EXPECT_FALSE(verify_github_signature(secret, tampered, header));
  EXPECT_FALSE(verify_github_signature(secret, body + "\n", header));
}

TEST(GitlabToken, RightWrongEmpty) {
  EXPECT_TRUE(verify_gitlab_token("s3cr3t-token", "s3cr3t-token"));
  EXPECT_FALSE(verify_gitlab_token("s3cr3t-token", "s3cr3t-tokem"));
  EXPECT_FALSE(verify_gitlab_token("s3cr3t-token", "s3cr3t-token "));
  EXPECT_FALSE(verify_gitlab_token("s3cr3t-token", "s3cr3t-toke"));
  EXPECT_FALSE(verify_gitlab_token("s3cr3t-token", "S3CR3T-TOKEN"));
  EXPECT_FALSE(verify_gitlab_token("s3cr3t-token", ""));
  EXPECT_FALSE(verify_gitlab_token("", ""));
  EXPECT_FALSE(verify_gitlab_token("", "anything"));
}

TEST(GitlabToken, BinarySafe) {
  const std::string a("ab\0cd", 5);
  const std::string b("ab\0ce", 5);
  EXPECT_TRUE(verify_gitlab_token(a, a));
  EXPECT_FALSE(verify_gitlab_token(a, b));
  EXPECT_FALSE(verify_gitlab_token(a, "ab"));
}

TEST(VerifyRequest, UsesTheForgeHeader) {
  Headers gh{{"x-hub-signature-256", "sha256=" + std::string(kDocDigest)}};
  EXPECT_TRUE(verify_request(Forge::github, kDocSecret, gh, kDocPayload));
  EXPECT_FALSE(verify_request(Forge::github, "other", gh, kDocPayload));
  EXPECT_FALSE(verify_request(Forge::github, kDocSecret, Headers{}, kDocPayload));
  // The legacy SHA-1 header is not accepted.
  Headers sha1{{"X-Hub-Signature", "sha1=" + std::string(40, 'a')}};
  EXPECT_FALSE(verify_request(Forge::github, kDocSecret, sha1, kDocPayload));

  Headers gl{{"X-GITLAB-TOKEN", "tok"}};
  EXPECT_TRUE(verify_request(Forge::gitlab, "tok", gl, "{}"));
  EXPECT_FALSE(verify_request(Forge::gitlab, "tok2", gl, "{}"));
  EXPECT_FALSE(verify_request(Forge::gitlab, "tok", Headers{}, "{}"));
  // A GitHub-signed request is not a GitLab one.
  EXPECT_FALSE(verify_request(Forge::gitlab, kDocSecret, gh, kDocPayload));
}

}  // namespace
}  // namespace mlgate::webhooks
