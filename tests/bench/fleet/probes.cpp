#include "tests/bench/fleet/probes.h"

#include <sys/wait.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <regex>
#include <stdexcept>

#include "util/child_process.h"

namespace mlgate::bench {

WrkRun run_wrk(const std::string& script, const std::string& url, int connections, int seconds,
               int timeout_seconds, const std::vector<std::string>& script_args) {
  std::vector<std::string> argv = {"wrk",
                                   "-t2",
                                   "-c" + std::to_string(connections),
                                   "-d" + std::to_string(seconds) + "s",
                                   "--latency",
                                   "--timeout",
                                   std::to_string(timeout_seconds) + "s",
                                   "-s",
                                   script,
                                   url};
  if (!script_args.empty()) {
    argv.push_back("--");
    argv.insert(argv.end(), script_args.begin(), script_args.end());
  }
  std::string out;
  const int st = util::run_capture(argv, out);
  if (!(WIFEXITED(st) && WEXITSTATUS(st) == 0))
    throw std::runtime_error("wrk " + util::describe_wait_status(st) + ":\n" + out);
  static const std::regex line(
      R"(BENCH requests=(\d+) duration_us=(\d+) p50_us=(\d+) p99_us=(\d+) )"
      R"(connect=(\d+) read=(\d+) write=(\d+) timeout=(\d+) status=(\d+) )"
      R"(unexpected=(\d+))");
  std::smatch m;
  if (!std::regex_search(out, m, line)) throw std::runtime_error("wrk printed no summary:\n" + out);
  WrkRun r;
  long* fields[] = {&r.requests, &r.duration_us, &r.p50_us,  &r.p99_us, &r.connect,
                    &r.read,     &r.write,       &r.timeout, &r.status, &r.unexpected};
  for (size_t i = 0; i < std::size(fields); ++i) *fields[i] = std::stol(m[i + 1]);
  static const std::regex first(R"(BENCH_FIRST_UNEXPECTED ([^\n]*))");
  if (std::regex_search(out, m, first)) r.first_unexpected = m[1];
  return r;
}

ProcSample sample_process(pid_t pid) {
  ProcSample s;
  const std::string dir = "/proc/" + std::to_string(pid);
  std::ifstream in(dir + "/status");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("VmRSS:", 0) == 0) s.rss_kib = std::atol(line.c_str() + 6);
    if (line.rfind("Threads:", 0) == 0) s.threads = std::atol(line.c_str() + 8);
  }
  std::error_code ec;
  for (auto it = std::filesystem::directory_iterator(dir + "/fd", ec);
       !ec && it != std::filesystem::directory_iterator(); it.increment(ec))
    ++s.fds;
  return s;
}

std::string loadavg() {
  std::ifstream in("/proc/loadavg");
  std::string a, b, c;
  in >> a >> b >> c;
  return a + " " + b + " " + c;
}

double loadavg1() {
  std::ifstream in("/proc/loadavg");
  double a = 0;
  in >> a;
  return a;
}

Sampler::Sampler(pid_t pid) : pid_(pid) {
  thread_ = std::thread([this] {
    while (!stop_) {
      const ProcSample s = sample_process(pid_);
      const double l = loadavg1();
      {
        std::lock_guard lock(m_);
        peak_.rss_kib = std::max(peak_.rss_kib, s.rss_kib);
        peak_.threads = std::max(peak_.threads, s.threads);
        peak_.fds = std::max(peak_.fds, s.fds);
        peak_load1_ = std::max(peak_load1_, l);
      }
      for (int i = 0; i < 10 && !stop_; ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  });
}

Sampler::~Sampler() {
  stop_ = true;
  thread_.join();
}

ProcSample Sampler::peak() const {
  std::lock_guard lock(m_);
  return peak_;
}

double Sampler::peak_load1() const {
  std::lock_guard lock(m_);
  return peak_load1_;
}

}  // namespace mlgate::bench
