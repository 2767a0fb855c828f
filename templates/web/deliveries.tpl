{{%AUTOESCAPE context="HTML"}}<h1>Webhook deliveries</h1>
<p class="muted">The latest {{COUNT}} deliveries, newest first. <code>mlgate webhooks replay ID</code> runs one again.</p>
{{#NONE}}<p class="muted">No delivery received yet.</p>
{{/NONE}}{{#SOME}}<div class="scroll"><table id="deliveries">
<thead><tr><th>#</th><th>Received</th><th>Forge</th><th>Event</th><th>Repository</th><th>Verdict</th><th class="num">HTTP</th><th>Reason</th><th>Plan</th><th>Pipeline</th></tr></thead>
<tbody>{{#DELIVERY}}<tr data-delivery="{{ID}}"><td>{{ID}}</td><td>{{RECEIVED}}</td><td>{{FORGE}}</td><td>{{EVENT}}</td><td>{{#REPO}}<a href="{{URL}}">{{NAME}}</a>{{/REPO}}{{#NO_REPO}}<span class="muted">unknown</span>{{/NO_REPO}}</td><td><span class="state {{VERDICT}}">{{VERDICT}}</span></td><td class="num">{{HTTP_STATUS}}</td><td>{{REASON}}</td><td>{{PLAN_STATE}}{{#PLAN_NOTE}} <span class="muted">{{TEXT}}</span>{{/PLAN_NOTE}}</td><td>{{#PIPELINE}}<a href="{{URL}}">#{{ID}}</a>{{/PIPELINE}}</td></tr>
{{/DELIVERY}}</tbody></table></div>
{{/SOME}}
