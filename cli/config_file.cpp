#include "cli/config_file.h"

#include "cli/client.h"
#include "util/capped_file.h"

namespace mlgate::cli {

core::ConfigParseResult parse_config_file(const std::string& path,
                                          const core::ConfigLimits& limits) {
  auto read = util::read_capped_file(path, core::kMaxConfigBytes, true);
  if (!read.bytes)
    throw ClientError(
        "cannot read " + path + (read.problem.empty() ? ": no such file" : ": " + read.problem), 2);
  if (read.size > core::kMaxConfigBytes)
    return core::ConfigParseResult{
        std::nullopt,
        {core::ConfigError{1, 1,
                           "the file is " + std::to_string(read.size) + " bytes; the limit is " +
                               std::to_string(core::kMaxConfigBytes) + " bytes"}}};
  return core::parse_config(*read.bytes, limits);
}

}  // namespace mlgate::cli
