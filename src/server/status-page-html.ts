/**
 * The status page: one HTML document with its CSS and script (status-page-script.ts) inline, no
 * framework, no request anywhere but this gateway's /status.json. Charts are SVG drawn by hand. Every value from the data (route and
 * target names come from the configuration, reasons from upstreams) reaches the DOM through textContent
 * or setAttribute, never as markup. The Content-Security-Policy allows exactly this script and this
 * style (by hash), fetches to the same origin, and nothing else.
 */
import { createHash } from 'node:crypto';
import { STATUS_PAGE_SCRIPT as SCRIPT } from './status-page-script.js';

const STYLE = String.raw`
:root { color-scheme: light dark; --bg:#f6f7f9; --card:#fff; --fg:#1d2330; --muted:#667085; --line:#e4e7ec;
  --ok:#12b76a; --bad:#f04438; --warn:#f79009; --half:#7a5af8; }
@media (prefers-color-scheme: dark) { :root { --bg:#0f1218; --card:#171b24; --fg:#e6e9ef; --muted:#98a2b3; --line:#2a303c; } }
* { box-sizing: border-box; }
body { margin:0; font:14px/1.4 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif; background:var(--bg); color:var(--fg); }
header { display:flex; align-items:baseline; gap:12px; padding:12px 20px; border-bottom:1px solid var(--line); background:var(--card); }
header h1 { font-size:18px; margin:0; }
#conn { font-size:12px; color:var(--muted); }
#conn.live::before { content:"\25CF "; color:var(--ok); }
#conn.down::before { content:"\25CF "; color:var(--bad); }
main, #content, #routes { display:grid; gap:16px; }
main { padding:16px 20px; }
[hidden] { display:none !important; }
.card { background:var(--card); border:1px solid var(--line); border-radius:8px; padding:14px 16px; }
.card h2 { font-size:16px; margin:0 0 8px; }
.kpis { display:flex; flex-wrap:wrap; gap:18px; margin-bottom:10px; }
.kpi b { display:block; font-size:18px; }
.kpi span { color:var(--muted); font-size:12px; }
table { border-collapse:collapse; width:100%; font-variant-numeric:tabular-nums; }
th, td { text-align:left; padding:5px 8px; border-bottom:1px solid var(--line); white-space:nowrap; }
th { color:var(--muted); font-weight:500; font-size:12px; }
.badge { display:inline-block; padding:1px 8px; border-radius:10px; font-size:12px; font-weight:600; color:#fff; background:var(--muted); }
.badge.closed, .badge.healthy { background:var(--ok); }
.badge.open { background:var(--bad); }
.badge.half-open { background:var(--half); }
.badge.cooling { background:var(--warn); }
.bar { display:inline-block; height:8px; border-radius:4px; background:var(--half); vertical-align:middle; margin-right:6px; }
.charts { display:grid; grid-template-columns:repeat(auto-fit,minmax(320px,1fr)); gap:12px; margin-top:12px; }
figure { margin:0; }
figcaption { font-size:12px; color:var(--muted); margin-bottom:4px; }
svg { width:100%; height:auto; display:block; }
svg text { fill:var(--muted); font-size:10px; }
.legend { font-size:12px; color:var(--muted); display:flex; gap:12px; flex-wrap:wrap; margin-top:4px; }
.swatch { display:inline-block; width:10px; height:10px; border-radius:2px; margin-right:4px; vertical-align:middle; }
.lists { display:grid; grid-template-columns:repeat(auto-fit,minmax(320px,1fr)); gap:16px; }
ul { list-style:none; margin:0; padding:0; }
li { padding:4px 0; border-bottom:1px solid var(--line); }
li time { color:var(--muted); font-size:12px; margin-right:6px; }
.empty { color:var(--muted); }
#auth form { display:flex; gap:8px; align-items:center; flex-wrap:wrap; }
#auth input { padding:6px 8px; min-width:280px; }
#auth-msg { color:var(--bad); width:100%; margin:4px 0 0; }
`;

const hash = (text: string): string => `'sha256-${createHash('sha256').update(text).digest('base64')}'`;

export const STATUS_PAGE_CSP = [
  "default-src 'none'",
  `script-src ${hash(SCRIPT)}`,
  `style-src ${hash(STYLE)}`,
  "connect-src 'self'",
  'img-src data:',
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

export const STATUS_PAGE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<link rel="icon" href="data:,">
<title>Switchyard status</title>
<style>${STYLE}</style>
</head>
<body>
<header><h1>Switchyard status</h1><span id="conn">connecting…</span><span id="updated" class="empty"></span></header>
<main>
<section id="auth" class="card" hidden>
<h2>This gateway has keys</h2>
<form id="key-form" autocomplete="off">
<label for="key-input">Gateway key</label>
<input id="key-input" name="key" type="password" autocomplete="off" spellcheck="false">
<button type="submit">Show status</button>
<p id="auth-msg"></p>
</form>
<p class="empty">The key stays in this tab (sessionStorage) and is sent only to this gateway's /status.json.</p>
</section>
<div id="content">
<div id="routes"></div>
<div class="lists">
<section class="card"><h2>Recent incidents</h2><ul id="incidents"></ul></section>
<section class="card"><h2>Recent failovers</h2><ul id="failovers"></ul></section>
</div>
</div>
</main>
<script>${SCRIPT}</script>
</body>
</html>
`;
