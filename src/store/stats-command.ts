/**
 * `switchyard stats`: the request store's aggregates (GET /v1/switchyard/stats of a running gateway)
 * as a table, one line per route, target, model or key.
 */
import { parseArgs } from 'node:util';
import { request } from 'undici';
import type { Percentiles, StatsGroup } from './types.js';

export const STATS_USAGE = `Usage: switchyard stats [options]
  --url URL       the gateway (default $SWITCHYARD_URL or http://127.0.0.1:4000)
  --key KEY       a gateway key allowed every model (default $SWITCHYARD_KEY)
  --window W      how far back: 15m, 1h, 7d (default 1h)
  --since T       from this time (ISO 8601 or epoch ms) instead of --window
  --until T       until this time (default now)
  --by G          route, target (every attempt), model or key (default route)
  --route R       only this route
  --bucket B      a time series: one line per group and bucket of B (e.g. 1m)
  --json          print the API's JSON instead of a table`;

interface StatsBody {
  since: string;
  until: string;
  by: string;
  bucketMs?: number;
  data: StatsGroup[];
}

export interface StatsIO {
  env: Record<string, string | undefined>;
  out: (text: string) => void;
  err: (text: string) => void;
}

const PROCESS_IO: StatsIO = {
  env: process.env,
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
};

/** The CLI entry: prints the table, or one line saying what went wrong (exit code 1, 2 for usage). */
export async function statsCommand(argv: string[], io: StatsIO = PROCESS_IO): Promise<void> {
  process.exitCode = await runStats(argv, io);
}

export async function runStats(argv: string[], io: StatsIO): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        url: { type: 'string' },
        key: { type: 'string' },
        window: { type: 'string' },
        since: { type: 'string' },
        until: { type: 'string' },
        by: { type: 'string' },
        route: { type: 'string' },
        bucket: { type: 'string' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (error) {
    io.err(`switchyard stats: ${(error as Error).message}\n\n${STATS_USAGE}\n`);
    return 2;
  }
  if (values.help) {
    io.out(`${STATS_USAGE}\n`);
    return 0;
  }
  const base = (values.url ?? io.env.SWITCHYARD_URL ?? 'http://127.0.0.1:4000').replace(/\/+$/, '');
  const query = new URLSearchParams();
  for (const name of ['window', 'since', 'until', 'by', 'route', 'bucket'] as const) {
    const v = values[name];
    if (v !== undefined) query.set(name, v);
  }
  const key = values.key ?? io.env.SWITCHYARD_KEY;
  let url: URL;
  try {
    url = new URL(`${base}/v1/switchyard/stats?${query.toString()}`);
  } catch {
    io.err(`switchyard stats: --url: not a URL: "${base}"\n`);
    return 2;
  }
  let status: number;
  let text: string;
  try {
    const res = await request(url, {
      method: 'GET',
      headers: key ? { authorization: `Bearer ${key}` } : {},
      headersTimeout: 15_000,
      bodyTimeout: 15_000,
    });
    status = res.statusCode;
    text = await res.body.text();
  } catch (error) {
    io.err(`switchyard stats: cannot reach ${url.origin}: ${(error as Error).message}\n`);
    return 1;
  }
  if (status !== 200) {
    let message = text.slice(0, 500);
    try {
      message = (JSON.parse(text) as { error: { message: string } }).error.message;
    } catch {
      // not OpenAI's error shape: show the start of the body as it is
    }
    io.err(`switchyard stats: ${url.origin} answered ${status}: ${message}\n`);
    return 1;
  }
  io.out(values.json ? `${text}\n` : formatStats(JSON.parse(text) as StatsBody));
  return 0;
}

const ms = (v: number | null | undefined): string =>
  v === null || v === undefined ? '-' : String(Math.round(v));
const usd = (v: number | null): string => (v === null ? '-' : v === 0 ? '0' : v.toPrecision(3));
const pcts = (p: Percentiles | null): string[] => (p ? [ms(p.p50), ms(p.p95), ms(p.p99)] : ['-', '-', '-']);

/** The table: one line per group (and bucket), numbers right-aligned, errors by class last. */
export function formatStats(body: StatsBody): string {
  const unit = body.by === 'target' ? 'attempts' : 'requests';
  const series = body.bucketMs !== undefined;
  const head = [
    ...(series ? ['FROM'] : []),
    body.by.toUpperCase(),
    'COUNT',
    'OK%',
    'FALLBACKS',
    'P50ms',
    'P95ms',
    'P99ms',
    'TTFT50',
    'TTFT95',
    'TTFT99',
    'TOKENS IN/OUT',
    'COST$',
    '$/OK',
    'ERRORS',
  ];
  const rows = body.data.map((g) => [
    ...(series ? [(g.start ?? '').replace(/\.\d+Z$/, 'Z')] : []),
    g.group ?? '(none)',
    String(g.count),
    `${(g.successRate * 100).toFixed(1)}%`,
    body.by === 'target' ? '-' : String(g.fallbacks),
    ...pcts(g.latencyMs),
    ...pcts(g.ttftMs),
    `${g.tokens.prompt}/${g.tokens.completion}`,
    usd(g.costUsd),
    usd(g.costPerSuccessUsd),
    Object.entries(g.errorsByClass)
      .sort((a, b) => b[1] - a[1])
      .map(([c, n]) => `${c}×${n}`)
      .join(' ') || '-',
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]): string =>
    cells
      .map((c, i) =>
        i <= (series ? 1 : 0) || i === cells.length - 1 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!),
      )
      .join('  ')
      .trimEnd();
  const every = series ? `, every ${body.bucketMs! / 1000} s` : '';
  const title = `${unit} by ${body.by}, ${body.since} → ${body.until}${every}`;
  if (!rows.length) return `${title}\n(no ${unit} in this window)\n`;
  return [title, line(head), ...rows.map(line)].join('\n') + '\n';
}
