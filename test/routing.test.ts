/** Issue 14 (routing): policies, tier floors, regions and drains, overrides and caps over real sockets. */
import { APIError } from 'openai';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { raw, startHarness, userMessage, type Harness } from './harness.js';

const ADMIN = 'sk-admin-key-000001';
const TEAM = 'sk-team-key-0000002';
const DEBUG = 'sk-debug-key-000003';
const THRIFTY = 'sk-thrifty-key-00004';

let h: Harness;
beforeAll(async () => {
  h = await startHarness({
    apiKey: ADMIN,
    config: {
      server: { port: 0, host: '127.0.0.1' },
      keys: [
        { name: 'admin', key: ADMIN },
        { name: 'team', key: TEAM, models: ['tiered', 'canary'], routing: { tierFloor: 1 } },
        { name: 'debug', key: DEBUG, routing: { overrides: true, region: 'eu' } },
        { name: 'thrifty', key: THRIFTY, routing: { cap: { dailyUsd: 0.000001 } } },
      ],
    },
    providers: {
      primary: { region: 'us', prices: { 'model-a': { input: 1, output: 1 } } },
      backup: { region: 'eu', prices: { 'model-b': { input: 100, output: 100 } } },
    },
    routes: {
      tiered: { targets: ['primary/model-a', { provider: 'backup', model: 'model-b', tier: 2 }] },
      canary: {
        targets: ['primary/model-a', 'backup/model-b'],
        routing: { policy: 'weighted', weights: { 'primary/model-a': 3, 'backup/model-b': 1 } },
      },
      cheap: {
        targets: ['backup/model-b', 'primary/model-a'],
        routing: { policy: 'lowest-cost', cap: { dailyUsd: 0.000001 } },
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

const chat = (model: string, key = ADMIN, headers: Record<string, string> = {}) =>
  raw(`${h.gateway.url}/v1/chat/completions`, {
    headers: { authorization: `Bearer ${key}`, ...headers },
    body: JSON.stringify({ model, messages: userMessage() }),
  });

describe('tier floors', () => {
  it('failover never crosses the floor of the key (or header); without a floor it degrades', async () => {
    h.primary.setBehavior('model-a', { fault: { kind: 'status', status: 503 } as never });
    const floored = await chat('tiered', TEAM);
    expect(floored.status).toBe(503);
    expect(h.backup.stats().requests).toBe(0);
    expect(floored.text).toContain('tier-floor:2>1');
    const byHeader = await chat('tiered', ADMIN, { 'x-switchyard-tier-floor': '1' });
    expect(byHeader.status).toBe(503);
    expect(h.backup.stats().requests).toBe(0);
    const open = await chat('tiered');
    expect(open.status).toBe(200);
    expect(open.headers['x-switchyard-target']).toBe('backup/model-b');
  });

  it('a bad tier header is a 400 naming it', async () => {
    const res = await chat('tiered', ADMIN, { 'x-switchyard-tier-floor': 'premium' });
    expect(res.status).toBe(400);
    expect((res.json() as { error: { param: string } }).error.param).toBe('x-switchyard-tier-floor');
  });
});

describe('weighted', () => {
  it('3/1 across two providers: exact over 8 requests, and the trace shows each weight', async () => {
    const targets: string[] = [];
    for (let i = 0; i < 8; i++) targets.push(String((await chat('canary')).headers['x-switchyard-target']));
    expect(targets.filter((t) => t === 'primary/model-a')).toHaveLength(6);
    const traced = await chat('canary', ADMIN, { 'x-switchyard-debug': 'trace' });
    expect(String(traced.headers['x-switchyard-trace'])).toContain('weighted:weight=3');
  });
});

describe('regions', () => {
  it('the key prefers its region; a drained region is skipped (admin endpoint, status shows it)', async () => {
    const pref = await chat('canary', DEBUG);
    expect(pref.headers['x-switchyard-target']).toBeDefined();
    const denied = await raw(`${h.gateway.url}/v1/switchyard/regions/us/drain`, {
      headers: { authorization: `Bearer ${TEAM}` },
    });
    expect(denied.status).toBe(403);
    const drained = await raw(`${h.gateway.url}/v1/switchyard/regions/us/drain`, {
      headers: { authorization: `Bearer ${ADMIN}` },
    });
    expect(drained.status).toBe(200);
    expect(drained.json()).toMatchObject({ region: 'us', drained: ['us'] });
    const status = await raw(`${h.gateway.url}/v1/switchyard/status`, {
      method: 'GET',
      headers: { authorization: `Bearer ${ADMIN}` },
    });
    expect(status.json()).toMatchObject({ drainedRegions: ['us'] });
    for (let i = 0; i < 4; i++)
      expect((await chat('canary')).headers['x-switchyard-target']).toBe('backup/model-b');
    expect(h.primary.stats().requests).toBe(0);
    await raw(`${h.gateway.url}/v1/switchyard/regions/us/undrain`, {
      headers: { authorization: `Bearer ${ADMIN}` },
    });
    const targets = new Set<string>();
    for (let i = 0; i < 4; i++) targets.add(String((await chat('canary')).headers['x-switchyard-target']));
    expect(targets.has('primary/model-a')).toBe(true);
  });

  it('a region preference orders within the tier: eu first for the debug key', async () => {
    const route = h.gateway.config.routes.get('tiered')!;
    expect(route.targets.map((t) => t.region)).toEqual(['us', 'eu']);
    // canary's targets are both tier 1: the debug key (region eu) goes to eu first, whatever the weights.
    for (let i = 0; i < 3; i++)
      expect((await chat('canary', DEBUG)).headers['x-switchyard-target']).toBe('backup/model-b');
  });
});

describe('per-request overrides', () => {
  it('pin and skip need a key allowed to override', async () => {
    const denied = await chat('canary', TEAM, { 'x-switchyard-pin': 'backup/model-b' });
    expect(denied.status).toBe(403);
    const pinned = await chat('canary', DEBUG, { 'x-switchyard-pin': 'primary/model-a' });
    expect(pinned.headers['x-switchyard-target']).toBe('primary/model-a');
    const skipped = await chat('canary', DEBUG, { 'x-switchyard-skip': 'backup/model-b' });
    expect(skipped.headers['x-switchyard-target']).toBe('primary/model-a');
    const unknown = await chat('canary', DEBUG, { 'x-switchyard-pin': 'nope/nothing' });
    expect(unknown.status).toBe(400);
  });
});

describe('lowest-cost and caps', () => {
  it('the cheapest target goes first; once the route cap is reached requests get a 429 saying so', async () => {
    const first = await chat('cheap');
    expect(first.status).toBe(200);
    expect(first.headers['x-switchyard-target']).toBe('primary/model-a');
    const refused = await h.client.chat.completions
      .create({ model: 'cheap', messages: userMessage() })
      .catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(APIError);
    expect((refused as APIError).status).toBe(429);
    expect((refused as APIError).code).toBe('cost_cap_reached');
    const status = await raw(`${h.gateway.url}/v1/switchyard/status`, {
      method: 'GET',
      headers: { authorization: `Bearer ${ADMIN}` },
    });
    const cheap = (
      status.json() as { routes: { name: string; policy: string; cap?: { spentUsd: { dayUsd: number } } }[] }
    ).routes.find((r) => r.name === 'cheap')!;
    expect(cheap.policy).toBe('lowest-cost');
    expect(cheap.cap!.spentUsd.dayUsd).toBeGreaterThan(0);
  });

  it('a key past its cap is refused; other keys go on', async () => {
    expect((await chat('canary', THRIFTY)).status).toBe(200);
    const refused = await chat('canary', THRIFTY);
    expect(refused.status).toBe(429);
    expect(refused.text).toContain('spend cap of the key \\"thrifty\\"');
    expect((await chat('canary', DEBUG)).status).toBe(200);
  });
});
