# Shared by the scripts: paths and small helpers. Sourced, not run.
MLGATE_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
MLGATE_BUILD="${MLGATE_BUILD:-$MLGATE_ROOT/build}"

log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

# Configure (once) and build with Ninja on every core.
build_mlgate() {
  local werror="${MLGATE_WERROR:-ON}"
  if [ ! -f "$MLGATE_BUILD/build.ninja" ]; then
    # ccache, when a developer has it, makes rebuilds in other checkouts cheap; CI has none.
    local launcher=()
    if command -v ccache >/dev/null 2>&1; then launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache); fi
    cmake -S "$MLGATE_ROOT" -B "$MLGATE_BUILD" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
      -DMLGATE_WERROR="$werror" "${launcher[@]}" >/dev/null
  fi
  ninja -C "$MLGATE_BUILD" -j"$(nproc)" "$@"
}

# True when something accepts TCP connections on 127.0.0.1:PORT.
port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# A port (and the one after it) nothing listens on, picked at random below the kernel's ephemeral
# range, where the port-0 listeners and the outgoing connections of everything else running here
# get theirs. Another process can still take it before it is bound.
free_port_pair() {
  local low p
  low="$(awk '{ print $1 }' /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || echo 32768)"
  [ "$low" -gt 12000 ] 2>/dev/null || low=32768
  while :; do
    p=$((10000 + RANDOM % (low - 10002)))
    port_in_use "$p" || port_in_use $((p + 1)) || { echo "$p"; return; }
  done
}
