// The operator's ceilings on what a tier may ask for (docs/security.md, "Operator ceilings"):
// the same options on `mlgate serve` (which plans with them) and `mlgate config validate` (which
// checks a file against them offline).
#include <sstream>

#include "cli/commands.h"

namespace mlgate::cli {

void add_job_ceiling_options(CLI::App* cmd, core::JobCeilings& ceilings, const std::string& group) {
  cmd->add_option("--max-job-cpus", ceilings.cpus, "Most CPUs a tier may ask for (resources.cpus)")
      ->capture_default_str()
      ->check(CLI::Range(0.01, 1024.0))
      ->group(group);
  cmd->add_option_function<std::string>(
         "--max-job-memory",
         [&ceilings](const std::string& text) {
           auto bytes = core::parse_memory_size(text);
           if (!bytes || *bytes < (std::int64_t{6} << 20))
             throw CLI::ValidationError("--max-job-memory",
                                        "a size of at least 6m, like 512m, 16g or 16Gi");
           ceilings.memory_bytes = *bytes;
         },
         "Most memory a tier may ask for (resources.memory), e.g. 16g (default " +
             core::format_memory_size(ceilings.memory_bytes) + ")")
      ->group(group);
  cmd->add_option("--max-job-pids", ceilings.pids, "Most processes a tier may ask for")
      ->capture_default_str()
      ->check(CLI::Range(std::int64_t{1}, std::int64_t{1} << 22))
      ->group(group);
  cmd->add_option("--max-job-gpus", ceilings.gpus,
                  "Most GPUs a tier may ask for (0: GPU tiers are refused)")
      ->capture_default_str()
      ->check(CLI::Range(0, 1024))
      ->group(group);
  cmd->add_option("--allowed-images", ceilings.images,
                  "Images a tier may name: comma-separated glob patterns ('*' matches '/' too), "
                  "repeatable")
      ->delimiter(',')
      ->capture_default_str()
      ->check(
          [](const std::string& p) {
            return p.empty() || p.find_first_of(" \t\r\n") != std::string::npos
                       ? std::string("an image pattern is not empty and has no spaces")
                       : std::string();
          },
          "PATTERN")
      ->group(group);
  cmd->add_option("--allowed-networks", ceilings.networks,
                  "Networks a tier may ask for, comma-separated: none (always allowed), bridge")
      ->delimiter(',')
      ->capture_default_str()
      ->check(CLI::IsMember({"none", "bridge"}))
      ->group(group);
}

std::string job_defaults_over_ceilings(double cpus, std::int64_t memory_bytes, std::int64_t pids,
                                       const core::JobCeilings& ceilings) {
  std::ostringstream out;
  if (cpus > ceilings.cpus)
    out << "--default-job-cpus " << cpus << " is over --max-job-cpus " << ceilings.cpus << "; ";
  if (memory_bytes > ceilings.memory_bytes)
    out << "--default-job-memory " << core::format_memory_size(memory_bytes)
        << " is over --max-job-memory " << core::format_memory_size(ceilings.memory_bytes) << "; ";
  if (pids > ceilings.pids)
    out << "--default-job-pids " << pids << " is over --max-job-pids " << ceilings.pids << "; ";
  std::string text = out.str();
  if (!text.empty()) text.resize(text.size() - 2);
  return text;
}

}  // namespace mlgate::cli
