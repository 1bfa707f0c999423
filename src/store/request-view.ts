/**
 * One stored request, as the query API answers it (GET /v1/switchyard/requests/{id}) and as
 * `switchyard stats --request ID` prints it: what the client got, its timings, tokens and cost, each
 * attempt, the decision trace, and the captured prompt and completion when the record has them.
 */
import { traceLine, type TraceEntry } from '../core/trace.js';
import type { StoredRequest } from './types.js';

/** The API's JSON of one request (`time` as ISO 8601). */
export type RequestJson = Omit<StoredRequest, 'time'> & { object: 'switchyard.request'; time: string };

/** A request id the API can name in its path (GET /v1/switchyard/requests/{id}). */
export const REQUEST_ID = /^[\w.:-]{1,128}$/;

export function requestJson(record: StoredRequest): RequestJson {
  return { object: 'switchyard.request', ...record, time: new Date(record.time).toISOString() };
}

const ms = (v: number | undefined): string => (v === undefined ? '-' : `${Math.round(v)} ms`);
const usd = (v: number | undefined): string =>
  v === undefined ? '-' : v === 0 ? '$0' : `$${v < 0.01 ? v.toPrecision(3) : v.toFixed(4)}`;

/** Each line of a captured text, indented under its heading. */
const indented = (text: string): string =>
  text
    .split('\n')
    .map((l) => `  ${l}`.trimEnd())
    .join('\n');

/** One row per attempt: target, outcome class, upstream status, duration, tokens, cost, pool key. */
function attemptTable(trace: readonly TraceEntry[]): string[] {
  const attempts = trace.filter((t) => t.action === 'attempt');
  if (!attempts.length) return ['  (none)'];
  const head = ['#', 'TARGET', 'OUTCOME', 'REASON', 'STATUS', 'TIME', 'TOKENS IN/OUT', 'COST', 'KEY'];
  const rows = attempts.map((t, i) => [
    String(i + 1),
    t.target,
    // Records written before the trace carried the class: a failure's class is unknown there.
    t.result === 'ok' ? 'ok' : (t.outcome ?? '-'),
    t.result,
    t.status !== undefined ? String(t.status) : '-',
    ms(t.ms),
    t.tokens ? `${t.tokens.prompt}/${t.tokens.completion}${t.tokens.estimated ? ' (est.)' : ''}` : '-',
    usd(t.costUsd),
    t.key ?? '-',
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]): string =>
    `  ${cells.map((c, i) => c.padEnd(widths[i]!)).join('  ')}`.trimEnd();
  return [line(head), ...rows.map(line)];
}

/** The readable view: a header of fields, then the attempts, the trace and the captured text. */
export function formatRequest(r: RequestJson): string {
  const fields: [string, string][] = [
    ['time', r.time],
    ['route', `${r.route} (${r.endpoint}${r.stream ? ', stream' : ''})`],
    ['key', r.key ?? '-'],
    ['status', `${r.status} ${r.outcome}`],
    [
      'target',
      r.target ? `${r.target}${r.provider ? ` (provider ${r.provider}, model ${r.model})` : ''}` : '-',
    ],
    ['attempts', String(r.attempts)],
    ['total', ms(r.totalMs)],
    ['TTFT', ms(r.ttftMs)],
    [
      'tokens',
      r.tokens
        ? `${r.tokens.prompt} in / ${r.tokens.completion} out${r.tokens.cached ? ` (${r.tokens.cached} cached)` : ''}${r.tokens.estimated ? ' (estimated)' : ''}`
        : '-',
    ],
    ['cost', usd(r.costUsd)],
  ];
  if (r.fallbackReason) fields.push(['fallback', r.fallbackReason]);
  if (r.warnings?.length) fields.push(['warnings', r.warnings.join('; ')]);
  const width = Math.max(...fields.map(([name]) => name.length));
  const out = [
    `request ${r.requestId}`,
    ...fields.map(([name, value]) => `  ${name.padEnd(width)}  ${value}`),
  ];
  out.push('', 'attempts', ...attemptTable(r.trace));
  out.push('', 'trace', ...(r.trace.length ? r.trace.map((t) => `  ${traceLine(t)}`) : ['  (empty)']));
  if (r.prompt !== undefined) out.push('', 'prompt', indented(r.prompt));
  if (r.completion !== undefined) out.push('', 'completion', indented(r.completion));
  return out.join('\n') + '\n';
}
