#!/usr/bin/env bash
# scripts/demo --exit, end to end: the real server on its embedded PostgreSQL,
# a real Docker runner, the local smart-HTTP git server, the example model pushed twice through
# signed webhooks. Asserts, from the demo's output and the JSON answers it saved
# (`mlgate gate --json`, `mlgate deployments --json`):
#   - commit 1 (the example) is allowed for production and deployed there (the deployment record);
#   - commit 2 (demo/regression.patch) is denied against it on evidence: recall's paired drop
#     interval inconclusive (it fails), brier's increase failing, each with its interval; the small
#     and medium size bands inconclusive with their Wilson intervals (they do not block);
#   - commit 1 in production: a day of normal traffic keeps its monitor ok, a batch with the mean
#     radius 1.5x makes it alert (skew, psi) and fires a retraining pipeline (trigger monitor);
#   - nothing is left running afterwards.
# Needs Docker and the image mlgate/python-ml:bookworm (scripts/test builds both).
# Prints 'demo: N passed, 0 failed' or exits non-zero with the reasons and the demo's output.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
dir="$(mktemp -d /tmp/mlgate-demo-XXXXXX)"
chmod 711 "$dir" # as root, the embedded cluster runs as the postgres user, which must reach it
trap 'rm -rf --one-file-system "$dir"' EXIT
demo="$dir/demo"
out="$dir/demo.out"
# The demo's two ports (mlgate N, the git server N+1) are picked below the kernel's ephemeral range,
# where the servers and clients of the tests running beside this one get theirs. Another test can
# still take a picked port between the demo's check and its bind: then the demo says so and it is
# run again once on other ports (a port race is not what this test is about).
source "$root/scripts/lib.sh"
port="$(free_port_pair)"

rc=0
MLGATE_DEMO_DIR="$demo" "$root/scripts/demo" --exit --port="$port" >"$out" 2>&1 || rc=$?
if [ "$rc" != 0 ] && grep -qE "cannot listen on|port [0-9]+ on 127.0.0.1 is taken|Address already in use" "$out"; then
  echo "scripts/demo: port $port or $((port + 1)) was taken; once more on other ports"
  port="$(free_port_pair)"
  rc=0
  MLGATE_DEMO_DIR="$demo" "$root/scripts/demo" --exit --port="$port" >"$out" 2>&1 || rc=$?
fi
if [ "$rc" != 0 ]; then
  echo "scripts/demo --exit failed (exit $rc):"
  cat "$out"
  exit 1
fi

passed=0
failed=0
check() { # check DESCRIPTION COMMAND...
  local what="$1"
  shift
  if "$@"; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    echo "FAILED: $what"
  fi
}

# The two commits, from the demo's own checkout (what it pushed to its git server).
sha1="$(git -C "$demo/work" rev-parse HEAD~1 2>/dev/null || true)"
sha2="$(git -C "$demo/work" rev-parse HEAD 2>/dev/null || true)"
check "the demo's checkout has two commits" test -n "$sha1" -a -n "$sha2"
check "commit 2 is demo/regression.patch" \
  grep -qF 'not c.startswith("worst ")' <(git -C "$demo/work" show "$sha2" -- screening/features.py)
check "the git server received both commits" \
  test "$(git -C "$demo/git/repos/cancer-screening.git" rev-parse main 2>/dev/null)" = "$sha2"

# The decisions and the deployment record, as the API answered them.
json_checks() {
  node - "$demo/results" "$sha1" "$sha2" <<'EOF'
const fs = require('fs');
const path = require('path');
const [dir, sha1, sha2] = process.argv.slice(2);
const read = (f) => JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8'));
let bad = 0;
const expect = (what, ok, detail) => {
  console.log(`${ok ? 'ok' : 'FAILED'}: ${what}${ok ? '' : ` (${detail})`}`);
  if (!ok) bad++;
};
const g1 = read('gate-1.json');
const g2 = read('gate-2.json');
const d = read('deployments.json');

expect('commit 1: production gate allow', g1.decision === 'allow', g1.decision);
expect('commit 1: no baseline (nothing deployed yet)', g1.baseline_sha === null, g1.baseline_sha);
expect('commit 1: no failing check', g1.checks.every((c) => c.status !== 'fail'),
  JSON.stringify(g1.checks.filter((c) => c.status === 'fail')));
expect('commit 1: both tiers passed', ['functionality', 'validation'].every((t) =>
  g1.checks.some((c) => c.kind === 'tier' && c.name === t && c.status === 'pass')), JSON.stringify(g1.checks));

expect('the deployment record: one deployment', d.deployments.length === 1, JSON.stringify(d));
const dep = d.deployments[0] || {};
expect('the deployment: commit 1 to production, current, not forced',
  dep.sha === sha1 && dep.environment === 'production' && dep.current === true &&
  dep.forced === false && dep.kind === 'deploy', JSON.stringify(dep));
expect('the deployment refers to the allow decision', dep.gate_decision_id === g1.decision_id,
  `${dep.gate_decision_id} vs ${g1.decision_id}`);
expect('production is at commit 1', d.current && d.current.production === sha1, JSON.stringify(d.current));

expect('commit 2: production gate deny', g2.decision === 'deny', g2.decision);
expect('commit 2: judged against commit 1, the deployed baseline', g2.baseline_sha === sha1, g2.baseline_sha);
const named = (g, name, threshold) =>
  g.checks.find((c) => c.name === name && c.threshold.startsWith(threshold)) || {};
const drop = named(g2, 'recall', 'max_drop');
expect("commit 2: recall's drop is inconclusive and blocks, with its paired interval",
  drop.status === 'inconclusive' && drop.blocks === true && drop.method === 'paired bootstrap' &&
  Array.isArray(drop.delta_interval) && drop.delta_interval[0] < -0.03 &&
  drop.delta_interval[1] >= -0.03 && drop.n === 85, JSON.stringify(drop));
const brier = named(g2, 'brier', 'max_increase');
expect("commit 2: brier's increase fails on its whole interval",
  brier.status === 'fail' && Array.isArray(brier.delta_interval) && brier.delta_interval[0] > 0,
  JSON.stringify(brier));
for (const s of ['recall[size_band=small]', 'recall[size_band=medium]']) {
  const c = named(g2, s, 'min');
  expect(`commit 2: slice ${s} is inconclusive with its Wilson interval and does not block`,
    c.status === 'inconclusive' && c.blocks === false && c.method === 'wilson' &&
    Array.isArray(c.interval), JSON.stringify(c));
}
const r1 = named(g1, 'recall', 'min');
expect('commit 1: recall passes on its interval',
  r1.status === 'pass' && Array.isArray(r1.interval), JSON.stringify(r1));
expect('commit 2: slice recall[size_band=large] passes',
  g2.checks.some((c) => c.kind === 'slice' && c.name === 'recall[size_band=large]' && c.status === 'pass'),
  JSON.stringify(g2.checks.filter((c) => c.kind === 'slice')));
expect('commit 2: both tiers passed (the code is fine; the model is not)',
  g2.checks.filter((c) => c.kind === 'tier' && c.status === 'pass').length === 2, JSON.stringify(g2.checks));
process.exit(bad ? 1 : 0);
EOF
}
check "the gate decisions and the deployment record" json_checks

# What a person reads in the demo's output.
check "the output shows the allow" grep -q '^production: allow' "$out"
check "the output shows the deny" grep -q '^production: deny: ' "$out"
check "the deny's table shows recall's drop inconclusive with its interval" \
  grep -Eq '^inconclusive +metric +recall .*change \[.*max_drop 0\.03' "$out"
check "the summary names what blocks, with intervals" \
  grep -q "gate deny, blocked by: .*recall max_drop 0.03 inconclusive change \[" "$out"
check "the deploy was printed" grep -q "^deployed ${sha1:0:12} to production" "$out"
check "the pages' URLs are printed" grep -q "http://127.0.0.1:$port/repos/demo/cancer-screening" "$out"
check "the admin token's path is printed" grep -q "admin token: $demo/server/admin-token" "$out"
check "the admin token exists" test -s "$demo/server/admin-token"

# Production: a day of normal traffic is ok, the shifted radius alerts and retrains.
check "the monitor was ok on the day's traffic" grep -q 'monitor production: ok$' "$out"
check "the monitor alerts on the shifted radius" grep -q 'monitor production: alerting$' "$out"
monitor_checks() {
  node - "$demo/results/monitor.json" "$sha1" <<'EOF'
const fs = require('fs');
const [file, sha1] = process.argv.slice(2);
const m = (JSON.parse(fs.readFileSync(file, 'utf8')).monitors || []).find((x) => x.environment === 'production');
const radius = (m?.evidence?.findings || []).filter((f) => f.feature === 'mean radius' && f.state === 'alerting');
const ok = m && m.state === 'alerting' && m.sha === sha1 && radius.some((f) => f.kind === 'skew' && f.test === 'psi');
if (!ok) console.log(JSON.stringify(m, null, 1));
process.exit(ok ? 0 : 1);
EOF
}
check "monitor.json: commit 1's monitor alerts on mean radius (skew, psi)" monitor_checks
check "the retraining pipeline (trigger monitor) is shown" \
  grep -Eq "^retraining: pipeline [0-9]+ \(trigger monitor\) trains ${sha2:0:12}" "$out"
check "the environment's page URL is printed" \
  grep -q "http://127.0.0.1:$port/repos/demo/cancer-screening/environments/production" "$out"

# Nothing left running: serve, its PostgreSQL, the runner and lighttpd all name the demo dir.
sleep 1
if pgrep -f -- "$demo" >/dev/null; then
  echo "FAILED: processes left behind:"
  pgrep -af -- "$demo"
  failed=$((failed + 1))
else
  passed=$((passed + 1))
fi

if [ "$failed" != 0 ]; then
  echo "--- the demo's output"
  cat "$out"
fi
echo "demo: $passed passed, $failed failed"
[ "$failed" = 0 ]
