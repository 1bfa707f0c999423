/**
 * Issue 14, caching: the response cache over real sockets (simulated providers ← gateway ← the openai
 * SDK). The simulator's request counter proves when no upstream call was made.
 */
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GatewayEvents } from '../src/core/events.js';
import { ManualClock } from '../src/resilience/manual-clock.js';
import type { RequestRecord } from '../src/telemetry/request-log.js';
import { raw, startHarness, type Harness } from './harness.js';

const ALICE = 'sy-alice-key-0001';
const BOB = 'sy-bob-key-00002';
let h: Harness;
let bob: OpenAI;
const records: RequestRecord[] = [];
const ended: GatewayEvents['request.ended'][] = [];
const hits: GatewayEvents['cache.hit'][] = [];

beforeAll(async () => {
  h = await startHarness({
    config: {
      keys: [
        { name: 'alice', key: ALICE },
        { name: 'bob', key: BOB },
      ],
    },
    providers: { primary: { prices: { 'model-a': { input: 1, output: 2 } } } },
    routes: {
      c: { targets: ['primary/model-a'], cache: {} },
      open: { targets: ['primary/model-o'], cache: { nonDeterministic: true } },
      shared: { targets: ['primary/model-s'], cache: { scope: 'route' } },
      e: { targets: ['primary/model-e'], cache: {} },
      plain: { targets: ['primary/model-p'] },
    },
    apiKey: ALICE,
    logger: { log: (r) => records.push(r) },
  });
  h.gateway.events.subscribe('request.ended', (e) => ended.push(e));
  h.gateway.events.subscribe('cache.hit', (e) => hits.push(e));
  bob = new OpenAI({ baseURL: `${h.gateway.url}/v1`, apiKey: BOB, maxRetries: 0 });
});
afterAll(() => h.close());

const upstream = (model: string): number => h.primary.stats(model).requests;
const lastRecord = (): RequestRecord => records.at(-1)!;

/** A non-streaming request; the answer and the x-switchyard-cache header. */
async function ask(
  content: string,
  extra: Record<string, unknown> = {},
  options: { client?: OpenAI; headers?: Record<string, string> } = {},
) {
  const { data, response } = await (options.client ?? h.client).chat.completions
    .create(
      { model: 'c', temperature: 0, messages: [{ role: 'user', content }], ...extra },
      options.headers ? { headers: options.headers } : {},
    )
    .withResponse();
  return { data, cache: response.headers.get('x-switchyard-cache'), headers: response.headers };
}

describe('the response cache', () => {
  it('misses, then answers the same request from the cache without an upstream call, at cost 0', async () => {
    const before = upstream('model-a');
    const miss = await ask('first question');
    expect(miss.cache).toBe('miss');
    expect(upstream('model-a')).toBe(before + 1);
    expect(lastRecord()).toMatchObject({ cache: 'miss', attempts: 1, target: 'primary/model-a' });
    expect(lastRecord().costUsd).toBeGreaterThan(0);

    const hit = await ask('first question', {}, { headers: { 'x-switchyard-debug': 'trace' } });
    expect(hit.cache).toBe('hit');
    expect(upstream('model-a')).toBe(before + 1);
    expect(hit.data.choices).toEqual(miss.data.choices);
    expect(hit.data.usage).toEqual(miss.data.usage);
    expect(hit.data.id).not.toBe(miss.data.id);
    expect(hit.headers.get('x-switchyard-target')).toBe('primary/model-a');
    expect(hit.headers.get('x-switchyard-attempts')).toBe('0');
    expect(hit.headers.get('age')).toMatch(/^\d+$/);
    expect(hit.headers.get('x-switchyard-trace')).toMatch(/^primary\/model-a cache hit age \d+s$/);
    expect(lastRecord()).toMatchObject({ cache: 'hit', attempts: 0, costUsd: 0, status: 200 });
    expect(lastRecord().target).toBe('primary/model-a');
    const event = ended.at(-1)!;
    expect(event).toMatchObject({ cache: 'hit', costUsd: 0, attempts: 0, provider: 'primary' });
    expect(event.tokens).toBeUndefined();
    // The hit is an event, and the trace (header, log, store) is made from it as from any other.
    expect(hits.at(-1)).toEqual({
      requestId: event.requestId,
      route: 'c',
      target: 'primary/model-a',
      ageMs: expect.any(Number) as number,
    });
    expect(event.trace).toEqual([
      {
        target: 'primary/model-a',
        action: 'cache',
        result: expect.stringMatching(/^hit age \d+s$/) as string,
      },
    ]);
    expect(lastRecord().trace).toEqual(event.trace);
  });

  it('ignores key order and volatile fields (user) in the request', async () => {
    await ask('order question', { top_p: 1, user: 'u1' });
    const before = upstream('model-a');
    const res = await raw(`${h.gateway.url}/v1/chat/completions`, {
      headers: { authorization: `Bearer ${ALICE}` },
      body: `{"user":"u2","messages":[{"content":"order question","role":"user"}],"top_p":1,"temperature":0,"model":"c"}`,
    });
    expect(res.headers['x-switchyard-cache']).toBe('hit');
    expect(upstream('model-a')).toBe(before);
  });

  it('bypasses a non-deterministic request by default, and caches it on a route that opts in', async () => {
    const before = upstream('model-a');
    expect((await ask('warm question', { temperature: 0.7 })).cache).toBe('bypass');
    expect((await ask('warm question', { temperature: 0.7 })).cache).toBe('bypass');
    expect(upstream('model-a')).toBe(before + 2);
    expect(lastRecord().cache).toBe('bypass');

    const open = { model: 'open', temperature: 0.7 };
    const o = upstream('model-o');
    expect((await ask('warm question', open)).cache).toBe('miss');
    expect((await ask('warm question', open)).cache).toBe('hit');
    expect(upstream('model-o')).toBe(o + 1);
  });

  it('says nothing on a route without a cache', async () => {
    const res = await ask('plain question', { model: 'plain' });
    expect(res.cache).toBeNull();
    expect(lastRecord().cache).toBeUndefined();
  });

  it('honours Cache-Control: no-cache (goes upstream, stores) and no-store (neither)', async () => {
    await ask('cc question');
    const before = upstream('model-a');
    const fresh = await ask('cc question', {}, { headers: { 'cache-control': 'no-cache' } });
    expect(fresh.cache).toBe('miss');
    expect(upstream('model-a')).toBe(before + 1);
    expect((await ask('cc question')).cache).toBe('hit');

    const skipped = await ask('ns question', {}, { headers: { 'cache-control': 'no-store' } });
    expect(skipped.cache).toBe('bypass');
    expect(upstream('model-a')).toBe(before + 2);
    expect((await ask('ns question')).cache).toBe('miss');
    expect(upstream('model-a')).toBe(before + 3);
  });

  it('never caches an error, nor an answer cut by max_tokens', async () => {
    h.primary.setBehavior('model-e', { fault: { kind: 'status', status: 500 } });
    try {
      await expect(ask('err question', { model: 'e' })).rejects.toMatchObject({ status: 503 });
    } finally {
      h.primary.setBehavior('model-e', { fault: null });
    }
    expect(lastRecord()).toMatchObject({ status: 503, cache: 'miss' });
    const before = upstream('model-e');
    expect((await ask('err question', { model: 'e' })).cache).toBe('miss');
    expect(upstream('model-e')).toBe(before + 1);
    expect((await ask('err question', { model: 'e' })).cache).toBe('hit');

    const cut = await ask('cut question with many words', { max_tokens: 2 });
    expect(cut.data.choices[0]!.finish_reason).toBe('length');
    const a = upstream('model-a');
    expect((await ask('cut question with many words', { max_tokens: 2 })).cache).toBe('miss');
    expect(upstream('model-a')).toBe(a + 1);
  });

  it('keeps each gateway key apart by default, and shares across keys on a route scoped to it', async () => {
    const before = upstream('model-a');
    expect((await ask('key question')).cache).toBe('miss');
    expect((await ask('key question', {}, { client: bob })).cache).toBe('miss');
    expect(upstream('model-a')).toBe(before + 2);
    expect((await ask('key question', {}, { client: bob })).cache).toBe('hit');
    expect(lastRecord().key).toBe('bob');

    const s = upstream('model-s');
    expect((await ask('shared question', { model: 'shared' })).cache).toBe('miss');
    expect((await ask('shared question', { model: 'shared' }, { client: bob })).cache).toBe('hit');
    expect(upstream('model-s')).toBe(s + 1);
  });
});

describe('a cached stream', () => {
  /** Streams through the SDK's stream helper: the text, the chunks' ids, and the final completion. */
  async function streamed(content: string, extra: Record<string, unknown> = {}) {
    const stream = h.client.chat.completions.stream({
      model: 'c',
      temperature: 0,
      messages: [{ role: 'user', content }],
      stream_options: { include_usage: true },
      ...extra,
    });
    let text = '';
    const ids = new Set<string>();
    let usage: unknown;
    let finishes = 0;
    for await (const chunk of stream) {
      ids.add(chunk.id);
      if (chunk.usage) usage = chunk.usage;
      for (const choice of chunk.choices) {
        text += choice.delta.content ?? '';
        if (choice.finish_reason) finishes++;
      }
    }
    return { text, ids, usage, finishes, final: await stream.finalChatCompletion() };
  }

  it('replays as a real stream the SDK parses: same text, finish and usage, no upstream call', async () => {
    const live = await streamed('stream question');
    expect(lastRecord()).toMatchObject({ cache: 'miss', stream: true });
    const before = upstream('model-a');
    const replay = await streamed('stream question');
    expect(upstream('model-a')).toBe(before);
    expect(lastRecord()).toMatchObject({ cache: 'hit', stream: true, costUsd: 0, attempts: 0 });
    expect(live.text.length).toBeGreaterThan(0);
    expect(replay.text).toBe(live.text);
    expect(replay.finishes).toBe(1);
    expect(replay.usage).toEqual(live.usage);
    expect(replay.final.choices[0]!.message.content).toBe(live.text);
    expect(replay.ids.size).toBe(1);
    expect([...replay.ids][0]).toMatch(/^chatcmpl-/);
    expect(replay.ids).not.toEqual(live.ids);
    expect(ended.at(-1)!.ttftMs).toBeGreaterThanOrEqual(0);
    // A replayed stream's trace is the hit, with no attempt "streaming".
    const traced = await h.client.chat.completions
      .create(
        {
          model: 'c',
          temperature: 0,
          messages: [{ role: 'user', content: 'stream question' }],
          stream: true,
        },
        { headers: { 'x-switchyard-debug': 'trace' } },
      )
      .withResponse();
    for await (const _ of traced.data) void _;
    expect(traced.response.headers.get('x-switchyard-trace')).toMatch(
      /^primary\/model-a cache hit age \d+s$/,
    );

    // The same entry answers the JSON form of the request.
    const json = await ask('stream question');
    expect(json.cache).toBe('hit');
    expect(json.data.choices[0]!.message.content).toBe(live.text);
    expect(json.data.usage).toEqual(live.usage);
  });

  it('replays a JSON answer as SSE: role, content, finish chunk, no usage unless asked, [DONE]', async () => {
    const answer = await ask('json then stream');
    const res = await raw(`${h.gateway.url}/v1/chat/completions`, {
      headers: { authorization: `Bearer ${ALICE}` },
      body: JSON.stringify({
        model: 'c',
        temperature: 0,
        stream: true,
        messages: [{ role: 'user', content: 'json then stream' }],
      }),
    });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/event-stream/);
    expect(res.headers['x-switchyard-cache']).toBe('hit');
    expect(res.headers['x-switchyard-target']).toBe('primary/model-a');
    const events = res.text.split('\n\n').filter(Boolean);
    expect(events.at(-1)).toBe('data: [DONE]');
    interface Chunk {
      object: string;
      model: string;
      usage?: unknown;
      choices: { delta: unknown; finish_reason: string | null }[];
    }
    const chunks = events.slice(0, -1).map((e) => JSON.parse(e.slice('data: '.length)) as Chunk);
    expect(chunks.every((c) => c.object === 'chat.completion.chunk' && c.model === 'c')).toBe(true);
    expect(chunks[0]!.choices[0]!.delta).toEqual({
      role: 'assistant',
      content: answer.data.choices[0]!.message.content,
    });
    expect(chunks.at(-1)!.choices[0]).toMatchObject({ finish_reason: 'stop', delta: {} });
    expect(chunks.some((c) => c.usage)).toBe(false);
  });

  it('writes a replay with the live stream encoder: same role chunk, finish chunk and usage chunk', async () => {
    const body = JSON.stringify({
      model: 'c',
      temperature: 0,
      stream: true,
      stream_options: { include_usage: true },
      messages: [{ role: 'user', content: 'bytes question' }],
    });
    const headers = { authorization: `Bearer ${ALICE}` };
    const live = await raw(`${h.gateway.url}/v1/chat/completions`, { headers, body });
    const replay = await raw(`${h.gateway.url}/v1/chat/completions`, { headers, body });
    expect([live.headers['x-switchyard-cache'], replay.headers['x-switchyard-cache']]).toEqual([
      'miss',
      'hit',
    ]);
    expect(replay.headers['content-type']).toBe(live.headers['content-type']);
    /** The events, with the per-response id and time blanked. */
    const events = (text: string): string[] =>
      text
        .split('\n\n')
        .filter(Boolean)
        .map((e) =>
          e
            .replace(/"id":"chatcmpl-[^"]+","object"/, '"id":"X","object"')
            .replace(/"created":\d+/, '"created":0'),
        );
    const [l, r] = [events(live.text), events(replay.text)];
    // The text comes in one chunk instead of one per word; the framing around it is the same bytes.
    expect(r.at(-1)).toBe('data: [DONE]');
    expect(r.slice(-3)).toEqual(l.slice(-3)); // finish chunk, usage chunk, [DONE]
    expect(r[0]!.replace(/"content":"[^"]*"/, '"content":""')).toBe(
      l[0]!.replace(/"content":"[^"]*"/, '"content":""'),
    );
  });

  it('never stores a stream that failed after its commit point', async () => {
    h.primary.setBehavior('model-e', { fault: { kind: 'error-event', afterChunks: 2 } });
    try {
      await expect(streamed('broken stream', { model: 'e' })).rejects.toThrow();
    } finally {
      h.primary.setBehavior('model-e', { fault: null });
    }
    const before = upstream('model-e');
    const whole = await streamed('broken stream', { model: 'e' });
    expect(whole.finishes).toBe(1);
    expect(upstream('model-e')).toBe(before + 1);
    expect(lastRecord().cache).toBe('miss');
  });

  it('replays tool calls a stream made, and answers them as JSON', async () => {
    const tools = [
      {
        type: 'function' as const,
        function: { name: 'lookup', parameters: { type: 'object', properties: { q: { type: 'string' } } } },
      },
    ];
    const live = await streamed('call a tool', { tools });
    const calls = live.final.choices[0]!.message.tool_calls;
    expect(calls?.length).toBeGreaterThan(0);
    const before = upstream('model-a');
    const replay = await streamed('call a tool', { tools });
    expect(lastRecord().cache).toBe('hit');
    expect(replay.final.choices[0]!.message.tool_calls).toEqual(calls);
    expect(replay.final.choices[0]!.finish_reason).toBe('tool_calls');
    const json = await ask('call a tool', { tools });
    expect(json.cache).toBe('hit');
    expect(json.data.choices[0]!.message.tool_calls).toEqual(calls);
    expect(upstream('model-a')).toBe(before);
  });
});

describe('the cache bounds, on a gateway with a manual clock', () => {
  const clock = new ManualClock();
  let g: Harness;
  beforeAll(async () => {
    g = await startHarness({
      config: { cache: { maxEntries: 2 } },
      routes: { c: { targets: ['primary/model-a'], cache: { ttlMs: 5_000 } } },
      gateway: { clock },
    });
  });
  afterAll(() => g.close());

  const once = async (content: string) => {
    const { response } = await g.client.chat.completions
      .create({ model: 'c', seed: 1, messages: [{ role: 'user', content }] })
      .withResponse();
    return { cache: response.headers.get('x-switchyard-cache'), age: response.headers.get('age') };
  };

  it('serves an entry with its age until its TTL passes', async () => {
    expect(await once('ttl')).toEqual({ cache: 'miss', age: null });
    clock.advance(2_500);
    expect(await once('ttl')).toEqual({ cache: 'hit', age: '2' });
    clock.advance(2_500);
    expect((await once('ttl')).cache).toBe('miss');
    expect(g.primary.stats('model-a').requests).toBe(2);
  });

  it('evicts the least recently used entry past maxEntries', async () => {
    await once('one');
    await once('two');
    expect((await once('one')).cache).toBe('hit'); // "two" is now the least recently used
    await once('three');
    expect((await once('two')).cache).toBe('miss');
    expect((await once('one')).cache).toBe('miss'); // evicted by "two" coming back
  });
});
