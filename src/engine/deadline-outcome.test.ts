/**
 * A request that runs out of time ends in a 504, even though timers can fire a hair before the
 * deadline by the clock (Node's fire up to a loop tick early against performance.now()). Before this
 * was handled, the same request ended in a 503 now and then.
 */
import { describe, expect, it } from 'vitest';
import type { Clock, TimerHandle } from '../core/clock.js';
import { ApiError } from '../core/errors.js';
import { resolveConfig } from '../config/load.js';
import { ManualClock } from '../resilience/manual-clock.js';
import type { SendOptions, UpstreamClient } from '../upstream/client.js';
import { UpstreamCancel } from '../upstream/client.js';
import { Engine } from './engine.js';

/** Every timer longer than `earlyMs` fires `earlyMs` before it is due by `now()`. */
function earlyTimers(manual: ManualClock, earlyMs: number): Clock {
  return {
    now: () => manual.now(),
    setTimeout: (fn: () => void, ms: number): TimerHandle =>
      manual.setTimeout(fn, ms > earlyMs ? ms - earlyMs : ms),
    clearTimeout: (h: TimerHandle) => manual.clearTimeout(h),
  };
}

/** An upstream that never answers; it rejects when the attempt cancels it, as undici does. */
const hangingClient = {
  send: (_spec: unknown, options: SendOptions) =>
    new Promise((_resolve, reject) => {
      const signal = options.signal as UpstreamCancel;
      if (signal.aborted) reject(signal.reason);
      else signal.addEventListener('abort', () => reject(signal.reason));
    }),
} as unknown as UpstreamClient;

const route = resolveConfig(
  {
    providers: { p: { type: 'openai-compatible', baseUrl: 'http://127.0.0.1:9/v1' } },
    routes: { m: { targets: ['p/m'] } },
  },
  { env: {} },
).routes.get('m')!;

describe('a request that runs out of time', () => {
  it('ends in 504 deadline_exceeded although its timers fired a millisecond early', async () => {
    const manual = new ManualClock();
    const engine = new Engine({ client: hangingClient, clock: earlyTimers(manual, 1), random: () => 0.5 });
    const outcome = engine
      .complete({
        request: { model: 'm', messages: [{ role: 'user', content: 'hi' }] },
        route,
        requestId: 'r1',
        cancel: new AbortController(),
        timeoutMs: 300,
      })
      .catch((e: unknown) => e);
    for (let i = 0; i < 5; i++) await Promise.resolve();
    manual.advance(299);
    const error = await outcome;
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ status: 504, code: 'deadline_exceeded' });
  });
});
