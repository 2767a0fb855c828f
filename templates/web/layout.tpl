{{%AUTOESCAPE context="HTML"}}<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
{{#REFRESH}}<meta http-equiv="refresh" content="{{SECONDS}}">
{{/REFRESH}}<title>{{TITLE}} · mlgate</title>
<link rel="stylesheet" href="/static/style.css">
<link rel="icon" href="data:,">
</head>
<body>
<header><nav>
<a class="brand" href="/">mlgate</a>
<a href="/">Dashboard</a>
{{#DELIVERIES_LINK}}<a href="/deliveries">Deliveries</a>
{{/DELIVERIES_LINK}}<span class="who">{{CALLER}}</span>
{{#SIGN_IN}}<a href="/login">Sign in</a>
{{/SIGN_IN}}{{#SIGN_OUT}}<form class="inline" method="post" action="/logout"><button type="submit">Sign out</button></form>
{{/SIGN_OUT}}</nav></header>
<main>
{{>CONTENT}}
</main>
<footer>mlgate · status pages are read-only; the API is under /api/v1</footer>
</body>
</html>
