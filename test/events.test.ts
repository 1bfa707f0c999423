/** Issue 13: the engine, breakers, budgets and hedges announce what happened as typed events, in order. */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { EventName, GatewayEvents } from '../src/core/events.js';
import { startHarness, userMessage, type Harness } from './harness.js';

const NAMES: EventName[] = [
  'request.started',
  'request.ended',
  'attempt.started',
  'attempt.ended',
  'retry.scheduled',
  'retry.denied',
  'failover',
  'hedge.fired',
  'hedge.settled',
  'target.skipped',
  'breaker.transition',
  'cooldown.set',
  'budget.exhausted',
  'gateway.queued',
  'health.probe',
];

type Seen = { [K in EventName]: { name: K } & GatewayEvents[K] }[EventName];

let h: Harness;
let seen: Seen[] = [];
let unsubscribe: (() => void)[] = [];
beforeAll(async () => {
  h = await startHarness({
    config: { breakers: { consecutiveFailures: 2, minimumCalls: 100 } },
    routes: {
      m: { targets: ['primary/model-a', 'backup/model-b'], retry: { maxRetriesPerTarget: 1 } },
      solo: { targets: ['primary/model-a'] },
      hedged: {
        targets: ['primary/model-h', 'backup/model-b'],
        hedge: { delayMs: 100, maxRatio: 1 },
        timeouts: { firstTokenMs: 5_000 },
      },
      once: { targets: ['primary/model-a', 'backup/model-b'], retry: { maxRetriesPerTarget: 0 } },
    },
  });
  unsubscribe = NAMES.map((name) =>
    h.gateway.events.subscribe(name, (event) => seen.push({ name, ...event } as Seen)),
  );
});
afterAll(async () => {
  for (const u of unsubscribe) u();
  await h.close();
});
afterEach(() => {
  seen = [];
  h.primary.reset();
  h.backup.reset();
  h.gateway.engine.health.reset?.();
});

const names = (): string[] => seen.map((e) => e.name);
const of = <K extends EventName>(name: K): (GatewayEvents[K] & { name: K })[] =>
  seen.filter((e) => e.name === name) as never;
const ended = async (): Promise<void> => {
  await expect.poll(() => names().includes('request.ended')).toBe(true);
};

describe('typed events', () => {
  it('a success: request started, one attempt, request ended, with the same request id', async () => {
    await h.client.chat.completions.create({ model: 'm', messages: userMessage() });
    await ended();
    expect(names()).toEqual(['request.started', 'attempt.started', 'attempt.ended', 'request.ended']);
    const [attempt] = of('attempt.ended');
    expect(attempt).toMatchObject({
      route: 'm',
      target: 'primary/model-a',
      provider: 'primary',
      model: 'model-a',
      stream: false,
      outcome: 'ok',
      reason: 'ok',
      countsAgainstBreaker: false,
      tokens: { estimated: false },
    });
    expect(attempt!.tokens!.completion).toBeGreaterThan(0);
    const [request] = of('request.ended');
    expect(request).toMatchObject({
      route: 'm',
      endpoint: 'chat',
      stream: false,
      status: 200,
      outcome: 'ok',
      target: 'primary/model-a',
      attempts: 1,
      tokens: attempt!.tokens,
    });
    expect(request!.requestId).toBe(attempt!.requestId);
    expect(request!.totalMs).toBeGreaterThanOrEqual(attempt!.durationMs);
    expect(request!.ttftMs).toBeUndefined();
  });

  it('a retry then a success: the failed attempt, the scheduled retry, the answer', async () => {
    // The server asks for a wait longer than the fault lasts: the retry lands after it.
    const fault = { kind: 'status' as const, status: 503, retryAfterMs: 250 };
    h.primary.schedule('model-a', [{ durationMs: 100, fault }]);
    await h.client.chat.completions.create({ model: 'solo', messages: userMessage() });
    await ended();
    expect(names()).toEqual([
      'request.started',
      'attempt.started',
      'attempt.ended',
      'retry.scheduled',
      'attempt.started',
      'attempt.ended',
      'request.ended',
    ]);
    expect(of('attempt.ended').map((e) => [e.outcome, e.reason, e.upstreamStatus])).toEqual([
      ['retry', 'upstream_503', 503],
      ['ok', 'ok', undefined],
    ]);
    expect(of('attempt.ended')[0]!.countsAgainstBreaker).toBe(true);
    expect(of('retry.scheduled')[0]).toMatchObject({
      route: 'solo',
      target: 'primary/model-a',
      source: 'hint',
    });
    expect(of('retry.scheduled')[0]!.waitMs).toBeGreaterThanOrEqual(250);
    expect(of('request.ended')[0]).toMatchObject({ status: 200, attempts: 2, outcome: 'ok' });
  });

  it('a failover: retries denied on the primary, then the backup answers; a stream has its TTFT', async () => {
    h.primary.setBehavior('model-a', { fault: { kind: 'status', status: 503 } });
    const stream = await h.client.chat.completions.create({
      model: 'once',
      messages: userMessage(),
      stream: true,
    });
    for await (const _ of stream) void _;
    await ended();
    expect(names()).toEqual([
      'request.started',
      'attempt.started',
      'attempt.ended',
      'retry.denied',
      'failover',
      'attempt.started',
      'attempt.ended',
      'request.ended',
    ]);
    expect(of('retry.denied')[0]).toMatchObject({ target: 'primary/model-a', reason: 'max-retries' });
    expect(of('failover')[0]).toMatchObject({
      route: 'once',
      from: 'primary/model-a',
      to: 'backup/model-b',
      reason: 'upstream_503',
    });
    const [, answer] = of('attempt.ended');
    expect(answer).toMatchObject({ target: 'backup/model-b', stream: true, outcome: 'ok' });
    expect(answer!.ttftMs).toBeGreaterThanOrEqual(0);
    const [request] = of('request.ended');
    expect(request).toMatchObject({ stream: true, status: 200, target: 'backup/model-b', attempts: 2 });
    expect(request!.ttftMs).toBeGreaterThan(0);
  });

  it('a hedge win: fired after the delay, the hedge answers, the primary attempt ends cancelled', async () => {
    h.primary.setBehavior('model-h', { ttftMs: 2_000 });
    const stream = await h.client.chat.completions.create({
      model: 'hedged',
      messages: userMessage(),
      stream: true,
    });
    for await (const _ of stream) void _;
    await ended();
    await expect.poll(() => of('attempt.ended').length).toBe(2);
    expect(names().slice(0, 4)).toEqual([
      'request.started',
      'attempt.started',
      'hedge.fired',
      'attempt.started',
    ]);
    expect(of('hedge.fired')[0]).toMatchObject({
      route: 'hedged',
      primary: 'primary/model-h',
      target: 'backup/model-b',
      delayMs: 100,
    });
    expect(of('hedge.settled')).toEqual([
      expect.objectContaining({ route: 'hedged', winner: 'backup/model-b', result: 'won' }),
    ]);
    const outcomes = of('attempt.ended').map((e) => [e.target, e.outcome, e.reason]);
    expect(outcomes).toContainEqual(['backup/model-b', 'ok', 'ok']);
    expect(outcomes).toContainEqual(['primary/model-h', 'cancelled', 'lost_race']);
  });

  it('a breaker trip: closed → open after two failures, then the target is skipped as open', async () => {
    h.primary.setBehavior('model-a', { fault: { kind: 'status', status: 503 } });
    await h.client.chat.completions.create({ model: 'm', messages: userMessage() });
    await ended();
    expect(of('breaker.transition')).toEqual([
      {
        name: 'breaker.transition',
        target: 'primary/model-a',
        from: 'closed',
        to: 'open',
        reason: 'consecutive',
      },
    ]);
    // The trip comes with the second failed attempt, before the retry is refused or the failover.
    const order = names();
    expect(order.indexOf('breaker.transition')).toBeLessThan(order.indexOf('failover'));
    seen = [];
    await h.client.chat.completions.create({ model: 'm', messages: userMessage() });
    await ended();
    expect(names()).toEqual([
      'request.started',
      'target.skipped',
      'attempt.started',
      'attempt.ended',
      'request.ended',
    ]);
    expect(of('target.skipped')[0]).toMatchObject({
      route: 'm',
      target: 'primary/model-a',
      reason: 'breaker-open',
      detail: 'breaker:open',
    });
  });

  it('a rate limit with a reset: the cooldown is announced, the breaker opens for it, the next target answers', async () => {
    h.primary.setBehavior('model-a', { fault: { kind: 'status', status: 429, retryAfterMs: 30_000 } });
    await h.client.chat.completions.create({ model: 'once', messages: userMessage() });
    await ended();
    expect(of('cooldown.set')).toEqual([
      { name: 'cooldown.set', target: 'primary/model-a', ms: 30_000, reason: 'upstream_429' },
    ]);
    expect(of('breaker.transition')).toEqual([
      expect.objectContaining({
        target: 'primary/model-a',
        from: 'closed',
        to: 'open',
        reason: 'rate-limit',
      }),
    ]);
    expect(of('attempt.ended')[0]).toMatchObject({ outcome: 'retry', reason: 'upstream_429' });
    expect(of('failover')[0]).toMatchObject({ from: 'primary/model-a', to: 'backup/model-b' });
  });

  it('a health probe announces its result', async () => {
    const target = h.gateway.config.routes.get('m')!.targets[0]!;
    h.primary.setBehavior('model-a', { fault: { kind: 'status', status: 503 } });
    await h.gateway.monitor.probe(target, 1_000);
    expect(of('health.probe')).toEqual([
      expect.objectContaining({ target: 'primary/model-a', ok: false, reason: 'upstream_503' }),
    ]);
  });
});
