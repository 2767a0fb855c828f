// mlgate config validate [FILE]: checks a .mlgate.yml offline, with the same parser and limits the
// server plans with: the default ceilings of `mlgate serve`, or the ones given with the same
// options (--max-job-memory, --allowed-images, ...). Exit 0 valid, 1 invalid (every error with
// line and column), 2 unreadable.
#include <fstream>
#include <iostream>
#include <sstream>

#include "cli/client.h"
#include "cli/commands.h"
#include "cli/config_file.h"
#include "core/config.h"

namespace mlgate::cli {

void add_config_commands(CLI::App& app, ExitCode& exit_code) {
  auto* config = app.add_subcommand("config", "Work with .mlgate.yml files");
  config->require_subcommand(1);
  auto file = std::make_shared<std::string>(".mlgate.yml");
  auto* validate = config->add_subcommand(
      "validate", "Check a .mlgate.yml offline: every error with its line and column");
  validate->add_option("file", *file, "The file to check")->capture_default_str();
  auto ceilings = std::make_shared<core::JobCeilings>();
  add_job_ceiling_options(validate, *ceilings, "The server's ceilings (default: serve's)");
  validate->callback([file, ceilings, &exit_code] {
    core::ConfigLimits limits;
    limits.jobs = *ceilings;
    core::ConfigParseResult result;
    try {
      result = parse_config_file(*file, limits);
    } catch (const ClientError& e) {
      std::cerr << "mlgate: " << e.what() << "\n";
      exit_code.value = e.code();
      return;
    }
    if (!result) {
      std::cerr << core::format_errors(result.errors, *file);
      std::cerr << *file << ": " << result.errors.size() << " error"
                << (result.errors.size() == 1 ? "" : "s") << "\n";
      exit_code.value = 1;
      return;
    }
    const auto& c = *result.config;
    std::cout << *file << ": valid (" << c.tiers.size() << " tier"
              << (c.tiers.size() == 1 ? "" : "s");
    for (const auto& t : c.tiers) std::cout << (&t == &c.tiers.front() ? ": " : ", ") << t.name;
    std::cout << "; " << c.gates.size() << " gate" << (c.gates.size() == 1 ? "" : "s");
    for (const auto& g : c.gates) std::cout << (&g == &c.gates.front() ? ": " : ", ") << g.name;
    std::cout << ")\n";
    exit_code.value = 0;
  });
}

}  // namespace mlgate::cli
