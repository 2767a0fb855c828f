// A commit's model card (docs/model-cards.md), shared by the API, `mlgate model-card` (through the
// API) and the page: model_card.yml read at the commit from the mirror the way the gate reads
// .mlgate.yml, joined with the gate's answers per environment, the commit's newest pipeline, its
// reference profile and its deployments.
#pragma once

#include <optional>
#include <string>

#include "core/model_card.h"
#include "server/services/gate_service.h"
#include "store/database.h"
#include "store/repos.h"
#include "vcs/mirror.h"

namespace mlgate::server {

struct ModelCardAnswer {
  std::optional<GateRefusal> refusal;  // 404 unknown_commit when the commit cannot be read
  core::ModelCard card;
};

ModelCardAnswer build_model_card(store::Database& db, GateService& gate, vcs::MirrorCache& mirrors,
                                 const store::RepoRow& repo, const std::string& sha);

}  // namespace mlgate::server
