// What each routing policy costs per request on the hot path (docs/routing.md, "What it costs"): the
// routing filters, health's plan and the policy's order for a three-target route, all targets healthy.
// Run after `npx tsc -p tsconfig.build.json`: node bench/routing-cost.mjs
import { resolveConfig } from '../dist/config/load.js';
import { BreakerHealth } from '../dist/engine/breaker-health.js';
import { planRequest } from '../dist/engine/routing-plan.js';
import { NO_EVENTS } from '../dist/core/events.js';
import { Router } from '../dist/routing/router.js';
import { systemClock, systemRandom } from '../dist/resilience/system-clock.js';

const targets = ['p1/model-a', 'p2/model-b', 'p3/model-c'];
const provider = (n) => ({
  type: 'openai-compatible',
  baseUrl: `http://127.0.0.1:9/v${n}`,
  apiKey: 'sk-xxxxxxxxxxxx',
  prices: { [`model-${'abc'[n - 1]}`]: { input: n, output: 2 * n } },
});
const routing = {
  priority: undefined,
  weighted: { policy: 'weighted', weights: { 'p1/model-a': 70, 'p2/model-b': 20, 'p3/model-c': 10 } },
  'least-latency': { policy: 'least-latency' },
  'lowest-cost': { policy: 'lowest-cost' },
  balanced: { policy: 'balanced' },
  'priority + tier floor': { tierFloor: 1 },
};
const config = resolveConfig(
  {
    providers: { p1: provider(1), p2: provider(2), p3: provider(3) },
    routes: Object.fromEntries(
      Object.entries(routing).map(([name, r]) => [name, { targets, ...(r ? { routing: r } : {}) }]),
    ),
  },
  { env: {} },
);
const health = new BreakerHealth({ clock: systemClock, random: systemRandom });
const router = new Router({
  clock: systemClock,
  wallNow: () => systemClock.wallNow(),
  random: systemRandom,
  routes: config.routes.values(),
});
// Some latency statistics, as a running gateway would have.
for (const [i, id] of targets.entries())
  for (let k = 0; k < 20; k++)
    router.stats.ended({
      target: id,
      outcome: 'ok',
      durationMs: 900 + i * 50,
      ttftMs: 200 + i * 30,
      tokens: { prompt: 100, completion: 80, estimated: false },
      countsAgainstBreaker: false,
    });
const body = {
  model: 'm',
  stream: true,
  messages: [{ role: 'user', content: 'Hello there, how are you today?' }],
  max_tokens: 256,
};

function time(label, route, withRouter, n) {
  const run = () => {
    const state = { call: { route, body, requestId: 'r' }, trace: [], skips: [] };
    return planRequest(health, withRouter ? router : undefined, route.targets, state, NO_EVENTS);
  };
  for (let i = 0; i < 50_000; i++) run(); // warm-up
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) run();
  const ns = Number(process.hrtime.bigint() - t0) / n;
  console.log(`${label.padEnd(34)} ${(ns / 1000).toFixed(2)} µs per request`);
}

time('no router (health.plan only)', config.routes.get('priority'), false, 500_000);
for (const name of Object.keys(routing)) time(name, config.routes.get(name), true, 300_000);
// Feeding the statistics: the attempt.started/attempt.ended subscribers, per attempt.
const ended = {
  target: 'p1/model-a',
  outcome: 'ok',
  durationMs: 900,
  ttftMs: 200,
  tokens: { prompt: 100, completion: 80, estimated: false },
  countsAgainstBreaker: false,
};
const t0 = process.hrtime.bigint();
for (let i = 0; i < 1_000_000; i++) {
  router.stats.started('p1/model-a');
  router.stats.ended(ended);
}
console.log(
  `${'statistics, per attempt'.padEnd(34)} ${(Number(process.hrtime.bigint() - t0) / 1e6 / 1000).toFixed(2)} µs`,
);
