/** Issue 5: circuit breakers that trip on errors and slow first tokens, and win traffic back gradually. */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, userMessage, type Harness } from './harness.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness({
    config: {
      breakers: {
        consecutiveFailures: 3,
        openBaseMs: 400,
        openMaxMs: 400,
        halfOpenProbes: 2,
        slowStartWindowMs: 1_000,
        slowCallMs: 150,
        slowCallP95Multiple: 0,
        minimumCalls: 4,
      },
    },
    routes: {
      m: {
        targets: ['primary/model-a', { provider: 'backup', model: 'model-b', tier: 2 }],
        retry: { maxRetriesPerTarget: 0 },
      },
      slow: { targets: ['primary/model-s', 'backup/model-t'], timeouts: { firstTokenMs: 5_000 } },
    },
  });
});
afterAll(() => h.close());
afterEach(() => {
  h.primary.reset();
  h.backup.reset();
  h.gateway.engine.health.reset?.();
});

const ask = (model = 'm') =>
  h.client.chat.completions
    .create({ model, messages: userMessage() }, { headers: { 'x-switchyard-debug': 'trace' } })
    .withResponse();

describe('circuit breakers', () => {
  it('trip after consecutive failures: the open target is skipped without a call, and the answer says it is degraded', async () => {
    h.primary.setBehavior('model-a', { fault: { kind: 'status', status: 503 } });
    for (let i = 0; i < 3; i++) await ask();
    expect(h.primary.stats('model-a').requests).toBe(3);
    const { response } = await ask();
    expect(h.primary.stats('model-a').requests).toBe(3);
    expect(response.headers.get('x-switchyard-trace')).toMatch(/^primary\/model-a skip breaker:open/);
    expect(response.headers.get('x-switchyard-target')).toBe('backup/model-b');
    expect(response.headers.get('x-switchyard-degraded')).toBe('tier-2');
  });

  it('after the open period, half-open probes close it, and traffic returns gradually', async () => {
    h.primary.setBehavior('model-a', { fault: { kind: 'status', status: 503 } });
    for (let i = 0; i < 3; i++) await ask();
    h.primary.setBehavior('model-a', { fault: null });
    await new Promise((r) => setTimeout(r, 450));
    // Half-open: a few real requests go to the primary as probes (10 % of first places while half-open).
    let probes = 0;
    for (let i = 0; i < 200 && probes < 2; i++) {
      if ((await ask()).response.headers.get('x-switchyard-target') === 'primary/model-a') probes++;
    }
    expect(probes).toBe(2);
    const before = h.primary.stats('model-a').requests;
    let early = 0;
    for (let i = 0; i < 20; i++)
      if ((await ask()).response.headers.get('x-switchyard-target') === 'primary/model-a') early++;
    expect(early).toBeLessThan(20);
    expect(h.primary.stats('model-a').requests - before).toBe(early);
    await new Promise((r) => setTimeout(r, 1_000));
    let late = 0;
    for (let i = 0; i < 10; i++)
      if ((await ask()).response.headers.get('x-switchyard-target') === 'primary/model-a') late++;
    expect(late).toBe(10);
  });

  it('trip on slow first tokens, not only on errors', async () => {
    h.primary.setBehavior('model-s', { ttftMs: 200 });
    // Each wait past 150 ms is a slow call at once; the third in a row trips the breaker, and the
    // third request, still waiting, moves to the backup instead of waiting for the primary's token.
    for (let i = 0; i < 3; i++)
      await h.client.chat.completions.create({ model: 'slow', messages: userMessage(), stream: true });
    const status = (await (await fetch(`${h.gateway.url}/v1/switchyard/status`)).json()) as {
      targets: { id: string; state: string; trippedBy?: string }[];
    };
    expect(status.targets.find((t) => t.id === 'primary/model-s')).toMatchObject({
      state: 'open',
      trippedBy: 'slow-calls',
    });
    await h.client.chat.completions.create({ model: 'slow', messages: userMessage(), stream: true });
    expect(h.primary.stats('model-s').requests).toBe(3);
    expect(h.backup.stats('model-t').requests).toBe(2);
  });

  it('client errors never trip a breaker', async () => {
    h.primary.setBehavior('model-a', { fault: { kind: 'status', status: 400 } });
    for (let i = 0; i < 5; i++) await ask().catch(() => undefined);
    h.primary.setBehavior('model-a', { fault: null });
    expect((await ask()).response.headers.get('x-switchyard-target')).toBe('primary/model-a');
  });

  it('never ejects the last target: with every breaker open, the least bad is still tried', async () => {
    h.primary.setBehavior('model-a', { fault: { kind: 'status', status: 503 } });
    h.backup.setBehavior('model-b', { fault: { kind: 'status', status: 503 } });
    for (let i = 0; i < 3; i++) await ask().catch(() => undefined);
    h.primary.setBehavior('model-a', { fault: null });
    h.backup.setBehavior('model-b', { fault: null });
    const { response } = await ask();
    expect(response.headers.get('x-switchyard-trace')).toContain('panic');
  });
});
