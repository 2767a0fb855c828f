#!/usr/bin/env bash
# Proves the example end to end, offline, without a server:
#   1. `mlgate config validate` on .mlgate.yml;
#   2. two commits in a scratch git repository: the example as it is (good), and the example with
#      demo/regression.patch applied (the regression);
#   3. every tier's `run` from .mlgate.yml, for real, in mlgate/python-ml:bookworm, with the flags
#      a runner uses (--network none, --cap-drop ALL, the runner's uid, /workspace and /results);
#      functionality and validation for both commits, training for the good one;
#   4. `mlgate gate evaluate --environment production` on the results, as the server would merge
#      them (functionality + validation):
#        good, no baseline             -> allow
#        good against itself           -> allow
#        regression against good       -> deny: recall's change inconclusive (its paired interval
#                                         straddles -0.03, which fails) and brier's increase failing
#                                         (its whole interval above 25%), each with its interval;
#                                         the small and medium size bands inconclusive (too few
#                                         malignant cases to prove it; they do not block)
# Exit 0 when all of that holds, 1 otherwise.
#
# Usage: examples/cancer-screening/check.sh [--keep]
#   --keep          keep the scratch directory (checkouts and results) and print its path
#   MLGATE_BIN      the mlgate binary (default: <repo>/build/mlgate)
#   MLGATE_IMAGE    the image (default: the top-level `image:` of .mlgate.yml)
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
repo_root="$(cd "$here/../.." && pwd)"
mlgate="${MLGATE_BIN:-$repo_root/build/mlgate}"
keep=0
for arg in "$@"; do
  case "$arg" in
    --keep) keep=1 ;;
    *)
      echo "usage: check.sh [--keep]" >&2
      exit 2
      ;;
  esac
done

say() { printf '\n==> %s\n' "$*"; }
die() {
  echo "check.sh: $*" >&2
  exit 1
}

[ -x "$mlgate" ] || die "no mlgate binary at $mlgate (build it, or set MLGATE_BIN)"
command -v docker >/dev/null || die "docker is not installed"
docker info >/dev/null 2>&1 || die "Docker does not answer (scripts/dockerd starts it)"
command -v git >/dev/null || die "git is not installed"
command -v python3 >/dev/null || die "python3 is not installed (used to read .mlgate.yml's run commands)"

# The `run` of a tier and the top-level image, read from .mlgate.yml (plain or folded `>-`
# scalars, as this file writes them). The commands are not copied into this script, so the
# check runs what the server would run.
config_value() {
  python3 - "$here/.mlgate.yml" "$1" <<'EOF'
import re, sys
path, want = sys.argv[1], sys.argv[2]
lines = open(path).read().splitlines()
if want == "image":
    for line in lines:
        m = re.match(r"^image:\s*(\S+)", line)
        if m:
            print(m.group(1)); sys.exit(0)
    sys.exit("no top-level image in " + path)
in_tiers = in_tier = False
for i, line in enumerate(lines):
    if re.match(r"^\S", line):
        in_tiers = line.startswith("tiers:")
        in_tier = False
        continue
    if not in_tiers:
        continue
    m = re.match(r"^  (\w+):\s*$", line)
    if m:
        in_tier = m.group(1) == want
        continue
    m = re.match(r"^    run:\s*(.*)$", line)
    if in_tier and m:
        value = m.group(1).strip()
        if value not in (">-", ">", "|", "|-"):
            print(value); sys.exit(0)
        parts = []
        for cont in lines[i + 1:]:
            if cont.strip() and not cont.startswith("      "):
                break
            parts.append(cont.strip())
        print((" " if value.startswith(">") else "\n").join(p for p in parts if p)); sys.exit(0)
sys.exit("no run for tier " + want + " in " + path)
EOF
}

image="${MLGATE_IMAGE:-$(config_value image)}"
docker image inspect "$image" >/dev/null 2>&1 ||
  die "image $image is not present (scripts/images python builds it, about 5 minutes)"

work="$(mktemp -d "${TMPDIR:-/tmp}/mlgate-example-check.XXXXXX")"
cleanup() {
  if [ "$keep" = 1 ]; then
    echo "kept $work"
  else
    rm -rf --one-file-system "$work"
  fi
}
trap cleanup EXIT

say "mlgate config validate .mlgate.yml"
"$mlgate" config validate "$here/.mlgate.yml"

say "two commits: good, and good + demo/regression.patch"
git_c() { git -C "$1" -c user.name=check -c user.email=check@example.invalid -c commit.gpgsign=false "${@:2}"; }
mkdir "$work/good"
tar -C "$here" --exclude=__pycache__ --exclude=.pytest_cache -cf - . | tar -C "$work/good" -xf -
git_c "$work/good" init -q -b main
git_c "$work/good" add -A
git_c "$work/good" commit -q -m "Breast-cancer screening model"
git clone -q "$work/good" "$work/regression"
git_c "$work/regression" apply "$here/demo/regression.patch"
git_c "$work/regression" commit -q -a -m "Drop the worst-value features: the new scanner does not export them"
for c in good regression; do
  echo "$c: $(git -C "$work/$c" rev-parse --short=12 HEAD) $(git -C "$work/$c" log -1 --format=%s)"
done

# run_tier COMMIT TIER: the tier's command in the image, as a runner runs it.
run_tier() {
  local commit="$1" tier="$2" cmd start end rc=0
  cmd="$(config_value "$tier")"
  mkdir -p "$work/results/$commit/$tier"
  say "$commit: $tier: $cmd"
  start=$(date +%s.%N)
  docker run --rm --network none --cap-drop ALL --security-opt no-new-privileges \
    --user "$(id -u):$(id -g)" \
    -v "$work/$commit:/workspace" -v "$work/results/$commit/$tier:/results" -w /workspace \
    -e HOME=/tmp -e MLGATE_RESULTS=/results -e MLGATE_TIER="$tier" -e PYTHONDONTWRITEBYTECODE=1 \
    "$image" sh -c "$cmd" || rc=$?
  end=$(date +%s.%N)
  printf '%s: %s: exit %d in %.1f s\n' "$commit" "$tier" "$rc" "$(awk -v a="$start" -v b="$end" 'BEGIN { print b - a }')" |
    tee -a "$work/timings"
  [ "$rc" = 0 ] || die "$commit: tier $tier failed (exit $rc)"
}

# What the server merges for the gate: every tier's test cases, the validation tier's metrics and
# predictions. `gate evaluate` reads one directory, so the two junit.xml files become one.
merge_results() {
  local commit="$1" dir="$work/results/$1/candidate"
  mkdir -p "$dir"
  cp "$work/results/$commit/validation/metrics.json" "$work/results/$commit/validation/predictions.jsonl" "$dir/"
  python3 - "$dir/junit.xml" "$work/results/$commit/functionality/junit.xml" \
    "$work/results/$commit/validation/junit.xml" <<'EOF'
import sys
import xml.etree.ElementTree as ET
out = ET.Element("testsuites")
for path in sys.argv[2:]:
    root = ET.parse(path).getroot()
    out.extend([root] if root.tag == "testsuite" else list(root))
ET.ElementTree(out).write(sys.argv[1], encoding="utf-8", xml_declaration=True)
EOF
}

: >"$work/timings"
for c in good regression; do
  run_tier "$c" functionality
  run_tier "$c" validation
  merge_results "$c"
done
run_tier good training

# gate EXPECTED_EXIT LABEL ARGS...: `mlgate gate evaluate` with its table, checked.
gate() {
  local want="$1" label="$2" rc=0
  shift 2
  say "gate: $label"
  "$mlgate" gate evaluate --config "$work/good/.mlgate.yml" --environment production "$@" \
    | tee "$work/gate-$(echo "$label" | tr -c 'a-z0-9' '-').txt" || rc=$?
  [ "$rc" = "$want" ] || die "$label: exit $rc, expected $want"
}

gate 0 "good, no baseline" --candidate "$work/results/good/candidate" --repo-dir "$work/good"
gate 0 "good against good" --candidate "$work/results/good/candidate" \
  --baseline "$work/results/good/candidate" --repo-dir "$work/good"
gate 1 "regression against good" --candidate "$work/results/regression/candidate" \
  --baseline "$work/results/good/candidate" --repo-dir "$work/regression"
# expect STATUS CHECK THRESHOLD: the regression's table has that row, with an interval.
expect() {
  grep -qE "^$1 +[a-z]+ +$2 .*\[.*$3" "$work"/gate-regression-against-good*.txt ||
    die "the regression's table has no $1 row for $2 ($3) with an interval"
}
expect inconclusive recall 'max_drop 0\.03'
expect fail brier 'max_increase 25%'
expect inconclusive 'recall\[size_band=small\]' 'min 0\.85'
expect inconclusive 'recall\[size_band=medium\]' 'min 0\.85'
grep -q "when_inconclusive: fail" "$work"/gate-regression-against-good*.txt ||
  die "the regression's deny does not say that an inconclusive check fails"

say "timings"
cat "$work/timings"
echo
echo "check.sh: all good: allow, allow, and deny on recall (inconclusive) and brier (fail), with their intervals"
