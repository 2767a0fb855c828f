#include "core/junit.h"

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "tests/support/temp_dir.h"

namespace mlgate::core {
namespace {

using Strings = std::vector<std::string>;

std::string fixture(const std::string& name) {
  return testing::read_file(std::filesystem::path(MLGATE_SHARED_FIXTURES) / "results" / name);
}

std::vector<TestCase> parse_ok(std::string_view xml, const JunitOptions& options = {}) {
  auto r = parse_junit(xml, options);
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().to_string());
  return r.ok() ? std::move(r).value() : std::vector<TestCase>{};
}

ParseError parse_fail(std::string_view xml, const JunitOptions& options = {}) {
  auto r = parse_junit(xml, options);
  EXPECT_FALSE(r.ok());
  return r.ok() ? ParseError{} : r.error();
}

std::string suite(const std::string& body) {
  return "<?xml version=\"1.0\" encoding=\"utf-8\"?><testsuites><testsuite name=\"pytest\">" +
         body + "</testsuite></testsuites>";
}

// ---------------------------------------------------------------------------------------------
// Real pytest 7.2.1 output (tests/fixtures/results/README.md).

TEST(JunitPytest7, ReadsEveryTestCaseInDocumentOrder) {
  const auto cases = parse_ok(fixture("pytest7_junit.xml"));
  Strings names;
  for (const auto& c : cases) names.push_back(c.name);
  EXPECT_EQ(names, (Strings{"test_schema_columns", "test_feature_costs", "test_slice_recall[<30]",
                            "test_slice_recall[30-60]", "test_slice_recall[60+]", "test_accuracy",
                            "test_gpu_inference", "test_calibration_2023",
                            "test_tokenizer_roundtrip[caf\\xe9]",
                            "test_tokenizer_roundtrip[\\u65e5\\u672c\\u8a9e]",
                            "test_tokenizer_roundtrip[na\\xefve]", "test_label_set",
                            "test_load_model", "test_load_model"}));
  EXPECT_EQ(cases[0].classname, "tests.validation.test_model");
  EXPECT_EQ(cases[11].classname, "tests.validation.test_model.TestPredictions");
}

TEST(JunitPytest7, PassedTestWithRecordProperty) {
  const auto cases = parse_ok(fixture("pytest7_junit.xml"));
  EXPECT_EQ(cases[0].status, TestStatus::passed);
  EXPECT_EQ(cases[0].message, "");
  EXPECT_DOUBLE_EQ(cases[0].time_seconds, 0.001);
  EXPECT_EQ(cases[0].mltest, Strings{"data-1"});
  // "data-1,model-6" in one property; the other property ("dataset") is not an mltest id.
  EXPECT_EQ(cases[1].mltest, (Strings{"data-1", "model-6"}));
  EXPECT_EQ(cases[6].mltest, Strings{});
}

TEST(JunitPytest7, FailureUsesTheMessageAttributeWithItsNewlines) {
  const auto cases = parse_ok(fixture("pytest7_junit.xml"));
  const TestCase& c = cases[2];
  EXPECT_EQ(c.status, TestStatus::failed);
  EXPECT_EQ(c.message,
            "AssertionError: recall for age_group=<30 is 0.71, below 0.80\n"
            "assert 0.71 >= 0.8");
  EXPECT_EQ(c.mltest, Strings{"model-6"});
  EXPECT_EQ(cases[3].status, TestStatus::passed);
  EXPECT_EQ(cases[11].status, TestStatus::failed);
  EXPECT_NE(
      cases[11].message.find("not in the label set: \xC3\xBCnknown\nassert {0, 1, 2} == {0, 1}"),
      std::string::npos)
      << cases[11].message;
}

TEST(JunitPytest7, SetupErrorSkipAndXfail) {
  const auto cases = parse_ok(fixture("pytest7_junit.xml"));
  EXPECT_EQ(cases[5].status, TestStatus::error);
  EXPECT_EQ(cases[5].message,
            "failed on setup with \"FileNotFoundError: [Errno 2] No such file or directory: "
            "'data/validation.csv'\"");
  EXPECT_EQ(cases[6].status, TestStatus::skipped);
  EXPECT_EQ(cases[6].message, "no GPU on this runner");
  EXPECT_DOUBLE_EQ(cases[6].time_seconds, 0.0);
  EXPECT_EQ(cases[7].status, TestStatus::skipped);  // xfail
  EXPECT_EQ(cases[7].message, "known drift in the 2023 data");
}

TEST(JunitPytest7, FailureThenTeardownErrorAreTwoTestCases) {
  // pytest writes a teardown error after a failed call as a second <testcase> of the same name.
  const auto cases = parse_ok(fixture("pytest7_junit.xml"));
  EXPECT_EQ(cases[12].status, TestStatus::failed);
  EXPECT_EQ(cases[12].message.rfind("AssertionError: assert 'test_load_model0' == 'model.pkl'", 0),
            0u);
  EXPECT_EQ(cases[13].status, TestStatus::error);
  EXPECT_EQ(cases[13].message,
            "failed on teardown with \"RuntimeError: could not remove the model cache\"");
}

TEST(JunitPytest7, UnescapedUnicodeIdsAndLegacyAttributes) {
  const auto cases = parse_ok(fixture("pytest7_unicode_ids_junit.xml"));
  ASSERT_EQ(cases.size(), 5u);
  EXPECT_EQ(cases[2].name, "test_tokenizer_roundtrip[caf\xC3\xA9]");
  EXPECT_EQ(cases[3].name, "test_tokenizer_roundtrip[\xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E]");
  EXPECT_EQ(cases[0].mltest, Strings{"data-1"});
  EXPECT_DOUBLE_EQ(cases[0].time_seconds, 0.010);
}

TEST(JunitLegacy, BareTestsuiteRoot) {
  const auto cases = parse_ok(fixture("pytest_legacy_root_junit.xml"));
  ASSERT_EQ(cases.size(), 3u);
  EXPECT_EQ(cases[0].mltest, Strings{"data-2"});
  EXPECT_EQ(cases[1].name, "test_ranges[income]");
  EXPECT_EQ(cases[1].status, TestStatus::failed);
  EXPECT_EQ(cases[1].message, "AssertionError: income has 3 negative values\nassert 3 == 0");
  EXPECT_EQ(cases[2].status, TestStatus::passed);
}

TEST(JunitOtherTools, Surefire) {
  const auto cases = parse_ok(fixture("surefire_junit.xml"));
  ASSERT_EQ(cases.size(), 5u);
  EXPECT_EQ(cases[0].status, TestStatus::passed);
  EXPECT_EQ(cases[0].classname, "com.example.model.ScorerTest");
  EXPECT_DOUBLE_EQ(cases[0].time_seconds, 0.031);
  EXPECT_EQ(cases[1].status, TestStatus::failed);
  EXPECT_EQ(cases[1].message, "expected: <0.8> but was: <0.71>");
  // No message attribute: the CDATA text, trimmed.
  EXPECT_EQ(cases[2].status, TestStatus::error);
  EXPECT_EQ(cases[2].message,
            "java.io.FileNotFoundException: model.onnx (No such file or directory)\n"
            "\tat java.base/java.io.FileInputStream.open0(Native Method)");
  EXPECT_EQ(cases[3].status, TestStatus::skipped);
  EXPECT_EQ(cases[3].message, "CUDA not available");
  // A flaky test passed on a rerun; "1,021.3" is not a number -> 0.
  EXPECT_EQ(cases[4].status, TestStatus::passed);
  EXPECT_EQ(cases[4].message, "");
  EXPECT_DOUBLE_EQ(cases[4].time_seconds, 0.0);
  // A suite-level mltest property belongs to no test case.
  for (const auto& c : cases) EXPECT_TRUE(c.mltest.empty()) << c.name;
}

TEST(JunitOtherTools, GoJunitReport) {
  const auto cases = parse_ok(fixture("go_junit.xml"));
  ASSERT_EQ(cases.size(), 4u);
  EXPECT_EQ(cases[1].name, "TestSlices/age_<30");
  EXPECT_EQ(cases[1].classname, "eval");
  EXPECT_EQ(cases[1].status, TestStatus::failed);
  EXPECT_EQ(cases[1].message, "Failed");  // the attribute wins over the text
  EXPECT_EQ(cases[3].status, TestStatus::skipped);
  EXPECT_DOUBLE_EQ(cases[0].time_seconds, 0.110);
}

// ---------------------------------------------------------------------------------------------
// Structure and rules.

TEST(JunitStructure, NestedSuitesAtAnyDepthInDocumentOrder) {
  const auto cases = parse_ok(
      "<testsuites><testcase name=\"a\"/><testsuite><testcase name=\"b\"/><testsuite><testsuite>"
      "<testcase name=\"c\"/></testsuite></testsuite><testcase name=\"d\"/></testsuite>"
      "<testsuite><testcase name=\"e\"/></testsuite></testsuites>");
  Strings names;
  for (const auto& c : cases) names.push_back(c.name);
  EXPECT_EQ(names, (Strings{"a", "b", "c", "d", "e"}));
}

TEST(JunitStructure, TestCasesOutsideSuitesAreNotRead) {
  const auto cases = parse_ok(
      "<testsuite><properties><testcase name=\"x\"/></properties><system-out><testcase "
      "name=\"y\"/></system-out><testcase name=\"z\"><testcase name=\"inner\"/></testcase>"
      "</testsuite>");
  ASSERT_EQ(cases.size(), 1u);
  EXPECT_EQ(cases[0].name, "z");
}

TEST(JunitStructure, EmptySuitesGiveNoTests) {
  EXPECT_TRUE(parse_ok("<testsuites/>").empty());
  EXPECT_TRUE(parse_ok("<testsuite name=\"pytest\" tests=\"0\"></testsuite>\n").empty());
}

TEST(JunitStructure, MissingAttributes) {
  const auto cases = parse_ok("<testsuite><testcase/></testsuite>");
  ASSERT_EQ(cases.size(), 1u);
  EXPECT_EQ(cases[0].name, "");
  EXPECT_EQ(cases[0].classname, "");
  EXPECT_EQ(cases[0].time_seconds, 0.0);
  EXPECT_EQ(cases[0].status, TestStatus::passed);
}

TEST(JunitStatus, Precedence) {
  const auto cases = parse_ok(
      suite("<testcase name=\"fe\"><error message=\"e\"/><failure message=\"f\"/></testcase>"
            "<testcase name=\"es\"><skipped message=\"s\"/><error message=\"e\"/></testcase>"
            "<testcase name=\"s\"><skipped/></testcase>"
            "<testcase name=\"out\"><system-out>Error: failure</system-out></testcase>"));
  ASSERT_EQ(cases.size(), 4u);
  EXPECT_EQ(cases[0].status, TestStatus::failed);
  EXPECT_EQ(cases[0].message, "f");
  EXPECT_EQ(cases[1].status, TestStatus::error);
  EXPECT_EQ(cases[1].message, "e");
  EXPECT_EQ(cases[2].status, TestStatus::skipped);
  EXPECT_EQ(cases[2].message, "");
  EXPECT_EQ(cases[3].status, TestStatus::passed);
  EXPECT_EQ(cases[3].message, "");
}

TEST(JunitMessage, AttributeElseTrimmedTextElseEmpty) {
  const auto cases = parse_ok(
      suite("<testcase name=\"a\"><failure message=\"  spaced \n\">text</failure></testcase>"
            "<testcase name=\"b\"><failure message=\"   \">\n  from text &amp; more \n</failure>"
            "</testcase>"
            "<testcase name=\"c\"><failure>one<![CDATA[ <two> ]]>three</failure></testcase>"
            "<testcase name=\"d\"><failure/></testcase>"));
  ASSERT_EQ(cases.size(), 4u);
  EXPECT_EQ(cases[0].message, "spaced");
  EXPECT_EQ(cases[1].message, "from text & more");
  EXPECT_EQ(cases[2].message, "one <two> three");
  EXPECT_EQ(cases[3].message, "");
}

TEST(JunitMessage, CappedAtACharacterBoundary) {
  std::string long_text(3000, 'x');
  auto cases = parse_ok(suite("<testcase><failure>" + long_text + "</failure></testcase>"));
  ASSERT_EQ(cases.size(), 1u);
  EXPECT_EQ(cases[0].message.size(), 2000u);
  EXPECT_EQ(cases[0].message.substr(1997), "...");

  // 'é' is two bytes: a cut must not split it.
  std::string accents;
  for (int i = 0; i < 20; ++i) accents += "\xC3\xA9";
  JunitOptions small;
  small.max_message_bytes = 10;
  cases = parse_ok(suite("<testcase><failure message=\"" + accents + "\"/></testcase>"), small);
  ASSERT_EQ(cases.size(), 1u);
  EXPECT_EQ(cases[0].message, "\xC3\xA9\xC3\xA9\xC3\xA9...");

  small.max_message_bytes = 11;
  cases = parse_ok(suite("<testcase><failure message=\"" + accents + "\"/></testcase>"), small);
  EXPECT_EQ(cases[0].message, "\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9...");
}

TEST(JunitTime, LenientNumbers) {
  const auto cases =
      parse_ok(suite("<testcase time=\"0.5\"/><testcase time=\" 2.25 \"/><testcase time=\"1e-3\"/>"
                     "<testcase time=\"abc\"/><testcase time=\"-1\"/><testcase time=\"nan\"/>"
                     "<testcase time=\"inf\"/><testcase time=\"1.5s\"/><testcase time=\"\"/>"
                     "<testcase time=\"12\"/>"));
  std::vector<double> times;
  for (const auto& c : cases) times.push_back(c.time_seconds);
  EXPECT_EQ(times, (std::vector<double>{0.5, 2.25, 0.001, 0, 0, 0, 0, 0, 0, 12}));
}

TEST(JunitProperties, MltestValues) {
  const auto cases = parse_ok(
      suite("<testcase name=\"a\"><properties>"
            "<property name=\"mltest\" value=\" data-1 , model-6,,data-1 \"/>"
            "<property name=\"other\" value=\"infra-1\"/>"
            "<property name=\"MLTEST\" value=\"infra-2\"/>"
            "<property name=\"mltest\" value=\"monitor-7\"/>"
            "<property name=\"mltest\">infra-3</property>"
            "<property name=\"mltest\" value=\"not-an-id\"/>"
            "</properties><failure message=\"m\"/></testcase>"
            "<testcase name=\"b\"><property name=\"mltest\" value=\"data-5\"/></testcase>"
            "<testcase name=\"c\"><properties><property name=\"mltest\" value=\"\"/></properties>"
            "</testcase>"));
  ASSERT_EQ(cases.size(), 3u);
  EXPECT_EQ(cases[0].mltest, (Strings{"data-1", "model-6", "monitor-7", "infra-3", "not-an-id"}));
  EXPECT_EQ(cases[0].status, TestStatus::failed);
  EXPECT_EQ(cases[1].mltest, Strings{});  // a property outside <properties> is not read
  EXPECT_EQ(cases[2].mltest, Strings{});
}

// ---------------------------------------------------------------------------------------------
// Errors.

TEST(JunitErrors, MalformedXmlHasLineAndColumn) {
  const ParseError e =
      parse_fail("<?xml version=\"1.0\"?>\n<testsuite>\n  <testcase name=\"a\">\n</testsuite>\n");
  EXPECT_EQ(e.file, "junit.xml");
  EXPECT_EQ(e.line, 4);
  EXPECT_GE(e.column, 1);
  EXPECT_EQ(e.message, "invalid XML: start-end tags mismatch");
  EXPECT_EQ(e.to_string(),
            "junit.xml:4:" + std::to_string(e.column) + ": invalid XML: start-end tags mismatch");
}

TEST(JunitErrors, MalformedAttributeColumnCountsCharacters) {
  // Two 2-byte characters before the error: the column counts characters, not bytes.
  const ParseError e = parse_fail("<testsuite>\n<testcase name=\"\xC3\xA9\xC3\xA9\" time=0.1/>");
  EXPECT_EQ(e.line, 2);
  EXPECT_EQ(e.column, 26);  // at the 0 of 0.1; 28 in bytes
  EXPECT_EQ(e.message, "invalid XML: error parsing element attribute");
}

TEST(JunitErrors, TruncatedFile) {
  const std::string full = fixture("pytest7_junit.xml");
  const ParseError e = parse_fail(std::string_view(full).substr(0, full.size() / 2));
  EXPECT_GT(e.line, 0);
  EXPECT_EQ(e.message.rfind("invalid XML: ", 0), 0u) << e.message;
}

TEST(JunitErrors, RootMustBeATestsuite) {
  ParseError e = parse_fail("<?xml version=\"1.0\"?>\n<html><testsuite/></html>");
  EXPECT_EQ(e.message, "expected a <testsuites> or <testsuite> root element, got <html>");
  EXPECT_EQ(e.line, 2);
  EXPECT_EQ(e.column, 1);
  e = parse_fail("<testcase name=\"a\"/>");
  EXPECT_EQ(e.message, "expected a <testsuites> or <testsuite> root element, got <testcase>");
  e = parse_fail("just some text");
  EXPECT_EQ(e.message.rfind("invalid XML: ", 0), 0u) << e.message;
}

TEST(JunitErrors, EmptyFile) {
  for (const std::string text : {"", "  \n\t", "\xEF\xBB\xBF"}) {
    const ParseError e = parse_fail(text);
    EXPECT_EQ(e.to_string(), "junit.xml: file is empty");
  }
}

TEST(JunitErrors, SizeCap) {
  JunitOptions options;
  options.max_bytes = 100;
  options.file_name = "results/junit.xml";
  const std::string xml = suite(std::string(200, ' '));
  const ParseError e = parse_fail(xml, options);
  EXPECT_EQ(e.to_string(), "results/junit.xml: file is " + std::to_string(xml.size()) +
                               " bytes, over the cap of 100 bytes");
  options.max_bytes = xml.size();
  EXPECT_TRUE(parse_junit(xml, options).ok());
  // The default cap is 16 MiB.
  EXPECT_EQ(JunitOptions{}.max_bytes, 16u * 1024 * 1024);
  const std::string big(16 * 1024 * 1024 + 1, ' ');
  EXPECT_EQ(parse_fail(big).message, "file is 16777217 bytes, over the cap of 16777216 bytes");
}

// ---------------------------------------------------------------------------------------------
// Hostile input: an error or a bounded result, never a crash or a hang.

TEST(JunitHostile, BillionLaughsIsNotExpanded) {
  std::string xml = "<?xml version=\"1.0\"?>\n<!DOCTYPE lolz [\n <!ENTITY lol \"lol\">\n";
  xml += " <!ENTITY lol1 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">\n";
  for (int i = 2; i <= 9; ++i) {
    xml += " <!ENTITY lol" + std::to_string(i) + " \"";
    for (int k = 0; k < 10; ++k) xml += "&lol" + std::to_string(i - 1) + ";";
    xml += "\">\n";
  }
  xml +=
      "]>\n<testsuite><testcase name=\"&lol9;\"><failure message=\"&lol9;\">&lol9;</failure>"
      "</testcase></testsuite>";
  const auto start = std::chrono::steady_clock::now();
  const auto cases = parse_ok(xml);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
  ASSERT_EQ(cases.size(), 1u);
  EXPECT_EQ(cases[0].name, "&lol9;");  // left as written
  EXPECT_EQ(cases[0].message, "&lol9;");
}

TEST(JunitHostile, ExternalEntitiesAreNotLoaded) {
  const auto cases = parse_ok(
      "<?xml version=\"1.0\"?><!DOCTYPE t [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]>"
      "<testsuite><testcase name=\"&xxe;\"/></testsuite>");
  ASSERT_EQ(cases.size(), 1u);
  EXPECT_EQ(cases[0].name, "&xxe;");
}

TEST(JunitHostile, DeepNestingDoesNotOverflowTheStack) {
  std::string xml;
  const int depth = 200000;
  for (int i = 0; i < depth; ++i) xml += "<testsuite>";
  xml += "<testcase name=\"deep\"/>";
  for (int i = 0; i < depth; ++i) xml += "</testsuite>";
  const auto cases = parse_ok(xml);
  ASSERT_EQ(cases.size(), 1u);
  EXPECT_EQ(cases[0].name, "deep");

  std::string other;  // deep non-suite elements, unclosed
  for (int i = 0; i < depth; ++i) other += "<a>";
  EXPECT_FALSE(parse_junit(other).ok());
}

TEST(JunitHostile, TenMegabytesOfJunk) {
  std::string junk(10 * 1024 * 1024, '\0');
  unsigned x = 12345;
  for (auto& c : junk) {
    x = x * 1103515245 + 12345;
    c = static_cast<char>(x >> 16);
  }
  EXPECT_FALSE(parse_junit(junk).ok());
  junk[0] = '<';
  EXPECT_FALSE(parse_junit(junk).ok());
}

TEST(JunitHostile, NulBytes) {
  // pugixml stops at a NUL byte, so the document is cut short: an error, with its position.
  using namespace std::string_literals;
  ParseError e = parse_fail("<testsuite><testcase name=\"a\0b\"/></testsuite>"s);
  EXPECT_EQ(e.to_string(), "junit.xml:1:28: invalid XML: error parsing element attribute");
  e = parse_fail("<testsuite><testcase name=\"a\"/>\0<testcase name=\"b\"/></testsuite>"s);
  EXPECT_EQ(e.line, 1);
  EXPECT_EQ(e.message, "invalid XML: start-end tags mismatch");
  // Leading NULs read as UTF-32: still an error (without a position, as the text was converted).
  e = parse_fail("\0\0\0<testsuite/>"s);
  EXPECT_EQ(e.message.rfind("invalid XML: ", 0), 0u) << e.message;
  EXPECT_FALSE(parse_junit(std::string(1000, '\0')).ok());
}

TEST(JunitHostile, InvalidUtf8IsReplaced) {
  const auto cases =
      parse_ok(suite("<testcase name=\"bad\xFF\xC3(\" classname=\"\xED\xA0\x80x\"><failure "
                     "message=\"\xC0\xAF\"/><properties><property name=\"mltest\" "
                     "value=\"data-1\xFE\"/></properties></testcase>"));
  ASSERT_EQ(cases.size(), 1u);
  EXPECT_EQ(cases[0].name, "bad\xEF\xBF\xBD\xEF\xBF\xBD(");
  EXPECT_EQ(cases[0].classname, "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBDx");
  EXPECT_EQ(cases[0].message, "\xEF\xBF\xBD\xEF\xBF\xBD");
  EXPECT_EQ(cases[0].mltest, Strings{"data-1\xEF\xBF\xBD"});
}

TEST(JunitHostile, Utf16WithBom) {
  const std::string utf8 = "<testsuite><testcase name=\"u16\"/></testsuite>";
  std::string utf16 = "\xFF\xFE";
  for (char c : utf8) {
    utf16 += c;
    utf16 += '\0';
  }
  const auto cases = parse_ok(utf16);
  ASSERT_EQ(cases.size(), 1u);
  EXPECT_EQ(cases[0].name, "u16");
}

// Found by tests/fuzz (corpus/junit/crash-utf16-root-offset-past-input): pugixml's offsets in a
// converted (UTF-16) document point into its UTF-8 copy, which is longer than the input when the
// text is mostly non-ASCII; the wrong-root error must not index the input with them.
TEST(JunitHostile, Utf16WrongRootAfterManyWideCharacters) {
  std::string utf16 = "\xFF\xFE";
  const auto ascii = [&](std::string_view s) {
    for (char c : s) {
      utf16 += c;
      utf16 += '\0';
    }
  };
  ascii("<!--");
  for (int i = 0; i < 1000; ++i) utf16 += "\xAC\x20";  // U+20AC: 2 bytes here, 3 in UTF-8
  ascii("--><root/>");
  const ParseError e = parse_fail(utf16);
  EXPECT_EQ(e.message, "expected a <testsuites> or <testsuite> root element, got <root>");
  EXPECT_EQ(e.line, 0);  // a converted document's errors carry no position (docs/results.md)
  EXPECT_EQ(e.column, 0);
}

TEST(JunitHostile, ManyTestCasesAreBoundedByTheSizeCap) {
  std::string xml = "<testsuite>";
  while (xml.size() < 15 * 1024 * 1024) xml += "<testcase name=\"t\"/>";
  xml += "</testsuite>";
  const auto start = std::chrono::steady_clock::now();
  const auto cases = parse_ok(xml);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(60));
  EXPECT_GT(cases.size(), 700000u);
}

}  // namespace
}  // namespace mlgate::core
