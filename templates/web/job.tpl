{{%AUTOESCAPE context="HTML"}}<h1>Job #{{ID}}: {{TIER}} <span class="state {{STATE}}" id="job-state">{{STATE}}</span></h1>
{{#LIVE}}<p class="notice">This page refreshes every {{SECONDS}} seconds while the job is {{STATE}}.</p>
{{/LIVE}}<dl class="facts">
<dt>Pipeline</dt><dd><a href="{{PIPELINE_URL}}">#{{PIPELINE_ID}}</a> of <a href="{{REPO_URL}}">{{REPO}}</a>, <code>{{SHORT_SHA}}</code></dd>
<dt>Image</dt><dd><code>{{IMAGE}}</code></dd>
<dt>Attempt</dt><dd>{{ATTEMPT}} of at most {{MAX_ATTEMPTS}}</dd>
<dt>Runner</dt><dd>{{RUNNER}}</dd>
<dt>Exit code</dt><dd>{{EXIT_CODE}}</dd>
<dt>Duration</dt><dd>{{DURATION}} <span class="muted">(limit {{TIMEOUT}})</span></dd>
{{#MESSAGE}}<dt>Message</dt><dd>{{TEXT}}</dd>
{{/MESSAGE}}{{#RESULTS_ERROR}}<dt>Results</dt><dd class="notice error">{{TEXT}}</dd>
{{/RESULTS_ERROR}}</dl>
{{#HAS_ATTEMPTS}}<h2>Attempts</h2>
<div class="scroll"><table id="attempts"><thead><tr><th>#</th><th>Runner</th><th>Started</th><th>Outcome</th></tr></thead>
<tbody>{{#ATTEMPT_ROW}}<tr><td>{{N}}</td><td>{{RUNNER}}</td><td>{{STARTED}}</td><td><span class="state {{OUTCOME}}">{{OUTCOME}}</span></td></tr>
{{/ATTEMPT_ROW}}</tbody></table></div>
{{/HAS_ATTEMPTS}}
<h2>Results files</h2>
{{#NO_FILES}}<p class="muted">No results file uploaded.</p>
{{/NO_FILES}}{{#HAS_FILES}}<ul id="results-files">{{#FILE}}<li><code>{{NAME}}</code> <span class="muted">{{SIZE}}</span></li>
{{/FILE}}</ul>
<p class="muted">{{TESTS}} test cases, {{METRICS}} metrics, {{PREDICTIONS}} predictions stored.</p>
{{/HAS_FILES}}
<h2>Log</h2>
<p><a id="raw-log" href="{{RAW_URL}}">Raw log</a> <span class="muted">({{LOG_BYTES}}{{#TRUNCATED}}, truncated at the server's limit{{/TRUNCATED}})</span></p>
{{#LOGS_DELETED}}<p class="muted" id="logs-deleted">The log and the predictions were deleted by the retention policy on {{AT}}.</p>
{{/LOGS_DELETED}}{{#LOG_TAIL}}<p class="muted">Showing the last {{SHOWN}} of the log.</p>
{{/LOG_TAIL}}<pre class="log" id="log">{{LOG:pre_escape}}</pre>
