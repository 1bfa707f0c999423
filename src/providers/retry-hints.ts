/**
 * Server retry hints, whatever the protocol: the parsers that provider modules call on headers, error
 * bodies and messages. Shared code: it never names a provider, only header and value formats.
 *
 * Every parser returns whole milliseconds from now (rounded up), or `undefined` when the value is
 * absent or invalid: never NaN, never negative, never Infinity. A time already past gives 0.
 */

export type HintHeaders = Record<string, string | string[] | undefined>;

/**
 * The hint a response's headers give, in this order of precedence (the first valid one wins):
 * 1. `retry-after-ms`: milliseconds (the most precise form, sent by OpenAI-style APIs);
 * 2. `retry-after`: integer or decimal seconds, or an HTTP date against `nowMs` (RFC 9110 §10.2.3);
 * 3. `x-ratelimit-reset-<kind>` durations (`6m0s`, `12ms`, …): the longest of those whose limit is
 *    exhausted, i.e. whose `x-ratelimit-remaining-<kind>` is 0 or absent; a limit with requests left is
 *    not what refused us;
 * 4. `<vendor>-ratelimit-<kind>-reset` RFC 3339 timestamps: the longest, with the same exhausted-only
 *    rule on `<vendor>-ratelimit-<kind>-remaining`.
 * Explicit retry headers come first because the server computed them for this refusal; reset headers
 * describe limit windows and are the next best guess. Header names must be lowercase.
 */
export function serverRetryHintMs(headers: HintHeaders, nowMs: number): number | undefined {
  return (
    parseRetryAfterMs(single(headers['retry-after-ms'])) ??
    parseRetryAfter(single(headers['retry-after']), nowMs) ??
    longestExhaustedReset(headers, X_RESET, parseResetDuration) ??
    longestExhaustedReset(headers, VENDOR_RESET, (v) => parseResetTimestamp(v, nowMs))
  );
}

/** `retry-after-ms`: non-negative decimal milliseconds. */
export function parseRetryAfterMs(value: string | undefined): number | undefined {
  const v = value?.trim();
  return v !== undefined && DECIMAL.test(v) ? wholeMs(Number(v)) : undefined;
}

/** `retry-after`: non-negative decimal seconds, or an HTTP date (IMF-fixdate, RFC 850 or asctime). */
export function parseRetryAfter(value: string | undefined, nowMs: number): number | undefined {
  const v = value?.trim();
  if (v === undefined || v === '') return undefined;
  if (DECIMAL.test(v)) return wholeMs(Number(v) * 1000);
  const at = parseHttpDate(v, nowMs);
  return at === undefined ? undefined : wholeMs(Math.max(0, at - nowMs));
}

/** A duration such as `12ms`, `6s`, `0.5s`, `1m30s`, `6m0s`, `2h0m0s` (Go `time.Duration` syntax). */
export function parseResetDuration(value: string | undefined): number | undefined {
  const v = value?.trim();
  if (v === undefined || v === '') return undefined;
  if (v === '0') return 0;
  let total = 0;
  for (let pos = 0; pos < v.length;) {
    DURATION_PART.lastIndex = pos;
    const m = DURATION_PART.exec(v);
    if (m === null) return undefined;
    total += Number(m[1]) * (UNIT_MS[m[2] as string] as number);
    pos = DURATION_PART.lastIndex;
  }
  return wholeMs(total);
}

/** An RFC 3339 timestamp (`2026-08-01T12:00:30Z`, `…T12:00:30.5+02:00`) as ms from `nowMs`. */
export function parseResetTimestamp(value: string | undefined, nowMs: number): number | undefined {
  const m = RFC3339.exec(value?.trim() ?? '');
  if (m === null) return undefined;
  const [, y, mo, d, h, mi, s, frac, zone] = m as unknown as string[];
  const base = utcMs(Number(y), Number(mo), Number(d), Number(h), Number(mi), Number(s));
  if (base === undefined) return undefined;
  let offsetMs = 0;
  if (zone !== undefined && zone.toUpperCase() !== 'Z') {
    const sign = zone.startsWith('-') ? -1 : 1;
    const [oh, om] = zone.slice(1).split(':').map(Number) as [number, number];
    if (oh > 23 || om > 59) return undefined;
    offsetMs = sign * (oh * 60 + om) * 60_000;
  }
  const at = base + (frac === undefined ? 0 : Number(`0${frac}`) * 1000) - offsetMs;
  return wholeMs(Math.max(0, at - nowMs));
}

/** A protobuf Duration as JSON (`"37s"`, `"1.5s"`) or as `{ seconds, nanos }`, e.g. `RetryInfo.retryDelay`. */
export function parseRetryDelay(value: unknown): number | undefined {
  if (typeof value === 'string') {
    const m = /^(\d+(?:\.\d+)?)s$/.exec(value.trim());
    return m === null ? undefined : wholeMs(Number(m[1]) * 1000);
  }
  if (typeof value === 'object' && value !== null) {
    const { seconds, nanos } = value as { seconds?: unknown; nanos?: unknown };
    const sec = typeof seconds === 'string' && DECIMAL.test(seconds) ? Number(seconds) : seconds;
    if (sec !== undefined && (typeof sec !== 'number' || !Number.isInteger(sec))) return undefined;
    if (nanos !== undefined && (typeof nanos !== 'number' || !Number.isInteger(nanos))) return undefined;
    if (sec === undefined && nanos === undefined) return undefined;
    return wholeMs(((sec as number | undefined) ?? 0) * 1000 + ((nanos as number | undefined) ?? 0) / 1e6);
  }
  return undefined;
}

/** "Please try again in 5.289s" / "in 20ms" / "in 1m2s" / "retry after 6 seconds" in a message. */
export function parseRetryPhrase(message: string | undefined): number | undefined {
  if (message === undefined) return undefined;
  const compact = /\b(?:try again|retry) in\s+((?:\d+(?:\.\d+)?(?:ms|h|m|s))+)(?![a-z])/i.exec(message);
  if (compact !== null) return parseResetDuration((compact[1] as string).toLowerCase());
  const worded =
    /\b(?:try again in|retry (?:in|after))\s+(\d+(?:\.\d+)?)\s*(milliseconds?|seconds?|secs?|minutes?|mins?)\b/i.exec(
      message,
    );
  if (worded === null) return undefined;
  const unit = (worded[2] as string).toLowerCase();
  const factor = unit.startsWith('milli') ? 1 : unit.startsWith('s') ? 1000 : 60_000;
  return wholeMs(Number(worded[1]) * factor);
}

const DECIMAL = /^\d+(?:\.\d+)?$/;
const DURATION_PART = /(\d+(?:\.\d+)?|\.\d+)(ms|us|µs|μs|ns|h|m|s)/y;
const UNIT_MS: Record<string, number> = {
  h: 3_600_000,
  m: 60_000,
  s: 1000,
  ms: 1,
  us: 1e-3,
  µs: 1e-3,
  μs: 1e-3,
  ns: 1e-6,
};
const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

/** `x-ratelimit-reset-<kind>` → `x-ratelimit-remaining-<kind>`. */
const X_RESET = (name: string): string | undefined => {
  const m = /^x-ratelimit-reset-(.+)$/.exec(name);
  return m === null ? undefined : `x-ratelimit-remaining-${m[1]}`;
};
/** `<vendor>-ratelimit-<kind>-reset` → `<vendor>-ratelimit-<kind>-remaining`. */
const VENDOR_RESET = (name: string): string | undefined => {
  const m = /^(.+)-ratelimit-(.+)-reset$/.exec(name);
  return m === null ? undefined : `${m[1]}-ratelimit-${m[2]}-remaining`;
};

function longestExhaustedReset(
  headers: HintHeaders,
  remainingName: (name: string) => string | undefined,
  parse: (value: string | undefined) => number | undefined,
): number | undefined {
  let longest: number | undefined;
  for (const name of Object.keys(headers)) {
    const remainingHeader = remainingName(name);
    if (remainingHeader === undefined) continue;
    const remaining = single(headers[remainingHeader])?.trim();
    // A limit with requests or tokens left did not cause the refusal; unknown counts as exhausted.
    if (remaining !== undefined && DECIMAL.test(remaining) && Number(remaining) > 0) continue;
    const ms = parse(single(headers[name]));
    if (ms !== undefined && (longest === undefined || ms > longest)) longest = ms;
  }
  return longest;
}

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function wholeMs(ms: number): number | undefined {
  return Number.isFinite(ms) && ms >= 0 ? Math.ceil(ms) : undefined;
}

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const IMF_FIXDATE = /^[a-z]{3}, (\d{2}) ([a-z]{3}) (\d{4}) (\d{2}):(\d{2}):(\d{2}) gmt$/i;
const RFC850 = /^[a-z]{6,9}, (\d{2})-([a-z]{3})-(\d{2}) (\d{2}):(\d{2}):(\d{2}) gmt$/i;
const ASCTIME = /^[a-z]{3} ([a-z]{3}) ( \d|\d{2}) (\d{2}):(\d{2}):(\d{2}) (\d{4})$/i;

/** The three HTTP-date forms recipients must accept (RFC 9110 §5.6.7), as epoch ms. */
function parseHttpDate(v: string, nowMs: number): number | undefined {
  let m = IMF_FIXDATE.exec(v);
  if (m !== null) return dateParts(m[3], m[2], m[1], m[4], m[5], m[6]);
  m = RFC850.exec(v);
  if (m !== null) {
    // Two-digit year: the nearest year not more than 50 years in the future (RFC 9110 §5.6.7).
    const nowYear = new Date(nowMs).getUTCFullYear();
    let year = nowYear - (nowYear % 100) + Number(m[3]);
    if (year > nowYear + 50) year -= 100;
    return dateParts(String(year), m[2], m[1], m[4], m[5], m[6]);
  }
  m = ASCTIME.exec(v);
  if (m !== null) return dateParts(m[6], m[1], (m[2] as string).trim(), m[3], m[4], m[5]);
  return undefined;
}

function dateParts(...parts: (string | undefined)[]): number | undefined {
  const [y, monthName, d, h, mi, s] = parts as string[];
  const month = MONTHS.indexOf((monthName as string).toLowerCase()) + 1;
  return month === 0 ? undefined : utcMs(Number(y), month, Number(d), Number(h), Number(mi), Number(s));
}

/** Epoch ms for a calendar date and time, or undefined if any field is out of range (e.g. 31 April). */
function utcMs(y: number, mo: number, d: number, h: number, mi: number, s: number): number | undefined {
  if (y < 1000 || mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || s > 60) return undefined;
  const day = new Date(Date.UTC(y, mo - 1, d));
  if (day.getUTCMonth() !== mo - 1 || day.getUTCDate() !== d) return undefined;
  return Date.UTC(y, mo - 1, d, h, mi, s);
}
