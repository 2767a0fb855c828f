#include "core/cron.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdint>

#include "util/strings.h"

namespace mlgate::core {
namespace {

using std::chrono::days;
using std::chrono::minutes;
using std::chrono::sys_days;
using std::chrono::sys_seconds;
using std::chrono::year_month_day;

struct FieldSpec {
  const char* name;
  int low;
  int high;
  const std::array<const char*, 12>* names;  // names[i] stands for low + i; nullptr: none
};

constexpr std::array<const char*, 12> kMonthNames{"jan", "feb", "mar", "apr", "may", "jun",
                                                  "jul", "aug", "sep", "oct", "nov", "dec"};
constexpr std::array<const char*, 12> kDayNames{"sun", "mon", "tue", "wed", "thu", "fri",
                                                "sat", "",    "",    "",    "",    ""};

constexpr std::array<FieldSpec, 5> kFields{{
    {"minute", 0, 59, nullptr},
    {"hour", 0, 23, nullptr},
    {"day-of-month", 1, 31, nullptr},
    {"month", 1, 12, &kMonthNames},
    {"day-of-week", 0, 7, &kDayNames},
}};

// A value of a field: a number or (where the field has them) a name. Sets error on failure.
std::optional<int> parse_value(std::string_view text, const FieldSpec& spec, std::string& error) {
  if (text.empty()) {
    error = std::string("missing number in ") + spec.name + " field";
    return std::nullopt;
  }
  if (std::isdigit(static_cast<unsigned char>(text[0]))) {
    int value = 0;
    for (char c : text) {
      if (!std::isdigit(static_cast<unsigned char>(c))) {
        error = "bad number '" + std::string(text) + "' in " + spec.name + " field";
        return std::nullopt;
      }
      value = value * 10 + (c - '0');
      if (value > 1000) break;
    }
    if (value < spec.low || value > spec.high) {
      error = std::string(spec.name) + " value " + std::string(text.substr(0, 8)) +
              " is out of range " + std::to_string(spec.low) + "-" + std::to_string(spec.high);
      return std::nullopt;
    }
    return value;
  }
  if (spec.names != nullptr) {
    std::string name = util::lower(text);
    for (std::size_t i = 0; i < spec.names->size(); ++i) {
      if (*(*spec.names)[i] != '\0' && name == (*spec.names)[i]) {
        return spec.low + static_cast<int>(i);
      }
    }
    error = "unknown name '" + std::string(text.substr(0, 16)) + "' in " + spec.name + " field";
    return std::nullopt;
  }
  error = "bad value '" + std::string(text.substr(0, 16)) + "' in " + spec.name + " field";
  return std::nullopt;
}

// Parses one comma-separated field into the values it selects (low..high, before folding 7).
bool parse_field(std::string_view text, const FieldSpec& spec, std::vector<bool>& selected,
                 std::string& error) {
  selected.assign(static_cast<std::size_t>(spec.high + 1), false);
  std::size_t start = 0;
  while (true) {
    std::size_t comma = text.find(',', start);
    std::string_view element = text.substr(
        start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
    if (element.empty()) {
      error = std::string("empty list element in ") + spec.name + " field";
      return false;
    }
    std::string_view range = element;
    int step = 1;
    bool has_step = false;
    if (auto slash = element.find('/'); slash != std::string_view::npos) {
      range = element.substr(0, slash);
      std::string_view step_text = element.substr(slash + 1);
      if (step_text.empty() || !std::all_of(step_text.begin(), step_text.end(), [](char c) {
            return std::isdigit(static_cast<unsigned char>(c));
          })) {
        error = "bad step '" + std::string(step_text.substr(0, 8)) + "' in " + spec.name + " field";
        return false;
      }
      step = 0;
      for (char c : step_text) {
        step = step * 10 + (c - '0');
        if (step > 1000) break;
      }
      if (step < 1 || step > spec.high) {
        error = "step " + std::string(step_text.substr(0, 8)) + " in " + spec.name +
                " field must be between 1 and " + std::to_string(spec.high);
        return false;
      }
      has_step = true;
    }
    int first = 0;
    int last = 0;
    if (range == "*") {
      first = spec.low;
      last = spec.high;
    } else {
      auto dash = range.find('-');
      auto a = parse_value(range.substr(0, dash), spec, error);
      if (!a) return false;
      first = *a;
      if (dash != std::string_view::npos) {
        auto b = parse_value(range.substr(dash + 1), spec, error);
        if (!b) return false;
        last = *b;
        if (last < first) {
          error = "range " + std::string(range) + " in " + spec.name + " field is reversed";
          return false;
        }
      } else {
        last = has_step ? spec.high : first;  // "5/15": from 5 to the maximum
      }
    }
    for (int v = first; v <= last; v += step) selected[static_cast<std::size_t>(v)] = true;
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return true;
}

std::vector<std::string_view> split_fields(std::string_view text) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && (text[i] == ' ' || text[i] == '\t')) ++i;
    std::size_t start = i;
    while (i < text.size() && text[i] != ' ' && text[i] != '\t') ++i;
    if (i > start) out.push_back(text.substr(start, i - start));
  }
  return out;
}

CronParse fail(std::string message) {
  return CronParse{std::nullopt, std::move(message)};
}

constexpr int kYearLimit = 30000;

bool in_range(sys_days day) {
  using std::chrono::year;
  return day >= sys_days{year{-kYearLimit} / 1 / 1} && day <= sys_days{year{kYearLimit} / 12 / 31};
}

bool day_matches(const CronExpr& expr, sys_days day) {
  year_month_day ymd{day};
  if (!expr.months.test(static_cast<unsigned>(ymd.month()))) return false;
  bool dom = expr.days_of_month.test(static_cast<unsigned>(ymd.day()));
  bool dow = expr.days_of_week.test(std::chrono::weekday{day}.c_encoding());
  if (expr.dom_star || expr.dow_star) return dom && dow;
  return dom || dow;
}

// First matching minute of the day at or after minute-of-day `from` (0..1439), or -1.
int first_minute_from(const CronExpr& expr, int from) {
  for (int m = from; m < 24 * 60; ++m) {
    if (!expr.hours.test(static_cast<std::size_t>(m / 60))) {
      m = (m / 60) * 60 + 59;
      continue;
    }
    if (expr.minutes.test(static_cast<std::size_t>(m % 60))) return m;
  }
  return -1;
}

// Last matching minute of the day at or before minute-of-day `to`, or -1.
int last_minute_to(const CronExpr& expr, int to) {
  for (int m = to; m >= 0; --m) {
    if (!expr.hours.test(static_cast<std::size_t>(m / 60))) {
      m = (m / 60) * 60;
      continue;
    }
    if (expr.minutes.test(static_cast<std::size_t>(m % 60))) return m;
  }
  return -1;
}

constexpr days kSearchSpan{146097 + 1};  // 400 Gregorian years, plus the starting day

// First fire at or after `start` (a whole minute) and not after the day `limit`.
std::optional<sys_seconds> search_forward(const CronExpr& expr, sys_seconds start, sys_days limit) {
  sys_days day = std::chrono::floor<days>(start);
  int from = static_cast<int>(std::chrono::floor<minutes>(start - day).count());
  while (day <= limit) {
    year_month_day ymd{day};
    if (!expr.months.test(static_cast<unsigned>(ymd.month()))) {
      day = sys_days{(ymd.year() / ymd.month() + std::chrono::months{1}) / 1};
      from = 0;
      continue;
    }
    if (day_matches(expr, day)) {
      if (int m = first_minute_from(expr, from); m >= 0) return sys_seconds{day} + minutes{m};
    }
    day += days{1};
    from = 0;
  }
  return std::nullopt;
}

// Last fire at or before `end` (a whole minute) and not before the day `limit`.
std::optional<sys_seconds> search_backward(const CronExpr& expr, sys_seconds end, sys_days limit) {
  sys_days day = std::chrono::floor<days>(end);
  int to = static_cast<int>(std::chrono::floor<minutes>(end - day).count());
  while (day >= limit) {
    year_month_day ymd{day};
    if (!expr.months.test(static_cast<unsigned>(ymd.month()))) {
      day = sys_days{ymd.year() / ymd.month() / 1} - days{1};
      to = 24 * 60 - 1;
      continue;
    }
    if (day_matches(expr, day)) {
      if (int m = last_minute_to(expr, to); m >= 0) return sys_seconds{day} + minutes{m};
    }
    day -= days{1};
    to = 24 * 60 - 1;
  }
  return std::nullopt;
}

}  // namespace

CronParse parse_cron(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) {
    text.remove_prefix(1);
  }
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) {
    text.remove_suffix(1);
  }
  if (text.empty()) return fail("empty cron expression");
  if (text.size() > 256) return fail("cron expression is too long (over 256 characters)");
  std::string expanded(text);
  if (text.front() == '@') {
    std::string macro = util::lower(text);
    if (macro == "@yearly" || macro == "@annually") {
      expanded = "0 0 1 1 *";
    } else if (macro == "@monthly") {
      expanded = "0 0 1 * *";
    } else if (macro == "@weekly") {
      expanded = "0 0 * * 0";
    } else if (macro == "@daily" || macro == "@midnight") {
      expanded = "0 0 * * *";
    } else if (macro == "@hourly") {
      expanded = "0 * * * *";
    } else if (macro == "@reboot") {
      return fail("@reboot is not supported: mlgate schedules are times, not events");
    } else {
      return fail("unknown cron macro '" + std::string(text.substr(0, 16)) +
                  "'; known: @yearly, @annually, @monthly, @weekly, @daily, @midnight, @hourly");
    }
  }
  auto fields = split_fields(expanded);
  if (fields.size() != 5) {
    std::string message = "expected 5 fields (minute hour day-of-month month day-of-week), got " +
                          std::to_string(fields.size());
    if (fields.size() == 6) message += " (seconds and years fields are not supported)";
    return fail(message);
  }
  CronExpr expr;
  std::vector<bool> selected;
  for (std::size_t f = 0; f < fields.size(); ++f) {
    std::string error;
    if (!parse_field(fields[f], kFields[f], selected, error)) return fail(error);
    for (std::size_t v = 0; v < selected.size(); ++v) {
      if (!selected[v]) continue;
      switch (f) {
        case 0:
          expr.minutes.set(v);
          break;
        case 1:
          expr.hours.set(v);
          break;
        case 2:
          expr.days_of_month.set(v);
          break;
        case 3:
          expr.months.set(v);
          break;
        case 4:
          expr.days_of_week.set(v % 7);
          break;
      }
    }
  }
  expr.dom_star = fields[2].front() == '*';
  expr.dow_star = fields[4].front() == '*';
  expr.text = std::string(text);
  return CronParse{std::move(expr), {}};
}

bool cron_matches(const CronExpr& expr, sys_seconds t) {
  sys_days day = std::chrono::floor<days>(t);
  if (!in_range(day) || !day_matches(expr, day)) return false;
  auto minute_of_day = std::chrono::floor<minutes>(t - day).count();
  return expr.hours.test(static_cast<std::size_t>(minute_of_day / 60)) &&
         expr.minutes.test(static_cast<std::size_t>(minute_of_day % 60));
}

bool can_fire(const CronExpr& expr) {
  if (expr.minutes.none() || expr.hours.none() || expr.months.none()) return false;
  if (expr.days_of_week.none() && expr.days_of_month.none()) return false;
  // Both day fields restricted: any weekday in the week matches, and every month has every weekday.
  if (!expr.dom_star && !expr.dow_star && expr.days_of_week.any()) return true;
  if (expr.days_of_week.none()) return false;
  // A (month, day) pair must exist; each existing date falls on every weekday in some year.
  constexpr std::array<unsigned, 13> kMaxDays{0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  for (unsigned m = 1; m <= 12; ++m) {
    if (!expr.months.test(m)) continue;
    for (unsigned d = 1; d <= kMaxDays[m]; ++d) {
      if (expr.days_of_month.test(d)) return true;
    }
  }
  return false;
}

std::optional<sys_seconds> next_after(const CronExpr& expr, sys_seconds t) {
  if (!can_fire(expr)) return std::nullopt;
  sys_seconds start = std::chrono::floor<minutes>(t) + minutes{1};
  sys_days first = std::chrono::floor<days>(start);
  if (!in_range(first)) return std::nullopt;
  return search_forward(expr, start, first + kSearchSpan);
}

std::optional<sys_seconds> last_at_or_before(const CronExpr& expr, sys_seconds t) {
  if (!can_fire(expr)) return std::nullopt;
  sys_seconds end = std::chrono::floor<minutes>(t);
  sys_days last = std::chrono::floor<days>(end);
  if (!in_range(last)) return std::nullopt;
  return search_backward(expr, end, last - kSearchSpan);
}

std::vector<sys_seconds> fires_between(const CronExpr& expr, sys_seconds from, sys_seconds to,
                                       std::size_t max_count) {
  std::vector<sys_seconds> out;
  if (max_count == 0 || to <= from || !can_fire(expr)) return out;
  sys_days to_day = std::chrono::floor<days>(to);
  sys_days from_day = std::chrono::floor<days>(from);
  if (!in_range(to_day)) return out;
  if (!in_range(from_day)) from_day = to_day - kSearchSpan;
  sys_seconds end = std::chrono::floor<minutes>(to);
  while (out.size() < max_count) {
    auto fire = search_backward(expr, end, from_day);
    if (!fire || *fire <= from) break;
    out.push_back(*fire);
    end = *fire - minutes{1};
  }
  std::reverse(out.begin(), out.end());
  return out;
}

}  // namespace mlgate::core
