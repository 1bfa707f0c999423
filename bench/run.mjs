#!/usr/bin/env node
/**
 * Switchyard benchmark: the gateway against a direct call to the same simulated upstream, a bare
 * node:http pass-through and a Fastify pass-through, in one run on loopback. Every server runs in
 * its own child process; the load generator is wrk (or autocannon). See docs/BENCHMARKS.md.
 *
 *   npm run build && node bench/run.mjs            full run (~5 min), writes docs/BENCHMARKS.md
 *   node bench/run.mjs --quick                     ~1 min, prints only (add --write to write)
 *   node bench/run.mjs --profile [--scenario stream] [--variant layers]  gateway under --cpu-prof, top self time
 *
 * Options: --reps N, --seconds N, --loadgen wrk|autocannon, --pin none|LOADGEN:SIM:PROXY (CPU
 * lists, e.g. 0:0:1), --no-write, --json FILE, --gateway-node-args "--max-semi-space-size=8".
 */
import { spawnSync } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { hasTaskset, pin, startChild } from './lib/children.mjs';
import { hasWrk } from './lib/loadgen.mjs';
import { memory } from './lib/proc.mjs';
import { summarizeProfile } from './lib/profile.mjs';
import { SETTLED_IDLE_SECONDS, machine, renderMarkdown, summarize } from './lib/report.mjs';
import * as scenarios from './lib/scenarios.mjs';

const root = new URL('..', import.meta.url).pathname;
const { values: opts } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    reps: { type: 'string' },
    seconds: { type: 'string' },
    loadgen: { type: 'string' },
    pin: { type: 'string' },
    write: { type: 'boolean' },
    'no-write': { type: 'boolean', default: false },
    json: { type: 'string' },
    profile: { type: 'boolean', default: false },
    variant: { type: 'string' },
    scenario: { type: 'string', default: 'throughput' },
    'gateway-node-args': { type: 'string', default: '' },
  },
});

const settings = opts.quick
  ? {
      reps: 1,
      warmupSeconds: 2,
      seconds: 5,
      oneConnWarmupSeconds: 1,
      oneConnSeconds: 3,
      streamWarmup: 20,
      streams: 100,
    }
  : {
      reps: 5,
      warmupSeconds: 2,
      seconds: 5,
      oneConnWarmupSeconds: 1,
      oneConnSeconds: 3,
      streamWarmup: 20,
      streams: 200,
    };
settings.connections = 50;
// Every configuration is first warmed up once, unmeasured (see scenarios.warmUp).
settings.initialWarmupSeconds = opts.quick ? 5 : 10;
// Windows disturbed by other processes on the machine are measured again (see scenarios.mjs).
settings.attempts = 3;
settings.maxForeignCores = 0.1;
settings.quietWaitSeconds = 20;
if (opts.reps) settings.reps = Number(opts.reps);
if (opts.seconds) settings.seconds = Number(opts.seconds);

function cpuLayout() {
  const requested = opts.pin ?? 'none';
  if (requested === 'none') return { label: 'none (the OS schedules every process)' };
  if (!hasTaskset()) throw new Error('--pin needs taskset (util-linux)');
  const [loadgen, sim, proxy] = requested.split(':');
  return {
    loadgen,
    sim,
    proxy,
    label: `taskset: load generator on CPU ${loadgen}, simulator on CPU ${sim}, proxy under test on CPU ${proxy}`,
  };
}

const gatewayNodeArgs = opts['gateway-node-args'].split(' ').filter(Boolean);

/**
 * The gateway configurations (bench/servers/gateway.mjs): the defaults; every per-request layer on
 * (metrics and a routing policy over two targets, besides the defaults' request store and status page);
 * and those layers with state shared through Redis, when a Redis answers (SWITCHYARD_REDIS_URL, or the
 * machine's at 127.0.0.1:6379).
 */
const redisUrl = process.env.SWITCHYARD_REDIS_URL ?? 'redis://127.0.0.1:6379';
const gatewayConfigs = [
  { key: 'gateway', label: 'Switchyard gateway', variant: 'defaults' },
  { key: 'layers', label: 'Switchyard, every layer on', variant: 'layers' },
  ...((await redisAnswers(redisUrl))
    ? [
        {
          key: 'shared',
          label: 'Switchyard, every layer on, state in Redis',
          variant: 'shared',
          env: { SWITCHYARD_REDIS_URL: redisUrl },
        },
      ]
    : []),
];

/** Whether a Redis answers PING at `url` (no client library: one RESP command on a socket). */
function redisAnswers(url) {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect({ host: hostname, port: Number(port || 6379) });
    const done = (ok) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => done(false));
    socket.on('error', () => done(false));
    socket.on('connect', () => socket.write('PING\r\n'));
    socket.on('data', (d) => done(d.toString().startsWith('+PONG')));
  });
}

async function main() {
  if (!existsSync(join(root, 'dist/main.js'))) throw new Error('dist/ is missing: run `npm run build` first');
  const loadgen = opts.loadgen ?? (hasWrk() ? 'wrk' : 'autocannon');
  if (loadgen === 'wrk' && !hasWrk()) throw new Error('--loadgen wrk: wrk is not installed');
  const cpus = cpuLayout();
  // Read before the children load dist/: others may be editing src/ while the bench runs.
  const measured = revision();
  if (measured.includes('stale')) log(`warning: dist/ is older than src/ — run \`npm run build\` first`);
  // The parent is a load generator too (autocannon, the streaming client).
  if (cpus.loadgen) pin(process.pid, cpus.loadgen);
  const children = [];
  // The gateways' request stores (SQLite, on by default) write here, not into the checkout.
  const dataRoot = mkdtempSync(join(tmpdir(), 'switchyard-bench-data-'));
  const dataDir = (variant) => join(dataRoot, variant);
  const bench = { settings, loadgen, cpus, sim: null, log, pids: () => children.map((c) => c.pid) };
  const start = async (name, args, extra = {}) => {
    const child = await startChild(name, args, {
      cpus: name === 'simulator' ? cpus.sim : cpus.proxy,
      ...extra,
    });
    child.readyAt = Date.now();
    children.push(child);
    return child;
  };
  try {
    bench.sim = await start('simulator', [JSON.stringify(scenarios.SMALL_BEHAVIOR)]);
    if (opts.profile) return await profile(bench, start);
    const targets = [
      { key: 'direct', label: 'direct (simulator)', url: bench.sim.url },
      { key: 'bare', label: 'bare node:http proxy', child: await start('bare-proxy', [bench.sim.url]) },
      { key: 'fastify', label: 'Fastify proxy', child: await start('fastify-proxy', [bench.sim.url]) },
      { key: 'json', label: 'JSON proxy', child: await start('json-proxy', [bench.sim.url]) },
      ...gatewayConfigs.map(({ key, label, variant, env }) => ({
        key,
        label,
        gateway: true,
        child: null,
        start: () =>
          start('gateway', [bench.sim.url, scenarios.MODEL, variant], {
            // --expose-gc only lets the bench ask for a full GC before reading the live heap.
            nodeArgs: ['--expose-gc', ...gatewayNodeArgs],
            env: { SWITCHYARD_DATA_DIR: dataDir(key), ...env },
          }),
      })),
    ];
    const gatewayIdleMb = {};
    for (const t of targets) {
      if (t.start) {
        t.child = await t.start();
        // Idle: after start, before any request, once its start-up work has settled.
        await sleep(2000);
        gatewayIdleMb[t.key] = memory(t.child.pid).rssMb;
      }
      t.url ??= t.child.url;
      t.pid = t.child?.pid;
      t.chatUrl = `${t.url}/v1/chat/completions`;
    }
    // Idle again once V8's memory reducer has had its turn: some 8, 16 or 24 s after start an idle
    // isolate gives back the young generation that start-up grew (the bare pass-through's too).
    const settledIdleMb = await settledIdle(targets.filter((t) => t.gateway || t.key === 'bare'));
    log(`load generator: ${loadgen}; CPU layout: ${cpus.label}; ${settings.reps} repetition(s)`);
    for (const t of targets) {
      log(
        `warming up ${t.key} (${settings.initialWarmupSeconds} s at ${settings.connections} connections, then streams)`,
      );
      await scenarios.warmUp(bench, t);
    }
    const reps = [];
    let gatewayHeap;
    for (let rep = 0; rep < settings.reps; rep++) {
      // Rotate the order each repetition so no configuration always runs first (or last).
      const order = targets.map((_, i) => targets[(i + rep) % targets.length]);
      const result = { throughput: {}, latency: {}, streaming: {} };
      await bench.sim.request({ type: 'behavior', behavior: scenarios.SMALL_BEHAVIOR });
      for (const t of order)
        result.throughput[t.key] = await step(rep, 'throughput', t, scenarios.throughput(bench, t));
      if (rep === settings.reps - 1) {
        // Right after the gateway's last 50-connection window: as it stood, then after a full GC.
        const gateway = targets.find((t) => t.key === 'gateway').child;
        gatewayHeap = { loaded: await gateway.request({ type: 'memory' }) };
        gatewayHeap.live = await gateway.request({ type: 'memory', gc: true });
      }
      for (const t of order)
        result.latency[t.key] = await step(rep, 'latency', t, scenarios.latency(bench, t));
      await bench.sim.request({ type: 'behavior', behavior: scenarios.STREAM_BEHAVIOR });
      for (const t of order)
        result.streaming[t.key] = await step(rep, 'streaming', t, scenarios.streaming(bench, t));
      reps.push(result);
    }
    const gatewayPeakMb = memory(targets.find((t) => t.key === 'gateway').pid).peakMb;
    const command = `node bench/run.mjs${process.argv.slice(2).length ? ` ${process.argv.slice(2).join(' ')}` : ''}`;
    const run = {
      command,
      date: new Date().toISOString(),
      machine: machine(),
      revision: measured,
      settings,
      loadgen,
      cpus,
      gatewayNodeArgs,
      gatewayIdleMb,
      settledIdleMb,
      settledIdleSeconds: SETTLED_IDLE_MS / 1000,
      gatewayPeakMb,
      gatewayHeap,
    };
    const summary = summarize(targets, reps, gatewayIdleMb, settledIdleMb);
    const markdown = await formatted(renderMarkdown(run, targets, summary));
    process.stdout.write(`\n${markdown}\n`);
    if (opts.json) writeFileSync(opts.json, JSON.stringify({ run, reps, summary }, null, 2));
    const write = opts.write ?? (!opts.quick && !opts['no-write']);
    if (write) {
      writeFileSync(join(root, 'docs/BENCHMARKS.md'), markdown);
      log('wrote docs/BENCHMARKS.md');
    }
  } finally {
    await Promise.all(children.map((c) => c.stop()));
    rmSync(dataRoot, { recursive: true, force: true });
  }
}

/** How long after start the second idle figure is watched for (report.mjs says why). */
const SETTLED_IDLE_MS = SETTLED_IDLE_SECONDS * 1000;

/**
 * The lowest RSS of each target within `SETTLED_IDLE_MS` of its start, idle (no request yet), read
 * every 500 ms: what it holds once V8's memory reducer has run, whenever in that time it does.
 */
async function settledIdle(targets) {
  const mb = {};
  for (;;) {
    const now = Date.now();
    const watching = targets.filter((t) => now - t.child.readyAt <= SETTLED_IDLE_MS);
    for (const t of watching) mb[t.key] = Math.min(mb[t.key] ?? Infinity, memory(t.child.pid).rssMb);
    if (!watching.length) return mb;
    await sleep(500);
  }
}

async function step(rep, scenario, target, promise) {
  const r = await promise;
  const detail =
    scenario === 'streaming'
      ? `TTFT p50 ${r.ttftP50.toFixed(3)} ms, total p50 ${r.totalP50.toFixed(2)} ms, ${r.events} events`
      : `${r.rps.toFixed(0)} req/s, p50 ${r.p50Ms.toFixed(3)} ms, p99 ${r.p99Ms.toFixed(3)} ms`;
  const noise = `other processes ${r.foreignCores.toFixed(2)} cores${r.attempts > 1 ? ` (attempt ${r.attempts})` : ''}`;
  log(
    `rep ${rep + 1} ${scenario.padEnd(10)} ${target.key.padEnd(8)} ${detail}; ${noise}${r.errors ? `, ${r.errors} ERRORS` : ''}`,
  );
  if (r.errors) throw new Error(`${target.key} answered ${r.errors} failed request(s) in ${scenario}`);
  return r;
}

/** The gateway under --cpu-prof for one scenario; prints where its CPU time goes. */
async function profile(bench, start) {
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-prof-'));
  const gateway = await start('gateway', [bench.sim.url, scenarios.MODEL, opts.variant ?? 'defaults'], {
    nodeArgs: ['--cpu-prof', '--cpu-prof-dir', dir],
  });
  const target = { key: 'gateway', pid: gateway.pid, chatUrl: `${gateway.url}/v1/chat/completions` };
  const scenario = opts.scenario;
  if (scenario === 'streaming' || scenario === 'stream') {
    await bench.sim.request({ type: 'behavior', behavior: scenarios.STREAM_BEHAVIOR });
    await step(0, 'streaming', target, scenarios.streaming(bench, target));
  } else {
    await step(0, 'throughput', target, scenarios.throughput(bench, target));
  }
  await gateway.stop();
  const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
  const s = summarizeProfile(join(dir, file), 25);
  const pct = (x) => `${(x * 100).toFixed(1)} %`;
  console.log(
    `\nGateway CPU profile (${scenario}): ${s.busyMs.toFixed(0)} ms busy, ${s.idleMs.toFixed(0)} ms idle — ${join(dir, file)}`,
  );
  console.log('\nSelf time by area:');
  for (const a of s.areas.slice(0, 15)) console.log(`  ${pct(a.share).padStart(7)}  ${a.name}`);
  console.log('\nTop functions by self time:');
  for (const f of s.functions) console.log(`  ${pct(f.share).padStart(7)}  ${f.name}  ${f.where}`);
}

/** The doc as the project's Prettier would write it (tables aligned), so `npm run lint` passes. */
async function formatted(markdown) {
  try {
    const prettier = await import('prettier');
    const file = join(root, 'docs/BENCHMARKS.md');
    const config = (await prettier.resolveConfig(file)) ?? {};
    return await prettier.format(markdown, { ...config, filepath: file });
  } catch {
    return markdown;
  }
}

/** The commit measured, and whether src/ differed from it (others may be editing it). */
function revision() {
  const git = (...args) => spawnSync('git', args, { cwd: root, encoding: 'utf8' }).stdout?.trim() ?? '';
  const commit = git('rev-parse', '--short', 'HEAD') || 'unknown';
  const dirty = git('status', '--porcelain', '--', 'src') !== '';
  const newest = (dir) =>
    readdirSync(dir, { withFileTypes: true, recursive: true })
      .filter((e) => e.isFile())
      .reduce((max, e) => Math.max(max, statSync(join(e.parentPath ?? e.path, e.name)).mtimeMs), 0);
  const stale = newest(join(root, 'src')) > statSync(join(root, 'dist/cli.js')).mtimeMs;
  return `${commit}${dirty ? ', with uncommitted changes in src/' : ''}; dist/ ${stale ? '**older than src/ (stale build)**' : 'built after the last src/ change'}`;
}

function log(message) {
  console.error(`[bench] ${message}`);
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
