// The layers of docs/architecture.md, checked: every #include "<folder>/..." of a product source
// file names a folder its own folder may depend on. A file that reaches upwards (core including
// store, a page including an API route, ...) fails here with the line that does it.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <string>
#include <vector>

namespace {

namespace fs = std::filesystem;

// The unit a file belongs to: its top folder, or server/<room> for the rooms of server/.
std::string unit_of(const std::string& relative) {
  auto slash = relative.find('/');
  std::string top = relative.substr(0, slash);
  if (top != "server") return top;
  auto rest = relative.substr(slash + 1);
  auto second = rest.find('/');
  return second == std::string::npos ? "server" : "server/" + rest.substr(0, second);
}

// The table of docs/architecture.md ("The layers", "The rooms of server/"): what each unit may
// include besides itself.
const std::map<std::string, std::set<std::string>>& allowed() {
  static const std::map<std::string, std::set<std::string>> table = {
      {"util", {}},
      {"core", {"util"}},
      {"webhooks", {"core", "util"}},
      {"vcs", {"core", "util"}},
      {"store", {"core", "util"}},
      {"server/http", {"store", "core", "util"}},
      {"server/services", {"server/http", "store", "vcs", "webhooks", "core", "util"}},
      {"server/workers",
       {"server/services", "server/http", "store", "vcs", "webhooks", "core", "util"}},
      {"server/api",
       {"server/services", "server/http", "store", "vcs", "webhooks", "core", "util"}},
      {"server/pages",
       {"server/services", "server/http", "store", "vcs", "webhooks", "core", "util"}},
      {"server",
       {"server/api", "server/pages", "server/workers", "server/services", "server/http", "store",
        "vcs", "webhooks", "core", "util"}},
      {"runners", {"core", "vcs", "util"}},
      {"cli",
       {"server", "server/api", "server/pages", "server/workers", "server/services", "server/http",
        "runners", "store", "vcs", "webhooks", "core", "util"}},
  };
  return table;
}

// Headers core/ may not include from util/: they do I/O.
const std::set<std::string> kIoHeaders = {"util/secret_file.h", "util/child_process.h",
                                          "util/periodic_worker.h"};

struct Violation {
  std::string where;
  std::string include;
};

std::vector<Violation> violations() {
  const fs::path root = MLGATE_SOURCE_DIR;
  static const std::regex include_re(R"re(^\s*#\s*include\s*"([^"]+)")re");
  std::vector<Violation> out;
  for (const auto& [unit, _] : allowed()) {
    if (unit.find('/') != std::string::npos) continue;  // rooms are walked with server/
    if (!fs::exists(root / unit)) continue;
    for (const auto& e : fs::recursive_directory_iterator(root / unit)) {
      const auto ext = e.path().extension();
      if (!e.is_regular_file() || (ext != ".cpp" && ext != ".h")) continue;
      const std::string rel = fs::relative(e.path(), root).string();
      const std::string from = unit_of(rel);
      std::ifstream in(e.path());
      std::string line;
      int n = 0;
      while (std::getline(in, line)) {
        ++n;
        std::smatch m;
        if (!std::regex_search(line, m, include_re)) continue;
        const std::string inc = m[1];
        if (inc.find('/') == std::string::npos) continue;  // a generated or system-style header
        const std::string to = unit_of(inc);
        if (!allowed().count(to)) continue;  // not one of ours (e.g. "nlohmann/json.hpp")
        bool ok = to == from || allowed().at(from).count(to) > 0;
        if (from == "core" && kIoHeaders.count(inc)) ok = false;
        if (!ok) out.push_back({rel + ":" + std::to_string(n), inc});
      }
    }
  }
  return out;
}

TEST(Layering, EveryIncludePointsDownTheTable) {
  const auto found = violations();
  for (const auto& v : found) ADD_FAILURE() << v.where << " includes " << v.include;
  EXPECT_TRUE(found.empty());
}

TEST(Layering, TheCheckSeesAnUpwardInclude) {
  // The classification the check relies on.
  EXPECT_EQ(unit_of("server/api/jobs.cpp"), "server/api");
  EXPECT_EQ(unit_of("server/app.cpp"), "server");
  EXPECT_EQ(unit_of("core/gate.cpp"), "core");
  EXPECT_FALSE(allowed().at("core").count("store"));
  EXPECT_FALSE(allowed().at("server/pages").count("server/api"));
  EXPECT_FALSE(allowed().at("server/http").count("server/services"));
  EXPECT_TRUE(allowed().at("server/api").count("server/services"));
}

}  // namespace
