#include "core/prometheus_text.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>

namespace mlgate::core {
namespace {

bool name_char(char c, bool first, bool colon) {
  const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
  const bool digit = c >= '0' && c <= '9';
  return alpha || (colon && c == ':') || (!first && digit);
}

bool valid_name(std::string_view name, bool colon) {
  if (name.empty()) return false;
  for (std::size_t i = 0; i < name.size(); ++i)
    if (!name_char(name[i], i == 0, colon)) return false;
  return true;
}

const char* type_name(MetricType t) {
  switch (t) {
    case MetricType::counter:
      return "counter";
    case MetricType::gauge:
      return "gauge";
    case MetricType::histogram:
      return "histogram";
  }
  return "untyped";
}

void append_labels(std::string& out, const MetricLabels& labels, const std::string* le) {
  if (labels.empty() && !le) return;
  out += '{';
  bool first = true;
  auto one = [&](const std::string& name, const std::string& value) {
    if (!valid_label_name(name) || name.rfind("__", 0) == 0)
      throw std::invalid_argument("invalid label name '" + name + "'");
    if (!first) out += ',';
    first = false;
    out += name;
    out += "=\"";
    out += escape_label_value(value);
    out += '"';
  };
  for (const auto& [name, value] : labels) {
    if (le && name == "le") throw std::invalid_argument("a histogram cannot have a label 'le'");
    one(name, value);
  }
  if (le) one("le", *le);
  out += '}';
}

void append_sample(std::string& out, const std::string& name, const MetricLabels& labels,
                   const std::string* le, double value) {
  out += name;
  append_labels(out, labels, le);
  out += ' ';
  out += format_metric_value(value);
  out += '\n';
}

void append_histogram(std::string& out, const MetricFamily& f) {
  for (std::size_t i = 1; i < f.bounds.size(); ++i)
    if (!(f.bounds[i - 1] < f.bounds[i]))
      throw std::invalid_argument(f.name + ": histogram bounds must be strictly ascending");
  for (const auto& h : f.histograms) {
    if (h.bucket_counts.size() != f.bounds.size() + 1)
      throw std::invalid_argument(f.name + ": " + std::to_string(h.bucket_counts.size()) +
                                  " bucket counts for " + std::to_string(f.bounds.size()) +
                                  " bounds (need bounds + 1)");
    std::uint64_t cumulative = 0;
    for (std::size_t i = 0; i <= f.bounds.size(); ++i) {
      cumulative += h.bucket_counts[i];
      const std::string le = i < f.bounds.size() ? format_metric_value(f.bounds[i]) : "+Inf";
      append_sample(out, f.name + "_bucket", h.labels, &le, static_cast<double>(cumulative));
    }
    append_sample(out, f.name + "_sum", h.labels, nullptr, h.sum);
    append_sample(out, f.name + "_count", h.labels, nullptr, static_cast<double>(cumulative));
  }
}

}  // namespace

std::string escape_label_value(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '"')
      out += "\\\"";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  return out;
}

std::string escape_help(std::string_view help) {
  std::string out;
  out.reserve(help.size());
  for (char c : help) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  return out;
}

std::string format_metric_value(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  char buf[40];
  if (value == std::floor(value) && std::fabs(value) < 9007199254740992.0) {  // 2^53
    std::snprintf(buf, sizeof buf, "%.0f", value);
    return std::string(buf) == "-0" ? "0" : buf;
  }
  // The shortest %g that reads back as the same double.
  for (int precision = 1; precision <= 17; ++precision) {
    std::snprintf(buf, sizeof buf, "%.*g", precision, value);
    if (std::strtod(buf, nullptr) == value) break;
  }
  return buf;
}

bool valid_metric_name(std::string_view name) {
  return valid_name(name, true);
}

bool valid_label_name(std::string_view name) {
  return valid_name(name, false);
}

std::size_t bucket_index(const std::vector<double>& bounds, double value) {
  return static_cast<std::size_t>(std::lower_bound(bounds.begin(), bounds.end(), value) -
                                  bounds.begin());
}

std::string render_prometheus_text(const std::vector<MetricFamily>& families) {
  std::string out;
  for (const auto& f : families) {
    if (!valid_metric_name(f.name))
      throw std::invalid_argument("invalid metric name '" + f.name + "'");
    out += "# HELP " + f.name + " " + escape_help(f.help) + "\n";
    out += "# TYPE " + f.name + " " + type_name(f.type) + "\n";
    if (f.type == MetricType::histogram) {
      append_histogram(out, f);
    } else {
      for (const auto& s : f.samples) append_sample(out, f.name, s.labels, nullptr, s.value);
    }
  }
  return out;
}

}  // namespace mlgate::core
