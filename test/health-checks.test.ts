/** Issue 5 (active health checks): probes feed the breakers, but never clear a latency or overload trip. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, userMessage, type Harness } from './harness.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness({
    config: {
      breakers: {
        consecutiveFailures: 2,
        openBaseMs: 60_000,
        slowCallMs: 100,
        slowCallP95Multiple: 0,
        minimumCalls: 2,
      },
    },
    routes: {
      m: { targets: ['primary/model-a', 'backup/model-b'], retry: { maxRetriesPerTarget: 0 } },
      slow: { targets: ['primary/model-s', 'backup/model-t'] },
    },
  });
});
afterAll(() => h.close());

const stateOf = (id: string) => h.gateway.engine.health.status([target(id)])[0]!;
const target = (id: string) =>
  [...h.gateway.config.routes.values()].flatMap((r) => r.targets).find((t) => t.id === id)!;

describe('active health checks', () => {
  it('a successful probe lets a target that failed hard be probed with real traffic early', async () => {
    h.primary.setBehavior('model-a', { fault: { kind: 'status', status: 503 } });
    for (let i = 0; i < 2; i++)
      await h.client.chat.completions.create({ model: 'm', messages: userMessage() });
    expect(stateOf('primary/model-a')).toMatchObject({ state: 'open', trippedBy: 'consecutive' });
    const failed = await h.gateway.monitor.probe(target('primary/model-a'), 1_000);
    expect(failed).toMatchObject({ ok: false, reason: 'upstream_503' });
    expect(stateOf('primary/model-a').state).toBe('open');
    h.primary.setBehavior('model-a', { fault: null });
    const before = h.primary.stats('model-a').requests;
    expect(await h.gateway.monitor.probe(target('primary/model-a'), 1_000)).toMatchObject({ ok: true });
    expect(h.primary.stats('model-a').requests).toBe(before + 1);
    expect(stateOf('primary/model-a').state).toBe('half-open');
  });

  it('a successful probe never closes a breaker opened for slow first tokens', async () => {
    h.primary.setBehavior('model-s', { ttftMs: 200 });
    for (let i = 0; i < 2; i++) {
      await h.client.chat.completions.create({ model: 'slow', messages: userMessage(), stream: true });
    }
    expect(stateOf('primary/model-s')).toMatchObject({ state: 'open', trippedBy: 'slow-calls' });
    expect(await h.gateway.monitor.probe(target('primary/model-s'), 1_000)).toMatchObject({ ok: true });
    expect(stateOf('primary/model-s').state).toBe('open');
  });

  it('runs on its interval for providers that ask for it, and only for them', async () => {
    const c = await startHarness({ providers: { primary: { healthCheck: { intervalMs: 1_000 } } } });
    try {
      await new Promise((r) => setTimeout(r, 1_300));
      expect(c.primary.stats('model-a').requests).toBe(1);
      expect(c.backup.stats().requests).toBe(0);
    } finally {
      await c.close();
    }
  });
});
