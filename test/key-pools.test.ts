/**
 * Provider key pools over real sockets: a simulated provider that accepts two keys, each of which can
 * be rate-limited, out of quota or hostile on its own (`setKeyFault`), behind the gateway and the
 * official openai SDK. The gateway runs on a manual clock: key cooldowns end when the test says so.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { GatewayEvents } from '../src/core/events.js';
import OpenAI from 'openai';
import { resolveConfig } from '../src/config/load.js';
import { startGateway, type Gateway } from '../src/main.js';
import { ManualClock } from '../src/resilience/manual-clock.js';
import { startSimulator, type Simulator } from '../src/simulator/index.js';
import { silentLogger } from '../src/telemetry/logger.js';
import { raw, startHarness, userMessage, type Harness } from './harness.js';

const KEY_1 = 'sk-proj-Pool1Key2With3Some4Length5A';
const KEY_2 = 'sk-proj-Pool6Key7With8Some9Length0B';
const RATE_LIMIT = { kind: 'status', status: 429, retryAfterSeconds: 30 } as const;
const QUOTA = { kind: 'status', status: 429, code: 'insufficient_quota' } as const;

const clock = new ManualClock();
const cooldowns: GatewayEvents['cooldown.set'][] = [];
let h: Harness;

beforeAll(async () => {
  h = await startHarness({
    primary: { apiKey: KEY_1, apiKeys: [KEY_2] },
    providers: { primary: { apiKey: undefined, apiKeys: [KEY_1, KEY_2], keySelection: 'ordered' } },
    config: { metrics: { enabled: true } },
    gateway: { clock },
  });
  h.gateway.events.subscribe('cooldown.set', (e) => cooldowns.push(e));
});
afterAll(() => h.close());
afterEach(() => {
  h.primary.setKeyFault(KEY_1, null);
  h.primary.setKeyFault(KEY_2, null);
});

interface Answer {
  status: number;
  text: string;
  trace: string;
  headers: string;
}

async function ask(model = 'm'): Promise<Answer> {
  const res = await raw(`${h.gateway.url}/v1/chat/completions`, {
    headers: { 'x-switchyard-debug': 'trace' },
    body: JSON.stringify({ model, messages: userMessage() }),
  });
  const trace = res.headers['x-switchyard-trace'];
  return {
    status: res.status,
    text: res.text,
    trace: String(trace ?? ''),
    headers: JSON.stringify(res.headers),
  };
}

interface Status {
  targets: { id: string; state: string }[];
  providerKeys: { provider: string; key: string; state: string; cooling?: { reason: string }[] }[];
}

async function status(): Promise<Status> {
  const res = await raw(`${h.gateway.url}/v1/switchyard/status`, { method: 'GET' });
  return res.json() as Status;
}

const requests = () => ({
  key1: h.primary.keyRequests(KEY_1),
  key2: h.primary.keyRequests(KEY_2),
  backup: h.backup.stats().requests,
});

/** Every 8-character piece of `secret` found in `text`. */
function leaks(text: string, secret: string): string[] {
  const found: string[] = [];
  for (let i = 0; i + 8 <= secret.length; i++)
    if (text.includes(secret.slice(i, i + 8))) found.push(secret.slice(i, i + 8));
  return found;
}

describe('a provider with two keys', () => {
  it('first key rate-limited: the second key of the same provider answers, no failover, breaker closed', async () => {
    h.primary.setKeyFault(KEY_1, RATE_LIMIT);
    const before = requests();
    const answer = await ask();
    expect(answer.status).toBe(200);
    expect(answer.trace).toBe(
      'primary/model-a key#1 attempt upstream_429 0ms; primary/model-a key#2 attempt ok 0ms',
    );
    const after = requests();
    expect(after.key1 - before.key1).toBe(1);
    expect(after.key2 - before.key2).toBe(1);
    expect(after.backup).toBe(before.backup);
    const s = await status();
    expect(s.targets.find((t) => t.id === 'primary/model-a')?.state).toBe('closed');
    expect(s.providerKeys).toEqual([
      {
        provider: 'primary',
        key: 'key#1',
        state: 'cooling',
        cooling: [{ scope: 'primary/model-a', reason: 'upstream_429', retryInMs: 30_000 }],
      },
      { provider: 'primary', key: 'key#2', state: 'ready' },
    ]);
    expect(cooldowns.at(-1)).toEqual({
      target: 'primary/model-a',
      ms: 30_000,
      reason: 'upstream_429',
      key: 'key#1',
      keyScope: 'target',
    });
  });

  it('while the first key cools, requests go straight to the second (no wasted 429)', async () => {
    h.primary.setKeyFault(KEY_1, RATE_LIMIT);
    const before = requests();
    const answer = await ask();
    expect(answer.status).toBe(200);
    expect(answer.trace).toBe('primary/model-a key#2 attempt ok 0ms');
    expect(requests().key1).toBe(before.key1);
  });

  it("a key's cooldown ends: it is used again", async () => {
    // key#1's rate limit (30 s) has passed: in order, key#1 is first again.
    clock.advance(30_000);
    const before = requests();
    const answer = await ask();
    expect(answer.status).toBe(200);
    expect(answer.trace).toBe('primary/model-a key#1 attempt ok 0ms');
    expect(requests().key1).toBe(before.key1 + 1);
    expect(requests().key2).toBe(before.key2);
    const s = await status();
    expect(s.providerKeys.map((k) => [k.key, k.state])).toEqual([
      ['key#1', 'ready'],
      ['key#2', 'ready'],
    ]);
  });

  it('both keys exhausted: the request fails over to the backup provider', async () => {
    h.primary.setKeyFault(KEY_1, RATE_LIMIT);
    h.primary.setKeyFault(KEY_2, QUOTA);
    const before = requests();
    const answer = await ask();
    expect(answer.status).toBe(200);
    expect(answer.trace).toBe(
      'primary/model-a key#1 attempt upstream_429 0ms; primary/model-a key#2 attempt upstream_quota 0ms; backup/model-b attempt ok 0ms',
    );
    expect(requests().backup).toBe(before.backup + 1);
    // Every key cooling: the target is out until the first key comes back (key#1, in 30 s).
    const s = await status();
    expect(s.targets.find((t) => t.id === 'primary/model-a')?.state).toBe('open');
    expect(s.providerKeys.map((k) => [k.key, k.state])).toEqual([
      ['key#1', 'cooling'],
      ['key#2', 'cooling'],
    ]);
    const next = await ask();
    expect(next.status).toBe(200);
    expect(next.trace).toMatch(/^primary\/model-a skip breaker:cooldown \d+ms; backup\/model-b attempt ok/);
  });

  it('metrics count key cooldowns by label, apart from target cooldowns', async () => {
    const res = await raw(`${h.gateway.url}/metrics`, { method: 'GET' });
    expect(res.status).toBe(200);
    expect(res.text).toContain(
      'switchyard_provider_key_cooldowns_total{target="primary/model-a",key="key#1",reason="upstream_429"} 2',
    );
    expect(res.text).toContain(
      'switchyard_provider_key_cooldowns_total{target="primary/model-a",key="key#2",reason="upstream_quota"} 1',
    );
    expect(res.text).not.toContain('sk-proj');
  });

  it('every key of the pool is scrubbed from an echoed error', async () => {
    clock.advance(60 * 60_000); // key#2's quota is back
    for (const [faulted, echoed] of [
      [KEY_1, KEY_1],
      [KEY_2, KEY_2],
    ] as const) {
      // The key before the echoing one is rate-limited, so that the echo comes from `echoed`.
      if (echoed === KEY_2) h.primary.setKeyFault(KEY_1, RATE_LIMIT);
      h.primary.setKeyFault(faulted, { kind: 'echo-key', form: 'json', status: 400 });
      const answer = await ask('solo');
      expect(answer.status).toBe(400);
      expect(leaks(answer.text + answer.headers, echoed)).toEqual([]);
      h.primary.setKeyFault(faulted, null);
    }
    expect(JSON.stringify(cooldowns)).not.toContain('sk-proj');
  });
});

describe('key pools on every protocol, streaming too', () => {
  const KEYS = ['sk-pool-one-Abc123Def456Ghi', 'sk-pool-two-Zyx987Wvu654Tsr'];
  let sim: Simulator;
  let gateway: Gateway;
  let client: OpenAI;
  beforeAll(async () => {
    sim = await startSimulator({ apiKeys: KEYS });
    const pool = { apiKeys: KEYS, keySelection: 'ordered' };
    gateway = await startGateway(
      resolveConfig(
        {
          server: { port: 0 },
          store: { enabled: false },
          providers: {
            oai: { type: 'openai', baseUrl: `${sim.url}/v1`, ...pool },
            ant: { type: 'anthropic', baseUrl: `${sim.url}/v1`, ...pool },
            gem: { type: 'gemini', baseUrl: `${sim.url}/v1beta`, ...pool },
          },
          routes: {
            openai: { targets: ['oai/m-openai'] },
            anthropic: { targets: ['ant/m-anthropic'] },
            gemini: { targets: ['gem/m-gemini'] },
          },
        },
        { env: {} },
      ),
      { log: silentLogger },
    );
    client = new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: 'any', maxRetries: 0 });
    sim.setKeyFault(KEYS[0]!, { kind: 'status', status: 429, retryAfterSeconds: 60 });
  });
  afterAll(async () => {
    await gateway.close();
    await sim.close();
  });

  for (const model of ['openai', 'anthropic', 'gemini']) {
    it(`${model}: a stream the first key cannot serve is served with the second`, async () => {
      const before = sim.keyRequests(KEYS[1]!);
      const { data: stream, response } = await client.chat.completions
        .create(
          { model, messages: userMessage(), stream: true },
          { headers: { 'x-switchyard-debug': 'trace' } },
        )
        .withResponse();
      let text = '';
      for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
      expect(text.length).toBeGreaterThan(0);
      expect(response.headers.get('x-switchyard-trace')).toMatch(/ key#1 attempt upstream_429 \d+ms; /);
      expect(sim.keyRequests(KEYS[1]!)).toBe(before + 1);
    });
  }
});

describe('a pool of three keys, all rate-limited', () => {
  const KEYS = ['sk-three-1-Abc123Def456', 'sk-three-2-Ghi789Jkl012', 'sk-three-3-Mno345Pqr678'];
  let g: Harness;
  beforeAll(async () => {
    g = await startHarness({
      primary: { apiKeys: KEYS },
      providers: { primary: { apiKey: undefined, apiKeys: KEYS } },
    });
    for (const key of KEYS) g.primary.setKeyFault(key, RATE_LIMIT);
  });
  afterAll(() => g.close());

  it('still leaves the backup its attempt (key switches do not use up retry.maxAttempts)', async () => {
    const res = await raw(`${g.gateway.url}/v1/chat/completions`, {
      headers: { 'x-switchyard-debug': 'trace' },
      body: JSON.stringify({ model: 'm', messages: userMessage() }),
    });
    expect(res.status).toBe(200);
    expect(res.headers['x-switchyard-target']).toBe('backup/model-b');
    expect(res.headers['x-switchyard-attempts']).toBe('4');
    expect(String(res.headers['x-switchyard-trace'])).toMatch(
      /^primary\/model-a key#1 attempt upstream_429 \d+ms; primary\/model-a key#2 attempt upstream_429 \d+ms; primary\/model-a key#3 attempt upstream_429 \d+ms; primary\/model-a skip no-retry:hint-too-long; backup\/model-b attempt ok \d+ms$/,
    );
    expect(KEYS.map((k) => g.primary.keyRequests(k))).toEqual([1, 1, 1]);
  });
});

describe('key pools without breakers (cooldowns only)', () => {
  const KEYS = ['sk-nobreak-1-Abc123Def456', 'sk-nobreak-2-Ghi789Jkl012'];
  let g: Harness;
  beforeAll(async () => {
    g = await startHarness({
      primary: { apiKeys: KEYS },
      providers: { primary: { apiKey: undefined, apiKeys: KEYS, keySelection: 'ordered' } },
      config: { breakers: { enabled: false } },
    });
  });
  afterAll(() => g.close());

  const trace = async (): Promise<string> => {
    const res = await raw(`${g.gateway.url}/v1/chat/completions`, {
      headers: { 'x-switchyard-debug': 'trace' },
      body: JSON.stringify({ model: 'm', messages: userMessage() }),
    });
    expect(res.status).toBe(200);
    return String(res.headers['x-switchyard-trace']);
  };

  it('a key rate limit does not cool the target; every key out does, until the first key is back', async () => {
    g.primary.setKeyFault(KEYS[0]!, RATE_LIMIT);
    expect(await trace()).toMatch(
      /^primary\/model-a key#1 attempt upstream_429 \d+ms; primary\/model-a key#2 attempt ok/,
    );
    expect(await trace()).toMatch(/^primary\/model-a key#2 attempt ok/);
    g.primary.setKeyFault(KEYS[1]!, QUOTA);
    expect(await trace()).toMatch(
      /^primary\/model-a key#2 attempt upstream_quota \d+ms; backup\/model-b attempt ok/,
    );
    expect(await trace()).toMatch(
      /^primary\/model-a skip cooling:upstream_quota; backup\/model-b attempt ok/,
    );
  });
});
