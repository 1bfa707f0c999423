/**
 * Issue 11: slow providers are ejected while requests still wait on them. A stream waiting past the
 * slow-call threshold is a slow call at once (in-flight age), and when the breaker opens, the streams
 * still waiting on that target move to the next one instead of waiting out their first-token timeout.
 */
import OpenAI from 'openai';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, userMessage, type Harness } from './harness.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness({
    config: {
      breakers: { slowCallMs: 300, slowCallP95Multiple: 0, consecutiveFailures: 3 },
      retryBudget: { ratio: 1, floorPerSecond: 100 },
    },
    routes: {
      m: { targets: ['primary/model-a', 'backup/model-b'], timeouts: { firstTokenMs: 10_000 } },
      solo: { targets: ['primary/model-a'], timeouts: { firstTokenMs: 10_000 } },
      backupFirst: { targets: ['backup/model-x', 'primary/model-y'], timeouts: { firstTokenMs: 10_000 } },
      onlyY: { targets: ['primary/model-y'] },
      hedged: {
        targets: ['primary/model-h', 'backup/model-i'],
        hedge: { delayMs: 100, maxRatio: 1 },
        timeouts: { firstTokenMs: 10_000 },
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

/** One streamed request: who answered, why it moved, and how long the client waited in all. */
async function streamed(model: string) {
  const started = performance.now();
  const { data, response } = await h.client.chat.completions
    .create({ model, messages: userMessage(), stream: true }, { headers: { 'x-switchyard-debug': 'trace' } })
    .withResponse();
  let text = '';
  for await (const chunk of data as AsyncIterable<OpenAI.Chat.ChatCompletionChunk>)
    text += chunk.choices[0]?.delta.content ?? '';
  return {
    text,
    ms: performance.now() - started,
    target: response.headers.get('x-switchyard-target'),
    reason: response.headers.get('x-switchyard-fallback-reason'),
    trace: response.headers.get('x-switchyard-trace') ?? '',
  };
}

async function breakerOf(id: string): Promise<Record<string, unknown> | undefined> {
  const status = (await (await fetch(`${h.gateway.url}/v1/switchyard/status`)).json()) as {
    targets: { id: string }[];
  };
  return status.targets.find((t) => t.id === id);
}

describe('ejecting a slow target while requests wait on it', () => {
  it.each([
    ['whose first token takes 8 s', { ttftMs: 8_000 }],
    ['that accepts and never answers', { fault: { kind: 'hang' as const } }],
  ])(
    'a primary %s: its waiting streams move to the fallback when its breaker opens, long before their 10 s first-token timeout',
    async (_, behavior) => {
      h.primary.setBehavior('model-a', behavior);
      // Three streams wait on the primary; each becomes a slow call at 300 ms, the third trips it.
      const results = await Promise.all([streamed('m'), streamed('m'), streamed('m')]);
      for (const r of results) {
        expect(r.text.length).toBeGreaterThan(0);
        expect(r.target).toBe('backup/model-b');
        expect(r.reason).toBe('primary/model-a: ejected');
        expect(r.trace).toMatch(/^primary\/model-a attempt ejected \d+ms; /);
        expect(r.ms).toBeLessThan(4_000);
      }
      expect(await breakerOf('primary/model-a')).toMatchObject({ state: 'open', trippedBy: 'slow-calls' });
      await expect.poll(() => h.primary.stats('model-a').cancelled).toBe(3);
      // Later requests skip the open primary without a call.
      const after = await streamed('m');
      expect(after.trace).toMatch(/^primary\/model-a skip breaker:open/);
      expect(h.primary.stats('model-a').requests).toBe(3);
    },
    15_000,
  );

  it('a route with nowhere else to go keeps waiting on its only target', async () => {
    h.primary.setBehavior('model-a', { ttftMs: 1_000 });
    const results = await Promise.all([streamed('solo'), streamed('solo'), streamed('solo')]);
    for (const r of results) {
      expect(r.target).toBe('primary/model-a');
      expect(r.text.length).toBeGreaterThan(0);
    }
    expect(await breakerOf('primary/model-a')).toMatchObject({ state: 'open', trippedBy: 'slow-calls' });
  });

  it('a waiting stream is not moved onto a target whose own breaker is open', async () => {
    h.backup.setBehavior('model-x', { ttftMs: 1_000 });
    h.primary.setBehavior('model-y', { fault: { kind: 'status', status: 503 } });
    const waiting = [streamed('backupFirst'), streamed('backupFirst'), streamed('backupFirst')];
    // Meanwhile the second target's breaker opens on errors (other requests).
    for (let i = 0; i < 3; i++)
      await h.client.chat.completions
        .create({ model: 'onlyY', messages: userMessage() })
        .catch(() => undefined);
    expect(await breakerOf('primary/model-y')).toMatchObject({ state: 'open' });
    // The backup's breaker opens on the slow waits, but there is nowhere better to go: they stay.
    for (const r of await Promise.all(waiting)) {
      expect(r.target).toBe('backup/model-x');
      expect(r.text.length).toBeGreaterThan(0);
    }
    expect(await breakerOf('backup/model-x')).toMatchObject({ state: 'open', trippedBy: 'slow-calls' });
  });

  it('a hedged route trips on races lost in a row, before the rate rule has its minimum of calls', async () => {
    h.primary.setBehavior('model-h', { fault: { kind: 'hang' } });
    for (let i = 1; i <= 3; i++) {
      const r = await streamed('hedged');
      expect(r.target).toBe('backup/model-i');
      expect(r.ms).toBeLessThan(2_000);
    }
    // consecutiveFailures 3: three slow calls in a row (races lost to hedges) open it.
    await expect
      .poll(() => breakerOf('primary/model-h'))
      .toMatchObject({ state: 'open', trippedBy: 'slow-calls' });
    expect((await streamed('hedged')).trace).toMatch(/^primary\/model-h skip breaker:open/);
    expect(h.primary.stats('model-h').requests).toBe(3);
  });
});
