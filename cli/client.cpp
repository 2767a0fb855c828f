#include "cli/client.h"

#include <httplib.h>

#include <fstream>
#include <iostream>

#include "cli/commands.h"
#include "util/url.h"

namespace mlgate::cli {

void add_client_options(CLI::App* cmd, ClientOptions& options) {
  cmd->add_option("--url", options.url, "Server URL ($MLGATE_URL, default http://127.0.0.1:8080)");
  cmd->add_option("--token-file", options.token_file,
                  "File holding the API token (else $MLGATE_TOKEN)");
  cmd->add_flag("--json", options.json, "Print JSON for scripts");
}

namespace {

std::string resolve_token(const ClientOptions& o) {
  if (!o.token.empty()) return o.token;
  if (!o.token_file.empty()) {
    std::ifstream in(o.token_file);
    if (!in) throw ClientError("cannot read token file " + o.token_file, 2);
    std::string t;
    std::getline(in, t);
    return t;
  }
  return env_or("MLGATE_TOKEN", "");
}

}  // namespace

namespace {

// GET when `payload` is null, otherwise POST of it as `content_type`.
ApiResponse send_request(const ClientOptions& options, const std::string& path,
                         const std::string* payload, const std::string& content_type,
                         bool allow_error) {
  std::string url =
      options.url.empty() ? env_or("MLGATE_URL", "http://127.0.0.1:8080") : options.url;
  const auto split = util::split_http_url(url);
  if (!split || (!split->rest.empty() && split->rest.front() != '/'))
    throw ClientError("bad server URL '" + url + "' (expected http://host:port)", 2);
  std::string base_path = split->rest;
  while (!base_path.empty() && base_path.back() == '/') base_path.pop_back();
  httplib::Client client(split->origin);
  client.set_connection_timeout(5);
  client.set_read_timeout(60);
  httplib::Headers headers;
  std::string token = resolve_token(options);
  if (!token.empty()) headers.emplace("Authorization", "Bearer " + token);
  std::string full = base_path + path;
  httplib::Result r{nullptr, httplib::Error::Unknown};
  if (!payload)
    r = client.Get(full.c_str(), headers);
  else
    r = client.Post(full.c_str(), headers, *payload, content_type.c_str());
  if (!r) {
    throw ClientError("cannot reach mlgate at " + url + " (" + httplib::to_string(r.error()) +
                          "); is the server running, and is MLGATE_URL right?",
                      3);
  }
  ApiResponse out;
  out.status = r->status;
  out.body = nlohmann::json::parse(r->body, nullptr, false);
  std::string message =
      out.body.is_object() && out.body.contains("error") && out.body["error"].is_object()
          ? out.body["error"].value("message", r->body)
          : r->body;
  if (r->status == 401)
    throw ClientError("not authorised: " + message + " (set MLGATE_TOKEN or --token-file)", 4);
  if (r->status == 403) throw ClientError("forbidden: " + message, 4);
  if (r->status >= 400 && !allow_error)
    throw ClientError(message + " (HTTP " + std::to_string(r->status) + ")", 1);
  return out;
}

}  // namespace

ApiResponse api_request(const ClientOptions& options, const std::string& method,
                        const std::string& path, const nlohmann::json* body, bool allow_error) {
  if (method == "GET") return send_request(options, path, nullptr, "", allow_error);
  const std::string payload = body ? body->dump() : "{}";
  return send_request(options, path, &payload, "application/json", allow_error);
}

ApiResponse api_post_text(const ClientOptions& options, const std::string& path,
                          const std::string& payload, const std::string& content_type,
                          bool allow_error) {
  return send_request(options, path, &payload, content_type, allow_error);
}

void print_table(const std::vector<std::string>& header,
                 const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> width(header.size());
  for (size_t i = 0; i < header.size(); ++i) width[i] = header[i].size();
  for (const auto& r : rows) {
    for (size_t i = 0; i < r.size() && i < width.size(); ++i)
      width[i] = std::max(width[i], r[i].size());
  }
  auto line = [&](const std::vector<std::string>& cells) {
    std::string out;
    for (size_t i = 0; i < cells.size(); ++i) {
      out += cells[i];
      if (i + 1 < cells.size()) out += std::string(width[i] - cells[i].size() + 2, ' ');
    }
    std::cout << out << "\n";
  };
  line(header);
  for (const auto& r : rows) line(r);
}

int run_client(const std::function<void()>& fn) {
  try {
    fn();
    return 0;
  } catch (const ClientError& e) {
    // An empty message is an exit code alone: the output already said why (e.g. a gate's deny).
    if (*e.what()) std::cerr << "mlgate: " << e.what() << "\n";
    return e.code();
  } catch (const std::exception& e) {
    // Not a failure of the thing asked about (1): an error, like the usage errors.
    std::cerr << "mlgate: " << e.what() << "\n";
    return 2;
  }
}

std::string json_text(const nlohmann::json& o, const char* key, const std::string& none) {
  if (!o.is_object()) return none;
  auto it = o.find(key);
  if (it == o.end() || it->is_null()) return none;
  return it->is_string() ? it->get<std::string>() : it->dump();
}

}  // namespace mlgate::cli
