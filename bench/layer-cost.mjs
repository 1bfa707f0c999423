#!/usr/bin/env node
/**
 * Where the gateway's CPU per request goes, layer by layer: the gateway with its defaults, without the
 * request store, and without the status page's statistics too, against the bare pass-through, in one
 * run, in alternating rounds (so that a busy machine disturbs each configuration alike). Reports per
 * configuration: CPU per request (user + system, every thread, from /proc), and bytes allocated per
 * request, counted from the scavenges of a 1 MB young generation (`--trace-gc`): a figure other
 * processes on the machine do not move. See docs/PERFORMANCE.md.
 *
 *   npm run build && node bench/layer-cost.mjs [--rounds 4] [--seconds 5]
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startChild } from './lib/children.mjs';
import { runWrk } from './lib/loadgen.mjs';
import { cpuMs } from './lib/proc.mjs';
import { median } from './lib/stats.mjs';
import * as scenarios from './lib/scenarios.mjs';

const { values: opts } = parseArgs({
  options: { rounds: { type: 'string', default: '4' }, seconds: { type: 'string', default: '5' } },
});
const CONFIGS = [
  { key: 'bare', label: 'bare node:http proxy', server: 'bare-proxy' },
  { key: 'defaults', label: 'gateway, defaults (request store, status page)', variant: 'defaults' },
  { key: 'no-store', label: 'gateway, store off', variant: 'no-store' },
  { key: 'no-store-status', label: 'gateway, store and status page off', variant: 'no-store-status' },
];
const dataRoot = mkdtempSync(join(tmpdir(), 'switchyard-layer-cost-'));
const body = scenarios.SMALL_BODY;

/**
 * A server; `traced`: under `--trace-gc` with a fixed 1 MB semi-space, so that each scavenge is about
 * 1 MB allocated (a small young generation costs CPU: CPU is measured on servers started without it).
 */
async function start(config, simUrl, traced) {
  const script = new URL(`./servers/${config.server ?? 'gateway'}.mjs`, import.meta.url).pathname;
  const args = config.server ? [simUrl] : [simUrl, scenarios.MODEL, config.variant];
  const child = spawn(
    process.execPath,
    [
      ...(traced ? ['--trace-gc', '--min-semi-space-size=1', '--max-semi-space-size=1'] : []),
      script,
      ...args,
    ],
    {
      stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
      env: { ...process.env, SWITCHYARD_DATA_DIR: join(dataRoot, config.key) },
    },
  );
  const counted = { scavenges: 0, on: false };
  child.stdout.on('data', (d) => {
    if (counted.on) counted.scavenges += (d.toString().match(/Scavenge/g) ?? []).length;
  });
  const url = await new Promise((resolve, reject) => {
    child.on('message', (m) => m.type === 'ready' && resolve(m.url));
    child.once('exit', (code) => reject(new Error(`${config.key} exited (${code})`)));
  });
  return { child, url: `${url}/v1/chat/completions`, counted };
}

/** Starts every configuration, warms each up, runs `measure` on each in turn `rounds` times, stops them. */
async function measured(simUrl, traced, rounds, measure) {
  const servers = [];
  try {
    for (const config of CONFIGS)
      servers.push({ config, ...(await start(config, simUrl, traced)), rounds: [] });
    for (const s of servers) await runWrk({ url: s.url, body, connections: 50, seconds: 5 });
    for (let round = 0; round < rounds; round++) for (const s of servers) s.rounds.push(await measure(s));
  } finally {
    for (const s of servers) s.child.kill();
  }
  return servers;
}

async function main() {
  const sim = await startChild('simulator', [JSON.stringify(scenarios.SMALL_BEHAVIOR)]);
  const seconds = Number(opts.seconds);
  let cpu, alloc;
  try {
    cpu = await measured(sim.url, false, Number(opts.rounds), async (s) => {
      const before = cpuMs(s.child.pid);
      const r = await runWrk({ url: s.url, body, connections: 50, seconds });
      return { rps: r.rps, cpuUs: ((cpuMs(s.child.pid) - before) * 1000) / r.requests };
    });
    alloc = await measured(sim.url, true, 1, async (s) => {
      s.counted.scavenges = 0;
      s.counted.on = true;
      const r = await runWrk({ url: s.url, body, connections: 50, seconds });
      s.counted.on = false;
      return { kb: (s.counted.scavenges * 1024) / r.requests };
    });
  } finally {
    await sim.stop();
    rmSync(dataRoot, { recursive: true, force: true });
  }
  const servers = cpu.map((s, i) => ({
    ...s,
    rounds: s.rounds.map((r) => ({ ...r, kb: alloc[i].rounds[0].kb })),
  }));
  const base = median(servers[0].rounds.map((r) => r.cpuUs));
  console.log('| configuration | CPU µs/request | over bare | allocated KB/request | req/s |');
  console.log('|---|---|---|---|---|');
  for (const s of servers) {
    const cpu = median(s.rounds.map((r) => r.cpuUs));
    const kb = median(s.rounds.map((r) => r.kb));
    const rps = median(s.rounds.map((r) => r.rps));
    console.log(
      `| ${s.config.label} | ${cpu.toFixed(0)} | +${(cpu - base).toFixed(0)} | ${kb.toFixed(1)} | ${rps.toFixed(0)} |`,
    );
  }
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
