{{%AUTOESCAPE context="HTML"}}<h1>{{NAME}}</h1>
<dl class="facts"><dt>Forge</dt><dd>{{FORGE}}</dd><dt>Default branch</dt><dd>{{DEFAULT_BRANCH}}</dd><dt>Clone URL</dt><dd><code>{{CLONE_URL}}</code></dd></dl>

<h2>Deployments</h2>
{{#NO_DEPLOYMENTS}}<p class="muted">Nothing deployed yet: <code>mlgate deploy</code> records a deployment.</p>
{{/NO_DEPLOYMENTS}}{{#HAS_DEPLOYMENTS}}<div class="scroll"><table id="current-deployments">
<thead><tr><th>Environment</th><th>Deployed commit</th><th>Since</th><th>By</th></tr></thead>
<tbody>{{#CURRENT}}<tr data-environment="{{ENVIRONMENT}}"><td><a href="{{ENV_URL}}">{{ENVIRONMENT}}</a></td><td><code data-sha="{{SHA}}">{{SHORT_SHA}}</code>{{#PIPELINE}} <a href="{{URL}}">pipeline #{{ID}}</a>{{/PIPELINE}} <a class="model-card" href="{{CARD_URL}}">model card</a></td><td>{{CREATED}}</td><td>{{ACTOR}}</td></tr>
{{/CURRENT}}</tbody></table></div>
<details><summary>History ({{HISTORY_COUNT}})</summary><div class="scroll"><table id="deployment-history">
<thead><tr><th>#</th><th>Environment</th><th>Kind</th><th>Commit</th><th>By</th><th>When</th><th>Forced</th></tr></thead>
<tbody>{{#HISTORY}}<tr><td>{{ID}}</td><td>{{ENVIRONMENT}}</td><td>{{KIND}}</td><td><code>{{SHORT_SHA}}</code> <a class="model-card" href="{{CARD_URL}}">model card</a></td><td>{{ACTOR}}</td><td>{{CREATED}}</td><td>{{#FORCED}}<span class="state fail">forced</span> {{REASON}}{{/FORCED}}</td></tr>
{{/HISTORY}}</tbody></table></div></details>
{{/HAS_DEPLOYMENTS}}
<h2>Metric trends on {{BRANCH}}</h2>
<p class="muted">The last {{N}} commits of <code>{{BRANCH}}</code>, oldest on the left; a ringed point is a deployed commit.
{{#BRANCHES}}Branches: {{#BRANCH_LINK}}<a href="{{URL}}">{{NAME}}</a> {{/BRANCH_LINK}}{{/BRANCHES}}</p>
{{#NO_TRENDS}}<p class="muted">No metric was reported on {{BRANCH}} yet.</p>
{{/NO_TRENDS}}<div class="cards">
{{#TREND}}<div class="card" data-trend="{{METRIC}}"><h3>{{METRIC}}</h3>{{SVG:none}}<p class="muted">latest {{LATEST}} · {{POINTS}} commits</p></div>
{{/TREND}}</div>

<h2>Pipelines</h2>
{{#NO_PIPELINES}}<p class="muted">No pipeline yet: push to a branch whose webhook points at mlgate.</p>
{{/NO_PIPELINES}}{{#HAS_PIPELINES}}<div class="scroll"><table id="pipelines">
<thead><tr><th>#</th><th>State</th><th>Gate</th><th>Commit</th><th>Message</th><th class="hide-narrow">Author</th><th>Branch</th><th>Tiers</th><th class="num">Duration</th></tr></thead>
<tbody>{{#PIPELINE}}<tr data-pipeline="{{ID}}"><td><a href="{{URL}}">#{{ID}}</a></td><td><span class="state {{STATE}}">{{STATE}}</span></td><td class="gates">{{#GATE}}<a class="state {{DECISION}}" href="{{URL}}" data-gate="{{ENVIRONMENT}}">{{ENVIRONMENT}}: {{DECISION}}</a> {{/GATE}}{{#NO_GATE}}<span class="muted">-</span>{{/NO_GATE}}</td><td><code>{{SHORT_SHA}}</code></td><td>{{MESSAGE}}</td><td class="hide-narrow">{{AUTHOR}}</td><td>{{BRANCH}}</td><td>{{#TIER}}<span class="state {{STATE}}" title="{{TIER}}: {{STATE}}">{{TIER}}</span> {{/TIER}}</td><td class="num">{{DURATION}}</td></tr>
{{/PIPELINE}}</tbody></table></div>
{{/HAS_PIPELINES}}
