// What the request store costs (docs/observability.md, "Request store"): on the response path (the
// recorder's listener), off it (building and writing records in batches), and a stats query.
// Run after `npx tsc -p tsconfig.build.json`: node bench/store-cost.mjs [postgres://…/test]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { EventBus } from '../dist/core/events.js';
import { SecretScrubber } from '../dist/core/secret-scrubber.js';
import { StoreRecorder, toRecord } from '../dist/store/recorder.js';
import { SqliteStore } from '../dist/store/sqlite.js';
import { PostgresStore } from '../dist/store/postgres.js';

const T0 = Date.now();
const event = (i) => ({
  requestId: 'r' + i,
  route: i % 3 ? 'chat' : 'embed',
  key: 'team-' + (i % 5),
  endpoint: 'chat',
  stream: true,
  status: i % 20 ? 200 : 502,
  outcome: i % 20 ? 'ok' : 'upstream_503',
  target: 'backup/model-b',
  provider: 'backup',
  model: 'model-b',
  attempts: 2,
  totalMs: 200 + (i % 700),
  ttftMs: 50 + (i % 300),
  tokens: { prompt: 120, completion: 80, estimated: false },
  costUsd: 0.001,
  fallbackReason: 'primary/model-a: upstream_503',
  trace: [
    { target: 'primary/model-a', action: 'attempt', result: 'upstream_503', ms: 12 },
    { target: 'backup/model-b', action: 'attempt', result: 'ok', ms: 190, costUsd: 0.001 },
  ],
});

// 1. The response path: publishing request.ended to the recorder (it only queues the event).
{
  const bus = new EventBus();
  const idle = { now: () => 0, setTimeout: () => ({ id: 0 }), clearTimeout: () => undefined };
  const recorder = new StoreRecorder({
    open: () => new Promise(() => undefined),
    events: bus,
    clock: idle,
    wallNow: () => T0,
    random: Math.random,
    batch: { maxSize: 1e9, flushIntervalMs: 1e9, maxQueued: 2_000_000 },
    retention: { maxAgeMs: 1e9, maxRows: 1e9, pruneIntervalMs: 1e9 },
    log: () => undefined,
  });
  const n = 1_000_000;
  const events = Array.from({ length: 1000 }, (_, i) => event(i));
  for (let i = 0; i < 100_000; i++) bus.publish('request.ended', events[i % 1000]);
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) bus.publish('request.ended', events[i % 1000]);
  const ns = Number(process.hrtime.bigint() - t0) / n;
  console.log(`response path (listener queues the event): ${(ns / 1000).toFixed(3)} µs per request`);
  void recorder;
}

// 2. Off the response path: building and writing records, in batches of 200. The event loop's busy
// time (eventLoopUtilization) bounds what it costs the gateway's own thread (it also counts time the
// thread was runnable but preempted, on a loaded machine); the rest runs elsewhere (the SQLite
// thread, the PostgreSQL server). Process CPU covers every thread of this process.
// As a gateway with three providers and two keys scrubs what may come from upstream.
const scrubber = new SecretScrubber([
  'sk-proj-Abc123Def456Ghi789Jkl012Mno345',
  'sk-ant-api03-Zyx987Wvu654Tsr321Qpo098',
  'AIzaSyB-Gemini0Key1With2Some3Length4',
  'sk-gateway-ops-0001',
  'sk-gateway-team-0002',
]);
const scrub = (text) => scrubber.scrub(text);
const loopMs = (since) => performance.eventLoopUtilization(since).active;
async function writeCost(label, store, total) {
  const batches = [];
  for (let b = 0; b < total / 200; b++)
    batches.push(
      Array.from({ length: 200 }, (_, j) => ({ event: event(b * 200 + j), time: T0 + b * 200 + j })),
    );
  const elu = performance.eventLoopUtilization();
  const cpu = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  let worst = 0;
  for (const pending of batches) {
    const s = process.hrtime.bigint();
    await store.insert(pending.map((p) => toRecord(p, scrub)));
    worst = Math.max(worst, Number(process.hrtime.bigint() - s) / 1e6);
  }
  const wall = Number(process.hrtime.bigint() - t0) / total / 1000;
  const loop = (loopMs(elu) * 1000) / total;
  const used = process.cpuUsage(cpu);
  const cpuPerRecord = (used.user + used.system) / total;
  console.log(
    `${label}: ${wall.toFixed(1)} µs per record written (wall), ${loop.toFixed(1)} µs of it on the event loop (busy or preempted), process CPU ${cpuPerRecord.toFixed(1)} µs (all threads); slowest batch of 200: ${worst.toFixed(1)} ms`,
  );
  for (const by of ['route', 'target']) {
    const s = process.hrtime.bigint();
    const e = performance.eventLoopUtilization();
    await store.stats({ since: T0, until: T0 + total, by });
    console.log(
      `${label}: stats by ${by} over ${total} requests: ${(Number(process.hrtime.bigint() - s) / 1e6).toFixed(0)} ms, ${loopMs(e).toFixed(1)} ms of it on the event loop`,
    );
  }
}

const dir = mkdtempSync(join(tmpdir(), 'switchyard-store-bench-'));
const sqlite = await SqliteStore.open(join(dir, 'requests.db'));
await writeCost('SQLite', sqlite, 100_000);
await sqlite.close();
rmSync(dir, { recursive: true, force: true });

const url = process.argv[2];
if (url) {
  const schema = `sy_bench_${process.pid}`;
  const pg = await PostgresStore.open({ url, schema });
  await writeCost('PostgreSQL', pg, 100_000);
  await pg.close();
  const { default: pgLib } = await import('pg');
  const client = new pgLib.Client({ connectionString: url });
  await client.connect();
  await client.query(`DROP SCHEMA "${schema}" CASCADE`);
  await client.end();
}
