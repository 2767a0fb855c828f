#include "server/http/json_log.h"

#include <spdlog/formatter.h>
#include <spdlog/sinks/stdout_sinks.h>

#include <chrono>
#include <ctime>

#include "util/time_format.h"

namespace mlgate::server {
namespace {

class JsonFormatter : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    const std::string ts = util::iso8601_millis(msg.time);
    std::string payload(msg.payload.data(), msg.payload.size());
    nlohmann::json line = {{"ts", ts}, {"level", spdlog::level::to_string_view(msg.level).data()}};
    nlohmann::json parsed;
    if (!payload.empty() && payload.front() == '{') {
      parsed = nlohmann::json::parse(payload, nullptr, false);
    }
    if (parsed.is_object()) {
      for (auto it = parsed.begin(); it != parsed.end(); ++it) line[it.key()] = it.value();
    } else {
      line["msg"] = payload;
    }
    std::string text = line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    text += '\n';
    dest.append(text.data(), text.data() + text.size());
  }
  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<JsonFormatter>();
  }
};

}  // namespace

void install_json_logger(spdlog::level::level_enum level) {
  auto sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
  sink->set_formatter(std::make_unique<JsonFormatter>());
  auto logger = std::make_shared<spdlog::logger>("mlgate", sink);
  logger->set_level(level);
  logger->flush_on(spdlog::level::info);
  spdlog::set_default_logger(logger);
}

void log_event(spdlog::level::level_enum level, const std::string& msg, nlohmann::json fields) {
  if (!fields.is_object()) fields = nlohmann::json::object();
  fields["msg"] = msg;
  spdlog::log(level, "{}", fields.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

}  // namespace mlgate::server
