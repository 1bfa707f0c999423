/**
 * The request store over real sockets: simulated providers, the gateway with the store on a temp
 * SQLite file, the openai SDK. Requests (one failing over) show up in /v1/switchyard/requests and
 * /v1/switchyard/stats, and survive a restart of the gateway on the same file.
 */
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { runStats } from '../src/store/stats-command.js';
import { BACKUP_KEY, PRIMARY_KEY, raw, startHarness, userMessage, type Harness } from './harness.js';

const OPS = 'sk-gateway-ops-0001';
const TEAM = 'sk-gateway-team-0002';
const dir = mkdtempSync(join(tmpdir(), 'switchyard-store-it-'));
const path = join(dir, 'requests.db');

const withStore = (): Parameters<typeof startHarness>[0] => ({
  apiKey: OPS,
  config: {
    store: { path },
    metrics: { enabled: true },
    keys: [
      { name: 'ops', key: OPS },
      { name: 'team', key: TEAM, models: ['solo'] },
    ],
  },
});

let h: Harness;
const get = (pathAndQuery: string, key: string | null = OPS) =>
  raw(`${h.gateway.url}${pathAndQuery}`, {
    method: 'GET',
    ...(key ? { headers: { authorization: `Bearer ${key}` } } : {}),
  });

/** Waits until the gateway has announced `n` requests in all, then writes them (no timer involved). */
async function flushed(n: number): Promise<void> {
  const store = h.gateway.store!;
  await vi.waitFor(() => expect(store.queued + store.counters.written).toBe(n));
  expect(await store.flush()).toBe(true);
}

beforeAll(async () => {
  h = await startHarness(withStore());
  await h.client.chat.completions.create({ model: 'm', messages: userMessage() });
  h.primary.setBehavior('model-a', { fault: { kind: 'status', status: 503 } as never });
  await h.client.chat.completions.create({ model: 'm', messages: userMessage() });
  h.primary.reset();
  const stream = await h.client.chat.completions.create({
    model: 'm',
    messages: userMessage(),
    stream: true,
  });
  for await (const _ of stream) void _;
  await h.client.chat.completions.create({ model: 'nope', messages: userMessage() }).catch(() => undefined);
  await flushed(3);
});
afterAll(async () => {
  await h?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('GET /v1/switchyard/requests', () => {
  it('lists the requests newest first, the failover with its attempts and trace', async () => {
    const res = await get('/v1/switchyard/requests');
    expect(res.status).toBe(200);
    const { data } = res.json() as { data: Record<string, unknown>[] };
    expect(data).toHaveLength(3);
    expect(data.map((r) => r.stream)).toEqual([true, false, false]);
    const failover = data[1]!;
    expect(failover).toMatchObject({
      route: 'm',
      key: 'ops',
      status: 200,
      outcome: 'ok',
      target: 'backup/model-b',
      attempts: 3,
      fallbackReason: 'primary/model-a: upstream_503',
    });
    const attempts = (failover.trace as { action: string }[]).filter((t) => t.action === 'attempt');
    expect(attempts).toEqual([
      expect.objectContaining({ target: 'primary/model-a', action: 'attempt', result: 'upstream_503' }),
      expect.objectContaining({ target: 'primary/model-a', action: 'attempt', result: 'upstream_503' }),
      expect.objectContaining({ target: 'backup/model-b', action: 'attempt', result: 'ok' }),
    ]);
    expect(typeof data[0]!.ttftMs).toBe('number');
    expect(new Date(String(data[0]!.time)).getTime()).toBeGreaterThan(0);
    // No secret leaves: neither the gateway keys nor the providers'.
    for (const secret of [OPS, TEAM, PRIMARY_KEY, BACKUP_KEY]) expect(res.text).not.toContain(secret);
  });

  it('filters by target, status and key, and limits', async () => {
    const count = async (q: string): Promise<number> =>
      ((await get(`/v1/switchyard/requests?${q}`)).json() as { data: unknown[] }).data.length;
    expect(await count('target=backup/model-b')).toBe(1);
    expect(await count('target=primary/model-a')).toBe(2);
    expect(await count('status=error')).toBe(0);
    expect(await count('status=200&key=ops&route=m')).toBe(3);
    expect(await count('key=team')).toBe(0);
    expect(await count('limit=1')).toBe(1);
    expect(await count(`since=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`)).toBe(0);
  });

  it('answers bad parameters with a 400 naming the parameter', async () => {
    for (const [q, param] of [
      ['limit=0', 'limit'],
      ['limit=5000', 'limit'],
      ['status=bad', 'status'],
      ['since=yesterday', 'since'],
      ['color=red', 'color'],
    ]) {
      const res = await get(`/v1/switchyard/requests?${q}`);
      expect(res.status, q).toBe(400);
      expect(res.json()).toMatchObject({ error: { type: 'invalid_request_error', param } });
    }
  });

  it('counts what the recorder wrote, dropped and holds on /metrics', async () => {
    const metrics = (await get('/metrics')).text;
    expect(metrics).toMatch(/^switchyard_store_records_written_total 3$/m);
    expect(metrics).toMatch(/^switchyard_store_records_dropped_total 0$/m);
    expect(metrics).toMatch(/^switchyard_store_failures_total 0$/m);
    expect(metrics).toMatch(/^switchyard_store_queued_records 0$/m);
  });

  it('needs a key allowed every model, as /metrics does', async () => {
    expect((await get('/v1/switchyard/requests', null)).status).toBe(401);
    const scoped = await get('/v1/switchyard/stats', TEAM);
    expect(scoped.status).toBe(403);
    expect(scoped.json()).toMatchObject({ error: { code: 'model_not_allowed' } });
  });
});

describe('GET /v1/switchyard/stats', () => {
  it('per target: the primary failures by class and the backup that answered', async () => {
    const res = await get('/v1/switchyard/stats?window=15m&by=target');
    expect(res.status).toBe(200);
    const body = res.json() as { by: string; data: Record<string, unknown>[] };
    expect(body.by).toBe('target');
    const primary = body.data.find((g) => g.group === 'primary/model-a')!;
    expect(primary).toMatchObject({ unit: 'attempt', count: 4, ok: 2, errors: 2 });
    expect(primary.errorsByClass).toEqual({ upstream_503: 2 });
    expect(body.data.find((g) => g.group === 'backup/model-b')).toMatchObject({ count: 1, ok: 1 });
  });

  it('per route: success rate, fallbacks, latency and TTFT percentiles', async () => {
    const body = (await get('/v1/switchyard/stats?by=route')).json() as { data: Record<string, unknown>[] };
    expect(body.data).toHaveLength(1);
    const m = body.data[0]!;
    expect(m).toMatchObject({ group: 'm', unit: 'request', count: 3, ok: 3, successRate: 1, fallbacks: 1 });
    expect((m.latencyMs as { p50: number }).p50).toBeGreaterThan(0);
    expect((m.ttftMs as { p50: number }).p50).toBeGreaterThan(0);
    expect(m.tokens).toMatchObject({ prompt: expect.any(Number) as number });
  });

  it('as a time series (bucket=): each group per bucket, with the bucket start', async () => {
    const body = (await get('/v1/switchyard/stats?window=15m&by=target&bucket=1m')).json() as {
      bucketMs: number;
      data: { start: string; group: string; count: number }[];
    };
    expect(body.bucketMs).toBe(60_000);
    const primary = body.data.filter((g) => g.group === 'primary/model-a');
    expect(primary.reduce((n, g) => n + g.count, 0)).toBe(4);
    for (const g of body.data) expect(Date.parse(g.start)).toBeGreaterThan(0);
  });

  it('answers bad parameters with a 400', async () => {
    for (const q of [
      'by=color',
      'window=forever',
      'window=40d',
      'window=1h&since=0',
      'window=7d&bucket=1s',
    ]) {
      expect((await get(`/v1/switchyard/stats?${q}`)).status, q).toBe(400);
    }
  });
});

describe('switchyard stats (the CLI)', () => {
  const run = async (argv: string[]) => {
    let out = '';
    let err = '';
    const code = await runStats(argv, { env: {}, out: (t) => (out += t), err: (t) => (err += t) });
    return { code, out, err };
  };

  it('prints a table per target from the running gateway', async () => {
    const { code, out } = await run([
      '--url',
      h.gateway.url,
      '--key',
      OPS,
      '--window',
      '1h',
      '--by',
      'target',
    ]);
    expect(code).toBe(0);
    const lines = out.trim().split('\n');
    expect(lines[0]).toMatch(/^attempts by target, \S+Z → \S+Z$/);
    expect(lines[1]).toMatch(/^TARGET\s+COUNT\s+OK%/);
    const primary = lines.find((l) => l.startsWith('primary/model-a'))!;
    expect(primary).toMatch(/^primary\/model-a\s+4\s+50\.0%/);
    expect(primary).toMatch(/upstream_503×2$/);
    const series = await run(['--url', h.gateway.url, '--key', OPS, '--by', 'route', '--bucket', '1m']);
    expect(series.out.split('\n')[1]).toMatch(/^FROM\s+ROUTE\s+COUNT/);
    expect(series.out.split('\n')[2]).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:00Z\s+m\s+\d/);
  });

  it('says what the gateway answered when it refuses, and exits 1', async () => {
    const refused = await run(['--url', h.gateway.url, '--key', TEAM]);
    expect(refused.code).toBe(1);
    expect(refused.err).toMatch(/answered 403: The key "team" is limited/);
    expect((await run(['--url', h.gateway.url, '--by', 'color', '--key', OPS])).err).toMatch(/answered 400/);
    expect((await run(['--bogus'])).code).toBe(2);
  });
});

describe('history', () => {
  it('survives a restart of the gateway on the same SQLite file', async () => {
    await h.gateway.drain({ drainMs: 1_000 });
    await h.close();
    h = await startHarness(withStore());
    await h.client.chat.completions.create({ model: 'solo', messages: userMessage() });
    await flushed(1);
    const { data } = (await get('/v1/switchyard/requests')).json() as { data: { route: string }[] };
    expect(data.map((r) => r.route)).toEqual(['solo', 'm', 'm', 'm']);
    expect(readdirSync(dir)).toContain('requests.db');
  });

  it('switchyard stats --store reads the file itself, no gateway needed', async () => {
    let out = '';
    const code = await runStats(['--store', path, '--by', 'route'], {
      env: {},
      out: (t) => (out += t),
      err: () => undefined,
    });
    expect(code).toBe(0);
    expect(out).toMatch(/^m\s+3\s+100\.0%\s+1\s/m);
    expect(out).toMatch(/^solo\s+1\s+100\.0%/m);
    let err = '';
    const missing = await runStats(['--store', join(dir, 'nope.db')], {
      env: {},
      out: () => undefined,
      err: (t) => (err += t),
    });
    expect(missing).toBe(1);
    expect(err).toContain('no such file');
    expect(readdirSync(dir)).not.toContain('nope.db');
  });

  it('a store that cannot be opened does not stop the gateway; the API answers 503 meanwhile', async () => {
    writeFileSync(join(dir, 'a-file'), '');
    const broken = await startHarness({ config: { store: { path: join(dir, 'a-file', 'requests.db') } } });
    try {
      const reply = await broken.client.chat.completions.create({ model: 'm', messages: userMessage() });
      expect(reply.choices[0]!.message.content).toBeTruthy();
      await vi.waitFor(() => expect(broken.gateway.store!.counters.failures).toBeGreaterThan(0));
      await vi.waitFor(() => expect(broken.gateway.store!.queued).toBe(1));
      const res = await raw(`${broken.gateway.url}/v1/switchyard/requests`, { method: 'GET' });
      expect(res.status).toBe(503);
      expect(res.json()).toMatchObject({ error: { code: 'store_unavailable', type: 'server_error' } });
    } finally {
      await broken.close();
    }
    expect(broken.gateway.store!.counters.dropped).toBe(1);
  });

  it('is absent (404) when the store is off', async () => {
    const off = await startHarness();
    try {
      const res = await raw(`${off.gateway.url}/v1/switchyard/stats`, { method: 'GET' });
      expect(res.status).toBe(404);
      expect(off.gateway.store).toBeUndefined();
    } finally {
      await off.close();
    }
  });
});
