{{%AUTOESCAPE context="HTML"}}<h1>Dashboard</h1>
<h2>Repositories</h2>
{{#NO_REPOS}}<p class="muted">No repository is registered yet: <code>mlgate repo add</code>.</p>
{{/NO_REPOS}}{{#HAS_REPOS}}<div class="scroll"><table id="repos">
<thead><tr><th>Repository</th><th>Default branch</th><th>Latest pipeline</th><th>Gate</th><th>Commit</th><th>Tiers</th><th class="hide-narrow">Created</th></tr></thead>
<tbody>
{{#REPO}}<tr data-repo="{{NAME}}">
<td><a href="{{URL}}">{{NAME}}</a> <span class="muted">{{FORGE}}</span></td>
<td>{{BRANCH}}</td>
{{#PIPELINE}}<td><a href="{{URL}}">#{{ID}}</a> <span class="state {{STATE}}">{{STATE}}</span></td>
<td class="gates">{{#GATE}}<a class="state {{DECISION}}" href="{{URL}}" data-gate="{{ENVIRONMENT}}">{{ENVIRONMENT}}: {{DECISION}}</a> {{/GATE}}{{#NO_GATE}}<span class="muted">-</span>{{/NO_GATE}}</td>
<td><code>{{SHORT_SHA}}</code> {{MESSAGE}}</td>
<td>{{#TIER}}<span class="state {{STATE}}" title="{{TIER}}: {{STATE}}">{{TIER}}</span> {{/TIER}}</td>
<td class="hide-narrow">{{CREATED}}</td>
{{/PIPELINE}}{{#NO_PIPELINE}}<td colspan="5" class="muted">no pipeline on {{BRANCH}} yet</td>
{{/NO_PIPELINE}}</tr>
{{/REPO}}</tbody></table></div>
{{/HAS_REPOS}}
<div class="cards">
<div class="card"><h3>Queue</h3>
<table id="queue"><thead><tr><th>Tier</th><th class="num">Queued</th><th class="num">Running</th></tr></thead>
<tbody>{{#QUEUE}}<tr><td>{{TIER}}</td><td class="num" data-queued="{{TIER}}">{{QUEUED}}</td><td class="num" data-running="{{TIER}}">{{RUNNING}}</td></tr>
{{/QUEUE}}</tbody></table></div>
<div class="card"><h3>Runners: <span id="runners-online">{{ONLINE}}</span> online of {{TOTAL}}</h3>
{{#NO_RUNNERS}}<p class="muted">No runner registered: <code>mlgate runner</code>.</p>
{{/NO_RUNNERS}}{{#HAS_RUNNERS}}<table id="runners"><thead><tr><th>Runner</th><th>Executor</th><th class="num">Jobs</th><th>Seen</th></tr></thead>
<tbody>{{#RUNNER}}<tr><td>{{NAME}} <span class="state {{ONLINE_CLASS}}">{{ONLINE_TEXT}}</span></td><td>{{EXECUTOR}}</td><td class="num">{{RUNNING}}/{{CAPACITY}}</td><td>{{LAST_SEEN}}</td></tr>
{{/RUNNER}}</tbody></table>
{{/HAS_RUNNERS}}</div>
</div>
