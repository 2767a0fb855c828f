# Shared by the scripts: paths and small helpers. Sourced, not run.
MLGATE_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
MLGATE_BUILD="${MLGATE_BUILD:-$MLGATE_ROOT/build}"

log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

# Configure (once) and build with Ninja on every core.
build_mlgate() {
  local werror="${MLGATE_WERROR:-ON}"
  if [ ! -f "$MLGATE_BUILD/build.ninja" ]; then
    cmake -S "$MLGATE_ROOT" -B "$MLGATE_BUILD" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
      -DMLGATE_WERROR="$werror" >/dev/null
  fi
  ninja -C "$MLGATE_BUILD" -j"$(nproc)" "$@"
}

# True when something accepts TCP connections on 127.0.0.1:PORT.
port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
