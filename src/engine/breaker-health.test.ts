import { describe, expect, it } from 'vitest';
import { timeoutFailure, transportFailure, type UpstreamFailure } from '../core/errors.js';
import type { Target } from '../config/types.js';
import { ManualClock } from '../resilience/manual-clock.js';
import { fixedRandom } from '../resilience/random.js';
import { BreakerHealth } from './breaker-health.js';
import type { Admission } from './health.js';

const target = { id: 'p/m', model: 'm', tier: 1 } as Target;
const signal = new AbortController().signal;
const err503: UpstreamFailure = { ...transportFailure('upstream_503', 'down'), upstreamStatus: 503 };
const rate429: UpstreamFailure = {
  ...transportFailure('upstream_429', 'slow down'),
  status: 429,
  upstreamStatus: 429,
  retryAfterMs: 5_000,
  breaker: false,
};

function setup() {
  const clock = new ManualClock();
  const health = new BreakerHealth({
    clock,
    random: fixedRandom(0),
    breakers: { breaker: { slowCallMs: 2_000, slowCallP95Multiple: 0, consecutiveFailures: 3 } },
  });
  let ejections = 0;
  health.onEjected(target, () => ejections++);
  const admit = async (commit?: { committed: boolean }) => {
    const a: Admission = await health.admit(target, { panic: false, signal, ...(commit ? { commit } : {}) });
    if (!a.ok) throw new Error(a.reason);
    a.dispatched?.(); // the request reaches the provider at once (no wait in the gateway's own queue)
    return a;
  };
  /** Admitted, but still waiting in the gateway's own connection queue. */
  const admitQueued = async (commit: { committed: boolean }) => {
    const a: Admission = await health.admit(target, { panic: false, signal, commit });
    if (!a.ok) throw new Error(a.reason);
    return a;
  };
  const state = () => health.status([target])[0]!;
  return { clock, health, admit, admitQueued, state, ejections: () => ejections };
}

describe('BreakerHealth: streams waiting for their first token', () => {
  it('counts each stream waiting past the threshold as slow at once, trips, and tells who waits', async () => {
    const { clock, admit, state, ejections } = setup();
    const waiting = [await admit({ committed: false }), await admit({ committed: false })];
    clock.advance(500);
    const third = await admit({ committed: false });
    const streaming = await admit({ committed: true }); // had its first token: not waiting
    await admit(); // non-streaming: never judged slow
    clock.advance(1_500); // the first two have waited 2 s
    expect(state()).toMatchObject({ state: 'closed', callsInWindow: 2, consecutiveFailures: 2 });
    expect(ejections()).toBe(0);
    clock.advance(500); // the third too: three slow calls in a row
    expect(state()).toMatchObject({ state: 'open', trippedBy: 'slow-calls' });
    expect(ejections()).toBe(1);
    // Their first-token timeouts, later, are not counted again (nor is the success that was streaming).
    for (const a of [...waiting, third])
      a.done({ ok: false, failure: timeoutFailure('first_token_timeout', 'x'), durationMs: 3_000 });
    streaming.done({ ok: true, ttftMs: 200, durationMs: 3_000 });
    expect(ejections()).toBe(1);
  });

  it('starts a wait when the request reaches the provider: time queued in the gateway is not evidence', async () => {
    const { clock, admitQueued, state } = setup();
    const queued = await Promise.all([1, 2, 3].map(() => admitQueued({ committed: false })));
    clock.advance(4_000); // twice the threshold, all of it in the gateway's own queue
    expect(state()).toMatchObject({ state: 'closed', callsInWindow: 0, consecutiveFailures: 0 });
    for (const a of queued) if (a.ok) a.dispatched?.();
    clock.advance(1_000);
    expect(state()).toMatchObject({ state: 'closed', callsInWindow: 0, consecutiveFailures: 0 });
    clock.advance(1_000); // 2 s since they reached the provider
    expect(state()).toMatchObject({ state: 'open', trippedBy: 'slow-calls' });
  });

  it('tells the waiting streams when errors open the breaker, but not when a rate limit does', async () => {
    const { admit, state, ejections } = setup();
    await admit({ committed: false });
    (await admit()).done({ ok: false, failure: rate429, durationMs: 5 });
    expect(state()).toMatchObject({ state: 'open', trippedBy: 'rate-limit' });
    expect(ejections()).toBe(0);

    const other = setup();
    await other.admit({ committed: false });
    for (let i = 0; i < 3; i++) (await other.admit()).done({ ok: false, failure: err503, durationMs: 5 });
    expect(other.state()).toMatchObject({ state: 'open', trippedBy: 'consecutive' });
    expect(other.ejections()).toBe(1);
  });
});
