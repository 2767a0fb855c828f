// The results of a tier run with `repeat: N` (docs/gate.md "Repeats"): the N jobs' results made
// into one, as the gate reads it, and the tiers' results merged in tier order. Pure.
#pragma once

#include <string>
#include <vector>

#include "core/gate.h"
#include "core/results.h"

namespace mlgate::core {

// One tier's results from its repeats' (in repeat order). A metric (global, or one slice group)
// becomes the mean of the repeats that reported it (each repeat's last occurrence counts); its
// values per repeat go to repeat_values (a slice metric's: slice_repeat_values). The tests and
// predictions of every repeat are kept in repeat order (for a prediction id, the last repeat's
// counts), and when a repeat has predictions, each repeat's own go to repeat_predictions (checks
// `from: predictions` compute their metric per repeat). One run: its results as they are.
JobResults merge_repeats(std::vector<JobResults> runs);

// Appends a tier's results to those of the tiers before it: a metric or prediction reported again
// replaces the earlier one (the engine takes the last occurrence), and so do its repeat values
// (a later tier's single value is not the mean of an earlier tier's repeats). A tier with
// repeat_predictions makes them each repeat's view (the earlier tiers' lines first); a later
// tier's predictions are appended to every repeat's view.
void append_tier_results(JobResults& merged, JobResults tier);

// How listings name a job for people: "validation" for a tier run once, "validation #2" for the
// repeat MLGATE_REPEAT = 1 of a tier with `repeat: N` (repeats = N): numbered from 1.
std::string tier_label(const std::string& tier, int repeat, int repeats);

// The jobs judged, one entry per job in tier order (a tier's repeats next to each other), as one
// entry per tier: passed when all its jobs passed; else the first job that has not finished; else
// the first that did not pass (its repeat index, 0-based, and the tier's count of jobs set).
std::vector<TierState> tier_states_of_repeats(const std::vector<TierState>& jobs);

}  // namespace mlgate::core
