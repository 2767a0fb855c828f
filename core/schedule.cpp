#include "core/schedule.h"

namespace mlgate::core {

ScheduleDecision due_schedule(const CronExpr& expr, const std::optional<ScheduleCursor>& cursor,
                              std::chrono::sys_seconds now) {
  using std::chrono::floor;
  using std::chrono::minutes;
  ScheduleDecision out;
  const bool same = cursor && cursor->cron_text == expr.text;
  out.restart_cursor = !same;
  const auto known_minute = floor<minutes>(same ? cursor->known_since : now);
  const auto due = last_at_or_before(expr, now);
  if (!due || *due < known_minute) return out;
  if (cursor && cursor->last_fired && *due <= *cursor->last_fired) return out;
  out.fire = *due;
  return out;
}

}  // namespace mlgate::core
