/**
 * Prompt and completion capture in the request store (store.capture), over real sockets on both
 * backends (a temp SQLite file; the machine's PostgreSQL in a schema of its own, dropped afterwards):
 * off by default (and then no text is even copied), the messages' and the answer's text stored once on,
 * secrets and common personal data redacted, cut to `maxChars`, the text a stream's client received,
 * a route's own choice, one request read by id while lists leave the text out; embeddings requests
 * (their input, and what the answer was: never the vectors) and answers replayed from the response cache
 * (the prompt and the replayed answer, JSON and stream).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { GatewayEvents } from '../src/core/events.js';
import { BACKUP_KEY, PRIMARY_KEY, raw, startHarness, type Harness } from './harness.js';

const PG_URL = process.env.SWITCHYARD_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const dir = mkdtempSync(join(tmpdir(), 'switchyard-capture-'));
const schema = `sy_capture_${process.pid}_${Date.now().toString(36)}`;

const backends = [
  { name: 'sqlite', store: (n: string) => ({ path: join(dir, `${n}.db`) }) },
  { name: 'postgres', store: (n: string) => ({ driver: 'postgres', url: PG_URL, schema: `${schema}_${n}` }) },
];

afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  for (const n of ['on', 'off', 'more']) await client.query(`DROP SCHEMA IF EXISTS "${schema}_${n}" CASCADE`);
  await client.end();
});

const routes = {
  m: { targets: ['primary/model-a'] },
  // Prompts only, here.
  quiet: { targets: ['primary/model-a'], capture: { completions: false } },
};

async function flushed(h: Harness, n: number): Promise<void> {
  const store = h.gateway.store!;
  await vi.waitFor(() => expect(store.queued + store.counters.written).toBe(n));
  expect(await store.flush()).toBe(true);
}

async function stored(h: Harness, id: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await raw(`${h.gateway.url}/v1/switchyard/requests/${id}`, { method: 'GET' });
  return { status: res.status, body: res.json() as Record<string, unknown> };
}

describe.each(backends)('store.capture: $name', (backend) => {
  let on: Harness;
  let off: Harness;
  const ended: GatewayEvents['request.ended'][] = [];
  const streamed: string[] = [];

  beforeAll(async () => {
    on = await startHarness({
      routes,
      config: {
        store: {
          ...backend.store('on'),
          capture: { prompts: true, completions: true, maxChars: 200, redact: ['project-\\w+'] },
        },
      },
    });
    off = await startHarness({ routes, config: { store: backend.store('off') } });
    off.gateway.events.subscribe('request.ended', (e) => ended.push(e));

    const secretive = `My key is ${PRIMARY_KEY}, mail alice@example.com, card 4111 1111 1111 1111, codename project-orion.`;
    on.primary.setBehavior('model-a', {
      replyText: `Noted bob@example.org and ${BACKUP_KEY.slice(0, 14)}… done`,
    });
    const opts = (id: string) => ({ headers: { 'x-request-id': id } });
    await on.client.chat.completions.create(
      {
        model: 'm',
        messages: [
          { role: 'system', content: 'Be brief.' },
          { role: 'user', content: [{ type: 'text', text: secretive }] },
        ],
      },
      opts('cap-json'),
    );
    on.primary.setBehavior('model-a', { replyText: 'The quick brown fox jumps over the lazy dog' });
    const stream = await on.client.chat.completions.create(
      { model: 'm', messages: [{ role: 'user', content: 'Tell me.' }], stream: true },
      opts('cap-stream'),
    );
    for await (const chunk of stream) streamed.push(chunk.choices[0]?.delta?.content ?? '');
    // An address across the 200-character bound: redacted whole, never cut in half.
    const long = `${'a'.repeat(180)} carol@example.net ${'b'.repeat(400)}`;
    await on.client.chat.completions.create(
      { model: 'm', messages: [{ role: 'user', content: long }] },
      opts('cap-long'),
    );
    await on.client.chat.completions.create(
      { model: 'quiet', messages: [{ role: 'user', content: 'Quietly.' }] },
      opts('cap-quiet'),
    );
    await flushed(on, 4);
    await off.client.chat.completions.create(
      { model: 'm', messages: [{ role: 'user', content: 'Not kept.' }] },
      opts('off-1'),
    );
    await flushed(off, 1);
  });
  afterAll(async () => {
    await on?.close();
    await off?.close();
  });

  it('is off by default: no text stored, none even copied into request.ended', async () => {
    const { status, body } = await stored(off, 'off-1');
    expect(status).toBe(200);
    expect(body).toMatchObject({ object: 'switchyard.request', requestId: 'off-1', status: 200 });
    expect(body).not.toHaveProperty('prompt');
    expect(body).not.toHaveProperty('completion');
    expect(ended).toHaveLength(1);
    expect(ended[0]).not.toHaveProperty('capture');
  });

  it('stores the messages’ text and the answer, secrets and personal data redacted', async () => {
    const { status, body } = await stored(on, 'cap-json');
    expect(status).toBe(200);
    const prompt = String(body.prompt);
    expect(prompt).toMatch(
      /^system: Be brief\.\n\nuser: My key is \[redacted\], mail \[redacted\], card \[redacted\], codename \[redacted\]\.$/,
    );
    const completion = String(body.completion);
    expect(completion).toBe('Noted [redacted] and [redacted]… done');
    for (const leak of [PRIMARY_KEY, 'alice@', '4111', 'orion', 'bob@', BACKUP_KEY.slice(0, 8)])
      expect(`${prompt}${completion}`).not.toContain(leak);
  });

  it('keeps the text a stream’s client received', async () => {
    const { body } = await stored(on, 'cap-stream');
    expect(body.stream).toBe(true);
    expect(body.completion).toBe(streamed.join(''));
    expect(body.completion).toBe('The quick brown fox jumps over the lazy dog');
    expect(body.prompt).toBe('user: Tell me.');
  });

  it('cuts each text to maxChars after redaction, marked with …', async () => {
    const { body } = await stored(on, 'cap-long');
    const prompt = String(body.prompt);
    expect(prompt).toHaveLength(201);
    expect(prompt.endsWith('…')).toBe(true);
    expect(prompt).toContain(' [redacted] b');
    expect(prompt).not.toContain('carol');
  });

  it('follows a route’s own choice (prompts only)', async () => {
    const { body } = await stored(on, 'cap-quiet');
    expect(body.prompt).toBe('user: Quietly.');
    expect(body).not.toHaveProperty('completion');
  });

  it('leaves the text out of lists; an unknown id is a 404', async () => {
    const res = await raw(`${on.gateway.url}/v1/switchyard/requests`, { method: 'GET' });
    const { data } = res.json() as { data: Record<string, unknown>[] };
    expect(data.map((r) => r.requestId)).toEqual(['cap-quiet', 'cap-long', 'cap-stream', 'cap-json']);
    for (const r of data) {
      expect(r).not.toHaveProperty('prompt');
      expect(r).not.toHaveProperty('completion');
    }
    const missing = await stored(on, 'no-such-request');
    expect(missing.status).toBe(404);
    expect(missing.body).toMatchObject({ error: { code: 'request_not_found' } });
  });
});

describe.each(backends)('store.capture beyond live chat: $name', (backend) => {
  let h: Harness;
  const ended = new Map<string, GatewayEvents['request.ended']>();
  const got: Record<string, { text?: string; dims?: number[] }> = {};

  beforeAll(async () => {
    h = await startHarness({
      routes: {
        e: { targets: ['primary/model-e'] },
        // What the answer was only, here; nothing at all on `enone`.
        eq: { targets: ['primary/model-e'], capture: { prompts: false } },
        enone: { targets: ['primary/model-e'], capture: { prompts: false, completions: false } },
        c: { targets: ['primary/model-a'], cache: {} },
      },
      config: {
        store: {
          ...backend.store('more'),
          capture: { prompts: true, completions: true, maxChars: 200, redact: ['project-\\w+'] },
        },
      },
    });
    h.gateway.events.subscribe('request.ended', (e) => ended.set(e.requestId, e));
    const opts = (id: string) => ({ headers: { 'x-request-id': id } });
    // The SDK asks for base64 and decodes it; `raw` asks for floats.
    const two = await h.client.embeddings.create(
      { model: 'e', input: ['Mail alice@example.com today', 'The project-orion plans'] },
      opts('emb-two'),
    );
    got['emb-two'] = { dims: two.data.map((d) => d.embedding.length) };
    const float = await raw(`${h.gateway.url}/v1/embeddings`, {
      headers: { 'x-request-id': 'emb-float' },
      body: JSON.stringify({ model: 'e', input: 'One text.', encoding_format: 'float', dimensions: 8 }),
    });
    expect(float.status).toBe(200);
    await h.client.embeddings.create({ model: 'e', input: [1, 2, 3] }, opts('emb-tokens'));
    await h.client.embeddings.create({ model: 'eq', input: 'Not kept.' }, opts('emb-quiet'));
    await h.client.embeddings.create({ model: 'enone', input: 'Not kept either.' }, opts('emb-none'));

    const ask = {
      model: 'c',
      temperature: 0,
      messages: [{ role: 'user' as const, content: 'Cached, bob@example.org?' }],
    };
    const miss = await h.client.chat.completions.create(ask, opts('cache-miss')).withResponse();
    expect(miss.response.headers.get('x-switchyard-cache')).toBe('miss');
    got['cache-miss'] = { text: miss.data.choices[0]!.message.content! };
    const hit = await h.client.chat.completions.create(ask, opts('cache-hit')).withResponse();
    expect(hit.response.headers.get('x-switchyard-cache')).toBe('hit');
    got['cache-hit'] = { text: hit.data.choices[0]!.message.content! };
    const stream = await h.client.chat.completions.create({ ...ask, stream: true }, opts('cache-stream'));
    let streamed = '';
    for await (const chunk of stream) streamed += chunk.choices[0]?.delta?.content ?? '';
    got['cache-stream'] = { text: streamed };
    expect(ended.get('cache-stream')?.cache).toBe('hit');

    const store = h.gateway.store!;
    await vi.waitFor(() => expect(store.queued + store.counters.written).toBe(8));
    expect(await store.flush()).toBe(true);
  });
  afterAll(async () => {
    await h?.close();
  });

  it('embeddings: each input’s text, redacted, and what the answer was, never the vectors', async () => {
    const { body } = await stored(h, 'emb-two');
    expect(body).toMatchObject({ endpoint: 'embeddings', status: 200 });
    expect(body.prompt).toBe('input[0]: Mail [redacted] today\n\ninput[1]: The [redacted] plans');
    const dims = got['emb-two']!.dims!;
    expect(dims).toEqual([dims[0], dims[0]]);
    expect(dims[0]).toBeGreaterThan(8);
    expect(body.completion).toBe(`2 embeddings × ${dims[0]} dimensions (base64)`);
    const float = (await stored(h, 'emb-float')).body;
    expect(float.prompt).toBe('input: One text.');
    expect(float.completion).toBe('1 embedding × 8 dimensions (float)');
    expect((await stored(h, 'emb-tokens')).body.prompt).toBe('input: 3 token ids');
  });

  it('embeddings: a route’s own choice', async () => {
    const quiet = (await stored(h, 'emb-quiet')).body;
    expect(quiet).not.toHaveProperty('prompt');
    expect(quiet.completion).toMatch(/^1 embedding × \d+ dimensions \(base64\)$/);
    const none = (await stored(h, 'emb-none')).body;
    expect(none).not.toHaveProperty('prompt');
    expect(none).not.toHaveProperty('completion');
    expect(ended.get('emb-none')).not.toHaveProperty('capture');
  });

  it('an answer from the response cache: the prompt and the replayed answer, JSON and stream', async () => {
    const answer = got['cache-miss']!.text!;
    expect(got['cache-hit']!.text).toBe(answer);
    expect(got['cache-stream']!.text).toBe(answer);
    for (const id of ['cache-miss', 'cache-hit', 'cache-stream']) {
      const { body } = await stored(h, id);
      expect(body.prompt, id).toBe('user: Cached, [redacted]?');
      expect(body.completion, id).toBe(answer);
    }
    expect((await stored(h, 'cache-hit')).body).toMatchObject({ attempts: 0, costUsd: 0, stream: false });
    // Its decision trace is the hit (the cache.hit event's entry), kept by the store as any trace.
    expect((await stored(h, 'cache-hit')).body.trace).toEqual([
      {
        target: 'primary/model-a',
        action: 'cache',
        result: expect.stringMatching(/^hit age \d+s$/) as string,
      },
    ]);
    expect((await stored(h, 'cache-stream')).body).toMatchObject({ attempts: 0, stream: true });
  });
});
