#include "core/junit.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <pugixml.hpp>
#include <system_error>
#include <utility>

#include "core/utf8.h"
#include "util/strings.h"

namespace mlgate::core {
namespace {

using util::trim;

// Valid UTF-8: invalid bytes become U+FFFD.
std::string clean_utf8(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size();) {
    const std::size_t len = utf8_sequence(s, i);
    if (len == 0) {
      out += "\xEF\xBF\xBD";
      ++i;
    } else {
      out.append(s.substr(i, len));
      i += len;
    }
  }
  return out;
}

// Cuts valid UTF-8 to at most cap bytes, at a character boundary, ending with "..." when cut.
std::string cap_utf8(std::string s, std::size_t cap) {
  if (s.size() <= cap) return s;
  if (cap < 3) return std::string(cap, '.');
  std::size_t cut = cap - 3;
  while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
  s.resize(cut);
  s += "...";
  return s;
}

double read_time(const char* text) {
  const std::string_view t = trim(text);
  double v = 0;
  const auto [ptr, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
  if (ec != std::errc{} || ptr != t.data() + t.size() || !std::isfinite(v) || v < 0) return 0.0;
  return v;
}

// The text content of an element: its PCDATA and CDATA children, concatenated.
std::string element_text(const pugi::xml_node& node) {
  std::string out;
  for (pugi::xml_node c = node.first_child(); c; c = c.next_sibling()) {
    if (c.type() == pugi::node_pcdata || c.type() == pugi::node_cdata) out += c.value();
  }
  return out;
}

bool named(const pugi::xml_node& node, std::string_view name) {
  return node.type() == pugi::node_element && name == node.name();
}

class CaseReader {
 public:
  explicit CaseReader(const JunitOptions& options) : options_(options) {}

  TestCase read(const pugi::xml_node& node) const {
    TestCase tc;
    tc.name = clean_utf8(node.attribute("name").value());
    tc.classname = clean_utf8(node.attribute("classname").value());
    tc.time_seconds = read_time(node.attribute("time").value());
    pugi::xml_node failure;
    pugi::xml_node error;
    pugi::xml_node skipped;
    for (pugi::xml_node c = node.first_child(); c; c = c.next_sibling()) {
      if (!failure && named(c, "failure")) failure = c;
      if (!error && named(c, "error")) error = c;
      if (!skipped && named(c, "skipped")) skipped = c;
      if (named(c, "properties")) read_properties(c, tc.mltest);
    }
    pugi::xml_node outcome;
    if (failure) {
      tc.status = TestStatus::failed;
      outcome = failure;
    } else if (error) {
      tc.status = TestStatus::error;
      outcome = error;
    } else if (skipped) {
      tc.status = TestStatus::skipped;
      outcome = skipped;
    }
    if (outcome) tc.message = message_of(outcome);
    return tc;
  }

 private:
  std::string message_of(const pugi::xml_node& outcome) const {
    std::string_view m = trim(outcome.attribute("message").value());
    std::string text;
    if (m.empty()) {
      text = element_text(outcome);
      m = trim(text);
    }
    return cap_utf8(clean_utf8(m), options_.max_message_bytes);
  }

  static void read_properties(const pugi::xml_node& properties, std::vector<std::string>& out) {
    for (pugi::xml_node p = properties.first_child(); p; p = p.next_sibling()) {
      if (!named(p, "property") || std::string_view(p.attribute("name").value()) != "mltest") {
        continue;
      }
      const pugi::xml_attribute value_attr = p.attribute("value");
      const std::string value = value_attr ? value_attr.value() : element_text(p);
      std::string_view rest = value;
      while (true) {
        const auto comma = rest.find(',');
        const std::string_view id = trim(rest.substr(0, comma));
        if (!id.empty()) {
          std::string cleaned = clean_utf8(id);
          if (std::find(out.begin(), out.end(), cleaned) == out.end()) {
            out.push_back(std::move(cleaned));
          }
        }
        if (comma == std::string_view::npos) break;
        rest.remove_prefix(comma + 1);
      }
    }
  }

  const JunitOptions& options_;
};

std::string lower_first(std::string s) {
  if (!s.empty()) s[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(s[0])));
  return s;
}

}  // namespace

Parsed<std::vector<TestCase>> parse_junit(std::string_view xml, const JunitOptions& options) {
  if (xml.size() > options.max_bytes) {
    return error_without_position(options.file_name,
                                  file_over_cap_message(xml.size(), options.max_bytes));
  }
  std::string_view body = xml;
  if (body.substr(0, 3) == "\xEF\xBB\xBF") body.remove_prefix(3);
  if (trim(body).empty()) return error_without_position(options.file_name, "file is empty");

  pugi::xml_document doc;
  const pugi::xml_parse_result result =
      doc.load_buffer(xml.data(), xml.size(), pugi::parse_default, pugi::encoding_auto);
  // pugixml reports offsets into its UTF-8 copy; they match the input when it is UTF-8.
  const auto at = [&](std::ptrdiff_t offset, std::string message) {
    if (offset < 0 || result.encoding != pugi::encoding_utf8) {
      return error_without_position(options.file_name, std::move(message));
    }
    return error_at(options.file_name, xml, static_cast<std::size_t>(offset), std::move(message));
  };
  if (!result) return at(result.offset, "invalid XML: " + lower_first(result.description()));

  const pugi::xml_node root = doc.document_element();
  if (!named(root, "testsuites") && !named(root, "testsuite")) {
    std::ptrdiff_t offset = root.offset_debug();  // the name, after '<'
    // Only a UTF-8 document's offsets index `xml`: after a conversion (UTF-16, ...) they point
    // into pugixml's copy and may lie past the end of the input.
    if (result.encoding == pugi::encoding_utf8 && offset > 0 &&
        static_cast<std::size_t>(offset) <= xml.size() &&
        xml[static_cast<std::size_t>(offset) - 1] == '<') {
      --offset;
    }
    return at(offset, "expected a <testsuites> or <testsuite> root element, got <" +
                          clean_utf8(root.name()) + ">");
  }
  std::vector<TestCase> cases;
  const CaseReader reader(options);
  // Depth-first in document order without recursion: the stack holds, per open suite, the next
  // child to look at.
  std::vector<pugi::xml_node> stack{root.first_child()};
  while (!stack.empty()) {
    if (!stack.back()) {
      stack.pop_back();
      continue;
    }
    const pugi::xml_node node = stack.back();
    stack.back() = node.next_sibling();
    if (named(node, "testcase")) {
      cases.push_back(reader.read(node));
    } else if (named(node, "testsuite") || named(node, "testsuites")) {
      stack.push_back(node.first_child());
    }
  }
  return cases;
}

}  // namespace mlgate::core
