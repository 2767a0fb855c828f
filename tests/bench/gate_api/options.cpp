// The command line of bench_gate_api (scripts/bench gate passes it).
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
  if (auto n = int_in(v, lo, hi)) return *n;
  usage_error(name + " must be an integer from " + std::to_string(lo) + " to " +
              std::to_string(hi) + " (got '" + v + "')");
}

}  // namespace

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
      o.candidates = int_arg(a, value(), 2, 20000);  // the last is not measured
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
