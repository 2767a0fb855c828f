// The CLI's HTTP client: MLGATE_URL (default http://127.0.0.1:8080) and MLGATE_TOKEN (or
// --token-file), JSON in and out, errors a person can act on.
#pragma once

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>

namespace mlgate::cli {

struct ClientOptions {
  std::string url;
  std::string token;
  std::string token_file;
  bool json = false;
};

// Adds --url, --token-file and --json to a client subcommand.
void add_client_options(CLI::App* cmd, ClientOptions& options);

// An error for the user; the message is printed as "mlgate: <message>", exit code `code`.
class ClientError : public std::runtime_error {
 public:
  ClientError(const std::string& message, int code = 1)
      : std::runtime_error(message), code_(code) {}
  int code() const { return code_; }

 private:
  int code_;
};

struct ApiResponse {
  int status = 0;
  nlohmann::json body;
};

// Throws ClientError for a connection failure, 401/403 (bad token), and any status >= 400 unless
// `allow_error` (then the caller reads the status).
ApiResponse api_request(const ClientOptions& options, const std::string& method,
                        const std::string& path, const nlohmann::json* body = nullptr,
                        bool allow_error = false);

// POST of a text body (e.g. JSON lines) as `content_type`; errors as api_request.
ApiResponse api_post_text(const ClientOptions& options, const std::string& path,
                          const std::string& payload, const std::string& content_type,
                          bool allow_error = false);

// Prints rows as an aligned table with a header line.
void print_table(const std::vector<std::string>& header,
                 const std::vector<std::vector<std::string>>& rows);

// Runs fn, turning ClientError and std::exception into a message on stderr and an exit code.
int run_client(const std::function<void()>& fn);

// o[key] as text for printing: a string as it is, another value as JSON, `none` when o is not an
// object or the key is absent or null.
std::string json_text(const nlohmann::json& o, const char* key, const std::string& none = "");

void add_repo_commands(CLI::App& app, int& exit_code);
void add_webhook_commands(CLI::App& app, int& exit_code);

}  // namespace mlgate::cli
