// Pipelines of a planner's burst stored together: the pipelines, their jobs and their first state
// changes in a few statements whatever their number, the jobs they supersede cancelled in one, the
// pipelines that lost jobs brought up to date together. The outcome is the one that storing them
// one by one, oldest first, would give (store/pipelines.h says what each step does).
#pragma once

#include <cstdint>
#include <map>
#include <pqxx/pqxx>
#include <vector>

#include "store/pipelines.h"

namespace mlgate::store {

// Inserts the pipelines and their jobs (ids ascending in the order given) and records their first
// state changes; returns the pipelines' ids in that order.
std::vector<std::int64_t> create_pipelines(pqxx::work& tx,
                                           const std::vector<const NewPipeline*>& pipelines);

// A pipeline that supersedes older ones of its repository (not for `manual`).
struct Superseding {
  std::int64_t pipeline_id = 0;
  std::string trigger;
  std::string branch;
  std::optional<std::int64_t> pr_number;
};

// cancel_superseded for each of `newer` at once: an open job is cancelled by the first of them
// that is newer than its pipeline and of the same trigger and branch (or pull request). Returns
// how many jobs each of `newer` cancelled (absent: none).
std::map<std::int64_t, int> cancel_superseded_by(pqxx::work& tx, std::int64_t repo_id,
                                                 const std::vector<Superseding>& newer);

// refresh_pipeline_state for each of `pipeline_ids`, in two statements (three when one moves).
void refresh_pipeline_states(pqxx::work& tx, const std::vector<std::int64_t>& pipeline_ids);

}  // namespace mlgate::store
