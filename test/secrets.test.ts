/**
 * Issue 11: no piece of a configured secret leaves the gateway. Each simulator answers with the
 * `echo-key` fault (the key it received echoed in every field of its error: JSON, plain text with
 * the key at character 490, in-stream error event); the client must not see any 8-character piece
 * of that key in the body or the headers, nor may the request log hold one.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveConfig } from '../src/config/load.js';
import { startGateway, type Gateway } from '../src/main.js';
import type { RequestRecord } from '../src/telemetry/request-log.js';
import { startSimulator, type Simulator } from '../src/simulator/index.js';
import type { EchoKeyFault } from '../src/simulator/types.js';

const KEYS = {
  openai: 'sk-proj-Abc123Def456Ghi789Jkl012Mno345',
  anthropic: 'sk-ant-api03-Zyx987Wvu654Tsr321Qpo098',
  gemini: 'AIzaSyB-Gemini0Key1With2Some3Length4',
};
type Protocol = keyof typeof KEYS;
const GATEWAY_KEY = 'sk-gw-app-Qw7Er8Ty9Ui0';

/** The faults tried on every protocol, each on its own model (a cooled-down target stays apart). */
const CASES: Record<string, EchoKeyFault> = {
  json400: { kind: 'echo-key', form: 'json', status: 400 },
  json401: { kind: 'echo-key', form: 'json', status: 401 },
  json503: { kind: 'echo-key', form: 'json', status: 503 },
  text400: { kind: 'echo-key', form: 'text', status: 400 },
  text502: { kind: 'echo-key', form: 'text', status: 502 },
  event: { kind: 'echo-key', form: 'event', afterChunks: 5 },
  event0: { kind: 'echo-key', form: 'event', afterChunks: 0 },
};

/** The request store's file, this run's own (it must hold no secret either). */
const storeDir = mkdtempSync(join(tmpdir(), 'switchyard-secrets-'));

let sims: Record<Protocol, Simulator>;
let gateway: Gateway;
const records: RequestRecord[] = [];
/** `request.ended`'s outcome of every request: a label for metrics, alerts and the status page. */
const outcomes: string[] = [];

beforeAll(async () => {
  sims = {
    openai: await startSimulator({ apiKey: KEYS.openai }),
    anthropic: await startSimulator({ apiKey: KEYS.anthropic }),
    gemini: await startSimulator({ apiKey: KEYS.gemini }),
  };
  const routes: Record<string, unknown> = {};
  for (const protocol of Object.keys(KEYS) as Protocol[]) {
    for (const [name, fault] of Object.entries(CASES)) {
      routes[`${protocol}-${name}`] = { targets: [`${protocol}/m-${name}`] };
      sims[protocol].setBehavior(`m-${name}`, { fault });
    }
  }
  const config = resolveConfig(
    {
      server: { port: 0 },
      defaults: { retry: { backoffBaseMs: 5, backoffCapMs: 20 } },
      providers: {
        openai: { type: 'openai', baseUrl: `${sims.openai.url}/v1`, apiKey: KEYS.openai },
        anthropic: { type: 'anthropic', baseUrl: `${sims.anthropic.url}/v1`, apiKey: KEYS.anthropic },
        gemini: { type: 'gemini', baseUrl: `${sims.gemini.url}/v1beta`, apiKey: KEYS.gemini },
      },
      routes,
      keys: [{ name: 'app', key: GATEWAY_KEY }],
      store: { path: join(storeDir, 'requests.db') },
      metrics: { enabled: true },
    },
    { env: {} },
  );
  gateway = await startGateway(config, { logger: { log: (r) => records.push(r) } });
  gateway.events.subscribe('request.ended', (e) => outcomes.push(e.outcome));
});

afterAll(async () => {
  await gateway?.close();
  await Promise.all(Object.values(sims ?? {}).map((s) => s.close()));
  rmSync(storeDir, { recursive: true, force: true });
});

/** Every 8-character piece of `secret` found in `text`. */
function leaks(text: string, secret: string): string[] {
  const found: string[] = [];
  for (let i = 0; i + 8 <= secret.length; i++) {
    if (text.includes(secret.slice(i, i + 8))) found.push(secret.slice(i, i + 8));
  }
  return found;
}

async function call(path: string, body: unknown): Promise<{ status: number; text: string; headers: string }> {
  const res = await request(`${gateway.url}${path}`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${GATEWAY_KEY}`,
      'content-type': 'application/json',
      'x-switchyard-debug': 'trace',
    },
    body: JSON.stringify(body),
  });
  const text = await res.body.text();
  return { status: res.statusCode, text, headers: JSON.stringify(res.headers) };
}

const chat = (model: string, stream = false) => ({
  model,
  stream,
  messages: [{ role: 'user', content: 'hello' }],
});

describe.each(Object.keys(KEYS) as Protocol[])('%s upstream echoing its key', (protocol) => {
  const key = KEYS[protocol];

  it.each(Object.keys(CASES))('%s: no piece of the key reaches the client', async (name) => {
    const model = `${protocol}-${name}`;
    const answers = [await call('/v1/chat/completions', chat(model))];
    if (CASES[name]!.form === 'event') answers.push(await call('/v1/chat/completions', chat(model, true)));
    for (const answer of answers) {
      // The echo did reach the client's answer, scrubbed: the test would see a leak.
      expect(answer.text).toContain('[redacted]');
      expect(leaks(answer.text, key)).toEqual([]);
      expect(leaks(answer.headers, key)).toEqual([]);
      expect(leaks(answer.text + answer.headers, GATEWAY_KEY)).toEqual([]);
    }
  });

  it('a pass-through 400 keeps its status, with the echoed type, code and param redacted', async () => {
    const { status, text } = await call('/v1/chat/completions', chat(`${protocol}-json400`));
    expect(status).toBe(400);
    const { error } = JSON.parse(text) as { error: Record<string, string | null> };
    expect(error.message).toContain('Incorrect API key provided: [redacted]');
    expect(error.type === '[redacted]' || error.code === '[redacted]').toBe(true);
  });

  it('an error event after the first tokens carries no piece of the key', async () => {
    const { status, text } = await call('/v1/chat/completions', chat(`${protocol}-event`, true));
    expect(status).toBe(200);
    const last = text.trim().split('\n\n').at(-1)!;
    expect(last).toMatch(/^data: \{"error"/);
    expect(last).toContain('[redacted]');
    expect(leaks(text, key)).toEqual([]);
  });
});

describe('the request log', () => {
  it('holds no piece of any key', () => {
    expect(records.length).toBeGreaterThan(0);
    const logged = JSON.stringify(records);
    for (const key of [...Object.values(KEYS), GATEWAY_KEY]) expect(leaks(logged, key)).toEqual([]);
  });
});

describe('the request store', () => {
  it('holds no piece of any key: records, traces and aggregates', async () => {
    expect(await gateway.store!.flush()).toBe(true);
    const read = async (path: string): Promise<string> =>
      (
        await request(`${gateway.url}${path}`, { headers: { authorization: `Bearer ${GATEWAY_KEY}` } })
      ).body.text();
    const recent = await read('/v1/switchyard/requests?limit=500');
    expect((JSON.parse(recent) as { data: unknown[] }).data.length).toBe(records.length);
    expect(recent).toContain('upstream_400');
    const stored = [
      recent,
      await read('/v1/switchyard/stats?by=route'),
      await read('/v1/switchyard/stats?by=target'),
    ];
    for (const key of [...Object.values(KEYS), GATEWAY_KEY])
      expect(leaks(stored.join('\n'), key)).toEqual([]);
  });
});

describe('what the events feed: metrics and the status page', () => {
  it('an upstream error code never becomes an outcome: the gateway names it, and no key piece shows', async () => {
    expect(outcomes.length).toBeGreaterThan(0);
    // Every outcome is the gateway's own word (e.g. upstream_400), never an upstream's code.
    for (const outcome of outcomes) expect(outcome).toMatch(/^(ok|[a-z][a-z0-9_]*)$/);
    expect(outcomes).toContain('upstream_400');
    const read = async (path: string): Promise<string> =>
      (
        await request(`${gateway.url}${path}`, { headers: { authorization: `Bearer ${GATEWAY_KEY}` } })
      ).body.text();
    const exposed = [await read('/metrics'), await read('/status.json')].join('\n');
    expect(exposed).toContain('upstream_400');
    for (const key of [...Object.values(KEYS), GATEWAY_KEY]) expect(leaks(exposed, key)).toEqual([]);
  });
});
