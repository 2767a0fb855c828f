// The rollout timeline of an environment page (docs/rollouts.md, docs/pages.md): the rollout's
// commits and state, its stages with the split and each stage's verdict, the judge's score per
// analysis interval as an SVG plot (core/trend_svg.h; promotions and pauses marked), and the
// transitions with who and why. An HTML fragment, every text escaped, for the environment page to
// insert as it is.
#pragma once

#include <string>
#include <vector>

#include "store/rollouts.h"

namespace mlgate::server {

std::string rollout_section_html(const store::RolloutRow& rollout,
                                 const std::vector<store::RolloutEvent>& events);

}  // namespace mlgate::server
