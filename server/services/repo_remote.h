// How the server reaches a registered repository's git remote: the mirror key, the clone URL and
// the forge token with the user name each forge expects for token authentication over HTTPS.
#pragma once

#include "store/repos.h"
#include "vcs/mirror.h"

namespace mlgate::server {

vcs::RepoRemote repo_remote(const store::RepoRow& repo);

}  // namespace mlgate::server
