// A .mlgate.yml on disk, read and parsed for an offline command (`config validate`, `gate
// evaluate`): a regular file only (a FIFO or a device is refused, never waited on), a symbolic link
// followed (the user named the file), at most core::kMaxConfigBytes + 1 bytes read whatever its
// size.
#pragma once

#include <string>

#include "core/config.h"

namespace mlgate::cli {

// The file parsed (a file over the limit is one error at 1:1, as core::parse_config words it).
// Throws ClientError (exit 2) when the file cannot be read.
core::ConfigParseResult parse_config_file(const std::string& path,
                                          const core::ConfigLimits& limits = {});

}  // namespace mlgate::cli
