/**
 * Issue 13/14: the response cache, races, consensus and stream continuation are counted in /metrics
 * (their events existed; these are the counters built on them), over real sockets.
 */
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, userMessage, type Harness } from './harness.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness({
    config: { metrics: { enabled: true } },
    routes: {
      cached: { targets: ['primary/model-a'], cache: {} },
      raced: { targets: ['primary/model-a', 'backup/model-b'], race: {} },
      voted: { targets: ['primary/model-v', 'backup/model-v', 'primary/model-w'], consensus: {} },
      continued: {
        targets: ['primary/model-x', 'backup/model-b'],
        retry: { maxRetriesPerTarget: 0 },
        continuation: {},
      },
    },
  });
});
afterAll(() => h.close());

/** The summed value of the samples of `metric` whose labels include all of `labels`. */
async function counted(metric: string, labels: Record<string, string>): Promise<number> {
  const text = await (await request(`${h.gateway.url}/metrics`)).body.text();
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${metric}{`)) continue;
    if (Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`)))
      sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}

describe('feature counters in /metrics', () => {
  it('the response cache: a miss, then a hit', async () => {
    const ask = () =>
      h.client.chat.completions.create({ model: 'cached', messages: userMessage(), temperature: 0 });
    await ask();
    await ask();
    expect(await counted('switchyard_cache_requests_total', { route: 'cached', result: 'miss' })).toBe(1);
    expect(await counted('switchyard_cache_requests_total', { route: 'cached', result: 'hit' })).toBe(1);
  });

  it('a race, by its winner', async () => {
    h.backup.setBehavior('model-b', { ttftMs: 2_000 });
    try {
      await h.client.chat.completions.create({ model: 'raced', messages: userMessage() });
    } finally {
      h.backup.setBehavior('model-b', { ttftMs: 0 });
    }
    expect(await counted('switchyard_races_total', { route: 'raced', winner: 'primary/model-a' })).toBe(1);
  });

  it('a consensus decision', async () => {
    for (const [sim, model] of [
      [h.primary, 'model-v'],
      [h.backup, 'model-v'],
      [h.primary, 'model-w'],
    ] as const)
      sim.setBehavior(model, { replyText: 'Paris' });
    await h.client.chat.completions.create({ model: 'voted', messages: userMessage() });
    expect(await counted('switchyard_consensus_total', { route: 'voted', decision: 'majority' })).toBe(1);
  });

  it('a stream continued on the next target', async () => {
    h.primary.setBehavior('model-x', { fault: { kind: 'cut', afterChunks: 3 } });
    const stream = await h.client.chat.completions.create({
      model: 'continued',
      messages: userMessage(),
      stream: true,
    });
    for await (const _ of stream);
    expect(
      await counted('switchyard_stream_continuations_total', {
        route: 'continued',
        from: 'primary/model-x',
        to: 'backup/model-b',
      }),
    ).toBe(1);
  });
});
