{{%AUTOESCAPE context="HTML"}}<h1>Pipeline #{{ID}} <span class="muted">of</span> <code>{{SHORT_SHA}}</code></h1>
<section id="verdict">
{{#NO_DECISIONS}}<p class="verdict none">No gate decision yet for this commit: a gate decides when asked, once its required tiers have run.</p>
{{/NO_DECISIONS}}{{#VERDICT}}<div class="verdict {{DECISION}}" data-environment="{{ENVIRONMENT}}" data-decision="{{DECISION}}">
<p class="verdict-line"><a href="#gate-{{ENVIRONMENT}}">{{ENVIRONMENT}}</a>: <span class="state {{DECISION}}">{{DECISION}}</span> <span class="muted">{{SUMMARY}}</span></p>
{{#BLOCKING}}<ul class="blocking">{{#ITEM}}<li><strong>{{NAME}}</strong> {{REASON}}</li>
{{/ITEM}}{{#MORE}}<li class="muted"><a href="#gate-{{ENVIRONMENT}}">and {{COUNT}} more</a></li>{{/MORE}}</ul>
{{/BLOCKING}}{{#RULES_DIFFER}}<p class="muted">The candidate's gate rules differ from the deployed commit's ({{COUNT}}); a check fails when either rule fails it: <a href="#gate-{{ENVIRONMENT}}">the differences</a>.</p>
{{/RULES_DIFFER}}</div>
{{/VERDICT}}{{#ROLLOUT}}<p class="rollout-line" data-environment="{{ENVIRONMENT}}">Rollout to <a href="{{URL}}">{{ENVIRONMENT}}</a>: <span class="state {{STATE}}">{{STATE}}</span>, stage <strong>{{STAGE}}</strong> <span class="muted">{{STAGE_TEXT}}</span></p>
{{/ROLLOUT}}<p class="tiers-line">Tiers: <span class="state {{STATE}}" id="pipeline-state">{{STATE}}</span></p>
</section>
<dl class="facts">
<dt>Repository</dt><dd><a href="{{REPO_URL}}">{{REPO}}</a></dd>
<dt>Commit</dt><dd><code id="sha">{{SHA}}</code></dd>
<dt>Branch</dt><dd>{{BRANCH}} <span class="muted">({{TRIGGER}}{{#PR}}, PR #{{NUMBER}}{{/PR}})</span></dd>
<dt>Author</dt><dd>{{AUTHOR}}</dd>
<dt>Created</dt><dd>{{CREATED}}</dd>
<dt>Duration</dt><dd>{{DURATION}}</dd>
</dl>
<pre class="message" id="commit-message">{{MESSAGE:pre_escape}}</pre>
{{#PIPELINE_ERROR}}<pre class="notice error">{{TEXT:pre_escape}}</pre>
{{/PIPELINE_ERROR}}{{#FROM_FORK}}<p class="muted" id="from-fork">A pull request from a fork: its jobs run without network or forge token, and its commit is never deployable.{{#APPROVED}} Approved by {{BY}}, {{AT}}.{{/APPROVED}}</p>
{{/FROM_FORK}}{{#AWAITING_APPROVAL}}<div class="notice" id="awaiting-approval"><p>Waiting for approval by a maintainer: no job runs until someone with the <code>deploy</code> scope approves this pipeline.</p>
{{#APPROVE_FORM}}<form class="inline" method="post" action="{{ACTION}}"><button type="submit" id="approve">Approve and run</button></form>{{/APPROVE_FORM}}{{#NEEDS_DEPLOY}}<p class="muted">Approving needs a token with the deploy scope (<code>mlgate approve PIPELINE</code>).</p>{{/NEEDS_DEPLOY}}
</div>
{{/AWAITING_APPROVAL}}
<h2>Tiers and jobs</h2>
{{#NO_JOBS}}<p class="muted">This pipeline has no job (no tier runs on this event).</p>
{{/NO_JOBS}}{{#HAS_JOBS}}<div class="scroll"><table id="jobs">
<thead><tr><th>Tier</th><th>State</th><th class="num">Duration</th><th class="num">Attempts</th><th>Runner</th><th class="num">Exit</th><th>Note</th></tr></thead>
<tbody>{{#JOB}}<tr data-job="{{ID}}" data-tier="{{TIER}}"><td><a href="{{URL}}">{{TIER}}</a></td><td><span class="state {{STATE}}">{{STATE}}</span></td><td class="num">{{DURATION}}</td><td class="num" data-attempts="{{ATTEMPT}}">{{ATTEMPT}}/{{MAX_ATTEMPTS}}</td><td>{{RUNNER}}</td><td class="num">{{EXIT_CODE}}</td><td>{{NOTE}}</td></tr>
{{/JOB}}</tbody></table></div>
{{/HAS_JOBS}}
<h2>Tests</h2>
<p id="test-counts"><span class="state passed" data-count="passed">{{PASSED}} passed</span> <span class="state failed" data-count="failed">{{FAILED}} failed</span> <span class="state error" data-count="error">{{ERRORS}} errors</span> <span class="state" data-count="skipped">{{SKIPPED}} skipped</span></p>
{{#FAILING}}<div class="scroll"><table id="failing-tests">
<thead><tr><th>Tier</th><th>Test</th><th>Status</th><th>Message</th></tr></thead>
<tbody>{{#TEST}}<tr><td>{{TIER}}</td><td><code>{{NAME}}</code></td><td><span class="state {{STATUS}}">{{STATUS}}</span></td><td><pre>{{MESSAGE:pre_escape}}</pre></td></tr>
{{/TEST}}</tbody></table></div>
{{/FAILING}}
<h2>Metrics</h2>
{{#BASELINE}}<p>Baseline: <code>{{SHORT_SHA}}</code>, deployed to <strong>{{ENVIRONMENT}}</strong> now{{#PIPELINE}} (<a href="{{URL}}">pipeline #{{ID}}</a>){{/PIPELINE}}.{{#OTHER_ENV}} Compare with: {{#ENV}}<a href="{{URL}}">{{NAME}}</a> {{/ENV}}{{/OTHER_ENV}}</p>
{{/BASELINE}}{{#NO_BASELINE}}<p class="muted">No baseline: nothing of this repository is deployed{{#ENVIRONMENT}} to {{NAME}}{{/ENVIRONMENT}} yet, so there are no deltas.</p>
{{/NO_BASELINE}}{{#FOREST}}<figure class="plot" id="metric-changes">{{SVG:none}}<figcaption class="muted">Each checked metric's change against the baseline ({{ENVIRONMENT}} decision): the point is the change, the line its interval, the dashed marks the thresholds, the grey line zero. Circle: pass, square: fail, diamond: inconclusive.</figcaption></figure>
{{/FOREST}}{{#NO_METRICS}}<p class="muted">No metric reported (metrics.json).</p>
{{/NO_METRICS}}{{#HAS_METRICS}}<div class="scroll"><table id="metrics">
<thead><tr><th>Metric</th><th class="num">Value</th><th class="num">Baseline</th><th class="num">Delta</th><th>Gate</th></tr></thead>
<tbody>{{#METRIC}}<tr data-metric="{{NAME}}"><td>{{NAME}}</td><td class="num" data-value>{{VALUE}}</td><td class="num">{{BASELINE}}</td><td class="num"><span class="delta {{DELTA_CLASS}}">{{DELTA}}</span></td><td>{{#CHECK}}<span class="state {{STATUS}}" title="{{REASON}}">{{STATUS}}</span> <span class="muted">{{THRESHOLD}}</span>{{/CHECK}}</td></tr>
{{/METRIC}}</tbody></table></div>
{{/HAS_METRICS}}
<h3>Slices</h3>
{{#NO_SLICES}}<p class="muted">No slice metric reported.</p>
{{/NO_SLICES}}{{#SLICE_BARS}}<figure class="plot" id="slice-values">{{SVG:none}}<figcaption class="muted">Each slice's value; the dark tick is the gate's <code>min</code>.</figcaption></figure>
{{/SLICE_BARS}}{{#HAS_SLICES}}<div class="scroll"><table id="slices">
<thead><tr><th>Slice</th><th>Group</th><th>Metric</th><th class="num">n</th><th class="num">Value</th><th class="num">Baseline</th><th class="num">Delta</th><th>Gate</th></tr></thead>
<tbody>{{#SLICE}}<tr data-slice="{{KEY}}={{GROUP}}" data-metric="{{NAME}}"><td>{{KEY}}</td><td>{{GROUP}}</td><td>{{NAME}}</td><td class="num">{{N}}</td><td class="num" data-value>{{VALUE}}</td><td class="num">{{BASELINE}}</td><td class="num"><span class="delta {{DELTA_CLASS}}">{{DELTA}}</span></td><td>{{#CHECK}}<span class="state {{STATUS}}" title="{{REASON}}">{{STATUS}}</span>{{/CHECK}}</td></tr>
{{/SLICE}}</tbody></table></div>
{{/HAS_SLICES}}
<h3>Fairness</h3>
{{#NO_FAIRNESS}}<p class="muted">No fairness check in a stored gate decision for this commit.</p>
{{/NO_FAIRNESS}}{{#HAS_FAIRNESS}}<div class="scroll"><table id="fairness">
<thead><tr><th>Environment</th><th>Check</th><th>Status</th><th class="num">Ratio</th><th>Threshold</th><th>Reason</th></tr></thead>
<tbody>{{#FAIR}}<tr><td>{{ENVIRONMENT}}</td><td>{{NAME}}</td><td><span class="state {{STATUS}}">{{STATUS}}</span></td><td class="num">{{VALUE}}</td><td>{{THRESHOLD}}</td><td>{{REASON}}</td></tr>
{{/FAIR}}</tbody></table></div>
{{/HAS_FAIRNESS}}
<h3>Prediction flips</h3>
<p id="flip-rate">{{FLIP_TEXT}}</p>
{{#FLIPS}}<div class="scroll"><table id="flip-examples">
<thead><tr><th>Example</th><th>Baseline</th><th>Candidate</th><th>Truth</th></tr></thead>
<tbody>{{#FLIP}}<tr data-flip-id="{{ID}}"><td><code class="id">{{ID}}</code></td><td>{{BASELINE}}</td><td>{{CANDIDATE}}</td><td>{{TRUTH}}</td></tr>
{{/FLIP}}</tbody></table></div>
<p class="muted">The first {{COUNT}} flipped examples by id, from the gate's <code>flip_rate</code> check.</p>
{{/FLIPS}}
<h2>ML Test Score</h2>
{{#NO_RUBRIC}}<p class="muted">No gate decision is stored for this commit yet, so there is no scorecard: <code>mlgate gate --repo {{REPO}} --sha {{SHA}} --environment ENV</code> evaluates one.</p>
{{/NO_RUBRIC}}{{#RUBRIC}}<p><span class="score" id="rubric-score">Score {{SCORE}}</span> <span class="muted">(the minimum of the four section sums; from the <span id="rubric-environment">{{ENVIRONMENT}}</span> decision of {{DECIDED}})</span><br>{{BAND}}</p>
<div class="cards">
{{#SECTION}}<div class="card" data-section="{{ID}}"><h3>{{TITLE}}: <span data-sum>{{SUM}}</span></h3>
<table class="rubric"><tbody>{{#ITEM}}<tr data-item="{{ID}}"><td><code>{{ID}}</code></td><td>{{TITLE}}<br><span class="muted">{{EVIDENCE}}</span></td><td class="num"><span class="state {{CLASS}}">{{POINTS}}</span></td></tr>
{{/ITEM}}</tbody></table></div>
{{/SECTION}}</div>
{{/RUBRIC}}
<h2>Gate decisions</h2>
{{#NO_DECISIONS}}<p class="muted">No gate decision stored for this commit. Deploy pipelines ask <code>GET /api/v1/repos/{{REPO}}/gate?sha={{SHA}}&amp;environment=ENV</code> or run <code>mlgate gate</code>.</p>
{{/NO_DECISIONS}}{{#DECISION}}<div class="card decision" id="gate-{{ENVIRONMENT}}" data-environment="{{ENVIRONMENT}}" data-decision="{{DECISION}}">
<h3>{{ENVIRONMENT}}: <span class="state {{DECISION}}">{{DECISION}}</span></h3>
<p class="muted">Decision {{ID}}, {{CREATED}} ({{SOURCE}}); baseline {{#BASE}}<code>{{SHORT_SHA}}</code>{{/BASE}}{{#NO_BASE}}none (only absolute thresholds){{/NO_BASE}}</p>
<p>{{SUMMARY}}</p>
{{#RULES_NOTE}}<p class="muted rules-note">Rules in force: {{TEXT}}</p>
{{/RULES_NOTE}}{{#RULE_DIFFERENCES}}<div class="rule-differences"><p>Gate rules that differ (deployed &rarr; this commit); a check fails when either rule fails it:</p>
<ul>{{#DIFFERENCE}}<li><code>{{TEXT}}</code></li>{{/DIFFERENCE}}</ul></div>
{{/RULE_DIFFERENCES}}<div class="scroll"><table>
<thead><tr><th>Kind</th><th>Check</th>{{#RULES_HEADER}}<th>Rules</th>{{/RULES_HEADER}}<th>Status</th><th class="num">Value</th>{{#EVIDENCE_HEADER}}<th>Interval</th>{{/EVIDENCE_HEADER}}<th class="num">Baseline</th><th>Threshold</th><th>Reason</th>{{#EVIDENCE_HEADER}}<th>Evidence</th>{{/EVIDENCE_HEADER}}</tr></thead>
<tbody>{{#CHECK}}<tr data-check="{{KIND}}:{{NAME}}"><td>{{KIND}}</td><td>{{NAME}}</td>{{#RULE_SET}}<td class="rule-set">{{SET}}</td>{{/RULE_SET}}<td><span class="state {{STATUS}}">{{STATUS}}</span></td><td class="num">{{VALUE}}</td>{{#EVIDENCE}}<td class="interval" data-interval>{{INTERVAL}}</td>{{/EVIDENCE}}<td class="num">{{BASELINE}}</td><td>{{THRESHOLD}}</td><td>{{REASON}}</td>{{#EVIDENCE}}<td class="evidence" data-evidence>{{TEXT}}</td>{{/EVIDENCE}}</tr>
{{/CHECK}}</tbody></table></div>
</div>
{{/DECISION}}
