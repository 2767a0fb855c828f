#include "server/services/repo_remote.h"

#include "server/services/planner.h"

namespace mlgate::server {

vcs::RepoRemote repo_remote(const store::RepoRow& repo) {
  vcs::RepoRemote remote;
  remote.key = mirror_key(repo.forge, repo.full_name);
  remote.clone_url = repo.clone_url;
  remote.token = repo.forge_token;
  remote.token_user = repo.forge == "gitlab" ? "oauth2" : "x-access-token";
  return remote;
}

}  // namespace mlgate::server
