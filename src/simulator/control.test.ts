/** Behaviour layers, schedules on an injected clock, seeded fault rates, stats, admin API, reset, close. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import { simulatorOptionsFromArgs } from './cli.js';
import { startSimulator, type Simulator, type SimulatorOptions } from './index.js';

const open: Simulator[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.close()));
});

async function start(options: SimulatorOptions = {}): Promise<{ sim: Simulator; client: OpenAI }> {
  const sim = await startSimulator(options);
  open.push(sim);
  return { sim, client: new OpenAI({ baseURL: `${sim.url}/v1`, apiKey: 'k', maxRetries: 0 }) };
}

const messages: OpenAI.Chat.ChatCompletionMessageParam[] = [{ role: 'user', content: 'hi' }];

/** The status of one completion: 200 or the error status. */
async function statusOf(client: OpenAI, model = 'm'): Promise<number> {
  return client.chat.completions.create({ model, messages }).then(
    () => 200,
    (e: unknown) => (e instanceof OpenAI.APIError ? (e.status ?? -1) : -1),
  );
}

async function until(check: () => boolean): Promise<void> {
  const deadline = performance.now() + 2000;
  while (!check()) {
    if (performance.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe('behaviour layers', () => {
  it("applies '*' to every model; a model's own settings win; reset restores the options", async () => {
    const { sim, client } = await start({ models: { calm: { fault: null, replyText: 'calm reply' } } });
    sim.setBehavior('*', { fault: { kind: 'status', status: 503 } });
    expect(await statusOf(client, 'any')).toBe(503);
    sim.setBehavior('calm', { replyTokens: 1 });
    const calm = await client.chat.completions.create({ model: 'calm', messages });
    expect(calm.choices[0]?.message.content).toBe('calm');
    sim.reset();
    expect(await statusOf(client, 'any')).toBe(200);
    const again = await client.chat.completions.create({ model: 'calm', messages });
    expect(again.choices[0]?.message.content).toBe('calm reply');
  });
});

describe('schedules', () => {
  it('runs phases in order on the injected clock, then is healthy', async () => {
    let now = 1_000;
    const { sim, client } = await start({ clock: () => now });
    sim.schedule('m', [
      { durationMs: 30_000, fault: { kind: 'status', status: 503 } },
      { durationMs: 10_000, fault: { kind: 'status', status: 429 }, behavior: { latencyMs: 1 } },
      { durationMs: 5_000, fault: null, behavior: { replyText: 'phase three' } },
    ]);
    expect(await statusOf(client)).toBe(503);
    now += 29_999;
    expect(await statusOf(client)).toBe(503);
    expect(await statusOf(client, 'other')).toBe(200);
    now += 1;
    expect(await statusOf(client)).toBe(429);
    now += 10_000;
    const healthy = await client.chat.completions.create({ model: 'm', messages });
    expect(healthy.choices[0]?.message.content).toBe('phase three');
    now += 5_000;
    const after = await client.chat.completions.create({ model: 'm', messages });
    expect(after.choices[0]?.message.content).not.toBe('phase three');
    expect(sim.stats('m').outcomes).toMatchObject({ status: 3, ok: 2 });
  });

  it("'*' schedules apply to all models and a phase without duration lasts forever", async () => {
    let now = 0;
    const { sim, client } = await start({ clock: () => now });
    sim.schedule('*', [{ fault: { kind: 'status', status: 500 } }]);
    now += 1e9;
    expect(await statusOf(client, 'a')).toBe(500);
    expect(await statusOf(client, 'b')).toBe(500);
  });
});

describe('fault rate', () => {
  async function pattern(seed: number): Promise<number[]> {
    const { client, sim } = await start({ seed });
    sim.schedule('m', [{ durationMs: 60_000, fault: { kind: 'status', status: 500 }, faultRate: 0.3 }]);
    const statuses: number[] = [];
    for (let i = 0; i < 30; i++) statuses.push(await statusOf(client));
    return statuses;
  }

  it('is deterministic for a seed and close to the rate', async () => {
    const first = await pattern(42);
    const second = await pattern(42);
    expect(second).toEqual(first);
    const failures = first.filter((s) => s === 500).length;
    expect(failures).toBeGreaterThan(3);
    expect(failures).toBeLessThan(20);
    expect(await pattern(7)).not.toEqual(first);
  });
});

describe('stats', () => {
  it('counts in-flight requests and requests cancelled mid-stream by the client', async () => {
    const { sim, client } = await start({ defaultBehavior: { tokensPerSecond: 100, replyTokens: 50 } });
    const controller = new AbortController();
    const stream = await client.chat.completions.create(
      { model: 'slow', messages, stream: true },
      { signal: controller.signal },
    );
    let seen = 0;
    for await (const chunk of stream) {
      if (chunk.choices[0]?.delta.content && ++seen === 3) {
        expect(sim.stats().inFlight).toBe(1);
        controller.abort();
      }
    }
    await until(() => sim.stats().cancelled === 1);
    expect(sim.stats('slow')).toMatchObject({ requests: 1, inFlight: 0, cancelled: 1, outcomes: { ok: 1 } });
    expect(sim.stats().models.slow?.cancelled).toBe(1);
    await client.chat.completions.create({ model: 'quick', messages, max_tokens: 1 });
    expect(sim.stats()).toMatchObject({ requests: 2, cancelled: 1 });
    expect(sim.stats('quick').cancelled).toBe(0);
  });
});

describe('admin API', () => {
  const post = (sim: Simulator, path: string, body?: unknown): Promise<Response> =>
    fetch(`${sim.url}${path}`, {
      method: 'POST',
      body: body === undefined ? undefined : JSON.stringify(body),
    });

  it('sets behaviours and schedules, reports stats and resets', async () => {
    const { sim, client } = await start();
    expect(
      (
        await post(sim, '/_sim/behavior', {
          model: 'm',
          behavior: { fault: { kind: 'status', status: 503 } },
        })
      ).status,
    ).toBe(200);
    expect(await statusOf(client)).toBe(503);
    const stats = (await (await fetch(`${sim.url}/_sim/stats?model=m`)).json()) as {
      requests: number;
      outcomes: { status: number };
    };
    expect(stats).toMatchObject({ requests: 1, outcomes: { status: 1 } });
    expect((await post(sim, '/_sim/reset')).status).toBe(200);
    expect(await statusOf(client)).toBe(200);
    expect(
      (
        await post(sim, '/_sim/schedule', {
          model: '*',
          phases: [{ durationMs: 60_000, fault: { kind: 'status', status: 502 } }],
        })
      ).status,
    ).toBe(200);
    expect(await statusOf(client)).toBe(502);
    expect(sim.stats().requests).toBe(2);
  });

  it('rejects invalid admin payloads with the path of the problem', async () => {
    const { sim } = await start();
    const response = await post(sim, '/_sim/behavior', {
      model: 'm',
      behavior: { fault: { kind: 'explode' } },
    });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: string }).error).toContain('behavior.fault');
    expect((await post(sim, '/_sim/nothing', {})).status).toBe(404);
  });
});

describe('close', () => {
  it('closes promptly with a hung request open', async () => {
    const sim = await startSimulator({ defaultBehavior: { fault: { kind: 'hang' } } });
    const client = new OpenAI({ baseURL: `${sim.url}/v1`, apiKey: 'k', maxRetries: 0 });
    const pending = client.chat.completions.create({ model: 'm', messages }).catch((e: unknown) => e);
    await until(() => sim.stats().inFlight === 1);
    const started = performance.now();
    await sim.close();
    expect(performance.now() - started).toBeLessThan(500);
    expect(await pending).toBeInstanceOf(OpenAI.APIConnectionError);
  });
});

describe('CLI options', () => {
  it('reads a YAML config and lets flags win', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sim-'));
    const file = join(dir, 'sim.yaml');
    writeFileSync(
      file,
      'port: 5000\nseed: 3\ndefaultBehavior:\n  ttftMs: 20\nmodels:\n  gpt-4o:\n    fault: { kind: status, status: 503 }\n',
    );
    const options = simulatorOptionsFromArgs(['--config', file, '--port', '0']);
    expect(options).toMatchObject({ port: 0, host: '127.0.0.1', seed: 3, defaultBehavior: { ttftMs: 20 } });
    expect(options.models?.['gpt-4o']?.fault).toEqual({ kind: 'status', status: 503 });
    expect(simulatorOptionsFromArgs([]).port).toBe(4010);
  });

  it('names the key of an invalid config', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sim-'));
    const file = join(dir, 'sim.json');
    writeFileSync(file, JSON.stringify({ models: { m: { faultRate: 2 } } }));
    expect(() => simulatorOptionsFromArgs(['--config', file])).toThrow(/models\.m\.faultRate/);
  });
});
