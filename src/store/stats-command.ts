/**
 * `switchyard stats`: the request store's aggregates as a table, one line per route, target, model or
 * key (and bucket): from a running gateway (GET /v1/switchyard/stats), or read from the store itself
 * (`--store`), e.g. after a drill. `--request ID` prints one stored request instead
 * (GET /v1/switchyard/requests/{id}; src/store/request-view.ts).
 */
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { request } from 'undici';
import { parseStatsQuery } from './query-params.js';
import { REQUEST_ID, formatRequest, requestJson, type RequestJson } from './request-view.js';
import type { Percentiles, RequestStore, StatsGroup } from './types.js';

export const STATS_USAGE = `Usage: switchyard stats [options]
  --url URL       the gateway (default $SWITCHYARD_URL or http://127.0.0.1:4000)
  --key KEY       a gateway key allowed every model (default $SWITCHYARD_KEY)
  --store PATH    read a store directly instead, no gateway needed: a SQLite file
                  (e.g. .switchyard/requests.db) or a postgres:// URL
  --window W      how far back: 15m, 1h, 7d (default 1h)
  --since T       from this time (ISO 8601 or epoch ms) instead of --window
  --until T       until this time (default now)
  --by G          route, target (every attempt), model or key (default route)
  --route R       only this route
  --bucket B      a time series: one line per group and bucket of B (e.g. 1m)
  --request ID    one request instead (its x-request-id): status, timings, tokens, cost, each
                  attempt, the decision trace, and the captured prompt and completion if stored
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
        store: { type: 'string' },
        window: { type: 'string' },
        since: { type: 'string' },
        until: { type: 'string' },
        by: { type: 'string' },
        route: { type: 'string' },
        bucket: { type: 'string' },
        request: { type: 'string' },
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
  const query = new URLSearchParams();
  for (const name of AGGREGATE_OPTIONS) {
    const v = values[name];
    if (v !== undefined) query.set(name, v);
  }
  const gateway = {
    location: values.url ?? io.env.SWITCHYARD_URL ?? 'http://127.0.0.1:4000',
    key: values.key ?? io.env.SWITCHYARD_KEY,
  };
  if (values.request !== undefined) {
    const usage = requestUsageError(values.request, query);
    if (usage) {
      io.err(`switchyard stats: ${usage}\n\n${STATS_USAGE}\n`);
      return 2;
    }
    const id = values.request;
    const answer = values.store
      ? await fromStore(values.store, (store) => readRequest(store, id))
      : await fromGateway<RequestJson>(gateway, `/v1/switchyard/requests/${id}`);
    return print(io, answer, values.json ? undefined : formatRequest);
  }
  const answer = values.store
    ? await fromStore(values.store, (store) => readStats(store, query))
    : await fromGateway<StatsBody>(gateway, `/v1/switchyard/stats?${query.toString()}`);
  return print(io, answer, values.json ? undefined : formatStats);
}

/** The options that shape the aggregates (and mean nothing with --request). */
const AGGREGATE_OPTIONS = ['window', 'since', 'until', 'by', 'route', 'bucket'] as const;

function requestUsageError(id: string, aggregates: URLSearchParams): string | undefined {
  if (!REQUEST_ID.test(id)) return `--request: not a request id: "${id.slice(0, 200)}"`;
  const given = [...aggregates.keys()];
  if (given.length) return `--request prints one request: --${given.join(', --')} cannot go with it`;
  return undefined;
}

/** Prints the answer (formatted, or as the API's JSON), or says what went wrong; the exit code. */
function print<T>(io: StatsIO, answer: Answer<T>, format: ((body: T) => string) | undefined): number {
  if ('error' in answer) {
    io.err(`switchyard stats: ${answer.error}\n`);
    return answer.code;
  }
  io.out(format ? format(answer.body) : `${JSON.stringify(answer.body)}\n`);
  return 0;
}

type Answer<T> = { body: T } | { error: string; code: number };

/** Asks a running gateway (GET `path`, e.g. /v1/switchyard/stats?…). */
async function fromGateway<T>(
  gateway: { location: string; key: string | undefined },
  path: string,
): Promise<Answer<T>> {
  const { key } = gateway;
  const base = gateway.location.replace(/\/+$/, '');
  let url: URL;
  try {
    url = new URL(`${base}${path}`);
  } catch {
    return { error: `--url: not a URL: "${base}"`, code: 2 };
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
    return { error: `cannot reach ${url.origin}: ${(error as Error).message}`, code: 1 };
  }
  if (status !== 200) {
    let message = text.slice(0, 500);
    try {
      message = (JSON.parse(text) as { error: { message: string } }).error.message;
    } catch {
      // not OpenAI's error shape: show the start of the body as it is
    }
    return { error: `${url.origin} answered ${status}: ${message}`, code: 1 };
  }
  return { body: JSON.parse(text) as T };
}

/**
 * Reads a store directly, without a gateway (after a drill, or with the gateway down): a SQLite file
 * that must exist, or a PostgreSQL URL (tables in the `public` schema).
 */
async function fromStore<T>(
  location: string,
  read: (store: RequestStore) => Promise<Answer<T>>,
): Promise<Answer<T>> {
  let store: RequestStore;
  try {
    if (/^postgres(ql)?:\/\//.test(location)) {
      const { PostgresStore } = await import('./postgres.js');
      store = await PostgresStore.open({ url: location, schema: 'public' });
    } else {
      if (!existsSync(location)) return { error: `--store: no such file: ${location}`, code: 1 };
      const { SqliteStore } = await import('./sqlite.js');
      store = await SqliteStore.open(location);
    }
  } catch (error) {
    return { error: `cannot open the store: ${(error as Error).message}`, code: 1 };
  }
  try {
    return await read(store);
  } catch (error) {
    return { error: `reading the store failed: ${(error as Error).message}`, code: 1 };
  } finally {
    await store.close();
  }
}

async function readStats(store: RequestStore, params: URLSearchParams): Promise<Answer<StatsBody>> {
  let query;
  try {
    query = parseStatsQuery(params, Date.now());
  } catch (error) {
    return { error: (error as Error).message, code: 2 };
  }
  const data = await store.stats(query);
  return {
    body: {
      since: new Date(query.since).toISOString(),
      until: new Date(query.until).toISOString(),
      by: query.by,
      ...(query.bucketMs !== undefined ? { bucketMs: query.bucketMs } : {}),
      data,
    },
  };
}

/** One request by its id, as the API answers it; the same message as the API's 404 when there is none. */
async function readRequest(store: RequestStore, id: string): Promise<Answer<RequestJson>> {
  const record = await store.get(id);
  if (!record)
    return { error: `no stored request has the id \`${id}\` (not recorded yet, or pruned)`, code: 1 };
  return { body: requestJson(record) };
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
