/**
 * Issue 14 (speculative modes), race: a request goes to two targets at once, the first token wins, the
 * other is cancelled; both are paid for; a racer that fails leaves the race to the other; losing is no
 * verdict on a target. Winners are decided by large margins (2 s against 0), never by a timed assertion.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { GatewayEvents } from '../src/core/events.js';
import { startHarness, userMessage, type Harness } from './harness.js';

const PRICE = { input: 1, output: 2 };
let h: Harness;
beforeAll(async () => {
  h = await startHarness({
    config: { breakers: { minimumCalls: 4 } },
    providers: {
      primary: { prices: { 'model-a': PRICE, 'model-c': PRICE } },
      backup: { prices: { 'model-b': PRICE } },
    },
    routes: {
      raced: {
        targets: ['primary/model-a', 'backup/model-b', 'primary/model-c'],
        race: {},
        retry: { maxRetriesPerTarget: 0 },
        timeouts: { firstTokenMs: 5_000 },
      },
      named: {
        targets: ['primary/model-a', 'backup/model-b', 'primary/model-c'],
        race: { targets: ['backup/model-b', 'primary/model-c'] },
        retry: { maxRetriesPerTarget: 0 },
      },
    },
  });
});
afterAll(() => h.close());
afterEach(() => {
  h.primary.reset();
  h.backup.reset();
  h.gateway.engine.health.reset?.();
});

/** Collects one kind of event until the returned stop is called. */
function collect<K extends keyof GatewayEvents>(name: K): { seen: GatewayEvents[K][]; stop: () => void } {
  const seen: GatewayEvents[K][] = [];
  const stop = h.gateway.events.subscribe(name, (e) => seen.push(e));
  return { seen, stop };
}

describe('race', () => {
  it('the faster target wins, the slower is cancelled, and both are paid for', async () => {
    h.primary.setBehavior('model-a', { ttftMs: 2_000 });
    const ended = collect('request.ended');
    const attempts = collect('attempt.ended');
    const races = collect('race.settled');
    try {
      const { data, response } = await h.client.chat.completions
        .create({ model: 'raced', messages: userMessage(), stream: true })
        .withResponse();
      let text = '';
      for await (const chunk of data) text += chunk.choices[0]?.delta.content ?? '';
      expect(text.length).toBeGreaterThan(0);
      expect(response.headers.get('x-switchyard-target')).toBe('backup/model-b');
      expect(response.headers.get('x-switchyard-fallback-reason')).toBe('primary/model-a: raced');
      // The simulator saw the cancellation; the gateway ended the attempt as cancelled.
      await expect.poll(() => h.primary.stats('model-a').cancelled).toBe(1);
      expect(h.primary.stats('model-a').inFlight).toBe(0);
      await expect.poll(() => ended.seen.length).toBe(1);
      const loser = attempts.seen.find((a) => a.target === 'primary/model-a')!;
      expect(loser).toMatchObject({ outcome: 'cancelled', reason: 'lost_race', countsAgainstBreaker: false });
      expect(races.seen).toEqual([
        {
          requestId: expect.any(String),
          route: 'raced',
          targets: ['primary/model-a', 'backup/model-b'],
          winner: 'backup/model-b',
        },
      ]);
      // Both attempts' costs, the loser's (estimated: its prompt) included, are the request's cost.
      const { trace, costUsd } = ended.seen[0]!;
      // (The two attempts end in either order: the loser is cancelled as the winner streams.)
      expect(trace.map((t) => `${t.target} ${t.action} ${t.result}`).sort()).toEqual([
        'backup/model-b attempt ok',
        'backup/model-b race with:primary/model-a',
        'primary/model-a attempt lost_race',
        'primary/model-a race with:backup/model-b',
      ]);
      const costs = trace.filter((t) => t.action === 'attempt').map((t) => t.costUsd);
      expect(costs.every((c) => c !== undefined && c > 0)).toBe(true);
      expect(costUsd).toBeCloseTo(costs[0]! + costs[1]!, 12);
      // The third target is for failover only.
      expect(h.primary.stats('model-c').requests).toBe(0);
    } finally {
      ended.stop();
      attempts.stop();
      races.stop();
    }
  });

  it('non-streaming requests race too: the first complete answer wins', async () => {
    h.backup.setBehavior('model-b', { ttftMs: 2_000 });
    const { response } = await h.client.chat.completions
      .create({ model: 'raced', messages: userMessage() }, { headers: { 'x-switchyard-debug': 'trace' } })
      .withResponse();
    expect(response.headers.get('x-switchyard-target')).toBe('primary/model-a');
    expect(response.headers.get('x-switchyard-fallback-reason')).toBeNull();
    // The loser was waited for: its cancelled attempt is in the trace the answer carries.
    expect(response.headers.get('x-switchyard-trace')).toContain('backup/model-b attempt lost_race');
    await expect.poll(() => h.backup.stats('model-b').cancelled).toBe(1);
  });

  it('a racer that fails before its first token leaves the race to the other', async () => {
    h.primary.setBehavior('model-a', { fault: { kind: 'status', status: 503 } });
    h.backup.setBehavior('model-b', { ttftMs: 300 });
    const { response } = await h.client.chat.completions
      .create({ model: 'raced', messages: userMessage() }, { headers: { 'x-switchyard-debug': 'trace' } })
      .withResponse();
    expect(response.headers.get('x-switchyard-target')).toBe('backup/model-b');
    expect(response.headers.get('x-switchyard-trace')).toContain('primary/model-a attempt upstream_503');
    expect(h.primary.stats('model-c').requests).toBe(0);
  });

  it('the first target winning its race is no fallback, even when the other racer failed', async () => {
    h.backup.setBehavior('model-b', { fault: { kind: 'status', status: 503 } });
    h.primary.setBehavior('model-a', { ttftMs: 300 });
    const { response } = await h.client.chat.completions
      .create({ model: 'raced', messages: userMessage() })
      .withResponse();
    expect(response.headers.get('x-switchyard-target')).toBe('primary/model-a');
    expect(response.headers.get('x-switchyard-fallback-reason')).toBeNull();
    expect(h.backup.stats('model-b').requests).toBe(1);
  });

  it('when both racers fail, the request fails over down the rest of the route', async () => {
    h.primary.setBehavior('model-a', { fault: { kind: 'status', status: 503 } });
    h.backup.setBehavior('model-b', { fault: { kind: 'status', status: 500 } });
    const races = collect('race.settled');
    try {
      const completion = await h.client.chat.completions.create({ model: 'raced', messages: userMessage() });
      expect(completion.choices[0]?.message.content?.length).toBeGreaterThan(0);
      expect(h.primary.stats('model-c').requests).toBe(1);
      expect(races.seen.map((r) => r.winner)).toEqual([null]);
    } finally {
      races.stop();
    }
  });

  it('a named set races instead of the first two targets', async () => {
    const { response } = await h.client.chat.completions
      .create({ model: 'named', messages: userMessage() })
      .withResponse();
    expect(['backup/model-b', 'primary/model-c']).toContain(response.headers.get('x-switchyard-target'));
    expect(h.primary.stats('model-a').requests).toBe(0);
    expect(h.backup.stats('model-b').requests).toBe(1);
    expect(h.primary.stats('model-c').requests).toBe(1);
  });

  it('a target that keeps losing races never trips its breaker; its own faults do', async () => {
    h.primary.setBehavior('model-a', { ttftMs: 2_000 });
    for (let i = 0; i < 6; i++) {
      const stream = await h.client.chat.completions.create({
        model: 'raced',
        messages: userMessage(),
        stream: true,
      });
      for await (const _ of stream);
    }
    await expect.poll(() => h.primary.stats('model-a').cancelled).toBe(6);
    expect(await targetState('primary/model-a')).toMatchObject({ state: 'closed', callsInWindow: 0 });
    // The same target failing on its own counts as it always does.
    h.primary.setBehavior('model-a', { fault: { kind: 'status', status: 503 } });
    for (let i = 0; i < 4; i++)
      await h.client.chat.completions.create({ model: 'raced', messages: userMessage() });
    await expect.poll(() => targetState('primary/model-a')).toMatchObject({ state: 'open' });
  });
});

async function targetState(id: string): Promise<Record<string, unknown> | undefined> {
  const status = (await (await fetch(`${h.gateway.url}/v1/switchyard/status`)).json()) as {
    targets: { id: string }[];
  };
  return status.targets.find((t) => t.id === id);
}
