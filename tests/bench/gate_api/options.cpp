// The command line of bench_gate_api (scripts/bench gate passes it), and the small helpers of
// common.h.
#include <algorithm>
#include <cstdlib>
#include <iostream>
#include <sstream>
#include <thread>

#include "tests/bench/gate_api/common.h"

namespace mlgate::bench {
namespace {

[[noreturn]] void usage_error(const std::string& why) {
  std::cerr << "bench_gate_api: " << why << "\n"
            << "usage: bench_gate_api [--concurrency 1,4,16] [--seconds N] [--candidates N]\n"
               "                      [--predictions N] [--verbose]\n";
  std::exit(2);
}

int int_arg(const std::string& name, const std::string& v, int lo, int hi) {
  try {
    size_t used = 0;
    int n = std::stoi(v, &used);
    if (used == v.size() && n >= lo && n <= hi) return n;
  } catch (const std::exception&) {
  }
  usage_error(name + " must be an integer from " + std::to_string(lo) + " to " +
              std::to_string(hi) + " (got '" + v + "')");
}

}  // namespace

void nap(std::chrono::milliseconds d) {
  using namespace std::chrono_literals;
  const auto end = std::chrono::steady_clock::now() + d;
  while (std::chrono::steady_clock::now() < end) {
    check_interrupted();
    std::this_thread::sleep_for(
        std::min<std::chrono::nanoseconds>(end - std::chrono::steady_clock::now(), 20ms));
  }
}

void progress(const std::string& s) {
  std::cerr << "\033[1m==> " << s << "\033[0m" << std::endl;
}

Options parse_options(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) usage_error(a + " needs a value");
      return argv[++i];
    };
    if (a == "--concurrency") {
      o.concurrency.clear();
      std::stringstream in(value());
      for (std::string part; std::getline(in, part, ',');)
        o.concurrency.push_back(int_arg(a, part, 1, 64));
      if (o.concurrency.empty()) usage_error("--concurrency needs at least one number");
    } else if (a == "--seconds") {
      o.seconds = int_arg(a, value(), 1, 60);
    } else if (a == "--candidates") {
      o.candidates = int_arg(a, value(), 1, 20000);
    } else if (a == "--predictions") {
      o.predictions = int_arg(a, value(), 1, 100000);
    } else if (a == "--verbose") {
      o.verbose = true;
    } else {
      usage_error("unknown argument '" + a + "'");
    }
  }
  return o;
}

}  // namespace mlgate::bench
