// What the events and their subscribers (metrics, the status page's live stats) cost per request
// (docs/observability.md, "What it costs").
// Run after `npx tsc -p tsconfig.build.json`: node bench/events-cost.mjs
import { EventBus } from '../dist/core/events.js';
import { GatewayMetrics } from '../dist/telemetry/metrics.js';
import { LiveStats } from '../dist/telemetry/live-stats.js';
import { systemClock } from '../dist/resilience/system-clock.js';
import { resolveConfig } from '../dist/config/load.js';

const config = resolveConfig(
  {
    providers: {
      p: { type: 'openai-compatible', baseUrl: 'http://127.0.0.1:9/v1', apiKey: 'sk-xxxxxxxxxxxx' },
    },
    routes: { m: { targets: ['p/model-a'] } },
    keys: [{ name: 'ops', key: 'sk-gateway-ops-0001' }],
  },
  { env: {} },
);

function oneRequest(bus, i) {
  const requestId = 'r' + i;
  if (bus.wants('request.started'))
    bus.publish('request.started', { requestId, route: 'm', key: 'ops', endpoint: 'chat', stream: true });
  if (bus.wants('attempt.started'))
    bus.publish('attempt.started', {
      requestId,
      route: 'm',
      target: 'p/model-a',
      provider: 'p',
      model: 'model-a',
    });
  if (bus.wants('attempt.ended'))
    bus.publish('attempt.ended', {
      requestId,
      route: 'm',
      target: 'p/model-a',
      provider: 'p',
      model: 'model-a',
      operation: 'chat',
      stream: true,
      outcome: 'ok',
      reason: 'ok',
      durationMs: 812,
      ttftMs: 230,
      tokens: { prompt: 120, completion: 80, estimated: false },
      costUsd: 0.001,
      countsAgainstBreaker: false,
    });
  if (bus.wants('request.ended'))
    bus.publish('request.ended', {
      requestId,
      route: 'm',
      key: 'ops',
      endpoint: 'chat',
      stream: true,
      status: 200,
      outcome: 'ok',
      target: 'p/model-a',
      provider: 'p',
      model: 'model-a',
      attempts: 1,
      totalMs: 820,
      ttftMs: 235,
      tokens: { prompt: 120, completion: 80, estimated: false },
      costUsd: 0.001,
    });
}

function time(label, bus, n) {
  for (let i = 0; i < 20000; i++) oneRequest(bus, i); // warm-up
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) oneRequest(bus, i);
  const ns = Number(process.hrtime.bigint() - t0) / n;
  console.log(`${label}: ${(ns / 1000).toFixed(2)} µs per request`);
}
const quiet = new EventBus();
time('no subscriber', quiet, 1_000_000);
// The status page's live stats alone (status.enabled, metrics off): all of its work is in the listener.
const statusBus = new EventBus();
new LiveStats({ config, events: statusBus, clock: systemClock });
time('live stats subscribed (status page)', statusBus, 1_000_000);
// One /status.json (a poll of the page) in a worst case: 10 routes of 3 targets, every 10 s bucket of the
// 15-minute window holding samples.
{
  const providers = {};
  for (const p of ['a', 'b', 'c'])
    providers[p] = { type: 'openai-compatible', baseUrl: 'http://127.0.0.1:9/v1', apiKey: 'sk-xxxxxxxxxxxx' };
  const routes = {};
  for (let i = 0; i < 10; i++) routes['r' + i] = { targets: ['a/m' + i, 'b/m' + i, 'c/m' + i] };
  const big = resolveConfig({ providers, routes }, { env: {} });
  let wall = Date.now() - 15 * 60_000;
  const bus = new EventBus();
  const stats = new LiveStats({ config: big, events: bus, clock: { wallNow: () => wall } });
  for (let b = 0; b < 90; b++, wall += 10_000) {
    for (let i = 0; i < 10; i++) {
      for (const p of ['a', 'b', 'c']) {
        const target = `${p}/m${i}`;
        bus.publish('attempt.ended', {
          ...{ requestId: 'x', route: 'r' + i, target, provider: p, model: 'm' + i, operation: 'chat' },
          ...{ stream: true, outcome: 'ok', reason: 'ok', durationMs: 500 + b, ttftMs: 100 + b },
          countsAgainstBreaker: false,
        });
        bus.publish('request.ended', {
          ...{ requestId: 'x', route: 'r' + i, endpoint: 'chat', stream: true, status: 200, outcome: 'ok' },
          ...{ target, attempts: 1, totalMs: 500 + b, ttftMs: 100 + b, trace: [] },
        });
      }
    }
  }
  wall -= 10_000;
  for (let i = 0; i < 20; i++) JSON.stringify(stats.snapshot()); // warm-up
  const n = 100;
  const t0 = process.hrtime.bigint();
  let bytes = 0;
  for (let i = 0; i < n; i++) bytes = JSON.stringify(stats.snapshot()).length;
  const ms = Number(process.hrtime.bigint() - t0) / n / 1e6;
  console.log(`status.json (10 routes x 3 targets, full window): ${ms.toFixed(2)} ms, ${bytes} bytes`);
}
const bus = new EventBus();
const metrics = new GatewayMetrics({ config, events: bus });
time('metrics subscribed (response path)', bus, 200_000);
// The counting deferred to setImmediate batches, done here at once: its CPU per request.
let t0 = process.hrtime.bigint();
await metrics.text();
console.log(
  `deferred counting: ${(Number(process.hrtime.bigint() - t0) / 220_000 / 1000).toFixed(2)} µs per request`,
);
t0 = process.hrtime.bigint();
const text = await metrics.text();
console.log(`scrape: ${(Number(process.hrtime.bigint() - t0) / 1e6).toFixed(2)} ms, ${text.length} bytes`);
