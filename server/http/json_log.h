// Logs as one JSON object a line on stderr (spdlog with a JSON formatter). A message that is itself
// a JSON object (access log lines, structured events) has its fields merged into the line.
#pragma once

#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>
#include <string>

namespace mlgate::server {

void install_json_logger(spdlog::level::level_enum level = spdlog::level::info);

// Logs `fields` (plus "msg") as one structured line.
void log_event(spdlog::level::level_enum level, const std::string& msg, nlohmann::json fields = {});

}  // namespace mlgate::server
