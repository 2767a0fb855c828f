#include "core/predictions.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "tests/support/temp_dir.h"

namespace mlgate::core {
namespace {

std::string fixture(const std::string& name) {
  return testing::read_file(std::filesystem::path(MLGATE_SHARED_FIXTURES) / "results" / name);
}

std::vector<Prediction> parse_ok(std::string_view text, const PredictionsOptions& options = {}) {
  auto r = parse_predictions_jsonl(text, options);
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().to_string());
  return r.ok() ? std::move(r).value() : std::vector<Prediction>{};
}

ParseError parse_fail(std::string_view text, const PredictionsOptions& options = {}) {
  auto r = parse_predictions_jsonl(text, options);
  EXPECT_FALSE(r.ok()) << text.substr(0, 200);
  return r.ok() ? ParseError{} : r.error();
}

std::vector<std::string> labels(const std::vector<Prediction>& rows) {
  std::vector<std::string> out;
  for (const auto& p : rows) out.push_back(p.label);
  return out;
}

using Strings = std::vector<std::string>;

TEST(PredictionsJsonl, FixtureFromPython) {
  const auto p = parse_ok(fixture("predictions.jsonl"));
  ASSERT_EQ(p.size(), 6u);
  EXPECT_EQ(p[0].id, "case-0001");
  EXPECT_EQ(p[0].label, "1");
  EXPECT_EQ(p[0].score, 0.93);
  EXPECT_EQ(p[2].id, "3");  // an integer id, on a CRLF line
  EXPECT_EQ(p[2].label, "\"spam\"");
  EXPECT_EQ(p[3].label, "true");
  EXPECT_EQ(p[3].score, std::nullopt);
  EXPECT_EQ(p[4].id, "case-0005");  // after a blank line
  EXPECT_EQ(p[4].label, "");        // no label
  ASSERT_TRUE(p[4].score.has_value());
  EXPECT_TRUE(std::isnan(*p[4].score));
  EXPECT_EQ(p[5].id, "caf\xC3\xA9-6");
  EXPECT_EQ(p[5].label, "null");
  EXPECT_EQ(p[5].score, 1e-7);  // "features" is ignored
}

TEST(PredictionsJsonl, LabelsKeepTheirJsonTextButWholeDecimalsAreIntegers) {
  const auto p = parse_ok(
      "{\"id\": 1, \"label\": 1}\n"
      "{\"id\": 2, \"label\": \"1\"}\n"
      "{\"id\": 3, \"label\": true}\n"
      "{\"id\": 4, \"label\": 1.0}\n"
      "{\"id\": 5, \"label\": 1e2}\n"
      "{\"id\": 6, \"label\": \"caf\\u00e9 \\\"x\\\"\\n\"}\n"
      "{\"id\": 7, \"label\": -0}\n"
      "{\"id\": 8, \"label\": NaN}\n"
      "{\"id\": 9, \"label\": false}\n"
      "{\"id\": 10, \"label\": null}\n"
      "{\"id\": 11, \"label\": \"\"}\n"
      "{\"id\": 12, \"label\": 18446744073709551615}\n");
  EXPECT_EQ(labels(p), (Strings{"1", "\"1\"", "true", "1", "100", "\"caf\xC3\xA9 \\\"x\\\"\\n\"",
                                "0", "NaN", "false", "null", "\"\"", "18446744073709551615"}));
}

TEST(PredictionsJsonl, NumericLabelsAreComparedByValueNotBySpelling) {
  // numpy's float64 labels print as 1.0; the baseline wrote 1: the same label, no flip.
  const auto p = parse_ok(
      "{\"id\": 1, \"label\": 1.0}\n"
      "{\"id\": 2, \"label\": -2.0}\n"
      "{\"id\": 3, \"label\": 0.5}\n"
      "{\"id\": 4, \"label\": -0.0}\n"
      "{\"id\": 5, \"label\": 1e300}\n"
      "{\"id\": 6, \"label\": Infinity}\n");
  EXPECT_EQ(labels(p), (Strings{"1", "-2", "0.5", "0", "1e+300", "Infinity"}));
}

TEST(PredictionsJsonl, LabelMustBeAScalar) {
  const ParseError e = parse_fail("{\"id\": 1, \"label\": [1, 2]}\n");
  EXPECT_EQ(e.to_string(),
            "predictions.jsonl:1:20: \"label\" must be a JSON scalar (string, number, boolean or "
            "null), got an array");
  EXPECT_EQ(parse_fail("{\"id\": 1, \"label\": {}}").message,
            "\"label\" must be a JSON scalar (string, number, boolean or null), got an object");
}

TEST(PredictionsJsonl, Ids) {
  const auto p = parse_ok(
      "{\"id\": \"a\", \"score\": 1}\n{\"id\": -5, \"score\": 1}\n"
      "{\"id\": 18446744073709551615, \"score\": 1}\n{\"id\": \" a \", \"score\": 1}\n");
  ASSERT_EQ(p.size(), 4u);
  EXPECT_EQ(p[0].id, "a");
  EXPECT_EQ(p[1].id, "-5");
  EXPECT_EQ(p[2].id, "18446744073709551615");
  EXPECT_EQ(p[3].id, " a ");  // ids are not trimmed
}

TEST(PredictionsJsonl, BadIds) {
  EXPECT_EQ(parse_fail("{\"label\": 1}").to_string(), "predictions.jsonl:1:1: missing \"id\"");
  EXPECT_EQ(parse_fail("{\"id\": 1.5, \"label\": 1}").to_string(),
            "predictions.jsonl:1:8: \"id\" must be a string or an integer, got 1.5");
  EXPECT_EQ(parse_fail("{\"id\": 1.0, \"label\": 1}").message,
            "\"id\" must be a string or an integer, got 1.0");
  EXPECT_EQ(parse_fail("{\"id\": 1e400, \"label\": 1}").message,
            "\"id\" must be a string or an integer, got Infinity");
  EXPECT_EQ(parse_fail("{\"id\": null, \"label\": 1}").message,
            "\"id\" must be a string or an integer, got null");
  EXPECT_EQ(parse_fail("{\"id\": true, \"label\": 1}").message,
            "\"id\" must be a string or an integer, got true");
  EXPECT_EQ(parse_fail("{\"id\": [1], \"label\": 1}").message,
            "\"id\" must be a string or an integer, got an array");
  EXPECT_EQ(parse_fail("{\"id\": \"\", \"label\": 1}").message, "\"id\" must not be empty");
}

TEST(PredictionsJsonl, DuplicateIds) {
  ParseError e = parse_fail(
      "{\"id\": \"a\", \"label\": 1}\n{\"id\": \"b\", \"label\": 1}\n"
      "{\"id\": \"a\", \"label\": 2}\n");
  EXPECT_EQ(e.to_string(), "predictions.jsonl:3:8: duplicate id \"a\" (first on line 1)");
  // 7 and "7" are the same id.
  e = parse_fail("{\"id\": 7, \"label\": 1}\n\n{\"id\": \"7\", \"label\": 1}\n");
  EXPECT_EQ(e.to_string(), "predictions.jsonl:3:8: duplicate id \"7\" (first on line 1)");
  // The earliest second occurrence in file order is reported.
  e = parse_fail(
      "{\"id\": \"z\", \"score\": 1}\n{\"id\": \"a\", \"score\": 1}\n{\"id\": \"a\", \"score\": "
      "1}\n{\"id\": \"z\", \"score\": 1}\n{\"id\": \"a\", \"score\": 1}\n");
  EXPECT_EQ(e.line, 3);
  EXPECT_EQ(e.message, "duplicate id \"a\" (first on line 2)");
}

TEST(PredictionsJsonl, FirstErrorInFileOrderWins) {
  // A duplicate on line 2 beats a syntax error on line 3 ...
  ParseError e = parse_fail("{\"id\": 1, \"score\": 1}\n{\"id\": 1, \"score\": 1}\n{oops\n");
  EXPECT_EQ(e.line, 2);
  EXPECT_EQ(e.message, "duplicate id \"1\" (first on line 1)");
  // ... and a syntax error on line 2 beats a duplicate on line 3.
  e = parse_fail("{\"id\": 1, \"score\": 1}\n{oops\n{\"id\": 1, \"score\": 1}\n");
  EXPECT_EQ(e.line, 2);
  EXPECT_EQ(e.message.rfind("invalid JSON: ", 0), 0u) << e.message;
}

TEST(PredictionsJsonl, Scores) {
  const auto p = parse_ok(
      "{\"id\": 1, \"score\": 0.5}\n{\"id\": 2, \"score\": 3}\n{\"id\": 3, \"score\": Infinity}\n"
      "{\"id\": 4, \"score\": -Infinity}\n{\"id\": 5, \"label\": 0, \"score\": null}\n"
      "{\"id\": 6, \"score\": 1e400}\n{\"id\": 7, \"label\": \"x\"}\n");
  ASSERT_EQ(p.size(), 7u);
  const double inf = std::numeric_limits<double>::infinity();
  EXPECT_EQ(p[0].score, 0.5);
  EXPECT_EQ(p[1].score, 3.0);
  EXPECT_EQ(p[2].score, inf);
  EXPECT_EQ(p[3].score, -inf);
  EXPECT_EQ(p[4].score, std::nullopt);
  EXPECT_EQ(p[5].score, inf);
  EXPECT_EQ(p[6].score, std::nullopt);
}

TEST(PredictionsJsonl, BadScores) {
  EXPECT_EQ(parse_fail("{\"id\": 1, \"score\": \"0.5\"}").to_string(),
            "predictions.jsonl:1:20: \"score\" must be a number, got a string");
  EXPECT_EQ(parse_fail("{\"id\": 1, \"score\": true}").message,
            "\"score\" must be a number, got true");
  EXPECT_EQ(parse_fail("{\"id\": 1, \"score\": [0.5]}").message,
            "\"score\" must be a number, got an array");
  EXPECT_EQ(parse_fail("{\"id\": 1, \"score\": \"NaN\"}").message,
            "\"score\" must be a number, got a string");
}

TEST(PredictionsJsonl, NeedsALabelAScoreOrAValue) {
  EXPECT_EQ(parse_fail("{\"id\": 1}").message,
            "a prediction needs a \"label\", a \"score\" or a \"value\"");
  EXPECT_EQ(parse_fail("{\"id\": 1, \"score\": null}").message,
            "a prediction needs a \"label\", a \"score\" or a \"value\"");
  EXPECT_EQ(parse_fail("{\"id\": 1, \"truth\": 1, \"scores\": {\"1\": 0.5}}").message,
            "a prediction needs a \"label\", a \"score\" or a \"value\"");
  EXPECT_EQ(parse_ok("{\"id\": 1, \"label\": null}").size(), 1u);
  EXPECT_EQ(parse_ok("{\"id\": 1, \"value\": 3.5}").size(), 1u);
}

// ---------------------------------------------------------------------------------------------
// truth, value, slices, scores: what example metrics read (docs/results.md).

TEST(PredictionsJsonl, OlderFilesHaveNoTruth) {
  const auto p = parse_ok(fixture("predictions.jsonl"));
  for (const Prediction& row : p) {
    EXPECT_FALSE(row.truth.has_value());
    EXPECT_FALSE(row.value.has_value());
    EXPECT_TRUE(row.slices.empty());
    EXPECT_TRUE(row.scores.empty());
  }
}

TEST(PredictionsJsonl, TruthIsLabelText) {
  const auto p = parse_ok(
      "{\"id\": \"wdbc-038\", \"label\": 1, \"score\": 0.91, \"truth\": 0, \"slices\": "
      "{\"size_band\": \"small\"}}\n"
      "{\"id\": 2, \"label\": \"spam\", \"truth\": \"spam\"}\n"
      "{\"id\": 3, \"label\": true, \"truth\": 1.0}\n"
      "{\"id\": 4, \"label\": 0, \"truth\": null}\n"
      "{\"id\": 5, \"label\": 0, \"truth\": false}\n");
  ASSERT_EQ(p.size(), 5u);
  EXPECT_EQ(p[0].truth, "0");
  EXPECT_EQ(p[0].slices,
            (std::vector<std::pair<std::string, std::string>>{{"size_band", "small"}}));
  EXPECT_EQ(p[1].truth, "\"spam\"");  // the same text as the label "spam"
  EXPECT_EQ(p[1].truth, p[1].label);
  EXPECT_EQ(p[2].truth, "1");           // 1.0 reads as 1, like a label
  EXPECT_EQ(p[3].truth, std::nullopt);  // null: no truth
  EXPECT_EQ(p[4].truth, "false");
  EXPECT_EQ(parse_fail("{\"id\": 1, \"label\": 0, \"truth\": [0]}").to_string(),
            "predictions.jsonl:1:32: \"truth\" must be a JSON scalar (string, number, boolean or "
            "null), got an array");
}

TEST(PredictionsJsonl, RegressionValue) {
  const auto p = parse_ok(
      "{\"id\": \"r1\", \"value\": 3.2, \"truth\": 3.0}\n"
      "{\"id\": \"r2\", \"value\": -1e3, \"truth\": 2.5}\n"
      "{\"id\": \"r3\", \"label\": 1, \"value\": null}\n"
      "{\"id\": \"r4\", \"value\": NaN}\n");
  EXPECT_EQ(p[0].value, 3.2);
  EXPECT_EQ(p[0].truth, "3");
  EXPECT_EQ(p[1].value, -1000.0);
  EXPECT_EQ(p[1].truth, "2.5");
  EXPECT_EQ(p[2].value, std::nullopt);
  EXPECT_TRUE(std::isnan(*p[3].value));
  EXPECT_EQ(parse_fail("{\"id\": 1, \"value\": \"3\"}").to_string(),
            "predictions.jsonl:1:20: \"value\" must be a number, got a string");
}

TEST(PredictionsJsonl, SlicesAreSortedTextWithoutQuotes) {
  const auto p = parse_ok(
      "{\"id\": 1, \"label\": 0, \"slices\": {\"z\": \"b\", \"age\": 31, \"ok\": true, \"w\": 2.0, "
      "\"none\": null, \"x\": 0.5, \"e\": \"\"}}\n"
      "{\"id\": 2, \"label\": 0, \"slices\": null}\n"
      "{\"id\": 3, \"label\": 0, \"slices\": {}}\n");
  using Pairs = std::vector<std::pair<std::string, std::string>>;
  EXPECT_EQ(
      p[0].slices,
      (Pairs{{"age", "31"}, {"e", ""}, {"ok", "true"}, {"w", "2"}, {"x", "0.5"}, {"z", "b"}}));
  EXPECT_TRUE(p[1].slices.empty());
  EXPECT_TRUE(p[2].slices.empty());
}

TEST(PredictionsJsonl, BadSlices) {
  EXPECT_EQ(parse_fail("{\"id\": 1, \"label\": 0, \"slices\": [\"a\"]}").to_string(),
            "predictions.jsonl:1:33: \"slices\" must be an object, got an array");
  EXPECT_EQ(parse_fail("{\"id\": 1, \"label\": 0, \"slices\": {\"a\": {\"b\": 1}}}").to_string(),
            "predictions.jsonl:1:39: \"slices.a\" must be a string, number or boolean, got an "
            "object");
  EXPECT_EQ(parse_fail("{\"id\": 1, \"label\": 0, \"slices\": {\"a\": [1]}}").message,
            "\"slices.a\" must be a string, number or boolean, got an array");
  EXPECT_EQ(parse_fail("{\"id\": 1, \"label\": 0, \"slices\": {\"\": 1}}").to_string(),
            "predictions.jsonl:1:34: empty slice key in \"slices\"");
  // Duplicate keys are caught by the JSON reader, with the path.
  EXPECT_EQ(parse_fail("{\"id\": 1, \"label\": 0, \"slices\": {\"a\": 1, \"a\": 2}}").message,
            "duplicate key \"a\" in slices");
}

TEST(PredictionsJsonl, ScoresNameLabels) {
  const auto p = parse_ok(
      "{\"id\": 1, \"label\": 2, \"truth\": 1, \"scores\": {\"2\": 0.7, \"0\": 0.1, \"1.0\": "
      "0.2}}\n"
      "{\"id\": 2, \"label\": \"cat\", \"scores\": {\"dog\": 0.25, \"cat\": 0.75}}\n"
      "{\"id\": 3, \"label\": true, \"scores\": {\"true\": 0.6, \"false\": 0.4, \"null\": 0, "
      "\"01\": 1, \"1 \": 1, \"NaN\": NaN}}\n");
  using Pairs = std::vector<std::pair<std::string, double>>;
  EXPECT_EQ(p[0].scores, (Pairs{{"0", 0.1}, {"1", 0.2}, {"2", 0.7}}));
  EXPECT_EQ(p[1].scores, (Pairs{{"\"cat\"", 0.75}, {"\"dog\"", 0.25}}));
  EXPECT_EQ(p[1].scores[0].first, p[1].label);
  // "01" and "1 " are not JSON numbers: string labels. "NaN" is the label NaN.
  ASSERT_EQ(p[2].scores.size(), 6u);
  EXPECT_EQ(p[2].scores[0].first, "\"01\"");
  EXPECT_EQ(p[2].scores[1].first, "\"1 \"");
  EXPECT_EQ(p[2].scores[2].first, "NaN");
  EXPECT_TRUE(std::isnan(p[2].scores[2].second));
  EXPECT_EQ(p[2].scores[3].first, "false");
  EXPECT_EQ(p[2].scores[4].first, "null");
  EXPECT_EQ(p[2].scores[5].first, "true");
}

TEST(PredictionsJsonl, BadScoresObject) {
  EXPECT_EQ(parse_fail("{\"id\": 1, \"label\": 0, \"scores\": [0.5, 0.5]}").to_string(),
            "predictions.jsonl:1:33: \"scores\" must be an object, got an array");
  EXPECT_EQ(parse_fail("{\"id\": 1, \"label\": 0, \"scores\": {\"a\": \"0.5\"}}").to_string(),
            "predictions.jsonl:1:39: \"scores.a\" must be a number, got a string");
  EXPECT_EQ(parse_fail("{\"id\": 1, \"label\": 0, \"scores\": {\"a\": null}}").message,
            "\"scores.a\" must be a number, got null");
  EXPECT_EQ(
      parse_fail("{\"id\": 1, \"label\": 0, \"scores\": {\"1\": 0.5, \"x\": 0, \"1.0\": 0.5}}")
          .to_string(),
      "predictions.jsonl:1:52: \"scores\" names the label 1 twice (\"1\" and \"1.0\")");
}

TEST(PredictionsJsonl, SliceAndScoreCaps) {
  const auto object = [](int members) {
    std::string o = "{";
    for (int i = 0; i < members; ++i) {
      o += (i ? ", \"k" : "\"k") + std::to_string(i) + "\": 0.5";
    }
    return o + "}";
  };
  EXPECT_EQ(parse_ok("{\"id\": 1, \"label\": 0, \"slices\": " + object(64) + "}")[0].slices.size(),
            64u);
  EXPECT_EQ(parse_ok("{\"id\": 1, \"label\": 0, \"scores\": " + object(64) + "}")[0].scores.size(),
            64u);
  EXPECT_EQ(parse_fail("{\"id\": 1, \"label\": 0, \"slices\": " + object(65) + "}").to_string(),
            "predictions.jsonl:1:33: \"slices\" has 65 members, over the cap of 64");
  EXPECT_EQ(parse_fail("{\"id\": 1, \"label\": 0, \"scores\": " + object(65) + "}").message,
            "\"scores\" has 65 members, over the cap of 64");
  PredictionsOptions small;
  small.max_slices = 1;
  small.max_scores = 2;
  EXPECT_EQ(parse_fail("{\"id\": 1, \"label\": 0, \"slices\": " + object(2) + "}", small).message,
            "\"slices\" has 2 members, over the cap of 1");
  // Strings with braces, colons and escaped quotes do not confuse the member count.
  EXPECT_EQ(
      parse_ok("{\"id\": 1, \"label\": 0, \"slices\": {\"a:{\": \"}\\\":[\"}}", small)[0].slices,
      (std::vector<std::pair<std::string, std::string>>{{"a:{", "}\":["}}));
}

TEST(PredictionsHostile, AHugeSlicesObjectIsRefusedBeforeItIsStored) {
  std::string line = "{\"id\": 1, \"label\": 0, \"slices\": {";
  for (int i = 0; line.size() < 8 * 1024 * 1024; ++i) {
    line += (i ? ",\"" : "\"") + std::to_string(i) + "\":1";
  }
  line += "}}";
  // The line cap would refuse it first; without it, the slices' own cap still holds.
  PredictionsOptions wide;
  wide.max_line_bytes = wide.max_bytes;
  const auto start = std::chrono::steady_clock::now();
  EXPECT_NE(parse_fail(line, wide).message.find("over the cap of 64"), std::string::npos);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(60));
}

TEST(PredictionsJsonl, LinesAndWhitespace) {
  // No trailing newline, CRLF, blank and whitespace-only lines, a BOM, spaces around the object.
  const auto p = parse_ok(
      "\xEF\xBB\xBF{\"id\": 1, \"label\": 0}\r\n\r\n   \n\t\r\n  {\"id\": 2, \"label\": 1}  \r\n"
      "{\"id\": 3, \"label\": 1}");
  ASSERT_EQ(p.size(), 3u);
  EXPECT_EQ(p[2].id, "3");
  // The line number counts blank lines.
  EXPECT_EQ(parse_fail("\n\n{\"id\": 1, \"label\": 0}\r\n\r\n[1]\r\n").to_string(),
            "predictions.jsonl:5:1: expected a JSON object, got an array");
}

TEST(PredictionsJsonl, OtherMembersAreIgnored) {
  const auto p = parse_ok(
      "{\"features\": {\"age\": 31, \"nested\": [[1], {\"a\": NaN}]}, \"id\": \"x\", \"label\": 2, "
      "\"extra\": null, \"probs\": [0.1, 0.9]}");
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(p[0].label, "2");
}

TEST(PredictionsJsonl, LinesAreIndependent) {
  // The parser keeps its buffers from line to line: keys seen on one line are not repeats on the
  // next, also for objects with many keys and nested members.
  std::string many;
  for (int i = 0; i < 30; ++i)
    many += ", \"f" + std::to_string(i) + "\": {\"x\": [" + std::to_string(i) + "]}";
  std::string text;
  for (int id = 0; id < 3; ++id)
    text += "{\"id\": " + std::to_string(id) + ", \"label\": 0" + many + "}\n";
  text += "{\"id\": 9, \"score\": 1}\n";
  EXPECT_EQ(parse_ok(text).size(), 4u);
  const ParseError e = parse_fail(text + "{\"id\": 10, \"label\": 0" + many + ", \"f3\": 0}\n");
  EXPECT_EQ(e.line, 5);
  EXPECT_EQ(e.message, "duplicate key \"f3\" at the top level");
}

TEST(PredictionsJsonl, NotJsonOrNotAnObject) {
  ParseError e = parse_fail("{\"id\": 1, \"label\": 0}\n{\"id\": 2, \"label\": 0,}\n");
  EXPECT_EQ(e.line, 2);
  EXPECT_EQ(e.column, 22);
  EXPECT_EQ(e.message.rfind("invalid JSON: syntax error while parsing object key", 0), 0u)
      << e.message;
  EXPECT_EQ(parse_fail("not json").line, 1);
  EXPECT_EQ(parse_fail("42").message, "expected a JSON object, got a number");
  EXPECT_EQ(parse_fail("\"id\"").message, "expected a JSON object, got a string");
  EXPECT_EQ(parse_fail("null").message, "expected a JSON object, got null");
  // Two objects on one line.
  e = parse_fail("{\"id\": 1, \"label\": 0} {\"id\": 2, \"label\": 0}");
  EXPECT_EQ(e.column, 23);
  // A pretty-printed object spans lines: the first line is not a whole object.
  e = parse_fail("{\n  \"id\": 1,\n  \"label\": 0\n}\n");
  EXPECT_EQ(e.line, 1);
  EXPECT_NE(e.message.find("unexpected end of input"), std::string::npos) << e.message;
}

TEST(PredictionsJsonl, DuplicateKeysInALine) {
  EXPECT_EQ(parse_fail("{\"id\": 1, \"label\": 0, \"id\": 2}").to_string(),
            "predictions.jsonl:1:23: duplicate key \"id\" at the top level");
  EXPECT_EQ(parse_fail("{\"id\": 1, \"label\": 0, \"f\": {\"a\": 1, \"a\": 1}}").message,
            "duplicate key \"a\" in f");
}

TEST(PredictionsJsonl, Empty) {
  for (const std::string text : {"", "\n", " \r\n\n\t\n"}) {
    EXPECT_EQ(parse_fail(text).to_string(), "predictions.jsonl: file is empty (no predictions)");
  }
}

TEST(PredictionsJsonl, Caps) {
  PredictionsOptions options;
  options.max_lines = 2;
  options.file_name = "p.jsonl";
  EXPECT_EQ(parse_ok("{\"id\": 1, \"label\": 0}\n\n{\"id\": 2, \"label\": 0}\n\n", options).size(),
            2u);
  EXPECT_EQ(
      parse_fail(
          "{\"id\": 1, \"label\": 0}\n\n{\"id\": 2, \"label\": 0}\n\n{\"id\": 3, \"label\": 0}",
          options)
          .to_string(),
      "p.jsonl:5:1: more than 2 predictions (the cap)");
  options = {};
  options.max_bytes = 10;
  EXPECT_EQ(parse_fail("{\"id\": 1, \"label\": 0}", options).to_string(),
            "predictions.jsonl: file is 21 bytes, over the cap of 10 bytes");
  EXPECT_EQ(PredictionsOptions{}.max_bytes, 64u * 1024 * 1024);
  EXPECT_EQ(PredictionsOptions{}.max_lines, 1000000u);
  // One line over its cap is refused before it is parsed (a parsed line takes many times its size:
  // a 64 MiB line of ignored members took 1.3 GB), at its line; the lines before it are fine.
  std::string huge = "{\"id\": 2, \"label\": 0";
  for (int i = 0; huge.size() < (std::size_t{1} << 20); ++i)
    huge += ", \"k" + std::to_string(i) + "\": 0";
  huge += "}";
  EXPECT_EQ(parse_fail("{\"id\": 1, \"label\": 0}\n" + huge + "\n").to_string(),
            "predictions.jsonl:2:1: line is " + std::to_string(huge.size()) +
                " bytes, over the cap of 1048576 bytes for one prediction");
  EXPECT_EQ(PredictionsOptions{}.max_line_bytes, 1024u * 1024);
}

TEST(PredictionsJsonl, AMillionLines) {
  std::string text;
  text.reserve(48 * 1000000);
  for (int i = 0; i < 1000000; ++i) {
    text += "{\"id\": \"row-" + std::to_string(i) + "\", \"label\": " + std::to_string(i % 3) +
            ", \"score\": 0." + std::to_string(i % 1000) + "}\n";
  }
  const auto start = std::chrono::steady_clock::now();
  const auto p = parse_ok(text);
  const auto took = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(p.size(), 1000000u);
  EXPECT_LT(took, std::chrono::seconds(60));
  std::cout << "[ info ] 1,000,000 lines (" << text.size() / 1024 / 1024 << " MiB) in "
            << std::chrono::duration_cast<std::chrono::milliseconds>(took).count() << " ms\n";
}

// ---------------------------------------------------------------------------------------------
// Hostile input: an error or a bounded result, never a crash or a hang.

TEST(PredictionsHostile, DeepNestingInALine) {
  const std::string deep = "{\"id\": 1, \"label\": 0, \"f\": " + std::string(10 * 1024 * 1024, '[');
  PredictionsOptions wide;  // past the line cap, which would refuse it first
  wide.max_line_bytes = wide.max_bytes;
  const ParseError e = parse_fail(deep, wide);
  EXPECT_EQ(e.message, "JSON nested deeper than 64 levels");
  EXPECT_EQ(e.line, 1);
  EXPECT_EQ(e.column, 28 + 63);
}

TEST(PredictionsHostile, OneHugeLineIsBounded) {
  // A single 20 MiB line of array items under an ignored member: not stored, so memory stays low.
  std::string line = "{\"id\": 1, \"label\": 0, \"f\": [";
  while (line.size() < 20 * 1024 * 1024) line += "0,0,0,0,0,0,0,0,";
  line += "0]}";
  EXPECT_NE(parse_fail(line).message.find("over the cap of 1048576 bytes"), std::string::npos);
  PredictionsOptions wide;  // past the line cap
  wide.max_line_bytes = wide.max_bytes;
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(parse_ok(line, wide).size(), 1u);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(60));
}

TEST(PredictionsHostile, TenMegabytesOfJunk) {
  std::string junk(10 * 1024 * 1024, '\0');
  unsigned x = 7;
  for (auto& c : junk) {
    x = x * 1103515245 + 12345;
    c = static_cast<char>(x >> 16);
  }
  EXPECT_FALSE(parse_predictions_jsonl(junk).ok());
  std::string lines(10 * 1024 * 1024, 'x');
  for (std::size_t i = 0; i < lines.size(); i += 7) lines[i] = '\n';
  const ParseError e = parse_fail(lines);
  EXPECT_EQ(e.line, 2);  // line 1 is empty
}

TEST(PredictionsHostile, NulAndInvalidUtf8) {
  using namespace std::string_literals;
  EXPECT_EQ(
      parse_fail("{\"id\": 1, \"label\": 0}\n{\"id\": 2, \"label\": 0}\0 junk\n"s).to_string(),
      "predictions.jsonl:2:22: invalid JSON: NUL byte");
  EXPECT_EQ(parse_fail("{\"id\": \"a\\u0000b\", \"label\": 0}").message,
            "strings must not contain the NUL character (\\u0000)");
  EXPECT_EQ(parse_fail("{\"id\": \"a\xFF\", \"label\": 0}").message.rfind("invalid JSON: ", 0), 0u);
  EXPECT_EQ(parse_fail("{\"id\": 1, \"label\": \"\xC3\"}").message.rfind("invalid JSON: ", 0), 0u);
}

}  // namespace
}  // namespace mlgate::core
