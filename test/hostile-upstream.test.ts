/**
 * Issue 11: memory is bounded whatever the upstream sends. Each hostile answer (the simulator's
 * `flood` fault) fails that attempt with its own reason, counted against the target; the request
 * fails over to the healthy backup; the gateway keeps answering meanwhile and does not balloon.
 * Runs in CI with the normal suite: a few seconds in all.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Fault } from '../src/simulator/index.js';
import { startHarness, userMessage, type Harness } from './harness.js';

const MAX_RESPONSE = 1024 * 1024;
const MAX_EVENT = 256 * 1024;

let h: Harness;
beforeAll(async () => {
  h = await startHarness({
    config: {
      // Two connections per origin: a connection a flood left held would soon saturate the primary.
      upstream: {
        maxResponseBytes: MAX_RESPONSE,
        maxEventBytes: MAX_EVENT,
        connectionsPerOrigin: 2,
        queueTimeoutMs: 500,
      },
      breakers: { consecutiveFailures: 3 },
    },
    routes: { m: { targets: ['primary/model-a', 'backup/model-b'], retry: { maxRetriesPerTarget: 0 } } },
  });
});
afterAll(() => h.close());
afterEach(() => {
  h.primary.reset();
  h.gateway.engine.health.reset?.();
});

const flood = (fault: Omit<Fault & { kind: 'flood' }, 'kind'>): void =>
  h.primary.setBehavior('model-a', { fault: { kind: 'flood', ...fault } });

async function ask(stream: boolean): Promise<{ target: string | null; trace: string; text: string }> {
  const headers = { 'x-switchyard-debug': 'trace' };
  if (!stream) {
    const { data, response } = await h.client.chat.completions
      .create({ model: 'm', messages: userMessage() }, { headers })
      .withResponse();
    return {
      target: response.headers.get('x-switchyard-target'),
      trace: response.headers.get('x-switchyard-trace') ?? '',
      text: data.choices[0]?.message.content ?? '',
    };
  }
  const { data, response } = await h.client.chat.completions
    .create({ model: 'm', messages: userMessage(), stream: true }, { headers })
    .withResponse();
  let text = '';
  for await (const chunk of data) text += chunk.choices[0]?.delta.content ?? '';
  return {
    target: response.headers.get('x-switchyard-target'),
    trace: response.headers.get('x-switchyard-trace') ?? '',
    text,
  };
}

/** Milliseconds the gateway takes to answer /healthz. */
async function healthzMs(): Promise<number> {
  const started = performance.now();
  const res = await fetch(`${h.gateway.url}/healthz`);
  expect(res.status).toBe(200);
  await res.text();
  return performance.now() - started;
}

/** Asks while the primary floods, probing /healthz meanwhile. */
async function askDuringFlood(
  stream: boolean,
): Promise<{ target: string | null; trace: string; text: string }> {
  const answer = ask(stream);
  const probes = await Promise.all([healthzMs(), healthzMs(), healthzMs()]);
  for (const ms of probes) expect(ms).toBeLessThan(1_000);
  return answer;
}

async function primaryState(): Promise<string | undefined> {
  const res = await fetch(`${h.gateway.url}/v1/switchyard/status`);
  const status = (await res.json()) as { targets: { id: string; state: string }[] };
  return status.targets.find((t) => t.id === 'primary/model-a')?.state;
}

async function untilCancelled(): Promise<void> {
  for (let i = 0; i < 200 && h.primary.stats('model-a').inFlight > 0; i++) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  expect(h.primary.stats('model-a').inFlight).toBe(0);
}

describe('hostile upstream answers', () => {
  it('a 2xx JSON body that never ends: upstream_response_too_large, failed over, upstream cut', async () => {
    flood({ shape: 'json' });
    const answer = await askDuringFlood(false);
    expect(answer.target).toBe('backup/model-b');
    expect(answer.trace).toMatch(/^primary\/model-a attempt upstream_response_too_large \d+ms; /);
    expect(answer.text.length).toBeGreaterThan(0);
    await untilCancelled();
    expect(h.primary.stats('model-a').cancelled).toBe(1);
  });

  it('a 200 MB JSON answer is not read past the cap: memory stays flat', async () => {
    flood({ shape: 'json', bytes: 200 * 1024 * 1024 });
    const before = process.memoryUsage().rss;
    const answer = await ask(false);
    const grown = process.memoryUsage().rss - before;
    expect(answer.target).toBe('backup/model-b');
    expect(answer.trace).toMatch(/^primary\/model-a attempt upstream_response_too_large /);
    expect(grown).toBeLessThan(100 * 1024 * 1024);
    await untilCancelled();
  });

  it('an SSE line that never ends: upstream_event_too_large, the stream fails over', async () => {
    flood({ shape: 'line' });
    const answer = await askDuringFlood(true);
    expect(answer.target).toBe('backup/model-b');
    expect(answer.trace).toMatch(/^primary\/model-a attempt upstream_event_too_large \d+ms; /);
    expect(answer.text.length).toBeGreaterThan(0);
    await untilCancelled();
  });

  it('endless data: lines without a blank line: upstream_event_too_large, the stream fails over', async () => {
    flood({ shape: 'data' });
    const answer = await askDuringFlood(true);
    expect(answer.target).toBe('backup/model-b');
    expect(answer.trace).toMatch(/^primary\/model-a attempt upstream_event_too_large \d+ms; /);
    await untilCancelled();
  });

  it('counts against the target: three floods open its breaker', async () => {
    flood({ shape: 'line' });
    for (let i = 0; i < 3; i++) expect((await ask(true)).target).toBe('backup/model-b');
    expect(await primaryState()).toBe('open');
  });

  it('answers within the bounds still pass: a 900 KB JSON answer is served', async () => {
    flood({ shape: 'json', bytes: 900 * 1024 });
    const answer = await ask(false);
    expect(answer.target).toBe('primary/model-a');
  });

  it('every flood gave its connection back: the primary serves again at full width', async () => {
    const answers = await Promise.all([ask(false), ask(true), ask(false), ask(true)]);
    for (const answer of answers) expect(answer.target).toBe('primary/model-a');
  });
});

describe('with the default bounds', () => {
  let d: Harness;
  beforeAll(async () => {
    d = await startHarness({ routes: { m: { targets: ['primary/model-a', 'backup/model-b'] } } });
  });
  afterAll(() => d.close());

  it('an endless line is read linearly up to 16 Mi: /healthz keeps answering throughout', async () => {
    d.primary.setBehavior('model-a', { fault: { kind: 'flood', shape: 'line' } });
    let done = false;
    const answer = d.client.chat.completions
      .create(
        { model: 'm', messages: userMessage(), stream: true },
        { headers: { 'x-switchyard-debug': 'trace' } },
      )
      .withResponse()
      .finally(() => (done = true));
    let slowest = 0;
    let probes = 0;
    while (!done) {
      const started = performance.now();
      await (await fetch(`${d.gateway.url}/healthz`)).text();
      slowest = Math.max(slowest, performance.now() - started);
      probes++;
    }
    const { data, response } = await answer;
    for await (const chunk of data) void chunk;
    expect(response.headers.get('x-switchyard-trace')).toMatch(
      /^primary\/model-a attempt upstream_event_too_large /,
    );
    expect(probes).toBeGreaterThan(0);
    expect(slowest).toBeLessThan(1_000);
  });
});
