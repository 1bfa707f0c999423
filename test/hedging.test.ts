/** Issue 5 (hedged requests): the next target starts when the first is slow; the first to answer wins. */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, userMessage, type Harness } from './harness.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness({
    config: { breakers: { minimumCalls: 4 } },
    routes: {
      hedged: {
        targets: ['primary/model-a', 'backup/model-b'],
        hedge: { delayMs: 100, maxRatio: 1 },
        timeouts: { firstTokenMs: 5_000 },
      },
      // The same, with a hedge delay no fast answer comes near even on a loaded machine.
      unhurried: {
        targets: ['primary/model-a', 'backup/model-b'],
        hedge: { delayMs: 1_000, maxRatio: 1 },
        timeouts: { firstTokenMs: 5_000 },
      },
      capped: {
        targets: ['primary/model-c', 'backup/model-d'],
        hedge: { delayMs: 50, maxRatio: 0 },
        timeouts: { firstTokenMs: 5_000 },
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

describe('hedged requests', () => {
  it('a slow first token starts the next target; the first token wins and the loser is cancelled', async () => {
    h.primary.setBehavior('model-a', { ttftMs: 2_000 });
    const started = performance.now();
    const { data, response } = await h.client.chat.completions
      .create(
        { model: 'hedged', messages: userMessage(), stream: true },
        { headers: { 'x-switchyard-debug': 'trace' } },
      )
      .withResponse();
    let text = '';
    for await (const chunk of data) text += chunk.choices[0]?.delta.content ?? '';
    expect(text.length).toBeGreaterThan(0);
    expect(performance.now() - started).toBeLessThan(1_500);
    expect(response.headers.get('x-switchyard-target')).toBe('backup/model-b');
    expect(response.headers.get('x-switchyard-trace')).toContain(
      'backup/model-b hedge no-first-token-after:100ms',
    );
    await expect.poll(() => h.primary.stats('model-a').cancelled).toBe(1);
    expect(h.primary.stats('model-a').inFlight).toBe(0);
  });

  it('non-streaming requests hedge too: the first complete answer wins', async () => {
    h.primary.setBehavior('model-a', { ttftMs: 2_000 });
    const { response } = await h.client.chat.completions
      .create({ model: 'hedged', messages: userMessage() }, { headers: { 'x-switchyard-debug': 'trace' } })
      .withResponse();
    expect(response.headers.get('x-switchyard-target')).toBe('backup/model-b');
    await expect.poll(() => h.primary.stats('model-a').cancelled).toBe(1);
  });

  it('a fast primary is never hedged', async () => {
    for (let i = 0; i < 3; i++)
      await h.client.chat.completions.create({ model: 'unhurried', messages: userMessage(), stream: true });
    expect(h.backup.stats().requests).toBe(0);
  });

  it('the primary still wins when its first token beats the hedge', async () => {
    h.primary.setBehavior('model-a', { ttftMs: 150 });
    h.backup.setBehavior('model-b', { ttftMs: 1_000 });
    const { response } = await h.client.chat.completions
      .create({ model: 'hedged', messages: userMessage(), stream: true })
      .withResponse();
    expect(response.headers.get('x-switchyard-target')).toBe('primary/model-a');
    await expect.poll(() => h.backup.stats('model-b').cancelled).toBe(1);
  });

  it('hedges are capped by their budget, so a slow provider cannot double the traffic', async () => {
    h.primary.setBehavior('model-c', { ttftMs: 300 });
    for (let i = 0; i < 4; i++) {
      await h.client.chat.completions.create({ model: 'capped', messages: userMessage() });
    }
    // maxRatio 0 leaves only the floor (0.1/s over 10 s = 1 hedge).
    expect(h.backup.stats('model-d').requests).toBe(1);
    expect(h.primary.stats('model-c').requests).toBe(4);
  });

  it('a target that keeps losing to hedges trips its breaker as slow, so later requests skip it at once', async () => {
    h.primary.setBehavior('model-a', { ttftMs: 2_000 });
    for (let i = 1; i <= 4; i++) {
      const stream = await h.client.chat.completions.create({
        model: 'hedged',
        messages: userMessage(),
        stream: true,
      });
      for await (const _ of stream);
      const expected =
        i < 4 ? { state: 'closed', callsInWindow: i } : { state: 'open', trippedBy: 'slow-calls' };
      await expect.poll(() => primaryState()).toMatchObject(expected);
    }
    const { response } = await h.client.chat.completions
      .create({ model: 'hedged', messages: userMessage() }, { headers: { 'x-switchyard-debug': 'trace' } })
      .withResponse();
    expect(response.headers.get('x-switchyard-trace')).toMatch(/^primary\/model-a skip breaker:open/);
    expect(h.primary.stats('model-a').requests).toBe(4);
  });
});

async function primaryState(): Promise<Record<string, unknown> | undefined> {
  const status = (await (await fetch(`${h.gateway.url}/v1/switchyard/status`)).json()) as {
    targets: { id: string }[];
  };
  return status.targets.find((t) => t.id === 'primary/model-a');
}
