{{%AUTOESCAPE context="HTML"}}<h1>{{HEADING}}</h1>
<p class="notice{{#IS_ERROR}} error{{/IS_ERROR}}">{{TEXT}}</p>
{{#LOGIN_FORM}}<form class="login" method="post" action="/login">
<label for="token">API token (read scope or more; <code>mlgate-data/admin-token</code> for the admin)</label>
<input id="token" name="token" type="password" autocomplete="current-password" required>
<input type="hidden" name="next" value="{{NEXT}}">
<button type="submit">Sign in</button>
</form>
<p class="muted">The token is kept in an HttpOnly, SameSite=Strict cookie until you sign out. Scripts send <code>Authorization: Bearer &lt;token&gt;</code> instead.</p>
{{/LOGIN_FORM}}{{#BACK}}<p><a href="/">Back to the dashboard</a></p>{{/BACK}}
