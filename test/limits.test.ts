/** Issue 5 (concurrency limits): a full target sends the request on to the next one instead of queueing forever. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, userMessage, type Harness } from './harness.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ providers: { primary: { maxConcurrent: 1, maxQueued: 1, queueTimeoutMs: 100 } } });
});
afterAll(() => h.close());

describe('per-target concurrency limits', () => {
  it('one slot, one queued for at most 100 ms, the rest go to the next target', async () => {
    h.primary.setBehavior('model-a', { ttftMs: 400 });
    const replies = await Promise.all(
      [0, 1, 2].map(() =>
        h.client.chat.completions
          .create({ model: 'm', messages: userMessage() }, { headers: { 'x-switchyard-debug': 'trace' } })
          .withResponse(),
      ),
    );
    const targets = replies.map((r) => r.response.headers.get('x-switchyard-target')).sort();
    expect(targets).toEqual(['backup/model-b', 'backup/model-b', 'primary/model-a']);
    expect(h.primary.stats('model-a').requests).toBe(1);
    const traces = replies.map((r) => r.response.headers.get('x-switchyard-trace') ?? '');
    expect(traces.filter((t) => t.includes('primary/model-a skip concurrency-limit'))).toHaveLength(2);
  });
});
