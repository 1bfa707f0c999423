// Routing on the simulator (docs/routing.md, "Benchmark"): one process, real sockets, the simulator as
// three providers. Part 1: p95 time to first token of least-latency vs priority routing when the first
// of three targets slows (150 → 1,000 ms TTFT, below the breakers' 2 s slow-call floor, so health alone
// does not move traffic). Part 2: what lowest-cost and balanced routing save over priority on a mixed
// workload (prompt sizes and max_tokens drawn from a seeded random), at three prices and speeds.
// Run after `npx tsc -p tsconfig.build.json`: node bench/routing-sim.mjs  (about 40 s)
import { performance } from 'node:perf_hooks';
import { request } from 'undici';
import { resolveConfig } from '../dist/config/load.js';
import { startGateway } from '../dist/main.js';
import { silentLogger } from '../dist/telemetry/logger.js';
import { startSimulator } from '../dist/simulator/index.js';
import { mulberry32 } from '../dist/resilience/random.js';

const KEY = 'sk-sim-key-0000000001';
const sim = await startSimulator({
  apiKey: KEY,
  models: {
    'model-a': { ttftMs: 150, tokensPerSecond: 400, replyTokens: 40 },
    'model-b': { ttftMs: 150, tokensPerSecond: 400, replyTokens: 40 },
    'model-c': { ttftMs: 150, tokensPerSecond: 400, replyTokens: 40 },
    premium: { ttftMs: 120, tokensPerSecond: 400, replyTokens: 200 },
    mid: { ttftMs: 250, tokensPerSecond: 400, replyTokens: 200 },
    budget: { ttftMs: 600, tokensPerSecond: 400, replyTokens: 200 },
  },
});
const provider = (prices) => ({ type: 'openai-compatible', baseUrl: `${sim.url}/v1`, apiKey: KEY, prices });
const three = ['p1/model-a', 'p2/model-b', 'p3/model-c'];
const priced = ['p1/premium', 'p2/mid', 'p3/budget'];
const config = resolveConfig(
  {
    server: { port: 0 },
    providers: {
      p1: provider({ premium: { input: 3, output: 15 } }),
      p2: provider({ mid: { input: 0.4, output: 1.6 } }),
      p3: provider({ budget: { input: 0.1, output: 0.4 } }),
    },
    routes: {
      priority: { targets: three },
      'least-latency': { targets: three, routing: { policy: 'least-latency' } },
      'cost-priority': { targets: priced },
      'cost-lowest': { targets: priced, routing: { policy: 'lowest-cost' } },
      'cost-balanced': { targets: priced, routing: { policy: 'balanced' } },
    },
  },
  { env: {} },
);
const gateway = await startGateway(config, { log: silentLogger });
const costs = new Map();
gateway.events.subscribe('request.ended', (e) => {
  costs.set(e.requestId, e.costUsd ?? 0);
});

async function call(model, body) {
  const started = performance.now();
  const res = await request(`${gateway.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model, ...body }),
  });
  const requestId = res.headers['x-request-id'];
  const target = res.headers['x-switchyard-target'];
  let ttft;
  for await (const chunk of res.body) {
    if (ttft === undefined && chunk.length) ttft = performance.now() - started;
  }
  return { ttft, total: performance.now() - started, target, requestId };
}

async function load(model, n, concurrency, body) {
  const results = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < n) {
        const i = next++;
        results.push(await call(model, typeof body === 'function' ? body(i) : body));
      }
    }),
  );
  return results;
}

const q = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * s.length))];
};
const share = (rs) => Object.fromEntries(three.map((t) => [t, rs.filter((r) => r.target === t).length]));
const streamBody = {
  stream: true,
  messages: [{ role: 'user', content: 'Tell me a story.' }],
  max_tokens: 64,
};

// Part 1: warm both routes, then the first target slows.
await load('priority', 60, 10, streamBody);
await load('least-latency', 60, 10, streamBody);
sim.setBehavior('model-a', { ttftMs: 1_000 });
const part1 = {};
for (const route of ['priority', 'least-latency']) {
  const t0 = performance.now();
  const rs = await load(route, 150, 10, streamBody);
  part1[route] = {
    requests: rs.length,
    p50TtftMs: Math.round(
      q(
        rs.map((r) => r.ttft),
        0.5,
      ),
    ),
    p95TtftMs: Math.round(
      q(
        rs.map((r) => r.ttft),
        0.95,
      ),
    ),
    share: Object.values(share(rs)).join('/'),
    seconds: ((performance.now() - t0) / 1000).toFixed(1),
  };
}
console.log(
  'Part 1: first of three targets slows to 1,000 ms TTFT (others 150 ms), 150 streams, 10 concurrent',
);
console.table(part1);

// Part 2: a mixed workload, the same for each route (seeded).
const mixed = (seed) => {
  const random = mulberry32(seed);
  return () => ({
    messages: [{ role: 'user', content: 'x'.repeat(200 + Math.floor(random() * 8_000)) }],
    max_tokens: 50 + Math.floor(random() * 750),
  });
};
const part2 = {};
for (const route of ['cost-priority', 'cost-lowest', 'cost-balanced']) {
  const draw = mixed(7);
  const rs = await load(route, 120, 10, () => draw());
  const usd = rs.reduce((s, r) => s + (costs.get(r.requestId) ?? 0), 0);
  part2[route] = {
    requests: rs.length,
    costUsd: usd.toFixed(5),
    p50LatencyMs: Math.round(
      q(
        rs.map((r) => r.total),
        0.5,
      ),
    ),
    p95LatencyMs: Math.round(
      q(
        rs.map((r) => r.total),
        0.95,
      ),
    ),
    premium: rs.filter((r) => r.target === 'p1/premium').length,
    mid: rs.filter((r) => r.target === 'p2/mid').length,
    budget: rs.filter((r) => r.target === 'p3/budget').length,
  };
}
const base = Number(part2['cost-priority'].costUsd);
for (const r of Object.values(part2))
  r.savedVsPriority = `${(100 * (1 - Number(r.costUsd) / base)).toFixed(1)} %`;
console.log(
  'Part 2: mixed workload (prompts 200–8,200 chars, max_tokens 50–800), 120 requests, 10 concurrent',
);
console.table(part2);
await gateway.close();
await sim.close();
