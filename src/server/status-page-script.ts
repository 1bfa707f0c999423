/**
 * The status page's script (inlined by status-page-html.ts, allowed by its hash): polls /status.json
 * every 2 s with the key kept in sessionStorage, and draws the routes, targets, charts (SVG by hand)
 * and lists. Plain ES5-style browser JavaScript in a string: no build step, no framework. Data reaches
 * the DOM only through textContent and setAttribute, never as markup.
 */
export const STATUS_PAGE_SCRIPT = String.raw`
(function () {
  'use strict';
  var KEY = 'switchyard.statusKey';
  var COLORS = ['#2e90fa', '#f79009', '#7a5af8', '#12b76a', '#ee46bc', '#667085'];
  var SVGNS = 'http://www.w3.org/2000/svg';
  var STATES = { closed: 1, open: 1, 'half-open': 1, cooling: 1, healthy: 1 };
  var timer = null;

  function $(id) { return document.getElementById(id); }
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }
  function svg(tag, attrs) {
    var e = document.createElementNS(SVGNS, tag);
    for (var k in attrs) e.setAttribute(k, String(attrs[k]));
    return e;
  }
  function ms(v) {
    if (v === null || v === undefined) return '–';
    return v < 1000 ? Math.round(v) + ' ms' : (v / 1000).toFixed(v < 10000 ? 2 : 1) + ' s';
  }
  function pct(v) { return v === null || v === undefined ? '–' : (v * 100).toFixed(v === 1 ? 0 : 1) + ' %'; }
  function usd(v) { return '$' + (v || 0).toFixed(v >= 1 ? 2 : 4); }
  function clock(t) { return new Date(t).toISOString().slice(11, 19); }

  function kpi(label, value) {
    var d = el('div', 'kpi');
    d.appendChild(el('b', null, value));
    d.appendChild(el('span', null, label));
    return d;
  }

  function lineChart(series, opts) {
    var W = 480, H = 150, L = 44, B = 18, T = 8;
    var s = svg('svg', { viewBox: '0 0 ' + W + ' ' + H, role: 'img' });
    var max = 0, n = 0;
    series.forEach(function (ser) {
      n = Math.max(n, ser.values.length);
      ser.values.forEach(function (v) { if (v !== null && v > max) max = v; });
    });
    max = niceMax(max);
    axes(s, W, H, L, B, T, opts.format(max), opts.windowLabel);
    var step = (W - L - 4) / Math.max(1, n - 1);
    series.forEach(function (ser) {
      var d = '', pen = false;
      ser.values.forEach(function (v, i) {
        if (v === null) { pen = false; return; }
        var x = L + i * step, y = T + (H - B - T) * (1 - v / max);
        d += (pen ? 'L' : 'M') + x.toFixed(1) + ' ' + y.toFixed(1) + ' ';
        if (!pen && (i === ser.values.length - 1 || ser.values[i + 1] === null)) {
          s.appendChild(svg('circle', { cx: x.toFixed(1), cy: y.toFixed(1), r: 2, fill: ser.color }));
        }
        pen = true;
      });
      if (d) s.appendChild(svg('path', { d: d, fill: 'none', stroke: ser.color, 'stroke-width': 1.8 }));
    });
    return s;
  }

  function barChart(calls, errors, failed, failovers, windowLabel) {
    var W = 480, H = 150, L = 44, B = 18, T = 8;
    var s = svg('svg', { viewBox: '0 0 ' + W + ' ' + H, role: 'img' });
    var max = niceMax(Math.max.apply(null, calls.concat(failed, failovers, [0])));
    axes(s, W, H, L, B, T, String(max), windowLabel);
    var n = calls.length, w = (W - L - 4) / Math.max(1, n), h = H - B - T;
    var d = '';
    failed.forEach(function (v, i) {
      if (v > 0) d += 'M' + (L + i * w).toFixed(1) + ' ' + (T + h * (1 - v / max)).toFixed(1) + 'h' + Math.max(2, w - 1).toFixed(1) + ' ';
    });
    for (var i = 0; i < n; i++) {
      var x = L + i * w;
      if (calls[i] > 0) {
        var okH = h * (calls[i] - errors[i]) / max, errH = h * errors[i] / max;
        s.appendChild(svg('rect', { x: x.toFixed(1), y: (T + h - okH).toFixed(1), width: Math.max(1, w - 1).toFixed(1), height: okH.toFixed(1), fill: '#98a2b3' }));
        if (errors[i] > 0) s.appendChild(svg('rect', { x: x.toFixed(1), y: (T + h - okH - errH).toFixed(1), width: Math.max(1, w - 1).toFixed(1), height: errH.toFixed(1), fill: '#f04438' }));
      }
      if (failovers[i] > 0) {
        var c = svg('circle', { cx: (x + w / 2).toFixed(1), cy: (T + h * (1 - failovers[i] / max)).toFixed(1), r: 3, fill: '#f79009' });
        var title = svg('title', {});
        title.textContent = failovers[i] + ' failovers';
        c.appendChild(title);
        s.appendChild(c);
      }
    }
    if (d) s.appendChild(svg('path', { d: d, stroke: '#ee46bc', 'stroke-width': 2.5, fill: 'none' }));
    return s;
  }

  function niceMax(v) {
    if (!(v > 0)) return 1;
    var p = Math.pow(10, Math.floor(Math.log(v) / Math.LN10));
    var m = [1, 2, 2.5, 5, 10].find(function (k) { return k * p >= v; });
    return m * p;
  }

  function axes(s, W, H, L, B, T, top, windowLabel) {
    s.appendChild(svg('line', { x1: L, y1: H - B, x2: W - 4, y2: H - B, stroke: 'currentColor', 'stroke-opacity': 0.25 }));
    s.appendChild(svg('line', { x1: L, y1: T, x2: W - 4, y2: T, stroke: 'currentColor', 'stroke-opacity': 0.1 }));
    var labels = [[L - 4, T + 8, top, 'end'], [L - 4, H - B, '0', 'end'], [L, H - 4, windowLabel, 'start'], [W - 4, H - 4, 'now', 'end']];
    labels.forEach(function (a) {
      var t = svg('text', { x: a[0], y: a[1], 'text-anchor': a[3] });
      t.textContent = a[2];
      s.appendChild(t);
    });
  }

  function legend(items) {
    var d = el('div', 'legend');
    items.forEach(function (it) {
      var span = el('span');
      var sw = el('span', 'swatch');
      sw.style.background = it.color;
      span.appendChild(sw);
      span.appendChild(document.createTextNode(it.label));
      d.appendChild(span);
    });
    return d;
  }

  function figure(caption, chart, legendItems) {
    var f = el('figure');
    chart.setAttribute('aria-label', caption);
    f.appendChild(el('figcaption', null, caption));
    f.appendChild(chart);
    if (legendItems) f.appendChild(legend(legendItems));
    return f;
  }

  var HINTS = {
    success: 'of this target\u2019s attempts, from every route',
    share: 'of this route\u2019s requests answered (or last tried) here',
    attempts: 'from every route; skipped = requests that left it out'
  };
  var BARS = [{ label: 'requests ok', color: '#98a2b3' }, { label: 'requests failed', color: '#f04438' },
    { label: 'failed attempts', color: '#ee46bc' }, { label: 'failovers', color: '#f79009' }];

  function renderRoute(route, data) {
    var card = el('section', 'card route');
    card.setAttribute('data-route', route.name);
    card.appendChild(el('h2', null, route.name));
    var w = route.window;
    var k = el('div', 'kpis');
    k.appendChild(kpi('requests', w.calls));
    k.appendChild(kpi('success rate', pct(w.successRate)));
    k.appendChild(kpi('p50 / p95 TTFT', ms(w.p50TtftMs) + ' / ' + ms(w.p95TtftMs)));
    k.appendChild(kpi('p95 latency', ms(w.p95LatencyMs)));
    k.appendChild(kpi('failovers', w.failovers));
    k.appendChild(kpi('cost today', usd(w.today.costUsd)));
    card.appendChild(k);
    card.appendChild(targetTable(route.targets));
    card.appendChild(routeCharts(route, data));
    return card;
  }

  function targetTable(targets) {
    var table = el('table', 'targets');
    var head = el('tr');
    ['target', 'tier', 'breaker', 'success', 'p50 TTFT', 'p95 TTFT', 'share', 'attempts', 'cost today'].forEach(function (h) {
      var th = el('th', null, h);
      if (HINTS[h]) th.title = HINTS[h];
      head.appendChild(th);
    });
    table.appendChild(el('thead')).appendChild(head);
    var body = table.appendChild(el('tbody'));
    targets.forEach(function (t, i) { body.appendChild(targetRow(t, i)); });
    return table;
  }

  function targetRow(t, i) {
    var tr = el('tr');
    tr.setAttribute('data-target', t.id);
    var state = t.health && STATES[t.health.state] ? t.health.state : 'unknown';
    tr.setAttribute('data-state', state);
    var name = el('td');
    var sw = el('span', 'swatch');
    sw.style.background = COLORS[i % COLORS.length];
    name.appendChild(sw);
    name.appendChild(document.createTextNode(t.id));
    tr.appendChild(name);
    tr.appendChild(el('td', null, t.tier));
    var badge = el('span', 'badge ' + state, state);
    if (t.health && t.health.trippedBy && state !== 'closed') badge.title = 'tripped by ' + t.health.trippedBy;
    tr.appendChild(el('td')).appendChild(badge);
    tr.appendChild(el('td', null, pct(t.window.successRate)));
    tr.appendChild(el('td', null, ms(t.window.p50TtftMs)));
    tr.appendChild(el('td', null, ms(t.window.p95TtftMs)));
    var share = el('td');
    var bar = el('span', 'bar');
    bar.style.width = Math.round((t.share || 0) * 60) + 'px';
    share.appendChild(bar);
    share.appendChild(document.createTextNode(pct(t.share)));
    tr.appendChild(share);
    tr.appendChild(el('td', null, t.window.calls + (t.window.skipped ? ' (+' + t.window.skipped + ' skipped)' : '')));
    tr.appendChild(el('td', null, usd(t.window.today.costUsd)));
    return tr;
  }

  function routeCharts(route, data) {
    var since = Math.round(data.windowMs / 60000) + ' min ago';
    var step = ' (per ' + Math.round(data.bucketMs / 1000) + ' s)';
    var charts = el('div', 'charts');
    var lines = route.targets.map(function (t, i) {
      return { label: t.id, color: COLORS[i % COLORS.length], values: t.points.p95TtftMs };
    });
    charts.appendChild(figure('p95 time to first token per target' + step, lineChart(lines, { format: ms, windowLabel: since }), lines));
    var p = route.points;
    charts.appendChild(figure('requests, errors and failovers' + step, barChart(p.calls, p.errors, p.failedAttempts, p.failovers, since), BARS));
    return charts;
  }

  function renderList(id, entries, line) {
    var ul = $(id);
    ul.replaceChildren();
    if (!entries.length) { ul.appendChild(el('li', 'empty', 'none in memory')); return; }
    entries.slice().reverse().forEach(function (e) {
      var li = el('li');
      li.appendChild(el('time', null, clock(e.lastAt)));
      li.appendChild(document.createTextNode(line(e) + (e.count > 1 ? ' ×' + e.count + ' since ' + clock(e.firstAt) : '')));
      ul.appendChild(li);
    });
  }

  function render(data) {
    var main = $('routes');
    main.replaceChildren.apply(main, data.routes.map(function (r) { return renderRoute(r, data); }));
    renderList('incidents', data.incidents, function (i) {
      return i.kind === 'breaker'
        ? i.target + ': breaker ' + i.from + ' → ' + i.to + (i.reason ? ' (' + i.reason + ')' : '')
        : i.target + ': cooling down ' + ms(i.ms) + ' (' + i.reason + ')';
    });
    renderList('failovers', data.failovers, function (f) { return f.route + ': ' + f.from + ' → ' + f.to + ' (' + f.reason + ')'; });
    $('updated').textContent = 'updated ' + clock(data.now) + ' UTC' + (data.key ? ' · key ' + data.key : '');
  }

  function askForKey(message) {
    $('auth').hidden = false;
    $('content').hidden = true;
    $('auth-msg').textContent = message || '';
    $('key-input').focus();
  }

  function poll() {
    clearTimeout(timer);
    var key = sessionStorage.getItem(KEY);
    var headers = key ? { authorization: 'Bearer ' + key } : {};
    fetch(location.pathname.replace(/\/+$/, '') + '.json', { headers: headers, cache: 'no-store', credentials: 'omit' }).then(function (res) {
      return res.json().catch(function () { return {}; }).then(function (body) {
        if (res.status === 401) {
          sessionStorage.removeItem(KEY);
          askForKey(key ? (body.error && body.error.message) || 'That key was refused.' : '');
          return;
        }
        if (!res.ok) throw new Error((body.error && body.error.message) || 'HTTP ' + res.status);
        $('auth').hidden = true;
        $('content').hidden = false;
        $('conn').className = 'live';
        $('conn').textContent = 'live';
        render(body);
        schedule(2000);
      });
    }).catch(function (err) {
      $('conn').className = 'down';
      $('conn').textContent = 'not updating: ' + (err && err.message ? err.message : 'no answer');
      schedule(4000);
    });
  }

  // No polling while the tab is hidden: the next poll waits for it to be shown again.
  function schedule(delay) {
    timer = setTimeout(function () {
      if (document.hidden) document.addEventListener('visibilitychange', poll, { once: true });
      else poll();
    }, delay);
  }

  $('key-form').addEventListener('submit', function (ev) {
    ev.preventDefault();
    var v = $('key-input').value.trim();
    if (!v) return;
    sessionStorage.setItem(KEY, v);
    $('key-input').value = '';
    poll();
  });
  poll();
})();
`;
