/**
 * Issue 15, keys and limits, over real sockets: virtual keys made through the admin API and used with
 * the OpenAI SDK; rpm, tpm and budget limits answered 429 with retry-after; revoke (on this instance
 * and on another sharing the key store), rotation, expiry; config keys alongside; admin API 401/404.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI, { APIError } from 'openai';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryCounters } from '../src/state/counters.js';
import { classify } from '../src/alerts/slo.js';
import { startHarness, userMessage, type Harness } from './harness.js';

const ADMIN = 'sy-admin-0123456789abcdef';
const CONFIG_KEY = 'sk-config-key-000001';
const LIMITED_CONFIG_KEY = 'sk-config-key-000002';
const dir = mkdtempSync(join(tmpdir(), 'switchyard-keys-it-'));
/** The wall clock the keys read (expiry, rotation) and their counters' windows: moved by the tests. */
let now = Date.UTC(2026, 5, 1, 12, 0, 0);
const wallNow = (): number => now;

const config = {
  admin: { keys: [ADMIN] },
  metrics: { enabled: true },
  store: { enabled: true, path: join(dir, 'requests.db'), batch: { flushIntervalMs: 50 } },
  keys: [
    { name: 'config-open', key: CONFIG_KEY },
    { name: 'config-limited', key: LIMITED_CONFIG_KEY, limits: { rpm: 1 } },
  ],
};

let h: Harness;
let other: Harness;
beforeAll(async () => {
  const providers = { primary: { prices: { 'model-a': { input: 1_000, output: 1_000 } } } };
  h = await startHarness({
    config,
    providers,
    gateway: { keys: { wallNow, counters: new MemoryCounters(wallNow) } },
  });
  // A second instance on the same key store (the same SQLite file), as a second replica would be.
  other = await startHarness({
    config: { ...config, store: { ...config.store, enabled: false } },
    gateway: { keys: { wallNow } },
  });
});
afterAll(async () => {
  await Promise.all([h.close(), other.close()]);
  rmSync(dir, { recursive: true, force: true });
});

async function admin(
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE',
  path: string,
  body?: unknown,
  key: string | null = ADMIN,
  gateway = h,
) {
  const res = await request(`${gateway.gateway.url}/v1/switchyard/keys${path}`, {
    method,
    headers: {
      ...(key ? { authorization: `Bearer ${key}` } : {}),
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.body.text();
  return {
    status: res.statusCode,
    headers: res.headers,
    text,
    // The admin API's answers, read field by field in each test.
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    json: JSON.parse(text) as Record<string, any>,
  };
}

const client = (apiKey: string, gateway = h) =>
  new OpenAI({ baseURL: `${gateway.gateway.url}/v1`, apiKey, maxRetries: 0 });

const ask = (apiKey: string, extra: Record<string, unknown> = {}, gateway = h) =>
  client(apiKey, gateway).chat.completions.create({ model: 'm', messages: userMessage(), ...extra });

async function refused(p: Promise<unknown>): Promise<APIError> {
  try {
    await p;
  } catch (error) {
    if (error instanceof APIError) return error;
    throw error;
  }
  throw new Error('expected the request to be refused');
}

async function create(body: Record<string, unknown>): Promise<{ id: string; secret: string }> {
  const res = await admin('POST', '', body);
  expect(res.status).toBe(201);
  return { id: res.json.id as string, secret: res.json.secret as string };
}

describe('admin API', () => {
  it('takes an admin key: none or a gateway key is a 401', async () => {
    expect((await admin('GET', '', undefined, null)).status).toBe(401);
    expect((await admin('GET', '', undefined, CONFIG_KEY)).status).toBe(401);
    expect((await admin('GET', '', undefined, 'sy-admin-wrong-000000000')).json.error.code).toBe(
      'invalid_api_key',
    );
  });

  it('is absent (404) without an admin key configured', async () => {
    const bare = await startHarness({ config: { keys: [{ name: 'k', key: CONFIG_KEY }] } });
    try {
      const res = await admin('GET', '', undefined, CONFIG_KEY, bare);
      expect(res.status).toBe(404);
    } finally {
      await bare.close();
    }
  });

  it('creates a key (secret shown once), lists it without secret or hash, and the SDK can use it', async () => {
    const res = await admin('POST', '', { name: 'search-svc', models: ['m'], metadata: { team: 'search' } });
    expect(res.status).toBe(201);
    const { secret, id, prefix } = res.json as { secret: string; id: string; prefix: string };
    expect(secret).toMatch(/^sk-sy-[A-Za-z0-9]{32}$/);
    expect(secret.startsWith(prefix)).toBe(true);
    const listed = await admin('GET', '');
    expect(listed.text).not.toContain(secret);
    expect(listed.text).not.toContain(secret.slice(prefix.length));
    const entry = (listed.json.data as { id: string }[]).find((k) => k.id === id);
    expect(entry).toMatchObject({
      name: 'search-svc',
      prefix,
      status: 'active',
      metadata: { team: 'search' },
    });
    expect(Object.keys(entry!)).not.toContain('secret');
    expect(entry).toMatchObject({ lastUsedAt: null });
    const got = await admin('GET', `/${id}`);
    expect(got.json).not.toHaveProperty('secret');

    const answer = await ask(secret);
    expect(answer.choices[0]!.message.content).toBeTruthy();
    expect((await admin('GET', `/${id}`)).json.lastUsedAt).toBe(new Date(now).toISOString());
    // Scoped to `m`: another model is a 403.
    const other = await refused(
      client(secret).chat.completions.create({ model: 'solo', messages: userMessage() }),
    );
    expect(other.status).toBe(403);
  });

  it('rejects a bad body naming the field, a taken name with 409, an unknown id with 404', async () => {
    const bad = await admin('POST', '', { name: 'x', limits: { rpm: -1 } });
    expect(bad.status).toBe(400);
    expect(bad.json.error.param).toBe('limits.rpm');
    expect((await admin('POST', '', { name: 'config-open' })).status).toBe(409);
    await create({ name: 'twice' });
    expect((await admin('POST', '', { name: 'twice' })).json.error.code).toBe('key_name_taken');
    expect((await admin('GET', '/key_0123456789abcdef')).status).toBe(404);
    expect((await admin('POST', '', { name: 'y', models: ['nope'] })).status).toBe(400);
  });
});

describe('limits', () => {
  it('rpm: the third request of the minute is a 429 naming the limit, with retry-after; no provider is asked', async () => {
    const { secret } = await create({ name: 'rpm-2', limits: { rpm: 2 } });
    await ask(secret);
    await ask(secret);
    const before = h.primary.stats().requests;
    const error = await refused(ask(secret));
    expect(error.status).toBe(429);
    expect(error.code).toBe('key_rate_limit_requests');
    expect(error.type).toBe('rate_limit_error');
    expect(Number(error.headers?.get('retry-after'))).toBeGreaterThan(0);
    expect(h.primary.stats().requests).toBe(before);
    // Recorded as the key's own doing: no SLO counts it against the route.
    const slo = { route: 'm', name: 'm-ok', objective: 0.99 } as unknown as Parameters<typeof classify>[0];
    await h.gateway.store!.flush();
    const [last] = await h.gateway.store!.store!.recent({ key: 'rpm-2', status: 429, limit: 1 });
    expect(last?.outcome).toBe('key_rate_limit_requests');
    expect(last?.attempts).toBe(0);
    expect(classify(slo, { ...last!, trace: [] } as unknown as Parameters<typeof classify>[1])).toBe(
      'ignored',
    );
  });

  it('tpm: a request estimated past the limit is refused; what runs is settled to the reported usage', async () => {
    const { secret, id } = await create({ name: 'tpm', limits: { tpm: 400 } });
    const tooBig = await refused(ask(secret, { max_tokens: 1_000 }));
    expect(tooBig.code).toBe('key_rate_limit_tokens');
    const answer = await ask(secret, { max_tokens: 100 });
    const usage = (await admin('GET', `/${id}`)).json.usage as { tokensThisMinute: number };
    expect(usage.tokensThisMinute).toBe(answer.usage!.total_tokens);
  });

  it('tpm: a stream settles to the usage it reported too', async () => {
    const { secret, id } = await create({ name: 'tpm-stream', limits: { tpm: 5_000 } });
    const stream = await client(secret).chat.completions.create({
      model: 'm',
      messages: userMessage(),
      stream: true,
      stream_options: { include_usage: true },
      max_tokens: 50,
    });
    let total = 0;
    for await (const chunk of stream) if (chunk.usage) total = chunk.usage.total_tokens;
    expect(total).toBeGreaterThan(0);
    const usage = (await admin('GET', `/${id}`)).json.usage as { tokensThisMinute: number };
    expect(usage.tokensThisMinute).toBe(total);
  });

  it('budget (routing.cap): once the day is spent, a 429 cost_cap_reached until UTC midnight', async () => {
    const { secret } = await create({ name: 'thrifty', routing: { cap: { dailyUsd: 0.000001 } } });
    await ask(secret);
    const error = await refused(ask(secret));
    expect(error.status).toBe(429);
    expect(error.code).toBe('cost_cap_reached');
    expect(Number(error.headers?.get('retry-after'))).toBe(12 * 3_600);
  });

  it('config keys keep working, and take limits too', async () => {
    await ask(CONFIG_KEY);
    await ask(LIMITED_CONFIG_KEY);
    expect((await refused(ask(LIMITED_CONFIG_KEY))).code).toBe('key_rate_limit_requests');
  });
});

describe('revoke, rotate, expire', () => {
  it('revoked: 401 here at once, and on another instance at its next refresh', async () => {
    const { secret, id } = await create({ name: 'to-revoke' });
    await other.gateway.keys.registry!.refresh();
    await ask(secret);
    await ask(secret, {}, other);
    const revoked = await admin('DELETE', `/${id}`);
    expect(revoked.json.status).toBe('revoked');
    expect((await refused(ask(secret))).status).toBe(401);
    // The other instance reloads every keyStore.refreshMs (2 s by default); one tick of it:
    await other.gateway.keys.registry!.refresh();
    expect((await refused(ask(secret, {}, other))).status).toBe(401);
    expect(h.gateway.config.keysAdmin.refreshMs).toBe(2_000);
  });

  it('rotated: old and new secrets both work until the grace ends, then only the new one', async () => {
    const { secret: old, id } = await create({ name: 'rotating' });
    const rotated = await admin('POST', `/${id}/rotate`, { graceSeconds: 60 });
    const fresh = rotated.json.secret as string;
    expect(fresh).not.toBe(old);
    expect(rotated.json.rotation.previousPrefix).toBe(old.slice(0, 12));
    await ask(old);
    await ask(fresh);
    now += 60_000;
    expect((await refused(ask(old))).status).toBe(401);
    await ask(fresh);
  });

  it('expired: 401 key_expired from expiresAt on; PATCH can move it', async () => {
    const expiresAt = new Date(now + 1_000).toISOString();
    const { secret, id } = await create({ name: 'expiring', expiresAt });
    await ask(secret);
    now += 1_000;
    const error = await refused(ask(secret));
    expect(error.status).toBe(401);
    expect(error.code).toBe('key_expired');
    const patched = await admin('PATCH', `/${id}`, { expiresAt: null, limits: { rpm: 100 } });
    expect(patched.json).toMatchObject({ status: 'active', expiresAt: null, limits: { rpm: 100 } });
    await ask(secret);
  });

  it('debug: false takes the trace header away', async () => {
    const { secret } = await create({ name: 'no-debug', debug: false });
    const res = await request(`${h.gateway.url}/v1/chat/completions`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${secret}`,
        'content-type': 'application/json',
        'x-switchyard-debug': 'trace',
      },
      body: JSON.stringify({ model: 'm', messages: userMessage() }),
    });
    await res.body.text();
    expect(res.statusCode).toBe(200);
    expect(res.headers['x-switchyard-trace']).toBeUndefined();
  });
});

describe('usage per key', () => {
  it('the request store and the metrics name virtual keys by name; no secret is stored', async () => {
    const { secret } = await create({ name: 'metered' });
    await ask(secret);
    await h.gateway.store!.flush();
    const store = h.gateway.store!.store!;
    const records = await store.recent({ key: 'metered', limit: 10 });
    expect(records).toHaveLength(1);
    expect(JSON.stringify(await store.recent({ limit: 1_000 }))).not.toContain(secret);
    const metrics = await request(`${h.gateway.url}/metrics`, {
      headers: { authorization: `Bearer ${CONFIG_KEY}` },
    });
    const text = await metrics.body.text();
    expect(text).toContain('key="metered"');
    expect(text).toContain('switchyard_key_limit_failures_total{mode="open"} 0');
    expect(text).toMatch(/switchyard_virtual_keys \d+/);
  });
});

describe('switchyard keys (CLI)', () => {
  it('creates (secret printed once), lists, rotates and revokes through the admin API', async () => {
    const { runKeys } = await import('../src/keys/keys-command.js');
    let out = '';
    let err = '';
    const io = {
      env: { SWITCHYARD_ADMIN_KEY: ADMIN },
      out: (t: string) => (out += t),
      err: (t: string) => (err += t),
    };
    const base = ['--url', h.gateway.url];
    expect(
      await runKeys(['create', '--name', 'cli-made', '--rpm', '5', '--meta', 'team=ops', ...base], io),
    ).toBe(0);
    const secret = /^(sk-sy-\S+)$/m.exec(out)![1]!;
    const id = /^(key_[0-9a-f]{16})/.exec(out)![1]!;
    expect(out).toContain('rpm 5');
    await ask(secret);
    out = '';
    expect(await runKeys(['list', ...base], io)).toBe(0);
    expect(out).toContain('cli-made');
    expect(out).not.toContain(secret);
    expect(await runKeys(['rotate', id, '--grace', '0', ...base], io)).toBe(0);
    expect((await refused(ask(secret))).status).toBe(401);
    expect(await runKeys(['revoke', id, ...base], io)).toBe(0);
    expect(await runKeys(['list', ...base, '--admin-key', 'sy-admin-wrong-000000000'], io)).toBe(1);
    expect(err).toContain('401');
    expect(await runKeys(['revoke', 'nope', ...base], io)).toBe(2);
  });
});
