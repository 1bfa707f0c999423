/**
 * A hand-written SVG timeline of one scenario: per second of send time, stacked bars of requests by
 * who served them (primary, fallback) or failed; the attempts that tried the primary per second
 * (dotted, from the gateway's trace); the p95 TTFT per second (line, right axis); the fault windows shaded; and a strip showing
 * the primary's breaker state as sampled from the status endpoint.
 */
import { FALLBACK_TARGET, PRIMARY_TARGET } from './config.js';
import { pct } from './metrics.js';
import type { ScenarioReport } from './report.js';

const W = 960;
const H = 480;
const M = { left: 64, right: 76, top: 104, bottom: 56 };
const PW = W - M.left - M.right;
const PH = H - M.top - M.bottom;
const COLORS = {
  primary: '#4c78a8',
  fallback: '#f58518',
  failed: '#e45756',
  ttft: '#222222',
  upstream: '#2a9d8f',
  fault: '#f2c4c4',
  open: '#d62728',
  'half-open': '#f0b429',
  closed: '#9ccc9c',
} as const;

const esc = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const f = (x: number): string => (Math.round(x * 10) / 10).toString();

/** A round axis maximum ≥ x, divisible in five round steps: {1, 1.5, 2, 2.5, 3, 4, 5, 6, 8} × 10^n. */
export function niceCeil(x: number): number {
  if (!(x > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(x));
  for (const m of [1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10]) if (m * p >= x) return m * p;
  return 10 * p;
}

function text(x: number, y: number, s: string, attrs = ''): string {
  return `<text x="${f(x)}" y="${f(y)}" ${attrs}>${esc(s)}</text>`;
}

function subtitle(r: ScenarioReport): string {
  const parts = [`success ${pct(r.successRate, 2)}`, `amplification ${r.amplification.toFixed(3)}`];
  parts.push(
    r.detection
      ? `detected after ${r.detection.requests} req / ${r.detection.seconds.toFixed(2)} s`
      : 'never detected',
  );
  if (r.recovery.seconds !== undefined)
    parts.push(`full share back ${r.recovery.seconds.toFixed(1)} s after the fault`);
  parts.push(`${r.rps} rps`);
  return parts.join(' · ');
}

function legend(y: number): string {
  const items: [string, string, 'box' | 'line' | 'dash'][] = [
    ['served by primary', COLORS.primary, 'box'],
    ['served by fallback', COLORS.fallback, 'box'],
    ['failed (client-visible)', COLORS.failed, 'box'],
    ['requests that tried the primary', COLORS.upstream, 'dash'],
    ['TTFT p95 (right axis)', COLORS.ttft, 'line'],
    ['fault', COLORS.fault, 'box'],
  ];
  let x = M.left;
  const out: string[] = [];
  for (const [label, color, kind] of items) {
    if (kind === 'box') out.push(`<rect x="${x}" y="${y - 9}" width="12" height="10" fill="${color}"/>`);
    else
      out.push(
        `<line x1="${x}" y1="${y - 4}" x2="${x + 14}" y2="${y - 4}" stroke="${color}" stroke-width="2"${kind === 'dash' ? ' stroke-dasharray="3 2"' : ''}/>`,
      );
    out.push(text(x + 18, y, label, 'font-size="12"'));
    x += 24 + label.length * 6.6;
  }
  return out.join('');
}

function breakerStrip(r: ScenarioReport, x: (s: number) => number): string {
  const y = M.top - 16;
  const out = [
    text(M.left - 6, y + 8, 'primary', 'font-size="10" text-anchor="end"'),
    text(M.left - 6, y - 2, 'breaker', 'font-size="10" text-anchor="end"'),
  ];
  const samples = r.samples;
  for (let i = 0; i < samples.length; i++) {
    const s = samples[i]!;
    const next = samples[i + 1]?.tMs ?? r.durationS * 1_000;
    const color = COLORS[s.primaryState as 'open' | 'half-open' | 'closed'] ?? '#cccccc';
    const x0 = x(s.tMs / 1_000);
    out.push(
      `<rect x="${f(x0)}" y="${y}" width="${f(Math.max(0.5, x(next / 1_000) - x0))}" height="10" fill="${color}"/>`,
    );
  }
  const key: [string, string][] = [
    ['closed', COLORS.closed],
    ['half-open', COLORS['half-open']],
    ['open', COLORS.open],
  ];
  let kx = M.left;
  out.push(text(kx, y - 8, 'primary breaker (status endpoint):', 'font-size="12"'));
  kx += 212;
  for (const [label, color] of key) {
    out.push(`<rect x="${kx}" y="${y - 17}" width="12" height="10" fill="${color}"/>`);
    out.push(text(kx + 18, y - 8, label, 'font-size="12"'));
    kx += 30 + label.length * 6.6;
  }
  return out.join('');
}

export function timelineSvg(r: ScenarioReport): string {
  const secs = r.seconds;
  const upstream = secs.map((b) => b.triedPrimary);
  const maxCount = niceCeil(
    Math.max(
      1,
      ...secs.map((b) => b.failed + Object.values(b.byTarget).reduce((a, c) => a + c, 0)),
      ...upstream,
    ),
  );
  const maxTtft = niceCeil(Math.max(100, ...secs.map((b) => b.ttftP95 ?? 0)));
  const x = (s: number): number => M.left + (s / r.durationS) * PW;
  const yL = (v: number): number => M.top + PH - (v / maxCount) * PH;
  const yR = (v: number): number => M.top + PH - (v / maxTtft) * PH;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="Helvetica, Arial, sans-serif">`,
    `<rect width="${W}" height="${H}" fill="#ffffff"/>`,
    text(M.left, 24, `${r.id ?? r.name}: ${r.title}`, 'font-size="17" font-weight="bold"'),
    text(M.left, 42, subtitle(r), 'font-size="12" fill="#444"'),
    legend(62),
  ];
  for (const w of r.windows)
    out.push(
      `<rect x="${f(x(w.fromS))}" y="${M.top}" width="${f(x(w.toS) - x(w.fromS))}" height="${PH}" fill="${COLORS.fault}" opacity="0.6"/>`,
    );
  // Grid and axes.
  for (let i = 0; i <= 5; i++) {
    const v = (maxCount * i) / 5;
    const y = yL(v);
    out.push(`<line x1="${M.left}" y1="${f(y)}" x2="${M.left + PW}" y2="${f(y)}" stroke="#e4e4e4"/>`);
    out.push(text(M.left - 6, y + 4, f(v), 'font-size="11" text-anchor="end"'));
    out.push(text(M.left + PW + 6, y + 4, `${Math.round((maxTtft * i) / 5)}`, 'font-size="11"'));
  }
  const tick = r.durationS > 30 ? 5 : r.durationS > 10 ? 2 : 1;
  for (let s = 0; s <= r.durationS; s += tick) {
    out.push(
      `<line x1="${f(x(s))}" y1="${M.top + PH}" x2="${f(x(s))}" y2="${M.top + PH + 5}" stroke="#333"/>`,
    );
    out.push(text(x(s), M.top + PH + 18, `${s}`, 'font-size="11" text-anchor="middle"'));
  }
  out.push(
    text(
      M.left + PW / 2,
      H - 14,
      'time since the start of the load (s, by request send time)',
      'font-size="12" text-anchor="middle"',
    ),
  );
  out.push(
    text(
      16,
      M.top + PH / 2,
      'requests per second',
      `font-size="12" text-anchor="middle" transform="rotate(-90 16 ${M.top + PH / 2})"`,
    ),
  );
  out.push(
    text(
      W - 14,
      M.top + PH / 2,
      'TTFT p95 (ms)',
      `font-size="12" text-anchor="middle" transform="rotate(90 ${W - 14} ${M.top + PH / 2})"`,
    ),
  );
  // Stacked bars.
  const barW = Math.max(1, PW / r.durationS - 2);
  for (const b of secs) {
    let base = 0;
    const parts: [number, string][] = [
      [b.byTarget[PRIMARY_TARGET] ?? 0, COLORS.primary],
      [b.byTarget[FALLBACK_TARGET] ?? 0, COLORS.fallback],
      [b.failed, COLORS.failed],
    ];
    for (const [count, color] of parts) {
      if (!count) continue;
      out.push(
        `<rect x="${f(x(b.second) + 1)}" y="${f(yL(base + count))}" width="${f(barW)}" height="${f(yL(base) - yL(base + count))}" fill="${color}"/>`,
      );
      base += count;
    }
  }
  // Attempts on the primary per second, and TTFT p95.
  const upPts = upstream.map((v, i) => `${f(x(i + 0.5))},${f(yL(v))}`).join(' ');
  out.push(
    `<polyline points="${upPts}" fill="none" stroke="${COLORS.upstream}" stroke-width="2" stroke-dasharray="4 3"/>`,
  );
  const ttftPts = secs
    .filter((b) => b.ttftP95 !== undefined)
    .map((b) => `${f(x(b.second + 0.5))},${f(yR(b.ttftP95!))}`);
  out.push(`<polyline points="${ttftPts.join(' ')}" fill="none" stroke="${COLORS.ttft}" stroke-width="2"/>`);
  out.push(`<rect x="${M.left}" y="${M.top}" width="${PW}" height="${PH}" fill="none" stroke="#333"/>`);
  out.push(breakerStrip(r, x));
  out.push('</svg>');
  return out.join('\n') + '\n';
}
