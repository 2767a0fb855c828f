// Which scheduled time is due: the pure half of the nightly scheduler (docs/schedules.md). The
// server keeps, per (repo, tier), when it first saw the tier's schedule and the latest scheduled
// minute it fired; this decides from those and the current time what to fire now, if anything.
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "core/cron.h"

namespace mlgate::core {

// What the server remembers of one (repo, tier) schedule.
struct ScheduleCursor {
  std::string cron_text;                               // the expression the cursor was made for
  std::chrono::sys_seconds known_since;                // when the server first saw that expression
  std::optional<std::chrono::sys_seconds> last_fired;  // the latest scheduled minute fired
};

struct ScheduleDecision {
  // The scheduled minute to fire now; nullopt: nothing is due.
  std::optional<std::chrono::sys_seconds> fire;
  // The cursor must be (re)started at `now`: no cursor yet, or the expression changed.
  bool restart_cursor = false;
};

// The most recent matching minute at or before `now` fires when
//   - it is not before the minute in which the expression became known (a schedule never fires
//     for a time before the server knew it: neither the first time it is seen nor after its
//     expression changed; the minute it is first seen in counts), and
//   - it is later than the last fired minute.
// So after any downtime only the latest missed time fires, once; an earlier missed time never
// does. The cursor's known_since is ignored when its cron_text differs from expr.text.
ScheduleDecision due_schedule(const CronExpr& expr, const std::optional<ScheduleCursor>& cursor,
                              std::chrono::sys_seconds now);

}  // namespace mlgate::core
