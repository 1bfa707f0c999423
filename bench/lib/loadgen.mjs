/**
 * Load generators with one result shape: { requests, rps, p50Ms, p99Ms, errors }.
 * wrk (C, epoll) when installed — it leaves the CPU to the servers — else autocannon (Node).
 * At one connection without wrk, a sequential undici loop: autocannon's latencies are whole ms.
 */
import { performance } from 'node:perf_hooks';
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { Client } from 'undici';
import { percentile } from './stats.mjs';

const wrkScript = fileURLToPath(new URL('../wrk/post.lua', import.meta.url));

export const hasWrk = () => !spawnSync('wrk', ['--version']).error;

export function runWrk({ url, body, connections, seconds, cpus }) {
  const args = ['-t1', `-c${connections}`, `-d${seconds}s`, '--timeout', '10s', '-s', wrkScript, url];
  const [cmd, argv] = cpus ? ['taskset', ['-c', cpus, 'wrk', ...args]] : ['wrk', args];
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, argv, { env: { ...process.env, BENCH_BODY: body } });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('error', reject);
    child.on('exit', (code) => {
      const line = out.split('\n').find((l) => l.startsWith('BENCH_JSON '));
      if (code !== 0 || !line) return reject(new Error(`wrk failed (${code}): ${out}`));
      const r = JSON.parse(line.slice('BENCH_JSON '.length));
      const errors = Object.values(r.errors).reduce((a, b) => a + b, 0);
      resolve({
        requests: r.requests,
        rps: r.requests / (r.durationUs / 1e6),
        p50Ms: r.p50Us / 1000,
        p99Ms: r.p99Us / 1000,
        errors,
      });
    });
  });
}

export async function runAutocannon({ url, body, connections, seconds }) {
  const r = await autocannon({
    url,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
    connections,
    duration: seconds,
  });
  return {
    requests: r.requests.total,
    rps: r.requests.total / (r.duration || seconds),
    p50Ms: r.latency.p50,
    p99Ms: r.latency.p99,
    errors: r.errors + r.timeouts + r.non2xx,
  };
}

/** One connection, one request at a time, timed with performance.now(). */
export async function runSequential({ url, body, seconds }) {
  const { origin, pathname } = new URL(url);
  const client = new Client(origin, { pipelining: 1 });
  const latencies = [];
  let errors = 0;
  const end = performance.now() + seconds * 1000;
  const started = performance.now();
  try {
    while (performance.now() < end) {
      const t0 = performance.now();
      const res = await client.request({
        method: 'POST',
        path: pathname,
        headers: { 'content-type': 'application/json' },
        body,
      });
      await res.body.arrayBuffer();
      latencies.push(performance.now() - t0);
      if (res.statusCode !== 200) errors++;
    }
  } finally {
    await client.close();
  }
  const elapsed = (performance.now() - started) / 1000;
  return {
    requests: latencies.length,
    rps: latencies.length / elapsed,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    errors,
  };
}
