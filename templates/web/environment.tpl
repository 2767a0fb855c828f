{{%AUTOESCAPE context="HTML"}}<h1>{{ENVIRONMENT}} <span class="muted">· <a href="{{REPO_URL}}">{{REPO}}</a></span></h1>

<h2>Deployed</h2>
{{#NOT_DEPLOYED}}<p class="muted" id="not-deployed">Nothing is deployed to {{ENVIRONMENT}}.</p>
{{/NOT_DEPLOYED}}{{#DEPLOYED}}<dl class="facts" id="deployed">
<dt>Deployed commit</dt><dd><code data-sha="{{SHA}}">{{SHORT_SHA}}</code>{{#PIPELINE}} <a href="{{URL}}">pipeline #{{ID}}</a>{{/PIPELINE}} <span class="muted">since {{CREATED}}, by {{ACTOR}}</span></dd>
<dt>Reference</dt><dd id="reference">{{#REFERENCE}}<code>{{SHORT_SHA}}</code> <a href="{{URL}}">pipeline #{{ID}}</a> <span class="muted">{{TIER}} tier, {{ROWS}} rows of reference.jsonl, {{CREATED}}</span>{{/REFERENCE}}{{#NO_REFERENCE}}<span class="muted">none: no tier of the deployed commit wrote reference.jsonl</span>{{/NO_REFERENCE}}</dd>
</dl>
{{/DEPLOYED}}{{#HAS_DEPLOYMENTS}}<details><summary>Deployment history ({{HISTORY_COUNT}})</summary><div class="scroll"><table id="deployment-history">
<thead><tr><th>#</th><th>Kind</th><th>Commit</th><th>By</th><th>When</th><th>Forced</th></tr></thead>
<tbody>{{#HISTORY}}<tr><td>{{ID}}</td><td>{{KIND}}</td><td><code>{{SHORT_SHA}}</code></td><td>{{ACTOR}}</td><td>{{CREATED}}</td><td>{{#FORCED}}<span class="state fail">forced</span> {{REASON}}{{/FORCED}}</td></tr>
{{/HISTORY}}</tbody></table></div></details>
{{/HAS_DEPLOYMENTS}}
{{! The rollout timeline: server/pages/rollout_section.h, every text in it escaped. }}{{#ROLLOUT}}<section id="rollout">{{ROLLOUT_HTML:none}}</section>
{{/ROLLOUT}}
<h2>Monitor</h2>
{{#NO_MONITOR}}<p class="muted" id="no-monitor">No monitor state: the <code>.mlgate.yml</code> of the deployed commit has no <code>monitors: {{ENVIRONMENT}}</code>, or it was not evaluated yet.</p>
{{/NO_MONITOR}}{{#MONITOR}}<dl class="facts" id="monitor">
<dt>State</dt><dd><span class="state {{CLASS}}" data-state="{{STATE}}">{{STATE_WORDS}}</span> since {{SINCE}}</dd>
<dt>Last evaluated</dt><dd>{{EVALUATED}} on <code>{{SHORT_SHA}}</code></dd>
<dt>Checks</dt><dd>{{KINDS}}{{#ALERTING}} <span class="muted">alerting: {{KINDS}}</span>{{/ALERTING}}</dd>
{{#RETRAIN}}<dt>Last retraining</dt><dd>{{AT}}{{#PIPELINE}} <a href="{{URL}}">pipeline #{{ID}}</a>{{/PIPELINE}}</dd>
{{/RETRAIN}}</dl>
<div class="scroll"><table id="findings">
<thead><tr><th>Check</th><th>Feature</th><th>Test</th><th class="num">Statistic</th><th class="num">p / distance</th><th class="num">Threshold</th><th class="num">n</th><th class="num hide-narrow">Reference n</th><th>State</th><th>Reason</th></tr></thead>
<tbody>{{#FINDING}}<tr data-kind="{{KIND}}" data-feature="{{FEATURE}}"><td>{{KIND}}</td><td>{{FEATURE}}</td><td>{{TEST}}</td><td class="num">{{STATISTIC}}</td><td class="num">{{JUDGED}}</td><td class="num">{{THRESHOLD}}</td><td class="num">{{N}}</td><td class="num hide-narrow">{{REFERENCE_N}}</td><td><span class="state {{CLASS}}">{{STATE_WORDS}}</span></td><td>{{REASON}}</td></tr>
{{/FINDING}}</tbody></table></div>
{{/MONITOR}}
{{#HAS_SERIES}}<h2>Drift and missing values per feature</h2>
<p class="muted">The last {{EVALUATIONS}} evaluations, oldest on the left; each point is the p-value or distance the check was judged by, ringed when beyond its threshold.{{#LEFT_OUT}} {{COUNT}} more series are not drawn.{{/LEFT_OUT}}</p>
{{#NO_DATA_SERIES}}<p class="muted">No drift or missing-value check evaluated yet.</p>
{{/NO_DATA_SERIES}}<div class="cards" id="drift-plots">
{{#DATA_SERIES}}<div class="card" data-series="{{TITLE}}"><h3>{{TITLE}}</h3>{{SVG:none}}<p class="muted">latest {{LATEST}} · threshold {{THRESHOLD}}</p></div>
{{/DATA_SERIES}}</div>
<h2>Quality</h2>
{{#NO_QUALITY_SERIES}}<p class="muted">No quality check evaluated yet.</p>
{{/NO_QUALITY_SERIES}}<div class="cards" id="quality-plots">
{{#QUALITY_SERIES}}<div class="card" data-series="{{TITLE}}"><h3>{{TITLE}}</h3>{{SVG:none}}<p class="muted">latest {{LATEST}} · limit {{THRESHOLD}}</p></div>
{{/QUALITY_SERIES}}</div>
{{/HAS_SERIES}}
<h2>Alert history</h2>
{{#NO_CHANGES}}<p class="muted">No change of state yet.</p>
{{/NO_CHANGES}}{{#HAS_CHANGES}}<div class="scroll"><table id="alert-history">
<thead><tr><th>When</th><th>From</th><th>To</th><th>Commit</th><th>Reason</th></tr></thead>
<tbody>{{#CHANGE}}<tr data-state="{{STATE}}"><td>{{WHEN}}</td><td>{{FROM}}</td><td><span class="state {{CLASS}}">{{STATE_WORDS}}</span></td><td><code>{{SHORT_SHA}}</code></td><td>{{REASON}}</td></tr>
{{/CHANGE}}</tbody></table></div>
{{/HAS_CHANGES}}
