/**
 * Issue 14 (speculative modes), consensus: a non-streaming request goes to three targets, the answer is
 * the one most of them agree on, with the agreement in `x-switchyard-consensus`. Each simulated model
 * is scripted with its own reply text; the order of arrival matters only in the `first` tie-break test,
 * where the margin is 2 s against 0.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { GatewayEvents } from '../src/core/events.js';
import { raw, startHarness, userMessage, type Harness } from './harness.js';

const TARGETS = ['primary/model-a', 'backup/model-b', 'primary/model-c'];
const route = (consensus: Record<string, unknown>): Record<string, unknown> => ({
  targets: TARGETS,
  consensus,
  retry: { maxRetriesPerTarget: 0 },
});

let h: Harness;
beforeAll(async () => {
  h = await startHarness({
    routes: {
      vote: route({}),
      'vote-primary': route({ noMajority: 'primary' }),
      'vote-first': route({ noMajority: 'first' }),
      'vote-fallback': route({ belowQuorum: 'fallback' }),
      'vote-early': route({ wait: 'majority' }),
      'vote-json': route({ compare: 'json' }),
      'vote-timeout': route({ timeoutMs: 1_000 }),
      plain: { targets: TARGETS },
    },
  });
});
afterAll(() => h.close());
afterEach(() => {
  h.primary.reset();
  h.backup.reset();
  h.gateway.engine.health.reset?.();
});

/** Scripts each target's reply: text, or a 503. */
function answers(a: string | 503, b: string | 503, c: string | 503): void {
  const script = (sim: Harness['primary'], model: string, reply: string | 503): void =>
    sim.setBehavior(model, reply === 503 ? { fault: { kind: 'status', status: 503 } } : { replyText: reply });
  script(h.primary, 'model-a', a);
  script(h.backup, 'model-b', b);
  script(h.primary, 'model-c', c);
}

async function ask(model: string) {
  return raw(`${h.gateway.url}/v1/chat/completions`, {
    headers: { 'x-switchyard-debug': 'trace' },
    body: JSON.stringify({ model, messages: userMessage() }),
  });
}

interface Body {
  choices: { message: { content: string } }[];
  usage: { prompt_tokens: number; completion_tokens: number; total_tokens: number };
  error?: { code: string; type: string; message: string };
}

describe('consensus', () => {
  it('asks only the targets the routing step leaves (a skipped target is no voter)', async () => {
    answers('The answer is 42', 'The answer is 42', 'Something else');
    const res = await raw(`${h.gateway.url}/v1/chat/completions`, {
      headers: { 'x-switchyard-skip': 'primary/model-c' },
      body: JSON.stringify({ model: 'vote', messages: userMessage() }),
    });
    expect(res.status).toBe(200);
    expect(res.headers['x-switchyard-consensus']).toBe('2/2');
    expect(h.primary.stats('model-c').requests).toBe(0);
  });

  it('two of three agreeing answer, with 2/3 in the header, every vote traced and paid for', async () => {
    answers('The answer is 42', 'The answer  is 42 ', 'Something else');
    const decided: GatewayEvents['consensus.decided'][] = [];
    const stop = h.gateway.events.subscribe('consensus.decided', (e) => decided.push(e));
    try {
      const res = await ask('vote');
      const body = res.json() as Body;
      expect(res.status).toBe(200);
      expect(body.choices[0]!.message.content).toBe('The answer is 42');
      expect(res.headers['x-switchyard-consensus']).toBe('2/3');
      expect(res.headers['x-switchyard-target']).toBe('primary/model-a');
      expect(res.headers['x-switchyard-fallback-reason']).toBeUndefined();
      const trace = String(res.headers['x-switchyard-trace']);
      expect(trace).toContain('primary/model-a vote chosen:2/3');
      expect(trace).toContain('backup/model-b vote chosen:2/3');
      expect(trace).toContain('primary/model-c vote dissent:1/3');
      // Usage is every vote's together: one word of reply is one token (4 + 4 + 2).
      expect(body.usage.completion_tokens).toBe(10);
      expect(body.usage.prompt_tokens % 3).toBe(0);
      expect(body.usage.total_tokens).toBe(body.usage.prompt_tokens + 10);
      expect(decided).toEqual([
        expect.objectContaining({ asked: 3, answered: 3, failed: 0, agreeing: 2, decision: 'majority' }),
      ]);
    } finally {
      stop();
    }
  });

  it('a failed vote is left out, not counted as a dissent', async () => {
    answers('positive', 503, 'positive');
    const res = await ask('vote');
    expect(res.status).toBe(200);
    expect((res.json() as Body).choices[0]!.message.content).toBe('positive');
    expect(res.headers['x-switchyard-consensus']).toBe('2/2');
    expect(res.headers['x-switchyard-fallback-reason']).toBeUndefined();
    expect(String(res.headers['x-switchyard-trace'])).toContain('backup/model-b attempt upstream_503');
  });

  it('a vote failing with a fatal error (the request is at fault) ends the request with it', async () => {
    answers('positive', 'positive', 503);
    h.primary.setBehavior('model-c', { fault: { kind: 'status', status: 400 } });
    const res = await ask('vote');
    expect(res.status).toBe(400);
    expect((res.json() as Body).error?.type).toBe('invalid_request_error');
  });

  it('a tie fails by default, with an OpenAI-shaped 502', async () => {
    answers('positive', 'negative', 503);
    const res = await ask('vote');
    expect(res.status).toBe(502);
    expect((res.json() as Body).error).toMatchObject({ code: 'consensus_no_majority', type: 'api_error' });
    expect(res.headers['x-switchyard-consensus']).toBe('1/2');
  });

  it('a tie goes to the primary target under noMajority: primary', async () => {
    answers('positive', 'negative', 503);
    const res = await ask('vote-primary');
    expect(res.status).toBe(200);
    expect((res.json() as Body).choices[0]!.message.content).toBe('positive');
    expect(res.headers['x-switchyard-consensus']).toBe('1/2');
  });

  it('a tie goes to the answer that came first under noMajority: first', async () => {
    answers('positive', 'negative', 503);
    h.primary.setBehavior('model-a', { replyText: 'positive', ttftMs: 1_000 });
    const res = await ask('vote-first');
    expect(res.status).toBe(200);
    expect((res.json() as Body).choices[0]!.message.content).toBe('negative');
    expect(res.headers['x-switchyard-target']).toBe('backup/model-b');
  });

  it('too few answers fail by default, or fall back to the route as configured', async () => {
    answers('positive', 503, 503);
    const failed = await ask('vote');
    expect(failed.status).toBe(502);
    expect((failed.json() as Body).error?.code).toBe('consensus_below_quorum');
    expect((failed.json() as Body).error?.message).toContain('Only 1 of 3 targets answered');

    const fellBack = await ask('vote-fallback');
    expect(fellBack.status).toBe(200);
    expect((fellBack.json() as Body).choices[0]!.message.content).toBe('positive');
    expect(fellBack.headers['x-switchyard-consensus']).toBe('fallback');
    expect(String(fellBack.headers['x-switchyard-trace'])).toContain('vote fallback:1<2');
  });

  it('wait: majority answers once a majority is certain and cancels the vote still out', async () => {
    answers('yes', 'yes', 'no');
    h.primary.setBehavior('model-c', { replyText: 'no', ttftMs: 5_000 });
    const res = await ask('vote-early');
    expect(res.status).toBe(200);
    expect(res.headers['x-switchyard-consensus']).toBe('2/2');
    expect(String(res.headers['x-switchyard-trace'])).toContain('primary/model-c attempt lost_race');
    await expect.poll(() => h.primary.stats('model-c').cancelled).toBe(1);
    expect(h.primary.stats('model-c').inFlight).toBe(0);
  });

  it('a vote not in by timeoutMs is cancelled and left out', async () => {
    answers('yes', 'yes', 'no');
    h.primary.setBehavior('model-c', { replyText: 'no', ttftMs: 5_000 });
    const res = await ask('vote-timeout');
    expect(res.status).toBe(200);
    expect(res.headers['x-switchyard-consensus']).toBe('2/2');
    const trace = String(res.headers['x-switchyard-trace']);
    expect(trace).toContain('primary/model-c vote timeout:1000ms');
    expect(trace).toContain('primary/model-c attempt aborted');
    await expect.poll(() => h.primary.stats('model-c').cancelled).toBe(1);
  });

  it('compare: json treats equal JSON values as one answer', async () => {
    answers(
      '{"label": "spam", "score": 1}',
      '{ "score": 1, "label": "spam" }',
      '{"label": "ham", "score": 1}',
    );
    const res = await ask('vote-json');
    expect(res.status).toBe(200);
    expect(res.headers['x-switchyard-consensus']).toBe('2/3');
  });

  it('a streaming request on a consensus route is refused with a clear 400', async () => {
    const err = await h.client.chat.completions
      .create({ model: 'vote', messages: userMessage(), stream: true })
      .then(() => undefined)
      .catch((e: unknown) => e as { status: number; code: string; param: string });
    expect(err).toMatchObject({ status: 400, code: 'consensus_requires_non_streaming', param: 'stream' });
    expect(h.primary.stats().requests + h.backup.stats().requests).toBe(0);
  });

  it('routes without consensus are untouched', async () => {
    answers('positive', 'negative', 'neutral');
    const res = await ask('plain');
    expect(res.headers['x-switchyard-consensus']).toBeUndefined();
    expect(h.backup.stats().requests).toBe(0);
  });
});
