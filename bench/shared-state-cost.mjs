// What Redis-shared state costs on the request path (docs/deployment.md, "What it costs"): one gateway
// with `state.driver: memory`, then the same with `redis` (local-first: requests read breakers and
// cooldowns in process; Redis is written only when a deadline changes), alternated, same load.
// Run after `npx tsc -p tsconfig.build.json`: node bench/shared-state-cost.mjs [redis://127.0.0.1:6379]
import { performance } from 'node:perf_hooks';
import { Pool } from 'undici';
import { resolveConfig } from '../dist/config/load.js';
import { startGateway } from '../dist/main.js';
import { startSimulator } from '../dist/simulator/index.js';
import { silentLogger } from '../dist/telemetry/logger.js';

const REDIS = process.argv[2] ?? 'redis://127.0.0.1:6379';
const SECONDS = Number(process.env.SECONDS ?? 5);
const CONCURRENCY = 32;
const body = JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'Hello' }] });

const primary = await startSimulator({
  apiKey: 'k',
  defaultBehavior: { latencyMs: 0, ttftMs: 0, tokensPerSecond: 0, replyTokens: 20 },
});
const backup = await startSimulator({
  apiKey: 'k',
  defaultBehavior: { latencyMs: 0, ttftMs: 0, tokensPerSecond: 0, replyTokens: 20 },
});

async function run(driver) {
  const config = resolveConfig(
    {
      server: { port: 0 },
      store: { enabled: false },
      providers: {
        primary: { type: 'openai-compatible', baseUrl: `${primary.url}/v1`, apiKey: 'k' },
        backup: { type: 'openai-compatible', baseUrl: `${backup.url}/v1`, apiKey: 'k' },
      },
      routes: { m: { targets: ['primary/model-a', 'backup/model-b'] } },
      state: driver === 'redis' ? { driver, url: REDIS, prefix: `sybench:${process.pid}` } : { driver },
    },
    { env: {} },
  );
  const gateway = await startGateway(config, { log: silentLogger });
  const pool = new Pool(gateway.url, { connections: CONCURRENCY });
  const latencies = [];
  let done = 0;
  const end = performance.now() + SECONDS * 1000;
  const worker = async () => {
    while (performance.now() < end) {
      const t0 = performance.now();
      const res = await pool.request({
        path: '/v1/chat/completions',
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
      });
      await res.body.dump();
      if (res.statusCode !== 200) throw new Error(`status ${res.statusCode}`);
      latencies.push(performance.now() - t0);
      done++;
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  await pool.close();
  await gateway.close();
  latencies.sort((a, b) => a - b);
  const q = (p) => latencies[Math.floor(p * (latencies.length - 1))].toFixed(2);
  return { driver, rps: done / SECONDS, p50: q(0.5), p99: q(0.99) };
}

await run('memory'); // warm-up
const results = [];
for (const driver of ['memory', 'redis', 'memory', 'redis', 'memory', 'redis'])
  results.push(await run(driver));
for (const r of results)
  console.log(`${r.driver.padEnd(6)} ${r.rps.toFixed(0)} req/s  p50 ${r.p50} ms  p99 ${r.p99} ms`);
const mean = (d) => results.filter((r) => r.driver === d).reduce((s, r) => s + r.rps, 0) / 3;
console.log(`redis / memory throughput: ${((100 * mean('redis')) / mean('memory')).toFixed(1)} %`);
await Promise.all([primary.close(), backup.close()]);
