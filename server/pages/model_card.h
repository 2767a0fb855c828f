// A commit's model card as a page (GET /repos/{owner}/{name}/commits/{sha}/model-card;
// docs/model-cards.md): the value server/services/model_cards.h builds, rendered from
// templates/web/model_card.tpl. Registered by App before the other pages, whose repository route
// would take the path for a repository's name.
#pragma once

#include "server/http/auth.h"
#include "server/http/router.h"
#include "server/services/gate_service.h"
#include "store/database.h"
#include "vcs/mirror.h"

namespace mlgate::server::pages {

struct ModelCardPageDeps {
  store::Database& db;
  const Authorizer& auth;
  GateService& gate;
  vcs::MirrorCache& mirrors;
};
void register_model_card_page(Router& http, const ModelCardPageDeps& deps);

}  // namespace mlgate::server::pages
