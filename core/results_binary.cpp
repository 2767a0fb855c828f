// A job's results to and from compact bytes (core/results_binary.h), checked on the way in.
#include "core/results_binary.h"

#include <cstdint>
#include <tuple>

#include "core/byte_codec.h"

namespace mlgate::core {
namespace {

constexpr std::string_view kTestsMagic = "MGT1";
constexpr std::string_view kMetricsMagic = "MGM1";
constexpr std::string_view kPredictionsMagic = "MGR1";

constexpr std::uint8_t kHasScore = 1;
constexpr std::uint8_t kHasTruth = 2;
constexpr std::uint8_t kHasValue = 4;

class Reader : public ByteReader {
 public:
  Reader(std::string_view in, std::string_view magic, const std::string& document)
      : ByteReader(in, document + " (binary)") {
    if (raw(magic.size()) != magic) bad("document", "not binary " + document);
  }
  std::string text(const char* where) { return std::string(text32(where)); }
  // An error about the item named `name` of the kind `kind` ("prediction \"case-1\": ...").
  [[noreturn]] void bad_item(const char* kind, const std::string& name, const std::string& what) {
    bad(std::string(kind) + " \"" + name + "\"", what);
  }
  // A count of items that take at least one byte each: never more than the bytes left.
  std::uint32_t count(const char* where) {
    const auto n = uint<std::uint32_t>();
    if (n > left()) bad(where, "a count runs past the end");
    return n;
  }
  void end() {
    if (!done()) bad("document", "bytes after the results");
  }
};

ByteWriter started(std::string_view magic, std::size_t items, std::size_t bytes_each) {
  ByteWriter w;
  w.reserve(magic.size() + 4 + items * bytes_each);
  w.raw(magic);
  w.uint(static_cast<std::uint32_t>(items));
  return w;
}

void write_prediction(ByteWriter& w, const Prediction& p) {
  w.text32(p.id);
  w.text32(p.label);
  w.uint(static_cast<std::uint8_t>((p.score ? kHasScore : 0) | (p.truth ? kHasTruth : 0) |
                                   (p.value ? kHasValue : 0)));
  if (p.score) w.f64(*p.score);
  if (p.truth) w.text32(*p.truth);
  if (p.value) w.f64(*p.value);
  w.uint(static_cast<std::uint32_t>(p.slices.size()));
  for (const auto& [key, value] : p.slices) {
    w.text32(key);
    w.text32(value);
  }
  w.uint(static_cast<std::uint32_t>(p.scores.size()));
  for (const auto& [label, probability] : p.scores) {
    w.text32(label);
    w.f64(probability);
  }
}

// Pairs sorted by their first member, each first member once.
template <typename Pairs>
bool sorted_distinct(const Pairs& pairs) {
  for (std::size_t i = 1; i < pairs.size(); ++i)
    if (!(pairs[i - 1].first < pairs[i].first)) return false;
  return true;
}

// Reads one prediction into `p`, a default-constructed one (no temporary to move from: a document
// holds thousands).
void read_prediction(Reader& r, Prediction& p) {
  constexpr const char* where = "prediction";
  p.id = r.text32(where);
  p.label = r.text32(where);
  const auto present = r.uint<std::uint8_t>();
  if (present & ~(kHasScore | kHasTruth | kHasValue)) r.bad_item(where, p.id, "unknown flags");
  if (present & kHasScore) p.score = r.f64();
  if (present & kHasTruth) p.truth = r.text(where);
  if (present & kHasValue) p.value = r.f64();
  if (const auto n = r.count(where); n > 0) {
    p.slices.reserve(n);
    for (auto i = n; i > 0; --i) {
      auto key = r.text(where);
      p.slices.emplace_back(std::move(key), r.text(where));
    }
    if (!sorted_distinct(p.slices)) r.bad_item(where, p.id, "slices not sorted by distinct keys");
  }
  if (const auto n = r.count(where); n > 0) {
    p.scores.reserve(n);
    for (auto i = n; i > 0; --i) {
      auto label = r.text(where);
      p.scores.emplace_back(std::move(label), r.f64());
    }
    if (!sorted_distinct(p.scores)) r.bad_item(where, p.id, "scores not sorted by distinct labels");
  }
}

auto metric_order(const Metric& m) {
  return std::tie(m.slice_key, m.slice_value, m.name);
}

}  // namespace

std::string tests_to_binary(const std::vector<TestCase>& tests) {
  ByteWriter w = started(kTestsMagic, tests.size(), 64);
  for (const auto& t : tests) {
    w.text32(t.name);
    w.text32(t.classname);
    w.uint(static_cast<std::uint8_t>(t.status));
    w.f64(t.time_seconds);
    w.text32(t.message);
    w.uint(static_cast<std::uint32_t>(t.mltest.size()));
    for (const auto& id : t.mltest) w.text32(id);
  }
  return std::move(w).take();
}

std::string metrics_to_binary(const std::vector<Metric>& metrics) {
  ByteWriter w = started(kMetricsMagic, metrics.size(), 48);
  for (const auto& m : metrics) {
    w.text32(m.name);
    w.text32(m.slice_key);
    w.text32(m.slice_value);
    w.uint(static_cast<std::uint8_t>(m.n ? 1 : 0));
    if (m.n) w.uint(static_cast<std::uint64_t>(*m.n));
    w.f64(m.value);
  }
  return std::move(w).take();
}

std::string predictions_to_binary(const std::vector<Prediction>& predictions) {
  ByteWriter w = started(kPredictionsMagic, predictions.size(), 40);
  for (const auto& p : predictions) write_prediction(w, p);
  return std::move(w).take();
}

std::vector<TestCase> tests_from_binary(std::string_view bytes) {
  Reader r(bytes, kTestsMagic, "tests");
  std::vector<TestCase> out(r.count("document"));
  for (auto& t : out) {
    constexpr const char* where = "test";
    t.name = r.text(where);
    t.classname = r.text(where);
    const auto status = r.uint<std::uint8_t>();
    if (status > static_cast<std::uint8_t>(TestStatus::skipped))
      r.bad_item(where, t.name, "unknown status");
    t.status = static_cast<TestStatus>(status);
    t.time_seconds = r.f64();
    t.message = r.text(where);
    for (auto n = r.count(where); n > 0; --n) t.mltest.push_back(r.text(where));
  }
  r.end();
  return out;
}

std::vector<Metric> metrics_from_binary(std::string_view bytes) {
  Reader r(bytes, kMetricsMagic, "metrics");
  std::vector<Metric> out(r.count("document"));
  for (std::size_t i = 0; i < out.size(); ++i) {
    Metric& m = out[i];
    constexpr const char* where = "metric";
    m.name = r.text(where);
    m.slice_key = r.text(where);
    m.slice_value = r.text(where);
    const auto has_n = r.uint<std::uint8_t>();
    if (has_n > 1) r.bad_item(where, m.name, "unknown flags");
    if (has_n) m.n = static_cast<std::int64_t>(r.uint<std::uint64_t>());
    m.value = r.f64();
    if (m.name.empty()) r.bad(where, "a metric without a name");
    if (m.slice_key.empty() && !m.slice_value.empty())
      r.bad_item(where, m.name, "a slice value without a key");
    if (m.n && *m.n < 0) r.bad_item(where, m.name, "a negative n");
    if (i > 0 && !(metric_order(out[i - 1]) < metric_order(m)))
      r.bad_item(where, m.name, "out of order");
  }
  r.end();
  return out;
}

std::vector<Prediction> predictions_from_binary(std::string_view bytes) {
  Reader r(bytes, kPredictionsMagic, "predictions");
  std::vector<Prediction> out;
  const std::size_t n = r.count("document");
  out.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    read_prediction(r, out.emplace_back());
    if (i > 0 && !(out[i - 1].id < out[i].id))
      r.bad_item("prediction", out[i].id, "ids not in increasing order");
  }
  r.end();
  return out;
}

}  // namespace mlgate::core
