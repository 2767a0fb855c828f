// The status pages end to end in headless Chromium (docs/pages.md).
//
// Starts a real `mlgate serve --public-read` on its embedded PostgreSQL and a real `mlgate runner`
// (local executor), pushes two commits of a small model repository through signed GitHub webhooks
// (the second one's message holds <script>alert(1)</script> and regresses a slice), lets the
// tiers run, asks the gate (stored decisions), deploys the first commit, and sends one forged
// webhook (a rejected delivery). Then Chromium visits every page and checks:
//   - every <a href> on our origin answers 200 (no broken links), signed in as admin;
//   - the numbers on the pages match the API's JSON;
//   - the <script> commit message shows as text and no dialog ever opens;
//   - the pages fit a phone's width; sign-in and the admin-only deliveries page work;
//   - the deployed commit's model card (its model_card.yml, metrics with intervals, slices, gate
//     decisions, rubric, deployments) is reached from the deployment's link and matches the API;
//   - the regressing commit's flipped examples are listed under "Prediction flips".
// Screenshots go to tests/e2e/out/ (pipeline.png is the README's). Prints "pages e2e: N passed,
// M failed" and exits non-zero on any failure.
import { spawn, execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { chromium } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../../..');
const build = process.env.MLGATE_BUILD;
if (!build) throw new Error('set MLGATE_BUILD to the build directory');
const mlgate = path.join(build, 'mlgate');
const outDir = path.join(root, 'tests/e2e/out');
const SECRET = 'pages-e2e-webhook-secret';
const XSS = '<script>alert(1)</script>';

let passed = 0;
let failed = 0;
function check(name, ok, detail = '') {
  if (ok) {
    passed++;
  } else {
    failed++;
    console.log(`FAIL ${name}${detail ? `: ${detail}` : ''}`);
  }
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
async function eventually(pred, ms, what) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await pred();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(200);
  }
}
const near = (a, b) => Math.abs(a - b) <= 1e-3 * Math.max(1, Math.abs(b));

// ---------------------------------------------------------------- processes and the server
const tmp = fs.mkdtempSync('/tmp/mlgate-pages-e2e-');
fs.chmodSync(tmp, 0o711); // as root, the embedded cluster runs as the postgres user
const children = [];
function start(argv, logName) {
  const log = fs.openSync(path.join(tmp, logName), 'a');
  const child = spawn(argv[0], argv.slice(1), {
    stdio: ['ignore', log, log],
    env: { ...process.env, MLGATE_DATABASE_URL: '' },
  });
  children.push(child);
  return child;
}
async function stopAll() {
  for (const c of children.reverse()) {
    if (c.exitCode !== null || c.signalCode !== null) continue;
    const exited = new Promise((r) => c.once('exit', r));
    c.kill('SIGTERM');
    await Promise.race([exited, sleep(15000)]);
    if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  }
}
function tail(logName) {
  try {
    return fs.readFileSync(path.join(tmp, logName), 'utf8').split('\n').slice(-30).join('\n');
  } catch {
    return '';
  }
}

const dataDir = path.join(tmp, 'data');
let base = '';
let admin = '';

async function request(method, p, { body, token = admin, headers = {} } = {}) {
  const h = { ...headers };
  if (token) h.Authorization = `Bearer ${token}`;
  if (body !== undefined && !h['Content-Type']) h['Content-Type'] = 'application/json';
  const r = await fetch(base + p, {
    method,
    headers: h,
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    redirect: 'manual',
  });
  const text = await r.text();
  let json = null;
  try {
    json = JSON.parse(text);
  } catch {}
  return { status: r.status, text, json };
}
const api = (p, opts) => request('GET', p, opts);

// ---------------------------------------------------------------- the model repository
const repoDir = path.join(tmp, 'repo');
const gitEnv = {
  ...process.env,
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_CONFIG_GLOBAL: '/dev/null',
  GIT_AUTHOR_NAME: 'Ada Lovelace',
  GIT_AUTHOR_EMAIL: 'ada@example.com',
  GIT_COMMITTER_NAME: 'Ada Lovelace',
  GIT_COMMITTER_EMAIL: 'ada@example.com',
};
const git = (...args) =>
  execFileSync('git', args, { cwd: repoDir, env: gitEnv, encoding: 'utf8' }).trim();

const CONFIG = `version: 1
image: mlgate/busybox:test
tiers:
  functionality:
    run: sh functionality.sh
  validation:
    needs: [functionality]
    run: sh validate.sh
gates:
  production:
    require: [functionality, validation]
    metrics:
      - {name: accuracy, min: 0.90, max_drop: 0.01}
      - {name: latency_p95_ms, lower_is_better: true, max: 50, max_increase: 10%}
    slices:
      - {metric: recall, by: age_group, min: 0.80}
    fairness:
      - {metric: fpr, by: sex, reference: majority, disparity: [0.8, 1.25]}
    predictions: {max_flip_rate: 20%}
  staging:
    metrics:
      - {name: accuracy, min: 0.5}
      - {name: recall, from: predictions, confidence: 0.95, min: 0.5}
rubric:
  automated: {data-1: "*schema*", model-6: "*slice*"}
  manual: {model-1: docs/model_card.md}
monitors:
  production:
    window: 1h
    every: 1s
    drift: [{feature: x, test: psi, max: 0.2}, {feature: "*"}]
    missing: {max_share: 0.5}
`;

function functionalityScript(failing) {
  const bad = failing
    ? '<testcase classname="tests.functionality.test_examples" name="test_known_fraud_example" time="0.02"><failure message="predicted 0, expected 1">assert 0 == 1</failure></testcase>'
    : '<testcase classname="tests.functionality.test_examples" name="test_known_fraud_example" time="0.02"/>';
  return `echo "functionality: 4 tests"
cat > "$MLGATE_RESULTS/junit.xml" <<'XML'
<testsuites><testsuite name="pytest" tests="4">
<testcase classname="tests.data.test_schema" name="test_columns" time="0.01"/>
<testcase classname="tests.model.test_slices" name="test_age_slice" time="0.03"/>
<testcase classname="tests.functionality.test_examples" name="test_empty_input" time="0.01"><skipped message="not relevant"/></testcase>
${bad}
</testsuite></testsuites>
XML
echo done
`;
}

function validateScript(m) {
  const preds = [];
  for (let i = 0; i < 40; i++)
    preds.push(JSON.stringify({ id: `ex${i}`, label: i < m.flips ? 1 - (i % 2) : i % 2, score: 0.5, truth: i % 2 }));
  return `echo "validation: writing metrics"
for i in 1 2 3; do echo "epoch $i loss 0.$((9 - i))"; done
cat > "$MLGATE_RESULTS/metrics.json" <<'JSON'
${JSON.stringify({
  metrics: { accuracy: m.accuracy, latency_p95_ms: m.latency, f1: m.f1 },
  slices: {
    age_group: { '<30': { recall: m.young, n: 412 }, '30+': { recall: 0.84, n: 300 } },
    sex: { female: { fpr: m.fprF, n: 350 }, male: { fpr: 0.10, n: 362 } },
  },
})}
JSON
cat > "$MLGATE_RESULTS/predictions.jsonl" <<'JSONL'
${preds.join('\n')}
JSONL
i=0; while [ $i -lt 200 ]; do
  echo "{\\"features\\": {\\"x\\": $((i % 100)), \\"y\\": $((i % 50))}, \\"prediction\\": {\\"label\\": 1}}"
  i=$((i+1)); done > "$MLGATE_RESULTS/reference.jsonl"
`;
}

// The deployed commit's model_card.yml: a long unbroken word (a weights digest) in a text must not
// widen a phone's page.
const MODEL_CARD = `name: Fraud model
version: "2.1"
license: Apache-2.0
model_details: |
  Gradient-boosted trees over card transactions.
  Weights digest 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a089f86d081884c7d659a2feaa0c55ad015
intended_use: Flagging transactions for review by an analyst.
intended_users: [fraud analysts, risk team]
owners: [ml-platform@example.com]
caveats: Not for credit decisions.
`;

function commit(files, message) {
  for (const [name, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(repoDir, name)), { recursive: true });
    fs.writeFileSync(path.join(repoDir, name), text);
  }
  git('add', '-A');
  git('commit', '-q', '-m', message);
  return git('rev-parse', 'HEAD');
}

async function push(sha, message, { secret = SECRET } = {}) {
  const p = JSON.parse(
    fs.readFileSync(path.join(root, 'tests/fixtures/webhooks/github/push.json'), 'utf8'),
  );
  p.ref = 'refs/heads/main';
  p.after = sha;
  p.head_commit.id = sha;
  p.head_commit.message = message;
  p.head_commit.author = { name: 'Ada Lovelace', email: 'ada@example.com', username: 'ada' };
  p.repository.full_name = 'acme/model';
  p.repository.name = 'model';
  const body = JSON.stringify(p);
  const sig = crypto.createHmac('sha256', secret).update(body).digest('hex');
  return request('POST', '/webhooks/github', {
    body,
    token: '',
    headers: {
      'X-GitHub-Event': 'push',
      'X-GitHub-Delivery': `d-${sha}-${secret.length}`,
      'X-Hub-Signature-256': `sha256=${sig}`,
    },
  });
}

async function pipelineOf(sha) {
  const all = await api('/api/v1/pipelines?limit=200');
  const p = (all.json?.pipelines ?? []).find((x) => x.sha === sha);
  return p ? (await api(`/api/v1/pipelines/${p.id}`)).json : null;
}
async function waitEnded(sha) {
  return eventually(
    async () => {
      const p = await pipelineOf(sha);
      return p && ['passed', 'failed', 'cancelled', 'error'].includes(p.state) ? p : null;
    },
    120000,
    `the pipeline of ${sha.slice(0, 12)} to end`,
  );
}

// ---------------------------------------------------------------- the browser checks
async function linksOf(page) {
  return page.$$eval('a[href]', (as) => as.map((a) => a.href));
}

// A commit's model card page against the API's card: the sections of its model_card.yml, the
// metrics with their intervals and the slices, the gate decisions, the rubric, the deployments.
async function checkModelCard(page, sha, prefix = '') {
  const card = (await api(`/api/v1/repos/acme/model/commits/${sha}/model-card`)).json;
  const c = (name, ok, detail) => check(`${prefix}model card: ${name}`, ok, detail);
  c('the title is model_card.yml\'s name', (await page.textContent('h1')).includes(card.card.name));
  const facts = await page.textContent('dl.facts');
  c('version and license', facts.includes(card.card.version) && facts.includes(card.card.license), facts);
  const headings = await page.locator('main h2').allTextContents();
  for (const h of ['Model details', 'Intended use', 'Intended users', 'Owners', 'Caveats and recommendations',
    'Evaluation', 'Gate decisions', 'ML Test Score', 'Training and evaluation run', 'Deployments'])
    c(`a "${h}" section`, headings.includes(h), JSON.stringify(headings));
  c('the model details text', (await page.textContent('main')).includes('Gradient-boosted trees'));
  c('a text keeps its lines (pre-wrap from the stylesheet: the CSP blocks inline styles)',
    (await page.locator('.card-text').first().evaluate((e) => getComputedStyle(e).whiteSpace)) === 'pre-wrap');
  c('owners listed', (await page.textContent('main')).includes('ml-platform@example.com'));
  const rows = page.locator('#card-metrics tbody tr');
  c('one metric row per metric of the API', card.metrics.length > 0 && (await rows.count()) === card.metrics.length,
    `${card.metrics.length}`);
  const withInterval = card.metrics.filter((m) => m.interval);
  c('a metric computed from predictions has an interval', withInterval.length >= 1, JSON.stringify(card.metrics));
  for (const m of withInterval) {
    const row = page.locator(`#card-metrics tr[data-metric="${m.name}"]`).first();
    const cells = await row.locator('td').allTextContents();
    const [lo, hi] = cells[3].replace(/[[\]]/g, '').split(',').map(parseFloat);
    c(`${m.name}'s interval matches the API`, near(lo, m.interval[0]) && near(hi, m.interval[1]), cells[3]);
  }
  const slices = card.metrics.filter((m) => m.kind === 'slice').length;
  c('the slices are rows', slices >= 1 && (await page.locator('#card-metrics tbody td:first-child', { hasText: /^slice$/ }).count()) === slices,
    `${slices}`);
  for (const g of card.gates)
    c(`the ${g.environment} decision matches the API`,
      (await page.textContent(`#card-gates li[data-environment="${g.environment}"] .state`)) === g.decision);
  c('the rubric score matches the API', near(parseFloat(await page.textContent('#card-rubric')), card.rubric.score));
  const deployed = card.deployments.filter((d) => d.environment === 'production').length;
  c('the production deployment is listed', deployed >= 1 &&
    (await page.locator('#card-deployments li[data-environment="production"]').count()) === deployed);
  const [scroll, width] = await page.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
  c('fits the screen', scroll <= width + 1, `${scroll} > ${width}`);
}

async function main() {
  start(
    [mlgate, 'serve', '--data-dir', dataDir, '--listen', '127.0.0.1:0', '--public-read',
      '--monitor-period', '0.5'],
    'serve.log',
  );
  const addrFile = path.join(dataDir, 'listen-address');
  await eventually(() => fs.existsSync(addrFile), 90000, 'mlgate serve to listen').catch((e) => {
    throw new Error(`${e.message}\n${tail('serve.log')}`);
  });
  base = `http://${fs.readFileSync(addrFile, 'utf8').trim()}`;
  await eventually(async () => (await api('/readyz', { token: '' }).catch(() => ({}))).status === 200,
    90000, '/readyz');
  admin = fs.readFileSync(path.join(dataDir, 'admin-token'), 'utf8').trim();

  fs.mkdirSync(repoDir);
  git('init', '-q', '-b', 'main');
  const reg = await request('POST', '/api/v1/repos', {
    body: { forge: 'github', name: 'acme/model', clone_url: `file://${repoDir}`, secret: SECRET },
  });
  check('repo registered', reg.status === 201, reg.text);
  const rt = await request('POST', '/api/v1/runner-tokens', { body: { name: 'e2e' } });
  fs.writeFileSync(path.join(tmp, 'registration-token'), `${rt.json.token}\n`);
  fs.mkdirSync(path.join(tmp, 'runner'));
  start(
    [mlgate, 'runner', '--server', base, '--token-file', path.join(tmp, 'registration-token'),
      '--work-dir', path.join(tmp, 'runner'), '--name', 'e2e-runner', '--executor', 'local',
      '--claim-wait', '2'],
    'runner.log',
  );

  const msg1 = 'Train on the cleaned data\n\nAdds the schema and slice tests.';
  const sha1 = commit(
    {
      '.mlgate.yml': CONFIG,
      'docs/model_card.md': '# Model card\n',
      'model_card.yml': MODEL_CARD,
      'functionality.sh': functionalityScript(false),
      'validate.sh': validateScript({ accuracy: 0.931, latency: 41, f1: 0.88, young: 0.86, fprF: 0.11, flips: 0 }),
    },
    msg1,
  );
  check('push 1 accepted', (await push(sha1, msg1)).status === 202);
  const p1 = await waitEnded(sha1);
  check('pipeline 1 passed', p1.state === 'passed', JSON.stringify(p1));
  const g1 = await api(`/api/v1/repos/acme/model/gate?sha=${sha1}&environment=production`);
  check('gate allows commit 1', g1.json?.decision === 'allow', g1.text);
  const d1 = await request('POST', '/api/v1/repos/acme/model/deployments', {
    body: { sha: sha1, environment: 'production' },
  });
  check('commit 1 deployed', d1.status === 201, d1.text);

  const msg2 = `Tune the threshold ${XSS}\n\nFaster, but hurts the young.`;
  const sha2 = commit(
    {
      'functionality.sh': functionalityScript(true),
      'validate.sh': validateScript({ accuracy: 0.925, latency: 38, f1: 0.86, young: 0.71, fprF: 0.14, flips: 4 }),
    },
    msg2,
  );
  check('push 2 accepted', (await push(sha2, msg2)).status === 202);
  const p2 = await waitEnded(sha2);

  // Production traffic far from commit 1's reference in x: the monitor alerts.
  const observer = await request('POST', '/api/v1/tokens', { body: { name: 'observer', scopes: ['observe'] } });
  const now = Date.now() / 1000;
  const rows = [];
  for (let i = 0; i < 200; i++)
    rows.push(JSON.stringify({ id: `o${i}`, ts: now, features: { x: 1000 + (i % 100), y: i % 50 }, prediction: { label: 1 } }));
  const observed = await request('POST', '/api/v1/repos/acme/model/environments/production/observations?batch_id=e2e', {
    body: rows.join('\n') + '\n', token: observer.json?.token, headers: { 'Content-Type': 'application/x-ndjson' },
  });
  check('observations accepted', observed.status === 202, observed.text);
  const monitorOf = async () => (await api('/api/v1/repos/acme/model/environments/production/monitors')).json;
  await eventually(async () => (await monitorOf())?.monitor?.state === 'alerting', 60000, 'the monitor to alert');
  const g2 = await api(`/api/v1/repos/acme/model/gate?sha=${sha2}&environment=production`);
  check('gate denies commit 2', g2.json?.decision === 'deny', g2.text);
  const g2s = await api(`/api/v1/repos/acme/model/gate?sha=${sha2}&environment=staging`);
  check('gate decision for staging', !!g2s.json?.decision, g2s.text);
  const forged = await push(sha2, msg2, { secret: 'not-the-secret!' });
  check('forged delivery rejected', forged.status === 401 || forged.status === 403, String(forged.status));

  fs.mkdirSync(outDir, { recursive: true });
  // A fresh, empty profile: Playwright passes it to Chromium as --user-data-dir.
  const ctx = await chromium.launchPersistentContext(path.join(tmp, 'chromium-profile'), {
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
    ],
    viewport: { width: 1280, height: 900 },
  });
  const dialogs = [];
  const consoleErrors = [];
  try {
    const page = await ctx.newPage();
    page.on('dialog', async (d) => {
      dialogs.push(d.message());
      await d.dismiss();
    });
    page.on('console', (m) => {
      // Answers with an error status are checked one by one above; anything else is a defect.
      if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) consoleErrors.push(m.text());
    });
    const visit = async (p, status = 200) => {
      const r = await page.goto(base + p, { waitUntil: 'load' });
      check(`GET ${p} answers ${status}`, r.status() === status, String(r.status()));
      return r;
    };

    // Dashboard (anonymous, --public-read).
    await visit('/');
    const runners = (await api('/api/v1/runners')).json.runners;
    const online = runners.filter((r) => r.online).length;
    check('dashboard: runners online match the API',
      (await page.textContent('#runners-online')).trim() === String(online));
    const dashRow = page.locator('tr[data-repo="acme/model"]');
    check('dashboard: latest pipeline of main is pipeline 2',
      (await dashRow.textContent()).includes(`#${p2.id}`));
    check('dashboard: the <script> message shows as text', (await dashRow.textContent()).includes(XSS));
    check('dashboard: no deliveries link for an anonymous reader',
      (await page.locator('a[href="/deliveries"]').count()) === 0);
    await page.screenshot({ path: path.join(outDir, 'dashboard.png'), fullPage: true });

    // Repository page.
    await visit('/repos/acme/model');
    const deployments = (await api('/api/v1/repos/acme/model/deployments')).json;
    check('repo: production deployment matches the API',
      (await page.getAttribute('tr[data-environment="production"] code', 'data-sha')) === deployments.current.production);
    for (const p of [p1, p2]) {
      const row = page.locator(`tr[data-pipeline="${p.id}"]`);
      check(`repo: pipeline ${p.id} row shows its state`, (await row.locator('.state').first().textContent()) === p.state);
    }
    check('repo: the <script> message shows as text in the pipeline list',
      (await page.locator(`tr[data-pipeline="${p2.id}"]`).textContent()).includes(XSS));
    {
      const gate = (await api(`/api/v1/repos/acme/model/gate?sha=${sha2}&environment=production`)).json;
      check('repo: the pipeline list shows the gate decision',
        (await page.textContent(`tr[data-pipeline="${p2.id}"] [data-gate="production"]`)).includes(gate.decision));
    }
    const trend = page.locator('[data-trend="accuracy"] svg.trend');
    check('repo: an accuracy trend plot', (await trend.count()) === 1);
    check('repo: the trend has one point per commit', (await trend.locator('circle.point').count()) === 2);
    check('repo: the deployed commit is ringed', (await trend.locator('circle.mark').count()) === 1);
    const markTitle = await trend.locator('circle.point.marked title').textContent();
    check('repo: the ring names commit 1 and production',
      markTitle.startsWith(sha1.slice(0, 12)) && markTitle.includes('production'), markTitle);
    await page.screenshot({ path: path.join(outDir, 'repo.png'), fullPage: true });

    // The environment's page, linked from the repository's deployments.
    const envPath = '/repos/acme/model/environments/production';
    await visit('/repos/acme/model');
    check('repo: the deployment links to its environment',
      (await page.getAttribute('tr[data-environment="production"] a', 'href')) === envPath);
    await visit(envPath);
    const m = await monitorOf();
    check('environment: the state matches the API',
      (await page.getAttribute('#monitor [data-state]', 'data-state')) === m.monitor.state);
    check('environment: one evidence row per finding of the API',
      (await page.locator('#findings tbody tr').count()) === m.monitor.evidence.findings.length);
    check('environment: x drifted in the evidence',
      (await page.locator('#findings tr[data-kind="skew"][data-feature="x"] .state.fail').count()) === 1);
    const xPlot = page.locator('[data-series="skew x · psi distance"] svg');
    check('environment: a plot of x\'s drift', (await xPlot.count()) === 1);
    check('environment: the plot rings the points beyond the threshold', (await xPlot.locator('circle.mark').count()) >= 1);
    check('environment: the alert history shows the alert',
      (await page.locator('#alert-history tr[data-state="alerting"]').count()) >= 1);
    check('environment: the deployed commit matches the API',
      (await page.getAttribute('#deployed code[data-sha]', 'data-sha')) === deployments.current.production);
    check('environment: the reference links to commit 1\'s pipeline',
      (await page.getAttribute('#reference a', 'href')) === `/pipelines/${p1.id}`);
    await page.screenshot({ path: path.join(outDir, 'environment.png'), fullPage: true });
    fs.writeFileSync(path.join(outDir, 'environment.html'), await page.content());

    // Pipeline page of the regressing commit.
    await visit(`/pipelines/${p2.id}`);
    check('pipeline: the <script> message is visible as text',
      (await page.locator('#commit-message').isVisible()) &&
      (await page.textContent('#commit-message')).includes(XSS));
    check('pipeline: the message made no element', (await page.locator('main script').count()) === 0);
    check('pipeline: state matches the API', (await page.textContent('#pipeline-state')) === p2.state);
    const jobs = {};
    for (const j of p2.jobs) jobs[j.tier] = (await api(`/api/v1/jobs/${j.id}`)).json;
    const counts = { passed: 0, failed: 0, error: 0, skipped: 0 };
    for (const j of Object.values(jobs)) for (const t of j.tests) counts[t.status]++;
    for (const [status, n] of Object.entries(counts)) {
      const text = await page.textContent(`[data-count="${status}"]`);
      check(`pipeline: ${status} test count matches the API`, parseInt(text, 10) === n, `${text} vs ${n}`);
    }
    check('pipeline: the failing test is listed',
      (await page.textContent('#failing-tests')).includes('test_known_fraud_example'));
    for (const [tier, j] of Object.entries(jobs)) {
      const row = page.locator(`#jobs tr[data-tier="${tier}"]`);
      check(`pipeline: ${tier} state matches the API`, (await row.locator('.state').textContent()) === j.state);
      check(`pipeline: ${tier} attempts match the API`,
        (await row.getAttribute('td[data-attempts]', 'data-attempts').catch(() => null)) === null
          ? (await row.locator('td[data-attempts]').getAttribute('data-attempts')) === String(j.attempt)
          : true);
    }
    const globals = jobs.validation.metrics.filter((m) => !m.slice_key);
    check('pipeline: every metric has a row', (await page.locator('#metrics tr[data-metric]').count()) === globals.length);
    for (const m of globals) {
      const shown = parseFloat(await page.textContent(`#metrics tr[data-metric="${m.name}"] td[data-value]`));
      check(`pipeline: ${m.name} matches the API`, near(shown, m.value), `${shown} vs ${m.value}`);
    }
    const baseJob = (await api(`/api/v1/jobs/${p1.jobs.find((j) => j.tier === 'validation').id}`)).json;
    const baseAcc = baseJob.metrics.find((m) => m.name === 'accuracy' && !m.slice_key).value;
    const accRow = page.locator('#metrics tr[data-metric="accuracy"]');
    check('pipeline: accuracy baseline is the deployed commit\'s',
      near(parseFloat(await accRow.locator('td').nth(2).textContent()), baseAcc));
    check('pipeline: a dropped accuracy is coloured bad', (await accRow.locator('.delta.bad').count()) === 1);
    check('pipeline: a lower latency is coloured good',
      (await page.locator('#metrics tr[data-metric="latency_p95_ms"] .delta.good').count()) === 1);
    const young = jobs.validation.metrics.find((m) => m.slice_key === 'age_group' && m.slice_value === '<30');
    const youngRow = page.locator('#slices tr[data-slice="age_group=<30"]');
    check('pipeline: the <30 slice matches the API',
      near(parseFloat(await youngRow.locator('td[data-value]').textContent()), young.value));
    check('pipeline: the failing slice says fail', (await youngRow.locator('.state.fail').count()) === 1);
    check('pipeline: fairness rows', (await page.locator('#fairness tbody tr').count()) >= 1);
    check('pipeline: flip rate shown', /Flip rate 10\.00%/.test(await page.textContent('#flip-rate')),
      await page.textContent('#flip-rate'));
    // The scorecard is the latest decision's, and names its environment: the rubric's monitoring
    // items differ between environments (production's monitor is evaluated, staging has none).
    const rubricEnv = (await page.textContent('#rubric-environment')).trim();
    check('pipeline: the scorecard names its environment', rubricEnv === 'staging' || rubricEnv === 'production', rubricEnv);
    const rubric = (rubricEnv === 'production' ? g2 : g2s).json.rubric;
    check('pipeline: rubric score matches the gate API',
      near(parseFloat((await page.textContent('#rubric-score')).replace('Score', '')), rubric.score));
    check('pipeline: 28 rubric items', (await page.locator('tr[data-item]').count()) === 28);
    for (const s of ['data', 'model', 'infra', 'monitor']) {
      const sum = parseFloat(await page.textContent(`[data-section="${s}"] [data-sum]`));
      check(`pipeline: rubric ${s} sum matches the API`, near(sum, rubric.sections[s]), `${sum} vs ${rubric.sections[s]}`);
    }
    for (const env of ['production', 'staging']) {
      const gate = (await api(`/api/v1/repos/acme/model/gate?sha=${sha2}&environment=${env}`)).json;
      check(`pipeline: ${env} decision matches the API`,
        (await page.getAttribute(`.decision[data-environment="${env}"]`, 'data-decision')) === gate.decision);
    }
    check('pipeline: the deny names the failing slice',
      (await page.textContent('.decision[data-environment="production"]')).includes('recall[age_group=<30]'));
    // The verdict first: each environment's decision, with the blocking checks, above the evidence.
    for (const env of ['production', 'staging']) {
      const gate = (await api(`/api/v1/repos/acme/model/gate?sha=${sha2}&environment=${env}`)).json;
      check(`pipeline: the ${env} verdict at the top matches the API`,
        (await page.getAttribute(`#verdict .verdict[data-environment="${env}"]`, 'data-decision')) === gate.decision);
    }
    check('pipeline: the production verdict lists the failing slice',
      (await page.textContent('#verdict .verdict[data-environment="production"] ul.blocking')).includes('recall[age_group=<30]'));
    const verdictTop = (await page.locator('#verdict').boundingBox()).y;
    const jobsTop = (await page.locator('#jobs').boundingBox()).y;
    check('pipeline: the verdict comes before the tiers', verdictTop < jobsTop, `${verdictTop} vs ${jobsTop}`);
    check('pipeline: the verdict is on the first screen', verdictTop < 700, `${verdictTop}`);
    // The metric changes drawn: a forest row per checked metric with a baseline, the slices as bars.
    const forest = page.locator('#metric-changes svg.forest');
    check('pipeline: the forest plot is drawn', (await forest.count()) === 1);
    const accTitles = await forest.locator('g.row title').allTextContents();
    check('pipeline: the forest has the accuracy checks with their thresholds',
      accTitles.some((t) => t.startsWith('accuracy') && t.includes('max_drop 0.01')) &&
        accTitles.some((t) => t.startsWith('accuracy') && t.includes('min 0.9')), JSON.stringify(accTitles));
    const drawnChecks = g2.json.checks.filter((c) => c.kind === 'metric' && c.value !== null && c.baseline !== null);
    check('pipeline: one forest row per metric check with a baseline',
      (await forest.locator('g.row').count()) === drawnChecks.length, `${drawnChecks.length}`);
    for (const status of ['pass', 'fail']) {
      const n = drawnChecks.filter((c) => c.status === status).length;
      const shape = status === 'fail' ? 'rect' : 'circle';
      check(`pipeline: each ${status} metric check is a ${shape}`,
        (await forest.locator(`g.row.${status} ${shape}.point`).count()) === n, `${n}`);
    }
    check('pipeline: thresholds and zero are marked',
      (await forest.locator('line.threshold').count()) >= 2 && (await forest.locator('line.zero').count()) === 1);
    const bars = page.locator('#slice-values svg.slice-bars');
    check('pipeline: the slice bars mark min', (await bars.locator('g.bar line.min').count()) >= 1);
    check('pipeline: the <30 bar fails',
      (await bars.locator('g.bar.fail title').allTextContents()).some((t) => t.includes('age_group=<30')));
    check('pipeline: the plot comes after the verdict',
      (await page.locator('#metric-changes').boundingBox()).y > verdictTop);
    await page.screenshot({ path: path.join(outDir, 'pipeline.png'), fullPage: true });
    fs.writeFileSync(path.join(outDir, 'pipeline.html'), await page.content());

    // The flipped examples of the production gate's flip_rate check, by id, under the flip rate.
    {
      const flip = g2.json.checks.find((c) => c.name === 'flip_rate');
      const rows = page.locator('#flip-examples tbody tr');
      check('pipeline: one row per flipped example of the gate API',
        flip && flip.examples.length === 4 && (await rows.count()) === flip.examples.length,
        JSON.stringify(flip?.examples));
      const ids = await rows.evaluateAll((trs) => trs.map((tr) => tr.dataset.flipId));
      check('pipeline: the flipped examples are the API\'s, by id',
        JSON.stringify(ids) === JSON.stringify(flip.examples.map((e) => e.id)), JSON.stringify(ids));
      const first = await rows.first().locator('td').allTextContents();
      check('pipeline: a flipped example shows both labels and the truth',
        JSON.stringify(first) === JSON.stringify(['ex0', '0', '1', '0']), JSON.stringify(first));
    }

    // The deployed commit's model card, reached from the deployment on the repository page.
    const cardPath = `/repos/acme/model/commits/${sha1}/model-card`;
    await visit('/repos/acme/model');
    check('repo: the deployment links to its model card',
      (await page.getAttribute('tr[data-environment="production"] a.model-card', 'href')) === cardPath);
    const [cardNav] = await Promise.all([page.waitForNavigation(),
      page.click('tr[data-environment="production"] a.model-card')]);
    check('model card: the deployment\'s link leads to it',
      new URL(page.url()).pathname === cardPath && cardNav.status() === 200, page.url());
    await checkModelCard(page, sha1);
    await page.screenshot({ path: path.join(outDir, 'model-card.png'), fullPage: true });

    // Job page and its raw log.
    const vjob = jobs.validation;
    await visit(`/jobs/${vjob.id}`);
    check('job: state matches the API', (await page.textContent('#job-state')) === vjob.state);
    const rawLog = (await api(`/api/v1/jobs/${vjob.id}/log`)).text;
    check('job: the log matches the API', (await page.textContent('#log')) === rawLog);
    check('job: results files listed',
      (await page.textContent('#results-files')).includes('metrics.json'));
    check('job: no refresh once ended', (await page.locator('meta[http-equiv="refresh"]').count()) === 0);
    await page.screenshot({ path: path.join(outDir, 'job.png'), fullPage: true });
    fs.writeFileSync(path.join(outDir, 'job.html'), await page.content());

    // Deliveries: admin only. Anonymous gets the sign-in form; signing in lands on the page.
    await visit('/deliveries', 401);
    await page.fill('#token', 'mlg_wrong');
    await Promise.all([page.waitForNavigation(), page.click('form.login button')]);
    check('sign-in: a wrong token is refused', (await page.textContent('main')).includes('Unknown'));
    await page.fill('#token', admin);
    const [nav] = await Promise.all([page.waitForNavigation(), page.click('form.login button')]);
    check('sign-in: lands on the deliveries page', new URL(page.url()).pathname === '/deliveries' && nav.status() === 200,
      page.url());
    const apiDeliveries = (await api('/api/v1/webhooks/deliveries?limit=100')).json.deliveries;
    check('deliveries: one row per delivery of the API',
      (await page.locator('tr[data-delivery]').count()) === apiDeliveries.length);
    check('deliveries: the forged one is rejected',
      (await page.locator('#deliveries .state.rejected').count()) ===
        apiDeliveries.filter((d) => d.verdict === 'rejected').length &&
        apiDeliveries.some((d) => d.verdict === 'rejected'));
    await page.screenshot({ path: path.join(outDir, 'deliveries.png'), fullPage: true });

    // No broken links: every page, and every link on our origin from it, answers 200 (signed in,
    // so the admin-only page is reachable too).
    const seen = new Set();
    const queue = ['/'];
    while (queue.length && seen.size < 200) {
      const p = queue.shift();
      if (seen.has(p)) continue;
      seen.add(p);
      const r = await page.goto(base + p);
      check(`link ${p} answers 200`, r.status() === 200, String(r.status()));
      if (!(r.headers()['content-type'] || '').startsWith('text/html')) continue;
      for (const href of await linksOf(page)) {
        const u = new URL(href);
        if (u.origin !== base) continue;
        const key = u.pathname + u.search;
        if (!seen.has(key)) queue.push(key);
      }
    }
    for (const must of ['/', '/repos/acme/model', envPath, cardPath, `/pipelines/${p1.id}`, `/pipelines/${p2.id}`,
      `/jobs/${vjob.id}`, `/jobs/${vjob.id}/log.txt`, '/deliveries']) {
      check(`crawl reached ${must}`, seen.has(must));
    }
    const css = await page.goto(`${base}/static/style.css`);
    check('the stylesheet answers', css.status() === 200);

    // Readable on a phone: no page is wider than the screen (tables scroll inside their box).
    const pp = await ctx.newPage();
    await pp.setViewportSize({ width: 390, height: 844 });
    pp.on('dialog', async (d) => {
      dialogs.push(d.message());
      await d.dismiss();
    });
    for (const p of ['/', '/repos/acme/model', envPath, `/pipelines/${p2.id}`, `/jobs/${vjob.id}`, cardPath]) {
      await pp.goto(base + p);
      const [scroll, width] = await pp.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
      check(`phone: ${p} fits the screen`, scroll <= width + 1, `${scroll} > ${width}`);
    }
    await pp.goto(`${base}/pipelines/${p2.id}`);
    for (const id of ['metric-changes', 'slice-values']) {
      const box = await pp.locator(`#${id} svg`).boundingBox();
      check(`phone: the ${id} plot is shown within the screen`, box && box.width > 200 && box.x >= 0 && box.x + box.width <= 391,
        JSON.stringify(box));
    }
    await pp.screenshot({ path: path.join(outDir, 'pipeline-phone.png'), fullPage: true });
    await pp.goto(base + envPath);
    await pp.screenshot({ path: path.join(outDir, 'environment-phone.png'), fullPage: true });
    await pp.goto(base + cardPath);
    await checkModelCard(pp, sha1, 'phone: ');
    await pp.screenshot({ path: path.join(outDir, 'model-card-phone.png'), fullPage: true });
    await pp.close();

    // Signing out drops the cookie: the admin-only page asks to sign in again.
    await page.goto(`${base}/`);
    await Promise.all([page.waitForNavigation(), page.click('header form button')]);
    const again = await page.goto(`${base}/deliveries`);
    check('sign-out: deliveries needs a token again', again.status() === 401);
  } finally {
    await ctx.close();
  }
  check('no dialog ever opened', dialogs.length === 0, dialogs.join(' | '));
  check('no console error', consoleErrors.length === 0, consoleErrors.join(' | '));
}

let crashed = null;
try {
  await main();
} catch (e) {
  crashed = e;
}
await stopAll();
if (crashed) {
  console.log(`pages e2e crashed: ${crashed.stack || crashed}`);
  console.log(`--- serve.log\n${tail('serve.log')}\n--- runner.log\n${tail('runner.log')}`);
  failed++;
}
if (failed && !crashed) console.log(`--- serve.log\n${tail('serve.log')}`);
fs.rmSync(tmp, { recursive: true, force: true });
console.log(`pages e2e: ${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
