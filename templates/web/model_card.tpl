{{%AUTOESCAPE context="HTML"}}<h1>Model card: {{TITLE}}</h1>
<dl class="facts"><dt>Repository</dt><dd><a href="{{REPO_URL}}">{{REPO}}</a></dd><dt>Commit</dt><dd><code id="sha">{{SHA}}</code></dd>{{#FACT}}<dt>{{NAME}}</dt><dd>{{TEXT}}</dd>{{/FACT}}</dl>
{{#FILE_ERROR}}<p class="notice error" id="card-error">{{TEXT}}</p>
{{/FILE_ERROR}}{{#NO_FILE}}<p class="muted" id="no-card-file">No <code>model_card.yml</code> at this commit: what follows is what mlgate knows.</p>
{{/NO_FILE}}{{#SECTION}}<h2>{{TITLE}}</h2>
<div class="card-text">{{TEXT}}</div>
{{/SECTION}}{{#LIST}}<h2>{{TITLE}}</h2>
<ul>{{#ITEM}}<li>{{TEXT}}</li>{{/ITEM}}</ul>
{{/LIST}}
<h2>Evaluation</h2>
{{#NO_METRICS}}<p class="muted">No metric was judged by a gate.</p>
{{/NO_METRICS}}{{#HAS_METRICS}}<div class="scroll"><table id="card-metrics">
<thead><tr><th>Kind</th><th>Metric</th><th class="num">Value</th><th>Interval</th><th class="num">n</th><th class="num">Baseline</th><th>Status</th></tr></thead>
<tbody>{{#METRIC}}<tr data-metric="{{NAME}}"><td>{{KIND}}</td><td>{{NAME}}</td><td class="num">{{VALUE}}</td><td>{{INTERVAL}}</td><td class="num">{{N}}</td><td class="num">{{BASELINE}}</td><td><span class="state {{STATUS}}">{{STATUS}}</span></td></tr>
{{/METRIC}}</tbody></table></div>
{{/HAS_METRICS}}
<h2>Gate decisions</h2>
{{#NO_GATES}}<p class="muted">No gate is declared.</p>
{{/NO_GATES}}<ul id="card-gates">{{#GATE}}<li data-environment="{{ENVIRONMENT}}">{{ENVIRONMENT}}: <span class="state {{DECISION}}">{{DECISION}}</span> <span class="muted">{{SUMMARY}}</span></li>
{{/GATE}}</ul>
{{#RUBRIC}}<h2>ML Test Score</h2>
<p id="card-rubric">{{SCORE}} <span class="muted">{{BAND}}</span></p>
{{/RUBRIC}}
<h2>Training and evaluation run</h2>
{{#RUN}}<p id="card-run"><a href="{{URL}}">Pipeline #{{ID}}</a> ({{TRIGGER}} on {{BRANCH}}, {{CREATED}}): <span class="state {{STATE}}">{{STATE}}</span></p>
<ul>{{#TIER}}<li>{{TIER}}: <span class="state {{STATE}}">{{STATE}}</span></li>{{/TIER}}</ul>
{{/RUN}}{{#NO_RUN}}<p class="muted">No pipeline ran for this commit.</p>
{{/NO_RUN}}
<h2>Reference data</h2>
{{#REFERENCE}}<p id="card-reference">{{ROWS}} rows, {{COUNT}} features: {{FEATURES}}</p>
{{/REFERENCE}}{{#NO_REFERENCE}}<p class="muted">No reference profile was recorded for this commit.</p>
{{/NO_REFERENCE}}
<h2>Deployments</h2>
{{#NO_DEPLOYMENTS}}<p class="muted">This commit was never deployed.</p>
{{/NO_DEPLOYMENTS}}<ul id="card-deployments">{{#DEPLOYMENT}}<li data-environment="{{ENVIRONMENT}}">{{ENVIRONMENT}}: {{KIND}} at {{CREATED}}</li>
{{/DEPLOYMENT}}</ul>
<p class="muted">The same card as Markdown: <code>mlgate model-card --repo {{REPO}} --sha {{SHA}}</code></p>
