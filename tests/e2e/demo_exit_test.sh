#!/usr/bin/env bash
# scripts/demo --exit: starts serve on the embedded PostgreSQL, gets 200 from /readyz, stops, and
# leaves no process behind. Prints 'demo: 1 passed, 0 failed' or exits non-zero.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
dir="$(mktemp -d /tmp/mlgate-demo-XXXXXX)"
chmod 711 "$dir"  # as root, the embedded cluster runs as the postgres user, which must reach it
trap 'rm -rf "$dir"' EXIT
port=$((20000 + RANDOM % 20000))
out="$dir/demo.out"
if ! MLGATE_DEMO_DIR="$dir/data" MLGATE_DEMO_PORT="$port" "$root/scripts/demo" --exit >"$out" 2>&1; then
  echo "scripts/demo --exit failed:"; cat "$out"; exit 1
fi
grep -q 'GET /readyz -> .*"ready".*(HTTP 200)' "$out" || { echo "no 200 from /readyz:"; cat "$out"; exit 1; }
grep -q "admin token: $dir/data/admin-token" "$out" || { echo "admin token path not printed:"; cat "$out"; exit 1; }
[ -f "$dir/data/admin-token" ] || { echo "no admin token written"; exit 1; }
sleep 1
if pgrep -f -- "$dir/data" >/dev/null; then
  echo "processes left behind:"; pgrep -af -- "$dir/data"; exit 1
fi
echo "demo: 1 passed, 0 failed"
