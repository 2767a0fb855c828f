#include "vcs/mirror.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <mutex>
#include <random>
#include <unordered_set>
#include <utility>

#include "util/hex.h"
#include "util/strings.h"
#include "vcs/lock.h"
#include "vcs/validate.h"

namespace mlgate::vcs {
namespace fs = std::filesystem;

namespace {

constexpr const char* kHeadsSpec = "+refs/heads/*:refs/heads/*";
constexpr const char* kTagsSpec = "+refs/tags/*:refs/tags/*";
constexpr int kMaxSymlinkHops = 40;

// FNV-1a: a stable (across builds and hosts) name for a fork URL's ref namespace.
std::uint64_t fnv1a(std::string_view s) {
  std::uint64_t h = 1469598103934665603ull;
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

std::string random_hex16() {
  std::random_device rd;
  std::uint64_t v = (static_cast<std::uint64_t>(rd()) << 32) ^ rd();
  return util::hex_u64(v);
}

bool is_hex16(std::string_view s) {
  return s.size() == 16 && std::all_of(s.begin(), s.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

git_oid parse_oid(std::string_view sha) {
  require_valid_sha(sha);
  if (sha.size() != 40) {
    throw GitError("commit " + std::string(sha) +
                   ": SHA-256 object ids are not supported by this build (libgit2 1.5)");
  }
  git_oid oid;
  std::string s(sha);
  check(git_oid_fromstr(&oid, s.c_str()), "parse sha " + s);
  return oid;
}

std::string oid_str(const git_oid* oid) {
  char buf[GIT_OID_HEXSZ + 1];
  git_oid_tostr(buf, sizeof buf, oid);
  return buf;
}

std::string scrub(std::string msg, const std::string& secret) {
  if (secret.size() < 4) return msg;  // too short to scrub without mangling the message
  for (std::size_t pos = msg.find(secret); pos != std::string::npos;
       pos = msg.find(secret, pos + 3)) {
    msg.replace(pos, secret.size(), "***");
  }
  return msg;
}

bool valid_ref_name(const std::string& name) {
  if (name.empty() || name.size() > 1024 || name.find('\0') != std::string::npos) return false;
  int valid = 0;
  if (git_reference_name_is_valid(&valid, name.c_str()) < 0) return false;
  return valid != 0;
}

bool under_heads_or_tags(std::string_view ref) {
  return ref.rfind("refs/heads/", 0) == 0 || ref.rfind("refs/tags/", 0) == 0;
}

// The extra ref named by RepoRemote::fetch_ref, validated; empty when there is none.
std::string checked_fetch_ref(const RepoRemote& remote) {
  const std::string& ref = remote.fetch_ref;
  if (ref.empty()) return "";
  if (ref.rfind("refs/", 0) != 0 || ref.rfind("refs/mlgate/", 0) == 0 ||
      ref.find('*') != std::string::npos || !valid_ref_name(ref)) {
    throw GitError("invalid fetch ref " + quote_for_message(ref) +
                   ": expected a full ref name such as refs/pull/12/head");
  }
  return ref;
}

// ---------------------------------------------------------------------------------------------
// Fetch callbacks

struct FetchContext {
  std::string url;         // redacted, for messages
  std::string token_host;  // the only host that may receive the token
  const RepoRemote* remote = nullptr;
  std::chrono::steady_clock::time_point deadline;
  std::uint64_t max_bytes = 0;
  int credential_calls = 0;
  bool gave_token = false;
  bool no_token = false;
  bool wrong_host = false;
  bool unsupported_auth = false;
  bool timed_out = false;
  bool too_big = false;
};

int credentials_cb(git_credential** out, const char* url, const char* /*username_from_url*/,
                   unsigned int allowed_types, void* payload) {
  auto* ctx = static_cast<FetchContext*>(payload);
  // libgit2 calls again when the server refused what we gave: one attempt only.
  if (++ctx->credential_calls > 1) {
    git_error_set_str(GIT_ERROR_NET, "credentials rejected");
    return GIT_EAUTH;
  }
  if ((allowed_types & GIT_CREDENTIAL_USERPASS_PLAINTEXT) == 0) {
    ctx->unsupported_auth = true;
    git_error_set_str(GIT_ERROR_NET, "unsupported credential type");
    return GIT_EAUTH;
  }
  if (ctx->remote->token.empty()) {
    ctx->no_token = true;
    git_error_set_str(GIT_ERROR_NET, "no token configured");
    return GIT_EAUTH;
  }
  if (ctx->token_host.empty() || url_host(url ? url : "") != ctx->token_host) {
    ctx->wrong_host = true;
    git_error_set_str(GIT_ERROR_NET, "token not sent to this host");
    return GIT_EAUTH;
  }
  int rc = git_credential_userpass_plaintext_new(out, ctx->remote->token_user.c_str(),
                                                 ctx->remote->token.c_str());
  if (rc == 0) ctx->gave_token = true;
  return rc;
}

bool fetch_should_stop(FetchContext* ctx, std::size_t received_bytes) {
  if (std::chrono::steady_clock::now() > ctx->deadline) {
    ctx->timed_out = true;
    return true;
  }
  if (ctx->max_bytes && received_bytes > ctx->max_bytes) {
    ctx->too_big = true;
    return true;
  }
  return false;
}

int transfer_progress_cb(const git_indexer_progress* stats, void* payload) {
  return fetch_should_stop(static_cast<FetchContext*>(payload), stats->received_bytes) ? -1 : 0;
}

int sideband_cb(const char* /*str*/, int /*len*/, void* payload) {
  return fetch_should_stop(static_cast<FetchContext*>(payload), 0) ? -1 : 0;
}

std::string describe_fetch_failure(const FetchContext& ctx, const MirrorOptions& options) {
  std::string prefix = "fetch " + ctx.url + ": ";
  if (ctx.timed_out) {
    return prefix + "timed out after " +
           std::to_string(
               std::chrono::duration_cast<std::chrono::seconds>(options.fetch_timeout).count()) +
           " s";
  }
  if (ctx.too_big) {
    return prefix + "aborted: more than " + std::to_string(options.max_fetch_bytes) +
           " bytes received";
  }
  if (ctx.gave_token && ctx.credential_calls > 1) {
    return prefix + "authentication failed: the server rejected the token for user '" +
           ctx.remote->token_user + "'";
  }
  if (ctx.no_token) {
    return prefix + "authentication required, and no token is configured for " + ctx.remote->key;
  }
  if (ctx.wrong_host) {
    return prefix + "authentication required by a host other than the clone URL's (" +
           ctx.token_host + "); the token is not sent there";
  }
  if (ctx.unsupported_auth) {
    return prefix +
           "the server asks for a credential other than username/password (only HTTP(S) "
           "token authentication is supported)";
  }
  return prefix + scrub(last_git_error_message(), ctx.remote->token);
}

// ---------------------------------------------------------------------------------------------
// Tree walking (iterative, bounded, with the safety checks checkout relies on)

bool is_file_mode(git_filemode_t mode) {
  return mode == GIT_FILEMODE_BLOB || mode == GIT_FILEMODE_BLOB_EXECUTABLE ||
         mode == GIT_FILEMODE_LINK;
}

bool equals_dot_git(std::string_view name) {
  if (name.size() != 4) return false;
  return util::lower(name) == ".git";
}

struct WalkLimits {
  std::size_t max_entries;
  std::size_t max_depth;
};

// Calls visit(path, entry) for every non-tree entry below `tree`, in tree order. Throws on a name
// that is empty, ".", "..", ".git" (any case) or contains '/', on two entries with the same name in
// one tree (a hostile tree could otherwise hide a directory behind a symlink), and past the limits.
template <typename Visit>
void walk_tree(git_repository* repo, const git_tree* tree, const std::string& base,
               const WalkLimits& limits, const std::string& what, Visit&& visit) {
  struct Frame {
    TreePtr owned;
    const git_tree* tree;
    std::size_t index;
    std::string prefix;
  };
  std::vector<Frame> stack;
  stack.push_back({nullptr, tree, 0, base.empty() ? "" : base + "/"});
  std::unordered_set<std::string> names;
  // Duplicates are checked when a tree is entered.
  auto check_names = [&](const git_tree* t, const std::string& prefix) {
    names.clear();
    std::size_t n = git_tree_entrycount(t);
    for (std::size_t i = 0; i < n; ++i) {
      const git_tree_entry* e = git_tree_entry_byindex(t, i);
      std::string name = git_tree_entry_name(e);
      if (name.empty() || name == "." || name == ".." || name.find('/') != std::string::npos ||
          equals_dot_git(name)) {
        throw GitError(what + ": unsafe path " + quote_for_message(prefix + name) + " in tree");
      }
      if (!names.insert(name).second) {
        throw GitError(what + ": tree has two entries named " + quote_for_message(prefix + name));
      }
    }
  };
  check_names(tree, stack.back().prefix);
  std::size_t seen = 0;
  while (!stack.empty()) {
    Frame& top = stack.back();
    if (top.index >= git_tree_entrycount(top.tree)) {
      stack.pop_back();
      continue;
    }
    const git_tree_entry* e = git_tree_entry_byindex(top.tree, top.index++);
    if (++seen > limits.max_entries) {
      throw GitError(what + ": tree has more than " + std::to_string(limits.max_entries) +
                     " entries");
    }
    std::string path = top.prefix + git_tree_entry_name(e);
    if (git_tree_entry_type(e) == GIT_OBJECT_TREE) {
      if (stack.size() >= limits.max_depth) {
        throw GitError(what + ": tree is nested deeper than " + std::to_string(limits.max_depth) +
                       " directories");
      }
      git_tree* sub = nullptr;
      check(git_tree_lookup(&sub, repo, git_tree_entry_id(e)), what + ": read tree " + path);
      TreePtr owned(sub);
      check_names(sub, path + "/");
      stack.push_back({std::move(owned), sub, 0, path + "/"});
    } else {
      visit(path, e);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Symlinks after checkout

std::string read_link(const fs::path& p) {
  std::error_code ec;
  fs::path t = fs::read_symlink(p, ec);
  if (ec) throw GitError("checkout: readlink " + p.string() + ": " + ec.message());
  return t.string();
}

// Follows `target` (a link's text) from directory `stack` (components below dest) the way the
// kernel would, through the links already in dest; `stack` ends as the resolved location. False
// when the resolution leaves dest at any point (absolute target, ".." above dest) or loops.
bool resolves_inside(const fs::path& dest, std::vector<std::string>& stack, std::string_view target,
                     int& hops) {
  if (!target.empty() && target.front() == '/') return false;
  std::size_t start = 0;
  while (start <= target.size()) {
    std::size_t slash = target.find('/', start);
    std::string_view comp = target.substr(
        start, slash == std::string_view::npos ? std::string_view::npos : slash - start);
    start = slash == std::string_view::npos ? target.size() + 1 : slash + 1;
    if (comp.empty() || comp == ".") continue;
    if (comp == "..") {
      if (stack.empty()) return false;
      stack.pop_back();
      continue;
    }
    stack.emplace_back(comp);
    fs::path p = dest;
    for (const auto& s : stack) p /= s;
    struct stat st;
    if (::lstat(p.c_str(), &st) == 0 && S_ISLNK(st.st_mode)) {
      if (++hops > kMaxSymlinkHops) return false;
      std::string next = read_link(p);
      stack.pop_back();
      if (!resolves_inside(dest, stack, next, hops)) return false;
    }
    // A missing component or a non-directory is kept lexically: conservative for what follows.
  }
  return true;
}

void replace_link_with_file(const fs::path& p, const std::string& text) {
  if (::unlink(p.c_str()) != 0) {
    throw GitError("checkout: unlink " + p.string() + ": " + std::strerror(errno));
  }
  int fd = ::open(p.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
  if (fd < 0) throw GitError("checkout: create " + p.string() + ": " + std::strerror(errno));
  std::size_t done = 0;
  while (done < text.size()) {
    ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int err = errno;
      ::close(fd);
      throw GitError("checkout: write " + p.string() + ": " + std::strerror(err));
    }
    done += static_cast<std::size_t>(n);
  }
  ::close(fd);
}

std::vector<std::string> neutralise_escaping_links(const fs::path& dest) {
  std::vector<std::pair<std::string, std::string>> escaping;  // relative path, link text
  for (auto it = fs::recursive_directory_iterator(dest); it != fs::recursive_directory_iterator();
       ++it) {
    if (!it->is_symlink()) continue;
    fs::path rel = it->path().lexically_relative(dest);
    std::vector<std::string> stack;
    for (const auto& c : rel.parent_path()) {
      if (!c.empty()) stack.push_back(c.string());
    }
    std::string text = read_link(it->path());
    int hops = 0;
    if (!resolves_inside(dest, stack, text, hops)) escaping.emplace_back(rel.string(), text);
  }
  std::vector<std::string> out;
  for (const auto& [rel, text] : escaping) {
    replace_link_with_file(dest / rel, text);
    out.push_back(rel);
  }
  std::sort(out.begin(), out.end());
  return out;
}

// Lock files git leaves when a writer dies mid-update ("refs/heads/main.lock", "packed-refs.lock").
// Called with the mirror lock held: no other mlgate writer can be at work, so they are stale.
void remove_stale_git_locks(const fs::path& gitdir) {
  std::error_code ec;
  for (const char* name : {"packed-refs.lock", "config.lock", "HEAD.lock", "index.lock"}) {
    fs::remove(gitdir / name, ec);
  }
  std::vector<fs::path> stale;
  for (auto it = fs::recursive_directory_iterator(gitdir / "refs", ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (it->path().extension() == ".lock" && it->is_regular_file(ec)) stale.push_back(it->path());
  }
  for (const auto& p : stale) fs::remove(p, ec);
}

void clear_directory(const fs::path& dir) {
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) fs::remove_all(entry.path(), ec);
}

}  // namespace

// -----------------------------------------------------------------------------------------------

struct MirrorCache::FetchSpec {
  std::string url;
  std::vector<std::string> refspecs;
  bool prune = false;
};

MirrorCache::MirrorCache(fs::path root, MirrorOptions options)
    : root_(std::move(root)), options_(options) {
  if (root_.empty()) throw GitError("mirror cache: empty root directory");
  std::error_code ec;
  fs::create_directories(root_, ec);
  if (ec) throw GitError("mirror cache: create " + root_.string() + ": " + ec.message());
  root_ = fs::absolute(root_);
}

MirrorCache::~MirrorCache() {
  pool_->close();
}

void MirrorCache::use_libgit2() const {
  std::call_once(libgit2_once_, [this] {
    libgit2_.emplace();
    // fsync objects, packs and refs: a host crash must not leave a mirror that fails forever.
    check(git_libgit2_opts(GIT_OPT_ENABLE_FSYNC_GITDIR, 1), "libgit2: enable fsync");
  });
}

fs::path MirrorCache::mirror_path(const RepoRemote& remote) const {
  fs::path rel = key_to_relative_path(remote.key);
  return root_ / rel.parent_path() / (rel.filename().string() + ".git");
}

fs::path MirrorCache::lock_path(const RepoRemote& remote) const {
  fs::path rel = key_to_relative_path(remote.key);
  return root_ / rel.parent_path() / (rel.filename().string() + ".lock");
}

RepositoryPtr MirrorCache::open_existing(const RepoRemote& remote) const {
  fs::path path = mirror_path(remote);
  git_repository* raw = nullptr;
  int rc = git_repository_open_ext(
      &raw, path.c_str(), GIT_REPOSITORY_OPEN_NO_SEARCH | GIT_REPOSITORY_OPEN_BARE, nullptr);
  if (rc == GIT_ENOTFOUND) {
    git_error_clear();
    return nullptr;
  }
  check(rc, "open mirror " + path.string());
  return RepositoryPtr(raw);
}

RepositoryPtr MirrorCache::open_or_create(const RepoRemote& remote) {
  // Called with the mirror's lock held.
  if (auto repo = open_existing(remote)) return repo;
  fs::path path = mirror_path(remote);
  fs::path parent = path.parent_path();
  std::string name = path.filename().string();
  std::error_code ec;
  fs::create_directories(parent, ec);
  if (ec) throw GitError("create mirror " + path.string() + ": " + ec.message());
  // Temporary directories of creators that died: they held this lock, so nobody uses them now.
  std::string tmp_prefix = ".tmp-" + name + ".";
  for (const auto& entry : fs::directory_iterator(parent, ec)) {
    std::string n = entry.path().filename().string();
    if (n.rfind(tmp_prefix, 0) == 0 && is_hex16(std::string_view(n).substr(tmp_prefix.size()))) {
      fs::remove_all(entry.path(), ec);
    }
  }
  fs::path tmp = parent / (tmp_prefix + random_hex16());
  {
    git_repository_init_options init;
    check(git_repository_init_options_init(&init, GIT_REPOSITORY_INIT_OPTIONS_VERSION),
          "create mirror " + path.string());
    init.flags =
        GIT_REPOSITORY_INIT_BARE | GIT_REPOSITORY_INIT_NO_REINIT | GIT_REPOSITORY_INIT_MKDIR;
    init.description = "mlgate mirror (fetched with anonymous remotes; no URL is stored)";
    git_repository* raw = nullptr;
    check(git_repository_init_ext(&raw, tmp.c_str(), &init), "create mirror " + path.string());
    RepositoryPtr repo(raw);
    git_config* cfg_raw = nullptr;
    check(git_repository_config(&cfg_raw, repo.get()), "create mirror " + path.string());
    ConfigPtr cfg(cfg_raw);
    // Nothing ever deletes objects: a force-pushed commit stays readable.
    check(git_config_set_int32(cfg.get(), "gc.auto", 0), "create mirror " + path.string());
    check(git_config_set_string(cfg.get(), "mlgate.key", remote.key.c_str()),
          "create mirror " + path.string());
  }
  fs::rename(tmp, path, ec);
  if (ec) {
    fs::remove_all(tmp);
    throw GitError("create mirror " + path.string() + ": rename: " + ec.message());
  }
  auto repo = open_existing(remote);
  if (!repo) throw GitError("create mirror " + path.string() + ": vanished after creation");
  return repo;
}

CommitPtr MirrorCache::lookup_commit(git_repository* repo, std::string_view sha) const {
  git_oid oid = parse_oid(sha);
  git_object* raw = nullptr;
  int rc = git_object_lookup(&raw, repo, &oid, GIT_OBJECT_ANY);
  if (rc == GIT_ENOTFOUND) {
    git_error_clear();
    return nullptr;
  }
  check(rc, "look up " + std::string(sha));
  ObjectPtr obj(raw);
  if (git_object_type(obj.get()) != GIT_OBJECT_COMMIT) {
    throw GitError("object " + std::string(sha) + " is a " +
                   git_object_type2string(git_object_type(obj.get())) + ", not a commit");
  }
  return CommitPtr(reinterpret_cast<git_commit*>(obj.release()));
}

void MirrorCache::fetch(git_repository* repo, const RepoRemote& remote, const FetchSpec& spec) {
  // Called with the mirror lock held.
  fetches_.fetch_add(1);
  remove_stale_git_locks(git_repository_path(repo));
  FetchContext ctx;
  ctx.url = redact_url(spec.url);
  ctx.token_host = url_host(remote.clone_url);
  ctx.remote = &remote;
  ctx.deadline = std::chrono::steady_clock::now() + options_.fetch_timeout;
  ctx.max_bytes = options_.max_fetch_bytes;

  // An in-memory remote (no name: nothing is written to the mirror's config). Not
  // git_remote_create_anonymous: in libgit2 1.5 its url.*.insteadOf lookup leaks PCRE2 match data
  // (~20 KiB) per config entry on every call (fixed upstream by libgit2 PR #6382, after 1.5).
  git_remote_create_options create;
  check(git_remote_create_options_init(&create, GIT_REMOTE_CREATE_OPTIONS_VERSION),
        "fetch " + ctx.url);
  create.repository = repo;
  create.name = nullptr;
  create.flags = GIT_REMOTE_CREATE_SKIP_INSTEADOF | GIT_REMOTE_CREATE_SKIP_DEFAULT_FETCHSPEC;
  git_remote* raw = nullptr;
  check(git_remote_create_with_opts(&raw, spec.url.c_str(), &create), "fetch " + ctx.url);
  RemotePtr git_remote_handle(raw);

  git_fetch_options opts;
  check(git_fetch_options_init(&opts, GIT_FETCH_OPTIONS_VERSION), "fetch " + ctx.url);
  opts.callbacks.credentials = credentials_cb;
  opts.callbacks.transfer_progress = transfer_progress_cb;
  opts.callbacks.sideband_progress = sideband_cb;
  opts.callbacks.payload = &ctx;
  opts.prune = spec.prune ? GIT_FETCH_PRUNE : GIT_FETCH_NO_PRUNE;
  opts.update_fetchhead = 0;  // several fetchers share the mirror; FETCH_HEAD means nothing here
  opts.download_tags = GIT_REMOTE_DOWNLOAD_TAGS_NONE;  // tags come from the explicit refspec only
  opts.proxy_opts.type = GIT_PROXY_AUTO;
  opts.follow_redirects = GIT_REMOTE_REDIRECT_INITIAL;

  std::vector<char*> specs;
  for (const auto& s : spec.refspecs) specs.push_back(const_cast<char*>(s.c_str()));
  git_strarray arr{specs.data(), specs.size()};
  int rc = git_remote_fetch(git_remote_handle.get(), &arr, &opts, "mlgate: fetch");
  if (rc < 0) throw GitError(describe_fetch_failure(ctx, options_), rc);
}

void MirrorCache::ensure_commit(const RepoRemote& remote, std::string_view sha) {
  use_libgit2();
  parse_oid(sha);  // validates before anything touches the disk or the network
  mirror_path(remote);
  {
    // Fast path, no lock: objects are only ever added to a mirror.
    auto repo = open_existing(remote);
    if (repo && lookup_commit(repo.get(), sha)) return;
  }
  if (remote.clone_url.empty()) throw GitError("fetch for " + remote.key + ": no clone URL");
  std::string extra_ref = checked_fetch_ref(remote);

  MirrorLock lock(lock_path(remote), options_.lock_timeout);
  auto repo = open_or_create(remote);
  if (lookup_commit(repo.get(), sha)) return;  // another thread or process fetched it meanwhile

  FetchSpec primary{remote.clone_url, {kHeadsSpec, kTagsSpec}, true};
  if (!extra_ref.empty() && !under_heads_or_tags(extra_ref)) {
    primary.refspecs.push_back("+" + extra_ref + ":" + extra_ref);
  }
  fetch(repo.get(), remote, primary);
  if (lookup_commit(repo.get(), sha)) return;

  std::string where = redact_url(remote.clone_url);
  if (!remote.fetch_url_override.empty()) {
    std::string fork_ns =
        "refs/mlgate/forks/" + util::hex_u64(fnv1a(redact_url(remote.fetch_url_override)));
    fetch(repo.get(), remote,
          {remote.fetch_url_override, {"+refs/heads/*:" + fork_ns + "/heads/*"}, true});
    if (lookup_commit(repo.get(), sha)) return;
    where += " or " + redact_url(remote.fetch_url_override);
  }

  // Last resort: the sha itself, where the server allows it (uploadpack.allowReachableSHA1InWant /
  // allowAnySHA1InWant; GitHub and GitLab do for reachable commits).
  std::string sha_spec = "+" + std::string(sha) + ":refs/mlgate/commits/" + std::string(sha);
  std::string sha_error;
  std::vector<std::string> urls{remote.clone_url};
  if (!remote.fetch_url_override.empty()) urls.push_back(remote.fetch_url_override);
  for (const auto& url : urls) {
    try {
      fetch(repo.get(), remote, {url, {sha_spec}, false});
      if (lookup_commit(repo.get(), sha)) return;
    } catch (const GitError& e) {
      if (sha_error.empty()) sha_error = e.what();
    }
  }
  std::string msg = "commit " + std::string(sha) + " not found in " + where + " after fetch";
  if (!sha_error.empty()) msg += " (fetching the sha itself failed: " + sha_error + ")";
  throw GitError(msg, GIT_ENOTFOUND);
}

CommitTree MirrorCache::open_at(const RepoRemote& remote, std::string_view sha, bool reuse) {
  use_libgit2();
  parse_oid(sha);  // validates before anything touches the disk
  CommitTree oc;
  const std::string path = mirror_path(remote).string();
  auto opened = [&](RepositoryPtr repo) {
    return reuse ? pool_->adopt(std::move(repo), path) : PooledRepository(std::move(repo));
  };
  // Fast path: a kept handle, else the mirror opened once, when it holds the commit (objects are
  // only ever added; a kept handle rereads the pack directory when the commit is not found).
  if (reuse) oc.repo = pool_->take(path);
  if (!oc.repo) oc.repo = opened(open_existing(remote));
  if (oc.repo) oc.commit = lookup_commit(oc.repo.get(), sha);
  if (!oc.commit) {
    ensure_commit(remote, sha);
    oc.repo = opened(open_existing(remote));
    if (!oc.repo) throw GitError("mirror for " + remote.key + " vanished");
    oc.commit = lookup_commit(oc.repo.get(), sha);
    if (!oc.commit) throw GitError("commit " + std::string(sha) + " vanished from the mirror");
  }
  git_tree* tree = nullptr;
  check(git_commit_tree(&tree, oc.commit.get()), "read tree of " + std::string(sha));
  oc.tree.reset(tree);
  oc.sha_ = std::string(sha);
  return oc;
}

std::string MirrorCache::resolve(const RepoRemote& remote, std::string_view ref_or_sha,
                                 bool refresh) {
  use_libgit2();
  if (is_valid_sha(ref_or_sha)) {
    ensure_commit(remote, ref_or_sha);
    return std::string(ref_or_sha);
  }
  std::string name(ref_or_sha);
  std::vector<std::string> candidates;
  if (name.rfind("refs/", 0) == 0) {
    candidates.push_back(name);
  } else {
    candidates = {"refs/" + name, "refs/tags/" + name, "refs/heads/" + name};
  }
  candidates.erase(std::remove_if(candidates.begin(), candidates.end(),
                                  [](const std::string& c) { return !valid_ref_name(c); }),
                   candidates.end());
  if (candidates.empty() || name.find('\0') != std::string::npos) {
    throw GitError("resolve " + quote_for_message(ref_or_sha) +
                   ": not a commit sha (40 lowercase hex digits) or a valid ref name");
  }
  mirror_path(remote);
  std::string extra_ref = checked_fetch_ref(remote);

  auto fetch_refs = [&]() {
    if (remote.clone_url.empty()) throw GitError("fetch for " + remote.key + ": no clone URL");
    MirrorLock lock(lock_path(remote), options_.lock_timeout);
    auto repo = open_or_create(remote);
    FetchSpec spec{remote.clone_url, {kHeadsSpec, kTagsSpec}, true};
    std::vector<std::string> extra;
    if (!extra_ref.empty() && !under_heads_or_tags(extra_ref)) extra.push_back(extra_ref);
    if (name.rfind("refs/", 0) == 0 && !under_heads_or_tags(name) &&
        name.rfind("refs/mlgate/", 0) != 0 && name.find('*') == std::string::npos &&
        name != extra_ref) {
      extra.push_back(name);
    }
    for (const auto& r : extra) spec.refspecs.push_back("+" + r + ":" + r);
    fetch(repo.get(), remote, spec);
  };

  auto lookup = [&]() -> std::optional<std::string> {
    auto repo = open_existing(remote);
    if (!repo) return std::nullopt;
    for (const auto& candidate : candidates) {
      git_reference* raw = nullptr;
      int rc = git_reference_lookup(&raw, repo.get(), candidate.c_str());
      if (rc == GIT_ENOTFOUND || rc == GIT_EINVALIDSPEC) {
        git_error_clear();
        continue;
      }
      check(rc, "resolve " + candidate);
      ReferencePtr ref(raw);
      git_object* peeled = nullptr;
      check(git_reference_peel(&peeled, ref.get(), GIT_OBJECT_COMMIT),
            "resolve " + candidate + ": peel to a commit");
      ObjectPtr obj(peeled);
      return oid_str(git_object_id(obj.get()));
    }
    return std::nullopt;
  };

  if (refresh) {
    fetch_refs();
  } else if (auto sha = lookup()) {
    return *sha;
  } else {
    fetch_refs();
  }
  if (auto sha = lookup()) return *sha;
  throw GitError("resolve " + quote_for_message(ref_or_sha) + ": no such branch, tag or ref in " +
                     redact_url(remote.clone_url),
                 GIT_ENOTFOUND);
}

TreeEntryPtr CommitTree::file_entry(std::string_view path, std::size_t max_bytes) const {
  std::string p = normalise_tree_path(path);
  std::string what = "read " + p + " at " + sha_;
  git_tree_entry* raw = nullptr;
  int rc = git_tree_entry_bypath(&raw, tree.get(), p.c_str());
  if (rc == GIT_ENOTFOUND) {
    git_error_clear();
    return nullptr;
  }
  check(rc, what);
  TreeEntryPtr entry(raw);
  git_filemode_t mode = git_tree_entry_filemode(entry.get());
  if (mode == GIT_FILEMODE_TREE) throw GitError(what + ": is a directory");
  if (mode == GIT_FILEMODE_LINK) throw GitError(what + ": is a symlink (not followed)");
  if (mode == GIT_FILEMODE_COMMIT) throw GitError(what + ": is a submodule");
  git_odb* odb_raw = nullptr;
  check(git_repository_odb(&odb_raw, repo.get()), what);
  OdbPtr odb(odb_raw);
  std::size_t size = 0;
  git_object_t type = GIT_OBJECT_INVALID;
  check(git_odb_read_header(&size, &type, odb.get(), git_tree_entry_id(entry.get())), what);
  if (size > max_bytes) {
    throw GitError(what + ": " + std::to_string(size) + " bytes, over the limit of " +
                   std::to_string(max_bytes));
  }
  return entry;
}

std::optional<std::string> CommitTree::read_file(std::string_view path,
                                                 std::size_t max_bytes) const {
  TreeEntryPtr entry = file_entry(path, max_bytes);
  if (!entry) return std::nullopt;
  git_blob* blob_raw = nullptr;
  check(git_blob_lookup(&blob_raw, repo.get(), git_tree_entry_id(entry.get())),
        "read " + normalise_tree_path(path) + " at " + sha_);
  BlobPtr blob(blob_raw);
  auto len = static_cast<std::size_t>(git_blob_rawsize(blob.get()));
  return std::string(static_cast<const char*>(git_blob_rawcontent(blob.get())), len);
}

std::optional<std::string> CommitTree::file_id(std::string_view path, std::size_t max_bytes) const {
  TreeEntryPtr entry = file_entry(path, max_bytes);
  if (!entry) return std::nullopt;
  return oid_str(git_tree_entry_id(entry.get()));
}

bool CommitTree::path_exists(std::string_view path) const {
  std::string p = normalise_tree_path(path);
  git_tree_entry* raw = nullptr;
  int rc = git_tree_entry_bypath(&raw, tree.get(), p.c_str());
  if (rc == GIT_ENOTFOUND) {
    git_error_clear();
    return false;
  }
  check(rc, "look up " + p + " at " + sha_);
  TreeEntryPtr entry(raw);
  return true;
}

std::optional<std::string> MirrorCache::read_file(const RepoRemote& remote, std::string_view sha,
                                                  std::string_view path, std::size_t max_bytes) {
  normalise_tree_path(path);  // an invalid path is refused before the mirror is opened
  return open_at(remote, sha).read_file(path, max_bytes);
}

bool MirrorCache::path_exists(const RepoRemote& remote, std::string_view sha,
                              std::string_view path) {
  normalise_tree_path(path);
  return open_at(remote, sha).path_exists(path);
}

std::vector<std::string> MirrorCache::list_paths(const RepoRemote& remote, std::string_view sha,
                                                 std::string_view prefix, std::size_t max_entries) {
  std::string base;
  if (!prefix.empty() && prefix != "/") base = normalise_tree_path(prefix);
  CommitTree oc = open_at(remote, sha);
  std::string what = "list " + (base.empty() ? std::string("/") : base) + " at " + std::string(sha);
  std::vector<std::string> out;
  TreePtr sub;
  const git_tree* start = oc.tree.get();
  if (!base.empty()) {
    git_tree_entry* raw = nullptr;
    int rc = git_tree_entry_bypath(&raw, oc.tree.get(), base.c_str());
    if (rc == GIT_ENOTFOUND) {
      git_error_clear();
      return out;
    }
    check(rc, what);
    TreeEntryPtr entry(raw);
    git_filemode_t mode = git_tree_entry_filemode(entry.get());
    if (mode != GIT_FILEMODE_TREE) {
      if (is_file_mode(mode)) out.push_back(base);
      return out;
    }
    git_tree* t = nullptr;
    check(git_tree_lookup(&t, oc.repo.get(), git_tree_entry_id(entry.get())), what);
    sub.reset(t);
    start = t;
  }
  walk_tree(oc.repo.get(), start, base, {options_.max_tree_entries, options_.max_tree_depth}, what,
            [&](const std::string& path, const git_tree_entry* e) {
              if (!is_file_mode(git_tree_entry_filemode(e))) return;
              if (out.size() >= max_entries) {
                throw GitError(what + ": more than " + std::to_string(max_entries) + " paths");
              }
              out.push_back(path);
            });
  return out;
}

CheckoutResult MirrorCache::checkout(const RepoRemote& remote, std::string_view sha,
                                     const fs::path& dest_in) {
  CommitTree oc = open_at(remote, sha, /*reuse=*/false);  // a checkout is no read-only use
  fs::path dest = fs::absolute(dest_in).lexically_normal();
  std::string what = "checkout " + std::string(sha) + " into " + dest.string();

  // The destination: missing, or an empty real directory.
  std::error_code ec;
  fs::file_status st = fs::symlink_status(dest, ec);
  if (fs::exists(st)) {
    if (fs::is_symlink(st)) throw GitError(what + ": destination is a symlink");
    if (!fs::is_directory(st)) throw GitError(what + ": destination is not a directory");
    if (!fs::is_empty(dest, ec) || ec) {
      throw GitError(what + ": destination exists and is not empty");
    }
  } else {
    fs::create_directories(dest, ec);
    if (ec) throw GitError(what + ": create destination: " + ec.message());
  }

  CheckoutResult result;
  try {
    // Pre-scan: unique, safe names at every level, bounded size. With unique names no symlink
    // written by the checkout can stand where a later path needs a directory.
    walk_tree(oc.repo.get(), oc.tree.get(), "",
              {options_.max_tree_entries, options_.max_tree_depth}, what,
              [&](const std::string&, const git_tree_entry* e) {
                if (is_file_mode(git_tree_entry_filemode(e))) ++result.files;
              });

    git_index* empty_raw = nullptr;
    check(git_index_new(&empty_raw), what);
    IndexPtr empty_index(empty_raw);

    git_checkout_options opts;
    check(git_checkout_options_init(&opts, GIT_CHECKOUT_OPTIONS_VERSION), what);
    opts.checkout_strategy = GIT_CHECKOUT_FORCE | GIT_CHECKOUT_RECREATE_MISSING |
                             GIT_CHECKOUT_DONT_UPDATE_INDEX | GIT_CHECKOUT_DONT_WRITE_INDEX;
    // Never follow or truncate anything already there: every file is new in an empty directory.
    opts.file_open_flags = O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC;
    opts.baseline_index = empty_index.get();  // not the mirror's HEAD: everything is new
    std::string target = dest.string();
    opts.target_directory = target.c_str();
    check(
        git_checkout_tree(oc.repo.get(), reinterpret_cast<const git_object*>(oc.tree.get()), &opts),
        what);

    if (fs::exists(fs::symlink_status(dest / ".git"))) {
      throw GitError(what + ": a .git entry appeared in the workspace");
    }
    result.neutralised_symlinks = neutralise_escaping_links(dest);
  } catch (...) {
    clear_directory(dest);
    throw;
  }
  return result;
}

CommitInfo MirrorCache::commit_info(const RepoRemote& remote, std::string_view sha) {
  CommitTree oc = open_at(remote, sha);
  CommitInfo info;
  info.sha = std::string(sha);
  const char* message = git_commit_message(oc.commit.get());
  info.message = message ? message : "";
  const char* summary = git_commit_summary(oc.commit.get());
  info.summary = summary ? summary : "";
  const git_signature* author = git_commit_author(oc.commit.get());
  if (author) {
    info.author_name = author->name ? author->name : "";
    info.author_email = author->email ? author->email : "";
    info.time = std::chrono::sys_seconds(std::chrono::seconds(author->when.time));
    info.time_offset_minutes = author->when.offset;
  }
  unsigned int n = git_commit_parentcount(oc.commit.get());
  for (unsigned int i = 0; i < n; ++i) {
    info.parents.push_back(oid_str(git_commit_parent_id(oc.commit.get(), i)));
  }
  return info;
}

}  // namespace mlgate::vcs
