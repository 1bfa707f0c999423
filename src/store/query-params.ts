/**
 * The query API's parameters, validated: every parameter known, every value well formed, every bound
 * enforced; anything else is a 400 naming the parameter (OpenAI's error shape).
 */
import { invalidRequest } from '../core/errors.js';
import type { RecentFilter, StatsGroupBy, StatsQuery } from './types.js';

export const RECENT_LIMIT = { default: 50, max: 500 };
/** The widest stats window: 31 days. */
export const MAX_WINDOW_MS = 31 * 24 * 3_600_000;
const DEFAULT_WINDOW_MS = 3_600_000;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const GROUPS: readonly StatsGroupBy[] = ['route', 'target', 'model', 'key'];
/** A time series has at most this many buckets. */
export const MAX_BUCKETS = 1_000;

/** `15m`, `1h`, `90s`, `7d`, `500ms`. */
export function parseDuration(text: string, param: string): number {
  const match = /^(\d{1,9})(ms|s|m|h|d)$/.exec(text);
  const ms = match ? Number(match[1]) * UNIT_MS[match[2]!]! : NaN;
  if (!(ms > 0)) {
    throw invalidRequest(`\`${param}\` must be a duration such as 15m, 1h or 7d; got "${text}".`, param);
  }
  if (ms > MAX_WINDOW_MS) throw invalidRequest(`\`${param}\` may be at most 31d.`, param);
  return ms;
}

/** An RFC 3339 / ISO 8601 time, or Unix epoch milliseconds. */
export function parseTime(text: string, param: string): number {
  const ms = /^\d{1,15}$/.test(text)
    ? Number(text)
    : /^\d{4}-\d{2}-\d{2}(T[\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(text)
      ? Date.parse(text)
      : NaN;
  if (!Number.isFinite(ms)) {
    throw invalidRequest(
      `\`${param}\` must be an ISO 8601 time (2026-01-01T12:00:00Z) or epoch milliseconds; got "${text}".`,
      param,
    );
  }
  return ms;
}

function read(params: URLSearchParams, allowed: readonly string[]): Map<string, string> {
  const values = new Map<string, string>();
  for (const [name, value] of params) {
    if (!allowed.includes(name)) {
      throw invalidRequest(`Unknown query parameter \`${name}\`; known: ${allowed.join(', ')}.`, name);
    }
    if (values.has(name)) throw invalidRequest(`\`${name}\` is given more than once.`, name);
    if (value === '' || value.length > 256)
      throw invalidRequest(`\`${name}\` needs a value (at most 256 characters).`, name);
    values.set(name, value);
  }
  return values;
}

function timeRange(values: Map<string, string>): { since?: number; until?: number } {
  const since = values.has('since') ? parseTime(values.get('since')!, 'since') : undefined;
  const until = values.has('until') ? parseTime(values.get('until')!, 'until') : undefined;
  if (since !== undefined && until !== undefined && since >= until) {
    throw invalidRequest('`since` must be before `until`.', 'since');
  }
  return { ...(since !== undefined ? { since } : {}), ...(until !== undefined ? { until } : {}) };
}

/** GET /v1/switchyard/requests?route=&key=&target=&status=&since=&until=&limit= */
export function parseRecentQuery(params: URLSearchParams): RecentFilter {
  const v = read(params, ['route', 'key', 'target', 'status', 'since', 'until', 'limit']);
  const limitText = v.get('limit');
  if (limitText !== undefined && !/^\d{1,4}$/.test(limitText)) {
    throw invalidRequest(`\`limit\` must be a whole number from 1 to ${RECENT_LIMIT.max}.`, 'limit');
  }
  const limit = limitText === undefined ? RECENT_LIMIT.default : Number(limitText);
  if (limit < 1 || limit > RECENT_LIMIT.max) {
    throw invalidRequest(`\`limit\` must be a whole number from 1 to ${RECENT_LIMIT.max}.`, 'limit');
  }
  const status = v.get('status');
  let parsedStatus: RecentFilter['status'];
  if (status === 'ok' || status === 'error') parsedStatus = status;
  else if (status !== undefined) {
    if (!/^[1-5]\d\d$/.test(status)) {
      throw invalidRequest('`status` must be ok, error or an HTTP status (e.g. 502).', 'status');
    }
    parsedStatus = Number(status);
  }
  return {
    ...(v.has('route') ? { route: v.get('route')! } : {}),
    ...(v.has('key') ? { key: v.get('key')! } : {}),
    ...(v.has('target') ? { target: v.get('target')! } : {}),
    ...(parsedStatus !== undefined ? { status: parsedStatus } : {}),
    ...timeRange(v),
    limit,
  };
}

/**
 * GET /v1/switchyard/stats?window=15m&by=route|target|model|key&route=&key=&bucket=, or since=&until=
 * instead of window (until defaults to now, since to until − window; window defaults to 1h); bucket
 * (e.g. 1m) makes it a time series.
 */
export function parseStatsQuery(params: URLSearchParams, now: number): StatsQuery {
  const v = read(params, ['window', 'by', 'since', 'until', 'route', 'key', 'bucket']);
  const by = (v.get('by') ?? 'route') as StatsGroupBy;
  if (!GROUPS.includes(by)) throw invalidRequest(`\`by\` must be one of ${GROUPS.join(', ')}.`, 'by');
  if (v.has('window') && v.has('since')) {
    throw invalidRequest('Give `window` or `since`, not both.', 'window');
  }
  const range = timeRange(v);
  const until = range.until ?? now;
  const since =
    range.since ?? until - (v.has('window') ? parseDuration(v.get('window')!, 'window') : DEFAULT_WINDOW_MS);
  if (since >= until) throw invalidRequest('`since` must be before `until`.', 'since');
  if (until - since > MAX_WINDOW_MS) throw invalidRequest('The window may span at most 31d.', 'since');
  const bucketMs = v.has('bucket') ? parseDuration(v.get('bucket')!, 'bucket') : undefined;
  if (bucketMs !== undefined && (until - since) / bucketMs > MAX_BUCKETS) {
    throw invalidRequest(`\`bucket\` would cut the window into more than ${MAX_BUCKETS} buckets.`, 'bucket');
  }
  return {
    ...(bucketMs !== undefined ? { bucketMs } : {}),
    since,
    until,
    by,
    ...(v.has('route') ? { route: v.get('route')! } : {}),
    ...(v.has('key') ? { key: v.get('key')! } : {}),
  };
}
