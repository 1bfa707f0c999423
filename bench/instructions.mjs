#!/usr/bin/env node
/**
 * Instructions per request of the gateway (or the bare pass-through), counted by valgrind's callgrind:
 * a figure that other processes on the machine do not move, for comparing two builds of a change on a
 * busy machine (docs/PERFORMANCE.md, "Conditions"). The server runs under callgrind with its
 * instrumentation off; after `--warmup` requests it is switched on (`callgrind_control --instr=on`),
 * `--requests` more are sent at 8 connections, then the counts are dumped, per thread.
 *
 *   npm run build && node bench/instructions.mjs [--variant defaults|layers|no-store|bare|json]
 *        [--requests 2000] [--warmup 5000] [--dist path/to/another/build/dist] [--stream]
 *
 * 5,000 warm-up requests: after 1,000, much of the once-per-request code (the handler, the engine,
 * node's and undici's HTTP code) still ran in V8's baseline tiers, where every property access goes
 * through a generic stub, and counted 25–35 % more than at full speed. 2,000 counted requests: one
 * old-generation collection (tens of millions of instructions) more or less in the window moved a
 * 1,000-request count by ±5 %.
 *
 * With `--stream`, each request is the streaming scenario's (a ~200-chunk stream, read to its end) and the
 * counts are per stream; `--requests` and `--warmup` then default to 200.
 *
 * Prints the main thread's instructions per request (the figure to compare: it repeats within about
 * ±4 %), the other threads' (V8's helper threads are inflated by valgrind, which serialises threads and
 * counts their spinning), and the total. Needs valgrind (Debian's `valgrind` package).
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Pool } from 'undici';
import { startChild } from './lib/children.mjs';
import * as scenarios from './lib/scenarios.mjs';

const { values: opts } = parseArgs({
  options: {
    variant: { type: 'string', default: 'defaults' },
    requests: { type: 'string' },
    warmup: { type: 'string' },
    dist: { type: 'string' },
    stream: { type: 'boolean', default: false },
  },
});
if (spawnSync('valgrind', ['--version']).error) {
  console.error('bench/instructions.mjs needs valgrind (apt-get install valgrind).');
  process.exit(1);
}
const servers = fileURLToPath(new URL('./servers/', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'switchyard-instructions-'));

/** The server script; for another build, a copy of gateway.mjs that imports that build's dist/. */
function serverScript() {
  if (opts.variant === 'bare') return join(servers, 'bare-proxy.mjs');
  if (opts.variant === 'json') return join(servers, 'json-proxy.mjs');
  const script = join(servers, 'gateway.mjs');
  if (!opts.dist) return script;
  const copy = join(work, 'gateway.mjs');
  const text = readFileSync(script, 'utf8')
    .replaceAll('../../dist/', `${resolve(opts.dist)}/`)
    .replace("'./common.mjs'", `'${join(servers, 'common.mjs')}'`);
  writeFileSync(copy, text);
  return copy;
}

async function load(pool, count) {
  let sent = 0;
  const worker = async () => {
    while (sent++ < count) {
      const r = await pool.request({
        path: '/v1/chat/completions',
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: opts.stream ? scenarios.STREAM_BODY : scenarios.SMALL_BODY,
      });
      await r.body.text();
      if (r.statusCode !== 200) throw new Error(`answered ${r.statusCode}`);
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
}

async function main() {
  const behavior = opts.stream ? scenarios.STREAM_BEHAVIOR : scenarios.SMALL_BEHAVIOR;
  const sim = await startChild('simulator', [JSON.stringify(behavior)]);
  const child = spawn(
    'valgrind',
    [
      '--tool=callgrind',
      '--instr-atstart=no',
      '--separate-threads=yes',
      `--callgrind-out-file=${join(work, 'callgrind.%p')}`,
      process.execPath,
      serverScript(),
      sim.url,
      scenarios.MODEL,
      opts.variant,
    ],
    {
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      env: { ...process.env, SWITCHYARD_DATA_DIR: join(work, 'data') },
    },
  );
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const pool = new Pool(
    await new Promise((ready, fail) => {
      child.on('message', (m) => m.type === 'ready' && ready(m.url));
      child.once('exit', (code) => fail(new Error(`the server exited (${code}):\n${stderr}`)));
    }),
    { connections: 8 },
  );
  try {
    const n = Number(opts.requests ?? (opts.stream ? 200 : 2000));
    await load(pool, Number(opts.warmup ?? (opts.stream ? 200 : 5000)));
    const control = (arg) => execFileSync('callgrind_control', [arg, String(child.pid)], { stdio: 'ignore' });
    control('--instr=on');
    await load(pool, n);
    control('--instr=off');
    control('--dump');
    const threads = [];
    for (const file of readdirSync(work).filter((f) => f.startsWith('callgrind.'))) {
      const total = /^totals: (\d+)/m.exec(readFileSync(join(work, file), 'utf8'))?.[1];
      const thread = /-(\d+)$/.exec(file)?.[1];
      if (total && Number(total) > 0 && thread)
        threads.push({ thread: Number(thread), k: Number(total) / n / 1000 });
    }
    threads.sort((a, b) => a.thread - b.thread);
    const main = threads.find((t) => t.thread === 1);
    const all = threads.reduce((sum, t) => sum + t.k, 0);
    const unit = opts.stream ? 'stream' : 'request';
    console.log(`${opts.variant}${opts.dist ? ` (${opts.dist})` : ''}: ${n} ${unit}s`);
    console.log(`  main thread   ${main ? main.k.toFixed(0) : '?'} k instructions per ${unit}`);
    for (const t of threads.filter((t) => t.thread !== 1))
      console.log(`  thread ${String(t.thread).padEnd(6)} ${t.k.toFixed(0)} k`);
    console.log(`  all threads   ${all.toFixed(0)} k`);
  } finally {
    child.kill('SIGKILL');
    await pool.close();
    await sim.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
