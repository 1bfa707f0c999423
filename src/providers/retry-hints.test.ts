import { describe, expect, it } from 'vitest';
import {
  parseResetDuration,
  parseResetTimestamp,
  parseRetryAfter,
  parseRetryAfterMs,
  parseRetryDelay,
  parseRetryPhrase,
  serverRetryHintMs,
} from './retry-hints.js';

const NOW = Date.UTC(2026, 7, 1, 12, 0, 0); // 2026-08-01T12:00:00Z, a Saturday

describe('parseRetryAfterMs', () => {
  it('reads integer and decimal milliseconds, rounding up', () => {
    expect(parseRetryAfterMs('1500')).toBe(1_500);
    expect(parseRetryAfterMs(' 20.2 ')).toBe(21);
    expect(parseRetryAfterMs('0')).toBe(0);
  });
  it.each(['', '-5', 'abc', '1e3', '12ms', 'NaN', 'Infinity', '1.', '.5'])('ignores %j', (v) => {
    expect(parseRetryAfterMs(v)).toBeUndefined();
  });
  it('ignores an absent value', () => expect(parseRetryAfterMs(undefined)).toBeUndefined());
});

describe('parseRetryAfter', () => {
  it('reads integer and decimal seconds', () => {
    expect(parseRetryAfter('7', NOW)).toBe(7_000);
    expect(parseRetryAfter('0.5', NOW)).toBe(500);
    expect(parseRetryAfter('0', NOW)).toBe(0);
  });

  it('reads the three HTTP-date forms relative to the wall clock', () => {
    expect(parseRetryAfter('Sat, 01 Aug 2026 12:00:30 GMT', NOW)).toBe(30_000);
    expect(parseRetryAfter('Saturday, 01-Aug-26 12:01:00 GMT', NOW)).toBe(60_000);
    expect(parseRetryAfter('Sat Aug  1 12:00:05 2026', NOW)).toBe(5_000);
    expect(parseRetryAfter('Sat Aug 15 12:00:00 2026', NOW)).toBe(14 * 86_400_000);
  });

  it('gives 0 for a date in the past, never a negative value', () => {
    expect(parseRetryAfter('Sat, 01 Aug 2026 11:59:00 GMT', NOW)).toBe(0);
    expect(parseRetryAfter('Sun, 06 Nov 1994 08:49:37 GMT', NOW)).toBe(0);
  });

  it('reads an RFC 850 two-digit year as the nearest year not 50 years ahead', () => {
    // From 2026, '77' would be 2077 (51 years ahead), so it is 1977 (past → 0); '76' is 2076 (50 ahead).
    expect(parseRetryAfter('Sunday, 01-Aug-77 12:00:00 GMT', NOW)).toBe(0);
    expect(parseRetryAfter('Saturday, 01-Aug-76 12:00:00 GMT', NOW)).toBe(Date.UTC(2076, 7, 1, 12) - NOW);
    expect(parseRetryAfter('Sunday, 01-Aug-27 12:00:00 GMT', NOW)).toBe(365 * 86_400_000);
  });

  it.each([
    '',
    '-1',
    'soon',
    '1e3',
    'Sat, 31 Apr 2026 12:00:00 GMT',
    'Sat, 01 Aug 2026 25:00:00 GMT',
    'Sat, 01 Foo 2026 12:00:00 GMT',
    'Sat, 01 Aug 2026 12:00:00 PST',
    '2026-08-01T12:00:30Z',
  ])('ignores %j', (v) => {
    expect(parseRetryAfter(v, NOW)).toBeUndefined();
  });
});

describe('parseResetDuration', () => {
  it.each([
    ['12ms', 12],
    ['6s', 6_000],
    ['0.5s', 500],
    ['1m30s', 90_000],
    ['6m0s', 360_000],
    ['2h0m0s', 7_200_000],
    ['1h2m3.5s', 3_723_500],
    ['2m59.56s', 179_560],
    ['1.5m', 90_000],
    ['0s', 0],
    ['0', 0],
    ['1500us', 2],
    ['1ns', 1],
    [' 3s ', 3_000],
  ])('reads %j as %d ms', (v, ms) => {
    expect(parseResetDuration(v)).toBe(ms);
  });

  it.each(['', '5', '1700000000', '-1s', '1x', '1s2', 'm', 's5', '1 s', 'abc'])('ignores %j', (v) => {
    expect(parseResetDuration(v)).toBeUndefined();
  });
});

describe('parseResetTimestamp', () => {
  it('reads RFC 3339 timestamps relative to the wall clock', () => {
    expect(parseResetTimestamp('2026-08-01T12:00:30Z', NOW)).toBe(30_000);
    expect(parseResetTimestamp('2026-08-01T12:00:01.250Z', NOW)).toBe(1_250);
    expect(parseResetTimestamp('2026-08-01t12:00:10z', NOW)).toBe(10_000);
    expect(parseResetTimestamp('2026-08-01 12:00:10Z', NOW)).toBe(10_000);
  });

  it('applies the UTC offset', () => {
    expect(parseResetTimestamp('2026-08-01T14:00:20+02:00', NOW)).toBe(20_000);
    expect(parseResetTimestamp('2026-08-01T07:30:00-04:30', NOW)).toBe(0);
    expect(parseResetTimestamp('2026-08-01T07:31:00-04:30', NOW)).toBe(60_000);
  });

  it('gives 0 for a reset already past', () => {
    expect(parseResetTimestamp('2026-08-01T11:00:00Z', NOW)).toBe(0);
  });

  it.each([
    '2026-08-01T12:00:30',
    '2026-02-30T12:00:00Z',
    '2026-13-01T12:00:00Z',
    '2026-08-01T24:00:00Z',
    '2026-08-01T12:00:00+25:00',
    'tomorrow',
    '30s',
    '',
  ])('ignores %j', (v) => {
    expect(parseResetTimestamp(v, NOW)).toBeUndefined();
  });
});

describe('parseRetryDelay', () => {
  it('reads protobuf Duration JSON strings', () => {
    expect(parseRetryDelay('37s')).toBe(37_000);
    expect(parseRetryDelay('1.5s')).toBe(1_500);
    expect(parseRetryDelay('0.000001s')).toBe(1);
  });
  it('reads { seconds, nanos } objects', () => {
    expect(parseRetryDelay({ seconds: '2', nanos: 500_000_000 })).toBe(2_500);
    expect(parseRetryDelay({ seconds: 3 })).toBe(3_000);
    expect(parseRetryDelay({ nanos: 1_000_000 })).toBe(1);
  });
  it.each([
    ['37'],
    ['-1s'],
    ['1m'],
    [''],
    [null],
    [42],
    [{}],
    [{ seconds: 'x' }],
    [{ seconds: 1.5 }],
    [{ nanos: -1 }],
  ])('ignores %j', (v) => {
    expect(parseRetryDelay(v)).toBeUndefined();
  });
});

describe('parseRetryPhrase', () => {
  it.each([
    ['Rate limit reached for gpt-4o. Please try again in 5.289s. Visit https://example.com', 5_289],
    ['Please try again in 20ms.', 20],
    ['Please try again in 1m2s', 62_000],
    ['Please try again in 2m59.56s.', 179_560],
    ['Please TRY AGAIN IN 6S', 6_000],
    ['Requests to the API have exceeded the rate limit. Please retry after 6 seconds.', 6_000],
    ['Try again in 1 minute', 60_000],
    ['retry in 250 milliseconds', 250],
  ])('reads %j', (message, ms) => {
    expect(parseRetryPhrase(message)).toBe(ms);
  });

  it.each(['Please try again later.', 'Try again in a moment', 'in 5s', '', 'try again in 5 years'])(
    'ignores %j',
    (message) => {
      expect(parseRetryPhrase(message)).toBeUndefined();
    },
  );
  it('ignores an absent message', () => expect(parseRetryPhrase(undefined)).toBeUndefined());
});

describe('serverRetryHintMs', () => {
  it('prefers retry-after-ms over retry-after over reset headers', () => {
    const all = {
      'retry-after-ms': '1234',
      'retry-after': '9',
      'x-ratelimit-reset-requests': '20s',
      'anthropic-ratelimit-requests-reset': '2026-08-01T12:01:00Z',
    };
    expect(serverRetryHintMs(all, NOW)).toBe(1_234);
    const { 'retry-after-ms': _a, ...noMs } = all;
    expect(serverRetryHintMs(noMs, NOW)).toBe(9_000);
    const { 'retry-after': _b, ...noRetryAfter } = noMs;
    expect(serverRetryHintMs(noRetryAfter, NOW)).toBe(20_000);
    const { 'x-ratelimit-reset-requests': _c, ...onlyTimestamp } = noRetryAfter;
    expect(serverRetryHintMs(onlyTimestamp, NOW)).toBe(60_000);
  });

  it('falls through an invalid header to the next one', () => {
    expect(serverRetryHintMs({ 'retry-after-ms': 'soon', 'retry-after': '3' }, NOW)).toBe(3_000);
    expect(serverRetryHintMs({ 'retry-after': 'later', 'x-ratelimit-reset-tokens': '1s' }, NOW)).toBe(1_000);
  });

  it('reads an HTTP-date retry-after against the given wall clock', () => {
    expect(serverRetryHintMs({ 'retry-after': 'Sat, 01 Aug 2026 12:00:04 GMT' }, NOW)).toBe(4_000);
  });

  it('takes the longest exhausted x-ratelimit reset', () => {
    const headers = {
      'x-ratelimit-remaining-requests': '0',
      'x-ratelimit-reset-requests': '2s',
      'x-ratelimit-remaining-tokens': '0',
      'x-ratelimit-reset-tokens': '1m0s',
    };
    expect(serverRetryHintMs(headers, NOW)).toBe(60_000);
  });

  it('skips resets of limits that still have room', () => {
    const headers = {
      'x-ratelimit-remaining-requests': '0',
      'x-ratelimit-reset-requests': '2s',
      'x-ratelimit-remaining-tokens': '15000',
      'x-ratelimit-reset-tokens': '6m0s',
    };
    expect(serverRetryHintMs(headers, NOW)).toBe(2_000);
    expect(serverRetryHintMs({ ...headers, 'x-ratelimit-remaining-requests': '3' }, NOW)).toBeUndefined();
  });

  it('counts a reset whose remaining header is absent or unreadable', () => {
    expect(serverRetryHintMs({ 'x-ratelimit-reset-requests': '3s' }, NOW)).toBe(3_000);
    expect(
      serverRetryHintMs({ 'x-ratelimit-reset-requests': '3s', 'x-ratelimit-remaining-requests': 'n/a' }, NOW),
    ).toBe(3_000);
  });

  it('applies the same rule to vendor RFC 3339 resets', () => {
    const headers = {
      'anthropic-ratelimit-requests-remaining': '10',
      'anthropic-ratelimit-requests-reset': '2026-08-01T12:00:50Z',
      'anthropic-ratelimit-input-tokens-remaining': '0',
      'anthropic-ratelimit-input-tokens-reset': '2026-08-01T12:00:07Z',
      'anthropic-ratelimit-output-tokens-reset': '2026-08-01T12:00:03Z',
    };
    expect(serverRetryHintMs(headers, NOW)).toBe(7_000);
  });

  it('ignores durations in timestamp headers and timestamps in duration headers', () => {
    expect(serverRetryHintMs({ 'x-ratelimit-reset-requests': '2026-08-01T12:00:50Z' }, NOW)).toBeUndefined();
    expect(serverRetryHintMs({ 'vendor-ratelimit-requests-reset': '5s' }, NOW)).toBeUndefined();
  });

  it('uses the first value of a repeated header and ignores undefined ones', () => {
    expect(serverRetryHintMs({ 'retry-after': ['2', '9'], 'retry-after-ms': undefined }, NOW)).toBe(2_000);
    expect(serverRetryHintMs({ 'retry-after': [] }, NOW)).toBeUndefined();
  });

  it('returns undefined when nothing usable is present, never NaN', () => {
    expect(serverRetryHintMs({}, NOW)).toBeUndefined();
    expect(
      serverRetryHintMs({ 'retry-after': '-3', 'x-ratelimit-reset-requests': 'nope' }, NOW),
    ).toBeUndefined();
    expect(
      serverRetryHintMs({ 'x-ratelimit-reset': '1700000000', 'content-type': 'application/json' }, NOW),
    ).toBeUndefined();
  });
});
