/**
 * Many instances: three gateway processes (the built `dist/cli.js`, which `npm test` builds first)
 * sharing state through a real Redis (a private `redis-server` child on a free port, so that it can be
 * stopped and restarted mid-test without touching the machine's Redis), behind a real HAProxy
 * (round-robin), against two simulated providers. See src/cluster/local.ts and docs/deployment.md.
 */
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalCluster, type LocalCluster } from '../src/cluster/local.js';
import { startSimulator } from '../src/simulator/index.js';

let cluster: LocalCluster;

beforeAll(async () => {
  cluster = await startLocalCluster({
    instances: 3,
    config: { breakers: { consecutiveFailures: 2, openBaseMs: 60_000 } },
    routes: {
      c: { targets: ['primary/model-c', 'backup/model-b'] },
      'c-only': { targets: ['primary/model-c'] },
      e: { targets: ['primary/model-e', 'backup/model-b'] },
    },
  });
}, 30_000);

afterAll(async () => {
  await cluster?.close();
});

interface TargetState {
  id: string;
  state: string;
  nextProbeInMs: number | null;
  cooldownUntil: number | null;
}

async function targetState(instance: string, id: string): Promise<TargetState> {
  const res = await request(`${instance}/v1/switchyard/status`);
  const body = (await res.body.json()) as { targets: TargetState[] };
  return body.targets.find((t) => t.id === id)!;
}

async function sharedState(instance: string): Promise<{
  redis: { connected: boolean; outages: number };
  health: { applied: number; published: number; pending: number };
}> {
  const res = await request(`${instance}/v1/switchyard/state`);
  return (await res.body.json()) as never;
}

async function chat(base: string, model: string): Promise<number> {
  const res = await request(`${base}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model, messages: [{ role: 'user', content: 'Hello' }] }),
  });
  await res.body.dump();
  return res.statusCode;
}

/** Polls (real time) until `check` holds; returns how long it took; fails after `ms`. */
async function within(ms: number, check: () => Promise<boolean>): Promise<number> {
  const start = performance.now();
  while (!(await check())) {
    if (performance.now() - start > ms) throw new Error(`not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 2));
  }
  return performance.now() - start;
}

describe('three instances behind HAProxy sharing state through Redis', () => {
  it('a breaker tripped through one instance is open on the others within the bound', async () => {
    cluster.primary.schedule('model-a', [{ fault: { kind: 'status', status: 503 } }]);
    const [first, ...others] = cluster.instances;
    // Only the first instance sees the failures (failover answers the client each time).
    expect(await chat(first!, 'm')).toBe(200);
    expect(await chat(first!, 'm')).toBe(200);
    expect((await targetState(first!, 'primary/model-a')).state).toBe('open');
    const ms = await within(1_000, async () => {
      const states = await Promise.all(others.map((i) => targetState(i, 'primary/model-a')));
      return states.every((s) => s.state === 'open');
    });
    console.log(`breaker open on the other instances after ${ms.toFixed(1)} ms (polling included)`);
    for (const i of others) {
      const s = await targetState(i, 'primary/model-a');
      expect(s.nextProbeInMs).toBeGreaterThan(55_000);
      expect((await sharedState(i)).health.applied).toBeGreaterThanOrEqual(1);
    }
    // The others never sent the primary a request: the requests through the balancer go to backup.
    const before = cluster.primary.stats('model-a').requests;
    for (let n = 0; n < 6; n++) expect(await chat(cluster.url, 'm')).toBe(200);
    expect(cluster.primary.stats('model-a').requests).toBe(before);
    cluster.primary.reset();
  });

  it('a cooldown set on one instance is not shortened by a shorter one from another', async () => {
    const [a, b, c] = cluster.instances as [string, string, string];
    cluster.primary.schedule('model-c', [{ fault: { kind: 'status', status: 429, retryAfterMs: 40_000 } }]);
    expect(await chat(a, 'c')).toBe(200); // 429 → 40 s cooldown on a, failover to backup
    await within(1_000, async () => (await targetState(c, 'primary/model-c')).state === 'open');
    const longUntil = (await targetState(c, 'primary/model-c')).nextProbeInMs!;
    expect(longUntil).toBeGreaterThan(35_000);
    // b has only that one target on `c-only`: it tries it anyway (panic) and gets a 0.5 s cooldown.
    cluster.primary.schedule('model-c', [{ fault: { kind: 'status', status: 429, retryAfterMs: 500 } }]);
    const asked = cluster.primary.stats('model-c').requests;
    expect(await chat(b, 'c-only')).toBe(429);
    expect(cluster.primary.stats('model-c').requests).toBeGreaterThan(asked); // b got the short one
    const shared = await sharedState(b);
    expect(shared.health.pending).toBe(0);
    for (const i of [a, b, c]) {
      const s = await targetState(i, 'primary/model-c');
      expect(s.state).toBe('open');
      expect(s.nextProbeInMs).toBeGreaterThan(30_000);
    }
    cluster.primary.reset();
  });

  it('Redis stopped and restarted under load: no request lost, deadlines set meanwhile re-converge', async () => {
    const [a, b, c] = cluster.instances as [string, string, string];
    let stop = false;
    const statuses: number[] = [];
    const client = async (): Promise<void> => {
      while (!stop) statuses.push(await chat(cluster.url, 'm'));
    };
    const load = Promise.all([client(), client(), client(), client()]);
    await within(5_000, () => Promise.resolve(statuses.length >= 20));
    await cluster.redis.stop();
    await within(5_000, async () => !(await sharedState(c)).redis.connected);
    // While Redis is away, c sets a cooldown: it keeps it and writes it when Redis is back.
    cluster.primary.schedule('model-e', [{ fault: { kind: 'status', status: 429, retryAfterMs: 40_000 } }]);
    expect(await chat(c, 'e')).toBe(200);
    expect((await sharedState(c)).health.pending).toBeGreaterThanOrEqual(1);
    const during = statuses.length;
    await within(5_000, () => Promise.resolve(statuses.length >= during + 20));
    await cluster.redis.start();
    await within(10_000, async () => {
      const states = await Promise.all([a, b, c].map(sharedState));
      return states.every((s) => s.redis.connected && s.health.pending === 0);
    });
    await within(2_000, async () => {
      const states = await Promise.all([a, b].map((i) => targetState(i, 'primary/model-e')));
      return states.every((s) => s.state === 'open' && s.nextProbeInMs! > 30_000);
    });
    const after = statuses.length;
    await within(5_000, () => Promise.resolve(statuses.length >= after + 20));
    stop = true;
    await load;
    expect(statuses.length).toBeGreaterThan(60);
    expect(statuses.filter((s) => s !== 200)).toEqual([]);
    for (const i of [a, b, c]) expect((await sharedState(i)).redis.outages).toBeGreaterThanOrEqual(1);
    cluster.primary.reset();
  });
});

describe('a key limit across three instances sharing Redis', () => {
  const KEY = 'sk-cluster-app-0123456789';
  let keyed: LocalCluster;
  beforeAll(async () => {
    keyed = await startLocalCluster({
      instances: 3,
      config: { keys: [{ name: 'app', key: KEY, limits: { rpm: 10 } }] },
    });
  }, 30_000);
  afterAll(async () => {
    await keyed?.close();
  });

  it('holds under concurrent load through the balancer: the limit, not three times it, gets through', async () => {
    const minute = (): number => Math.floor(Date.now() / 60_000);
    const before = minute();
    const statuses = await Promise.all(
      Array.from({ length: 30 }, async () => {
        const res = await request(`${keyed.url}/v1/chat/completions`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${KEY}` },
          body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'Hello' }] }),
        });
        const body = (await res.body.json()) as { error?: { code: string } };
        return res.statusCode === 200 ? 200 : `${res.statusCode} ${body.error?.code}`;
      }),
    );
    const ok = statuses.filter((s) => s === 200).length;
    // One fixed window per minute: a burst that straddles a minute boundary may get one more window.
    if (minute() === before) expect(ok).toBe(10);
    else expect(ok).toBeLessThanOrEqual(20);
    expect(statuses.filter((s) => s !== 200).every((s) => s === '429 key_rate_limit_requests')).toBe(true);
  });
});

describe('a key budget across three instances sharing Redis', () => {
  const KEY = 'sk-cluster-budgeted-0123456789';
  // USD per million tokens: a request of a few dozen tokens costs a few cents.
  const PRICE = { input: 1_000, output: 1_000 };
  const body = JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'Hello' }] });
  let budgeted: LocalCluster;
  let perRequestUsd = 0;
  beforeAll(async () => {
    // What one request costs: the same simulator's usage for the same request, at the same price.
    const sim = await startSimulator();
    try {
      const res = await request(`${sim.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'model-a', messages: [{ role: 'user', content: 'Hello' }] }),
      });
      const { usage } = (await res.body.json()) as {
        usage: { prompt_tokens: number; completion_tokens: number };
      };
      perRequestUsd = ((usage.prompt_tokens + usage.completion_tokens) * PRICE.input) / 1e6;
    } finally {
      await sim.close();
    }
    budgeted = await startLocalCluster({
      instances: 3,
      prices: { primary: { 'model-a': PRICE } },
      // Three and a half requests' worth: the fourth still starts (the spend is below the cap), then no more.
      config: {
        keys: [{ name: 'budgeted', key: KEY, routing: { cap: { dailyUsd: perRequestUsd * 3.5 } } }],
      },
    });
  }, 30_000);
  afterAll(async () => {
    await budgeted?.close();
  });

  it('holds across the balancer: the fleet spends the budget once, not once per instance', async () => {
    const statuses: (number | string)[] = [];
    // One at a time (HAProxy round-robins them over the three instances).
    for (let i = 0; i < 9; i++) {
      const res = await request(`${budgeted.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${KEY}` },
        body,
      });
      const answer = (await res.body.json()) as { error?: { code: string } };
      statuses.push(res.statusCode === 200 ? 200 : `${res.statusCode} ${answer.error?.code}`);
    }
    // A request's cost is added to the shared counter as it ends, one Redis round trip after its answer
    // left: the next request, already on another instance, may start before that lands (a slack of one).
    // Per-instance counters would let each of the three spend the whole budget (all nine answered).
    const answered = statuses.filter((s) => s === 200).length;
    expect(answered).toBeGreaterThanOrEqual(4);
    expect(answered).toBeLessThanOrEqual(5);
    expect(statuses.slice(0, answered).every((s) => s === 200)).toBe(true);
    expect(statuses.slice(answered).every((s) => s === '429 cost_cap_reached')).toBe(true);
  });
});
