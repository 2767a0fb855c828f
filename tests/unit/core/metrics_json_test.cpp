#include "core/metrics_json.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <limits>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "core/utf8.h"
#include "tests/support/temp_dir.h"

namespace mlgate::core {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

std::string fixture(const std::string& name) {
  return testing::read_file(std::filesystem::path(MLGATE_SHARED_FIXTURES) / "results" / name);
}

std::vector<Metric> parse_ok(std::string_view text, const MetricsJsonOptions& options = {}) {
  auto r = parse_metrics_json(text, options);
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().to_string());
  return r.ok() ? std::move(r).value() : std::vector<Metric>{};
}

ParseError parse_fail(std::string_view text, const MetricsJsonOptions& options = {}) {
  auto r = parse_metrics_json(text, options);
  EXPECT_FALSE(r.ok()) << text.substr(0, 200);
  return r.ok() ? ParseError{} : r.error();
}

// "name" or "key=value/name", with n and value: a compact form to compare rows.
std::string row(const Metric& m) {
  std::string out = m.slice_key.empty() ? m.name : m.slice_key + "=" + m.slice_value + "/" + m.name;
  out += " " + json_detail::format_number(m.value);
  if (m.n) out += " n=" + std::to_string(*m.n);
  return out;
}

std::vector<std::string> rows(const std::vector<Metric>& metrics) {
  std::vector<std::string> out;
  for (const auto& m : metrics) out.push_back(row(m));
  return out;
}

using Rows = std::vector<std::string>;

TEST(MetricsParseError, ToString) {
  EXPECT_EQ((ParseError{"metrics.json", 3, 17, "m"}).to_string(), "metrics.json:3:17: m");
  EXPECT_EQ((ParseError{"metrics.json", 3, 0, "m"}).to_string(), "metrics.json:3: m");
  EXPECT_EQ((ParseError{"metrics.json", 0, 0, "m"}).to_string(), "metrics.json: m");
  EXPECT_EQ((ParseError{"", 3, 17, "m"}).to_string(), "3:17: m");
  EXPECT_EQ((ParseError{"", 0, 0, "m"}).to_string(), "m");
  // Positions count characters, and "\r\n" ends a line once.
  EXPECT_EQ(position_at("ab\r\ncd", 5).line, 2);
  EXPECT_EQ(position_at("ab\r\ncd", 5).column, 2);
  EXPECT_EQ(position_at("\xC3\xA9\xC3\xA9x", 4).column, 3);
  EXPECT_EQ(position_at("abc", 99).column, 4);  // clamped to the end
}

TEST(MetricsParseError, ParsedHoldsOneOrTheOther) {
  Parsed<int> ok = 7;
  EXPECT_TRUE(ok.ok());
  EXPECT_EQ(*ok, 7);
  Parsed<int> bad = ParseError{"f", 1, 2, "m"};
  EXPECT_FALSE(bad);
  EXPECT_EQ(bad.error().message, "m");
  EXPECT_THROW(bad.value(), std::bad_variant_access);
}

// ---------------------------------------------------------------------------------------------
// The two forms.

TEST(MetricsJsonForms, DesignExample) {
  const auto m = parse_ok(
      R"({"metrics": {"accuracy": 0.93}, "slices": {"age_group": {"<30": {"recall": 0.85, "n": 412}}}})");
  ASSERT_EQ(m.size(), 2u);
  EXPECT_EQ(m[0].name, "accuracy");
  EXPECT_EQ(m[0].slice_key, "");
  EXPECT_EQ(m[0].slice_value, "");
  EXPECT_EQ(m[0].n, std::nullopt);
  EXPECT_EQ(m[0].value, 0.93);
  EXPECT_EQ(m[1].name, "recall");
  EXPECT_EQ(m[1].slice_key, "age_group");
  EXPECT_EQ(m[1].slice_value, "<30");
  EXPECT_EQ(m[1].n, 412);
  EXPECT_EQ(m[1].value, 0.85);
}

TEST(MetricsJsonForms, NestedFixtureFromPythonJsonDump) {
  const auto m = parse_ok(fixture("metrics_nested.json"));
  EXPECT_EQ(rows(m), (Rows{"accuracy 0.9312", "f1 0.9105", "latency_p95_ms 41", "log_loss NaN",
                           "age_group=<30/recall 0.85 n=412", "age_group=<30/fpr 0.07 n=412",
                           "age_group=30-60/recall 0.91 n=1380", "age_group=30-60/fpr 0.05 n=1380",
                           "age_group=60+/recall 0.79 n=12", "age_group=60+/fpr Infinity n=12",
                           "sex=female/fpr 0.061 n=903", "sex=male/fpr 0.058 n=901"}));
  EXPECT_TRUE(std::isnan(m[3].value));
}

TEST(MetricsJsonForms, FlatFixture) {
  const auto m = parse_ok(fixture("metrics_flat.json"));
  EXPECT_EQ(rows(m), (Rows{"accuracy 0.93", "auc 0.971", "n_errors 7", "drift -Infinity"}));
  for (const auto& x : m) {
    EXPECT_EQ(x.slice_key, "");
    EXPECT_EQ(x.n, std::nullopt);
  }
}

TEST(MetricsJsonForms, GlobalsComeFirstWhateverTheKeyOrder) {
  const auto m = parse_ok(R"({"slices": {"s": {"v": {"a": 1}}}, "metrics": {"b": 2}})");
  EXPECT_EQ(rows(m), (Rows{"b 2", "s=v/a 1"}));
}

TEST(MetricsJsonForms, MetricsOrSlicesAlone) {
  EXPECT_EQ(rows(parse_ok(R"({"metrics": {"a": 1}})")), Rows{"a 1"});
  EXPECT_EQ(rows(parse_ok(R"({"slices": {"s": {"v": {"a": 1}}}})")), Rows{"s=v/a 1"});
  EXPECT_TRUE(parse_ok(R"({"metrics": {}, "slices": {}})").empty());
  EXPECT_TRUE(parse_ok("{}").empty());
}

TEST(MetricsJsonForms, MetaIsIgnoredInBothForms) {
  EXPECT_EQ(rows(parse_ok(R"({"metrics": {"a": 1}, "meta": {"model": "x", "seeds": [1, [2]]}})")),
            Rows{"a 1"});
  EXPECT_EQ(rows(parse_ok(R"({"a": 1, "meta": "run 7"})")), Rows{"a 1"});
}

TEST(MetricsJsonForms, NInGlobalsIsAnOrdinaryMetric) {
  EXPECT_EQ(rows(parse_ok(R"({"metrics": {"n": 5}})")), Rows{"n 5"});
  EXPECT_EQ(rows(parse_ok(R"({"n": 5})")), Rows{"n 5"});
}

// ---------------------------------------------------------------------------------------------
// Slices and n.

TEST(MetricsJsonSlices, NIsOptionalAndAppliesToTheGroup) {
  const auto m = parse_ok(R"({"slices": {"age": {
      "<30": {"recall": 0.8, "n": 412, "fpr": 0.1},
      "30+": {"recall": 0.9},
      "any": {"n": 0, "recall": 1},
      "float-n": {"n": 412.0, "recall": 0.5},
      "only-n": {"n": 3}}}})");
  EXPECT_EQ(rows(m),
            (Rows{"age=<30/recall 0.8 n=412", "age=<30/fpr 0.1 n=412", "age=30+/recall 0.9",
                  "age=any/recall 1 n=0", "age=float-n/recall 0.5 n=412"}));
}

TEST(MetricsJsonSlices, EmptySliceValueIsAllowed) {
  EXPECT_EQ(rows(parse_ok(R"({"slices": {"region": {"": {"recall": 0.5}}}})")),
            Rows{"region=/recall 0.5"});
}

TEST(MetricsJsonSlices, BadN) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"-1", "-1"},
      {"1.5", "1.5"},
      {"\"412\"", "a string"},
      {"NaN", "NaN"},
      {"Infinity", "Infinity"},
      {"null", "null"},
      {"true", "true"},
      {"[1]", "an array"},
      {"1e300", "1e+300"},
      {"18446744073709551615", "18446744073709551615"},
  };
  for (const auto& [n, got] : cases) {
    const ParseError e = parse_fail(R"({"slices": {"age": {"<30": {"n": )" + n + "}}}}");
    EXPECT_EQ(e.message, "expected a whole number >= 0 for slices.age.<30.n, got " + got) << n;
    EXPECT_EQ(e.line, 1);
    EXPECT_EQ(e.column, 34) << n;
  }
}

TEST(MetricsJsonSlices, GroupsMustBeObjects) {
  EXPECT_EQ(parse_fail(R"({"slices": [1]})").message,
            "expected an object for slices, got an array");
  EXPECT_EQ(parse_fail(R"({"metrics": 0.9})").message,
            "expected an object for metrics, got a number");
  EXPECT_EQ(parse_fail(R"({"slices": {"age": 3}})").message,
            "expected an object for slices.age, got a number");
  EXPECT_EQ(parse_fail(R"({"slices": {"age": {"<30": 0.8}}})").message,
            "expected an object for slices.age.<30, got a number");
  EXPECT_EQ(parse_fail(R"({"slices": {"age": {"<30": {"recall": {"v": 1}}}}})").message,
            "expected a number for slices.age.<30.recall, got an object");
}

// ---------------------------------------------------------------------------------------------
// Numbers.

TEST(MetricsJsonNumbers, PythonNonFiniteLiterals) {
  const auto m = parse_ok("{\"a\": NaN, \"b\": Infinity, \"c\": -Infinity,\"d\":NaN}");
  ASSERT_EQ(m.size(), 4u);
  EXPECT_TRUE(std::isnan(m[0].value));
  EXPECT_EQ(m[1].value, kInf);
  EXPECT_EQ(m[2].value, -kInf);
  EXPECT_TRUE(std::isnan(m[3].value));
}

TEST(MetricsJsonNumbers, NonFiniteLiteralsInsideStringsStayStrings) {
  // Keys named like the literals are ordinary names.
  const auto m = parse_ok(R"({"NaN": 1, "Infinity": 2, "-Infinity": 3})");
  EXPECT_EQ(rows(m), (Rows{"NaN 1", "Infinity 2", "-Infinity 3"}));
  EXPECT_EQ(parse_fail(R"({"metrics": {"a": "Infinity"}})").message,
            "expected a number for metrics.a, got a string");
  EXPECT_EQ(parse_fail(R"({"a": "NaN"})").message, "expected a number for a, got a string");
  // A string holding the literal next to an escaped quote is still a string.
  EXPECT_EQ(parse_fail(R"({"a": "x\", NaN"})").message, "expected a number for a, got a string");
  // Inside meta, a literal in a string or an array is fine and ignored.
  EXPECT_EQ(rows(parse_ok(R"({"meta": ["NaN", NaN, -Infinity], "metrics": {"a": 1}})")),
            Rows{"a 1"});
}

TEST(MetricsJsonNumbers, OtherSpellingsAreErrors) {
  for (const std::string bad : {"nan", "-NaN", "+Infinity", "inf", "-inf", "Inf", "NaNx", "NaN0",
                                "Infinityy", "- Infinity", "+1", "01", "1.", ".5", "0x10"}) {
    const ParseError e = parse_fail("{\"a\": " + bad + "}");
    EXPECT_EQ(e.message.rfind("invalid JSON: ", 0), 0u) << bad << ": " << e.message;
    EXPECT_EQ(e.line, 1) << bad;
  }
}

TEST(MetricsJsonNumbers, ErrorsShowTheLiteralsAsWritten) {
  // Internally NaN is read as a same-length number; messages quote the file's text.
  ParseError e = parse_fail("{\"a\": NaN Infinity}");
  EXPECT_EQ(e.column, 11);
  EXPECT_NE(e.message.find("last read: 'NaN I'"), std::string::npos) << e.message;
  e = parse_fail("{\"a\": -Infinity 1}");
  EXPECT_EQ(e.line, 1);
  EXPECT_EQ(e.message.find("0.0"), std::string::npos) << e.message;
}

TEST(MetricsJsonNumbers, IntegersAndHugeNumbers) {
  const auto m = parse_ok(
      R"({"int": 3, "neg": -7, "big": 18446744073709551616, "u64": 18446744073709551615,
          "inf": 1e400, "ninf": -1E+400, "tiny": 1e-400, "frac": 1234.5e-2,
          "long": 1)" +
      std::string(400, '0') + R"(, "longfrac": 0.)" + std::string(400, '0') + R"(1e5})");
  ASSERT_EQ(m.size(), 10u);
  EXPECT_EQ(m[0].value, 3.0);
  EXPECT_EQ(m[1].value, -7.0);
  EXPECT_EQ(m[2].value, 18446744073709551616.0);
  EXPECT_EQ(m[3].value, 18446744073709551615.0);
  EXPECT_EQ(m[4].value, kInf);
  EXPECT_EQ(m[5].value, -kInf);
  EXPECT_EQ(m[6].value, 0.0);
  EXPECT_DOUBLE_EQ(m[7].value, 12.345);
  EXPECT_EQ(m[8].value, kInf);
  EXPECT_EQ(m[9].value, 0.0);
}

TEST(MetricsJsonNumbers, WrongTypesNameThePathAndPosition) {
  // The documented example of a message, to the column.
  const std::string text =
      "{\"slices\": {\"age_group\": {\n"
      "  \"<30\": {\"n\": 4,\n"
      "      \"recall\": \"0.85\"}}}}";
  const ParseError e = parse_fail(text);
  EXPECT_EQ(e.to_string(),
            "metrics.json:3:17: expected a number for slices.age_group.<30.recall, got a string");

  EXPECT_EQ(parse_fail(R"({"metrics": {"a": true}})").message,
            "expected a number for metrics.a, got true");
  EXPECT_EQ(parse_fail(R"({"metrics": {"a": null}})").message,
            "expected a number for metrics.a, got null");
  EXPECT_EQ(parse_fail(R"({"metrics": {"a": [0.9]}})").message,
            "expected a number for metrics.a, got an array");
  EXPECT_EQ(parse_fail(R"({"accuracy": {"v": 1}})").message,
            "expected a number for accuracy, got an object");
  const ParseError flat = parse_fail("{\n  \"a\": 1,\n  \"b\": \"x\"\n}");
  EXPECT_EQ(flat.to_string(), "metrics.json:3:8: expected a number for b, got a string");
}

// ---------------------------------------------------------------------------------------------
// Keys.

TEST(MetricsJsonKeys, UnknownTopLevelKeyInTheNestedForm) {
  const ParseError e = parse_fail("{\"metrics\": {\"a\": 1},\n \"slice\": {}}");
  EXPECT_EQ(e.to_string(),
            "metrics.json:2:2: unknown top-level key \"slice\" (expected \"metrics\", \"slices\" "
            "or \"meta\")");
  EXPECT_EQ(parse_fail(R"({"accuracy": 0.9, "metrics": {"a": 1}})").message,
            "unknown top-level key \"accuracy\" (expected \"metrics\", \"slices\" or \"meta\")");
}

TEST(MetricsJsonKeys, DuplicateKeysAnywhere) {
  ParseError e = parse_fail("{\"a\": 1,\n \"a\": 2}");
  EXPECT_EQ(e.to_string(), "metrics.json:2:2: duplicate key \"a\" at the top level");
  e = parse_fail(R"({"slices": {"age": {"<30": {"recall": 1, "recall": 2}}}})");
  EXPECT_EQ(e.message, "duplicate key \"recall\" in slices.age.<30");
  e = parse_fail(R"({"slices": {"age": {"<30": {}}, "age": {}}})");
  EXPECT_EQ(e.message, "duplicate key \"age\" in slices");
  e = parse_fail(R"({"metrics": {"a": 1}, "meta": {"runs": [{"x": 1}, {"x": 1, "x": 2}]}})");
  EXPECT_EQ(e.message, "duplicate key \"x\" in meta.runs[1]");
  // Many keys (the set switches representation past 16).
  std::string many = "{";
  for (int i = 0; i < 40; ++i) many += "\"k" + std::to_string(i) + "\": 1, ";
  EXPECT_EQ(parse_ok(many + "\"last\": 1}").size(), 41u);
  EXPECT_EQ(parse_fail(many + "\"k7\": 1}").message, "duplicate key \"k7\" at the top level");
  // Objects with more than 16 keys are checked when they close: still the earliest repeat in
  // document order, at its position.
  std::string big = "{";
  for (int i = 0; i < 20; ++i) big += "\"k" + std::to_string(i) + "\": 1, ";
  big += "\"k19\": 2, \"k3\": 3}";
  e = parse_fail(big);
  EXPECT_EQ(e.message, "duplicate key \"k19\" at the top level");
  EXPECT_EQ(e.column, static_cast<int>(big.find("\"k19\": 2")) + 1);
  e = parse_fail("{\"metrics\": {\"a\": 1}, \"meta\": [0, " + big + "]}");
  EXPECT_EQ(e.message, "duplicate key \"k19\" in meta[1]");
  // Same text, different escapes: the same key.
  EXPECT_EQ(parse_fail(R"({"ab": 1, "a\u0062": 2})").message,
            "duplicate key \"ab\" at the top level");
}

TEST(MetricsJsonKeys, EmptyNames) {
  EXPECT_EQ(parse_fail(R"({"": 1})").message, "empty metric name at ");
  EXPECT_EQ(parse_fail(R"({"metrics": {"": 1}})").message, "empty metric name at metrics.");
  EXPECT_EQ(parse_fail(R"({"slices": {"": {"v": {"a": 1}}}})").message,
            "empty slice key in slices");
}

TEST(MetricsJsonKeys, UnicodeNamesAndEscapes) {
  const auto m = parse_ok(R"({"slices": {"langue": {"fran\u00e7ais": {"pr\u00e9cision": 0.9}}}})");
  ASSERT_EQ(m.size(), 1u);
  EXPECT_EQ(m[0].slice_value,
            "fran\xC3\xA7"
            "ais");
  EXPECT_EQ(m[0].name,
            "pr\xC3\xA9"
            "cision");
}

// ---------------------------------------------------------------------------------------------
// Document-level errors.

TEST(MetricsJsonErrors, TopLevelMustBeAnObject) {
  EXPECT_EQ(parse_fail("[1, 2]").to_string(),
            "metrics.json:1:1: expected a JSON object at the top level, got an array");
  EXPECT_EQ(parse_fail("  0.93").to_string(),
            "metrics.json:1:3: expected a JSON object at the top level, got a number");
  EXPECT_EQ(parse_fail("\"x\"").message, "expected a JSON object at the top level, got a string");
  EXPECT_EQ(parse_fail("NaN").message, "expected a JSON object at the top level, got a number");
}

TEST(MetricsJsonErrors, Empty) {
  for (const std::string text : {"", " \n\t\r\n", "\xEF\xBB\xBF "}) {
    EXPECT_EQ(parse_fail(text).to_string(), "metrics.json: file is empty");
  }
}

TEST(MetricsJsonErrors, BomIsSkipped) {
  EXPECT_EQ(rows(parse_ok("\xEF\xBB\xBF{\"a\": NaN}")), Rows{"a NaN"});
}

TEST(MetricsJsonErrors, SyntaxErrorsHaveLineAndColumn) {
  ParseError e = parse_fail("{\n  \"a\": 1,\n}");
  EXPECT_EQ(e.line, 3);
  EXPECT_EQ(e.column, 1);
  EXPECT_EQ(e.message.rfind("invalid JSON: syntax error while parsing object key", 0), 0u)
      << e.message;
  e = parse_fail("{\"a\": 1");
  EXPECT_EQ(e.line, 1);
  EXPECT_EQ(e.column, 8);  // the end of the text
  EXPECT_NE(e.message.find("unexpected end of input"), std::string::npos) << e.message;
  e = parse_fail("{\"a\": tru}");
  EXPECT_EQ(e.line, 1);
  EXPECT_EQ(e.column, 10);
  e = parse_fail("{\"a\": 1} {\"b\": 2}");
  EXPECT_EQ(e.column, 10);
  EXPECT_NE(e.message.find("expected end of input"), std::string::npos) << e.message;
  e = parse_fail("{\"a\": 1 // comment\n}");
  EXPECT_EQ(e.line, 1);
  e = parse_fail("{'a': 1}");
  EXPECT_EQ(e.column, 2);
}

TEST(MetricsJsonErrors, SizeCap) {
  MetricsJsonOptions options;
  options.max_bytes = 10;
  options.file_name = "out/metrics.json";
  EXPECT_EQ(parse_fail(R"({"accuracy": 0.9})", options).to_string(),
            "out/metrics.json: file is 17 bytes, over the cap of 10 bytes");
  options.max_bytes = 17;
  EXPECT_EQ(parse_ok(R"({"accuracy": 0.9})", options).size(), 1u);
  EXPECT_EQ(MetricsJsonOptions{}.max_bytes, 4u * 1024 * 1024);
  EXPECT_EQ(parse_fail(std::string(4 * 1024 * 1024 + 1, ' ')).message,
            "file is 4194305 bytes, over the cap of 4194304 bytes");
}

// ---------------------------------------------------------------------------------------------
// Hostile input: an error or a bounded result, never a crash or a hang.

TEST(MetricsJsonHostile, DeepNestingIsRejectedBeforeParsing) {
  MetricsJsonOptions big;
  big.max_bytes = 64 << 20;
  const std::string deep(10 * 1024 * 1024, '[');
  const auto start = std::chrono::steady_clock::now();
  ParseError e = parse_fail(deep, big);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(30));
  EXPECT_EQ(e.to_string(), "metrics.json:1:65: JSON nested deeper than 64 levels");
  std::string objects;
  for (int i = 0; i < 100000; ++i) objects += "{\"a\":";
  EXPECT_EQ(parse_fail(objects).message, "JSON nested deeper than 64 levels");
}

TEST(MetricsJsonHostile, DepthLimitIsExact) {
  // The root object is level 1: meta holds 63 more levels -> 64 in all.
  const auto nest = [](int levels) {
    return "{\"meta\": " + std::string(levels, '[') + std::string(levels, ']') + "}";
  };
  EXPECT_TRUE(parse_metrics_json(nest(63)).ok());
  EXPECT_EQ(parse_fail(nest(64)).message, "JSON nested deeper than 64 levels");
  MetricsJsonOptions options;
  options.max_depth = 3;
  EXPECT_TRUE(parse_metrics_json(R"({"slices": {"a": {"b": {"c": 1}}}})", options).ok() == false);
  EXPECT_TRUE(parse_metrics_json(R"({"metrics": {"a": 1}})", options).ok());
}

TEST(MetricsJsonHostile, TenMegabytesOfJunk) {
  MetricsJsonOptions big;
  big.max_bytes = 64 << 20;
  std::string junk(10 * 1024 * 1024, '\0');
  unsigned x = 99;
  for (auto& c : junk) {
    x = x * 1103515245 + 12345;
    c = static_cast<char>(x >> 16);
  }
  EXPECT_FALSE(parse_metrics_json(junk, big).ok());
  junk[0] = '{';
  EXPECT_FALSE(parse_metrics_json(junk, big).ok());
  junk[0] = '"';
  EXPECT_FALSE(parse_metrics_json(junk, big).ok());
}

TEST(MetricsJsonHostile, NulBytes) {
  using namespace std::string_literals;
  // nlohmann alone would stop at the NUL and accept the object before it.
  ParseError nul = parse_fail("{\"a\": 1}\0{\"b\": [garbage"s);
  EXPECT_EQ(nul.to_string(), "metrics.json:1:9: invalid JSON: NUL byte");
  EXPECT_EQ(parse_fail("{\"a\0b\": 1}"s).message.rfind("invalid JSON: ", 0), 0u);
  EXPECT_EQ(parse_fail(std::string(100, '\0')).message.rfind("invalid JSON: ", 0), 0u);
  const ParseError e = parse_fail(R"({"a\u0000b": 1})");
  EXPECT_EQ(e.message, "strings must not contain the NUL character (\\u0000)");
  EXPECT_EQ(e.column, 2);
}

TEST(MetricsJsonHostile, InvalidUtf8) {
  for (const std::string bad : {"\xFF", "\xC3", "\xC0\xAF", "\xED\xA0\x80", "\xF4\x90\x80\x80"}) {
    const ParseError e = parse_fail("{\"a" + bad + "\": 1}");
    EXPECT_EQ(e.message.rfind("invalid JSON: ", 0), 0u) << e.message;
    // The message quotes what was read; the text shown and stored (a job's message, a JSON
    // answer) is UTF-8 all the same, the bad bytes written out as \xNN.
    EXPECT_TRUE(well_formed_utf8(e.to_string())) << e.to_string();
  }
  EXPECT_NE(parse_fail("{\"a\xFF\": 1}").to_string().find("\\xFF"), std::string::npos);
  EXPECT_FALSE(parse_metrics_json("{\"a\": 1}\xFF").ok());
  EXPECT_FALSE(parse_metrics_json(R"({"a\ud800": 1})").ok());  // a lone surrogate escape
}

TEST(MetricsJsonHostile, WideObjectsAreBounded) {
  std::string wide = "{\"metrics\": {";
  for (int i = 0; wide.size() < 4 * 1024 * 1024 - 100; ++i) {
    wide += "\"m" + std::to_string(i) + "\":" + std::to_string(i % 10) + ",";
  }
  wide += "\"last\": 1}, \"meta\": [";
  wide += "]}";
  const auto start = std::chrono::steady_clock::now();
  const auto m = parse_ok(wide);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(60));
  EXPECT_GT(m.size(), 300000u);

  std::string arrays = "{\"meta\": [";
  while (arrays.size() < 4 * 1024 * 1024 - 10) arrays += "[],";
  arrays += "0]}";
  EXPECT_TRUE(parse_ok(arrays).empty());
}

}  // namespace
}  // namespace mlgate::core
