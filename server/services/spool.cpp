#include "server/services/spool.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "server/http/json_log.h"

namespace mlgate::server {
namespace fs = std::filesystem;

namespace {

std::string base64(const std::string& in) {
  std::string out(4 * ((in.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(in.data()),
                          static_cast<int>(in.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

std::string unbase64(const std::string& in) {
  std::string out(3 * in.size() / 4 + 3, '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(in.data()),
                          static_cast<int>(in.size()));
  if (n < 0) throw std::runtime_error("spool: bad base64");
  size_t pad = 0;
  if (!in.empty() && in.back() == '=') ++pad;
  if (in.size() > 1 && in[in.size() - 2] == '=') ++pad;
  out.resize(static_cast<size_t>(n) - pad);
  return out;
}

void fsync_dir(const fs::path& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
}

// Reads one spool file: one JSON object a line. A torn last line (a crash mid-append, before the
// 202 was sent) is skipped.
std::vector<SpooledDelivery> read_spool(const fs::path& file) {
  std::vector<SpooledDelivery> out;
  std::ifstream in(file, std::ios::binary);
  std::string line;
  while (std::getline(in, line)) {
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (!j.is_object()) {
      log_event(spdlog::level::warn, "spool: skipping a torn record", {{"file", file.string()}});
      continue;
    }
    SpooledDelivery d;
    d.forge = j.value("forge", "");
    d.received_at = j.value("received_at", "");
    d.body = unbase64(j.value("body", ""));
    if (j.contains("headers") && j["headers"].is_object()) {
      for (auto it = j["headers"].begin(); it != j["headers"].end(); ++it) {
        if (it.value().is_string()) d.headers[it.key()] = it.value().get<std::string>();
      }
    }
    out.push_back(std::move(d));
  }
  return out;
}

}  // namespace

Spool::Spool(fs::path dir, std::uint64_t max_bytes)
    : dir_(std::move(dir)),
      file_(dir_ / "webhooks.spool"),
      draining_(dir_ / "webhooks.spool.draining"),
      max_bytes_(max_bytes) {
  fs::create_directories(dir_);
}

bool Spool::append(const SpooledDelivery& d) {
  nlohmann::json headers = nlohmann::json::object();
  for (const auto& [k, v] : d.headers) headers[k] = v;
  nlohmann::json j = {{"forge", d.forge},
                      {"received_at", d.received_at},
                      {"headers", headers},
                      {"body", base64(d.body)}};
  std::string line = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  std::lock_guard lock(append_mu_);
  std::error_code ec;
  auto size = fs::exists(file_, ec) ? fs::file_size(file_, ec) : 0;
  if (size + line.size() > max_bytes_) return false;
  bool created = size == 0;
  int fd = ::open(file_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (fd < 0) return false;
  size_t off = 0;
  while (off < line.size()) {
    ssize_t n = ::write(fd, line.data() + off, line.size() - off);
    if (n <= 0) {
      ::close(fd);
      return false;
    }
    off += static_cast<size_t>(n);
  }
  bool ok = ::fdatasync(fd) == 0;
  ::close(fd);
  if (created) fsync_dir(dir_);
  return ok;
}

bool Spool::has_pending() const {
  std::error_code ec;
  return (fs::exists(file_, ec) && fs::file_size(file_, ec) > 0) || fs::exists(draining_, ec);
}

size_t Spool::drain(const std::function<void(const SpooledDelivery&)>& deliver) {
  std::lock_guard drain_lock(drain_mu_);
  std::error_code ec;
  // A drain interrupted earlier left its file behind: finish it first. Otherwise take the current
  // spool file away from appenders atomically.
  if (!fs::exists(draining_, ec)) {
    std::lock_guard lock(append_mu_);
    if (!fs::exists(file_, ec) || fs::file_size(file_, ec) == 0) return 0;
    fs::rename(file_, draining_);
    fsync_dir(dir_);
  }
  auto records = read_spool(draining_);
  size_t done = 0;
  try {
    for (const auto& d : records) {
      deliver(d);
      ++done;
    }
  } catch (...) {
    // Keep what was not delivered: rewrite the draining file with the remainder.
    fs::path rest = dir_ / "webhooks.spool.rest";
    std::string remainder;
    {
      std::ifstream in(draining_, std::ios::binary);
      std::string line;
      size_t i = 0;
      while (std::getline(in, line)) {
        auto j = nlohmann::json::parse(line, nullptr, false);
        if (!j.is_object()) continue;
        if (i++ >= done) remainder += line + "\n";
      }
    }
    // Written and fsync'd before it replaces the draining file: a crash keeps one or the other.
    int fd = ::open(rest.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd >= 0) {
      bool ok = ::write(fd, remainder.data(), remainder.size()) ==
                    static_cast<ssize_t>(remainder.size()) &&
                ::fdatasync(fd) == 0;
      ::close(fd);
      if (ok) fs::rename(rest, draining_);
    }
    fsync_dir(dir_);
    throw;
  }
  fs::remove(draining_);
  fsync_dir(dir_);
  return done;
}

}  // namespace mlgate::server
