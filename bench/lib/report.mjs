/** Medians across repetitions, the targets from the issue, and the markdown for docs/BENCHMARKS.md. */
import { readFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { SMALL_BEHAVIOR } from './scenarios.mjs';
import { median } from './stats.mjs';

export function machine() {
  let cpuModel = cpus()[0]?.model ?? 'unknown';
  try {
    cpuModel = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? cpuModel;
  } catch {
    // not Linux
  }
  return {
    node: process.version,
    cpuModel,
    cores: cpus().length,
    memoryGb: totalmem() / 2 ** 30,
    kernel: (() => {
      try {
        return readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim();
      } catch {
        return 'unknown';
      }
    })(),
  };
}

/** Medians across repetitions; ratios and differences are taken within a repetition first. */
export function summarize(targets, reps, idleMb, settledIdleMb = {}) {
  const keys = targets.map((t) => t.key);
  const values = (scenario, key, field) => reps.map((r) => r[scenario][key][field]);
  const per = (scenario, key, field) => median(values(scenario, key, field));
  const ratios = (scenario, a, b, field) => reps.map((r) => r[scenario][a][field] / r[scenario][b][field]);
  const diffs = (scenario, a, b, field) => reps.map((r) => r[scenario][a][field] - r[scenario][b][field]);
  const out = { throughput: {}, latency: {}, streaming: {}, spread: {} };
  for (const key of keys) {
    out.throughput[key] = {
      rps: per('throughput', key, 'rps'),
      rpsRange: range(values('throughput', key, 'rps')),
      p50Ms: per('throughput', key, 'p50Ms'),
      p99Ms: per('throughput', key, 'p99Ms'),
      ofDirect: median(ratios('throughput', key, 'direct', 'rps')),
      ofBare: median(ratios('throughput', key, 'bare', 'rps')),
      cpuUsPerReq: per('throughput', key, 'cpuUsPerReq'),
      simCpuUsPerReq: per('throughput', key, 'simCpuUsPerReq'),
      loadgenCores: per('throughput', key, 'loadgenCores'),
      rssMb: Math.max(...values('throughput', key, 'rssMb')),
    };
    out.latency[key] = {
      p50Ms: per('latency', key, 'p50Ms'),
      p99Ms: per('latency', key, 'p99Ms'),
      addedP50Ms: median(diffs('latency', key, 'direct', 'p50Ms')),
      addedP99Ms: median(diffs('latency', key, 'direct', 'p99Ms')),
      overBareP50Ms: median(diffs('latency', key, 'bare', 'p50Ms')),
    };
    out.streaming[key] = {
      ttftP50: per('streaming', key, 'ttftP50'),
      ttftP99: per('streaming', key, 'ttftP99'),
      addedTtftP50: median(diffs('streaming', key, 'direct', 'ttftP50')),
      addedTtftP99: median(diffs('streaming', key, 'direct', 'ttftP99')),
      totalP50: per('streaming', key, 'totalP50'),
      addedTotalP50: median(diffs('streaming', key, 'direct', 'totalP50')),
      events: per('streaming', key, 'events'),
      cpuUsPerReq: per('streaming', key, 'cpuUsPerReq'),
      rssMb: Math.max(...values('streaming', key, 'rssMb')),
    };
  }
  // Interference: CPU other processes on the machine used during the kept windows, and re-measures.
  for (const scenario of ['throughput', 'latency', 'streaming']) {
    const windows = reps.flatMap((r) => keys.map((key) => r[scenario][key]));
    out.spread[scenario] = {
      foreignMedian: median(windows.map((w) => w.foreignCores)),
      foreignMax: Math.max(...windows.map((w) => w.foreignCores)),
      remeasured: windows.reduce((n, w) => n + w.attempts - 1, 0),
      windows: windows.length,
    };
  }
  // The targets (issue 16, "Footprint and hot path"): throughput at 85 % of the bare pass-through,
  // memory within 1.25× its peak and 60 MB idle, latency and streaming as before; all of it with the
  // defaults and with every per-request layer on; Redis-shared state within 10 % of one instance.
  const bareRss = out.throughput.bare.rssMb;
  const rssOf = (key) => Math.max(out.throughput[key].rssMb, out.streaming[key].rssMb);
  out.targets = [];
  for (const [key, prefix] of [
    ['gateway', ''],
    ['layers', 'Every layer on: '],
  ]) {
    if (!out.throughput[key]) continue;
    out.targets.push(
      target(
        `${prefix}non-streaming throughput ÷ bare pass-through (50 connections)`,
        ratios('throughput', key, 'bare', 'rps'),
        '≥',
        0.85,
        pctFmt,
      ),
      target(
        `${prefix}added p50 latency over direct, one connection`,
        diffs('latency', key, 'direct', 'p50Ms'),
        '≤',
        0.6,
        msFmt,
      ),
      target(
        `${prefix}streaming time to first token added over direct (p50)`,
        diffs('streaming', key, 'direct', 'ttftP50'),
        '≤',
        1.5,
        msFmt,
      ),
      target(
        `${prefix}RSS under load ÷ the bare pass-through's`,
        [rssOf(key) / bareRss],
        '≤',
        1.25,
        timesFmt,
      ),
    );
  }
  out.targets.push(target('Gateway RSS idle after start (defaults)', [idleMb.gateway], '≤', 60, mbFmt));
  // The same, once V8's memory reducer has given back what start-up grew (run.mjs, SETTLED_IDLE_MS).
  if (settledIdleMb.gateway !== undefined) {
    out.targets.push(
      target(
        `Gateway RSS idle, lowest within ${SETTLED_IDLE_SECONDS} s of start (memory reducer run; defaults)`,
        [settledIdleMb.gateway],
        '≤',
        60,
        mbFmt,
      ),
    );
  }
  if (out.throughput.shared) {
    out.sharedOfLayers = ratios('throughput', 'shared', 'layers', 'rps');
    out.targets.push(
      target(
        'State in Redis: throughput ÷ the same layers on one instance (50 connections)',
        ratios('throughput', 'shared', 'layers', 'rps'),
        '≥',
        0.9,
        pctFmt,
      ),
    );
  }
  return out;
}

const range = (v) => [Math.min(...v), Math.max(...v)];

/**
 * The second idle figure: the lowest RSS within this many seconds of start, before any request
 * (bench/run.mjs). V8's memory reducer gives back the young generation that start-up grew with a
 * memory-reducing GC some 8 s after the last start-up GC, or 16 or 24 s when it does not yet find
 * the isolate idle; before it runs, RSS stays at the 2 s figure.
 */
export const SETTLED_IDLE_SECONDS = 30;

/** The settled idle figures, for the memory section. */
function settledText(run) {
  const m = run.settledIdleMb;
  if (!m?.gateway) return 'no settled idle figure (an older run)';
  return `lowest idle within ${run.settledIdleSeconds ?? SETTLED_IDLE_SECONDS} s of start, once V8's memory reducer has given back the young generation start-up grew, ${m.gateway.toFixed(1)} MB (every layer on: ${f(m.layers, 1)} MB; the bare pass-through ${f(m.bare, 1)} MB)`;
}

function heapText(m) {
  if (!m) return 'not available';
  const mb = (x) => `${(x / 2 ** 20).toFixed(1)} MB`;
  return `rss ${mb(m.rss)}, heapTotal ${mb(m.heapTotal)}, heapUsed ${mb(m.heapUsed)}, external ${mb(m.external)}, arrayBuffers ${mb(m.arrayBuffers)}`;
}

function spreadText(spread) {
  return Object.entries(spread)
    .map(
      ([scenario, x]) =>
        `${scenario}: other processes used ${x.foreignMedian.toFixed(2)} cores (median; max ${x.foreignMax.toFixed(2)}) over ${x.windows} windows, ${x.remeasured} re-measured`,
    )
    .join('; ')
    .concat('.');
}

const pctFmt = (x) => `${(x * 100).toFixed(1)} %`;
const msFmt = (x) => `${x.toFixed(3)} ms`;
const mbFmt = (x) => `${x.toFixed(1)} MB`;
const timesFmt = (x) => `${x.toFixed(2)}×`;
const f = (x, digits) => (Number.isFinite(x) ? x.toFixed(digits) : '—');
const signed = (x, digits) =>
  Number.isFinite(x) ? `${x >= 0 ? '+' : '−'}${Math.abs(x).toFixed(digits)}` : '—';

/** A target judged on the median of its per-repetition values; the range shows the spread. */
function target(name, perRep, op, limit, fmt) {
  const value = median(perRep);
  const met = op === '≥' ? value >= limit : value <= limit;
  const gap = Math.abs(value - limit);
  const how = met ? `met, ${fmt(gap)} to spare` : `**not met**, off by ${fmt(gap)}`;
  const [lo, hi] = range(perRep);
  const spread = perRep.length > 1 ? `${fmt(lo)} … ${fmt(hi)}` : '—';
  const met2 = perRep.filter((v) => (op === '≥' ? v >= limit : v <= limit)).length;
  return {
    name,
    value,
    op,
    limit,
    met,
    text: `| ${name} | ${fmt(value)} | ${spread} | ${op} ${fmt(limit)} | ${how}${perRep.length > 1 ? ` (${met2} of ${perRep.length} repetitions)` : ''} |`,
  };
}

export function renderMarkdown(run, targets, s) {
  const { settings: st, machine: m } = run;
  const rows = (fn) => targets.map((t) => fn(t, t.key)).join('\n');
  const loadgenText =
    run.loadgen === 'wrk'
      ? 'wrk (one thread) for the non-streaming scenarios'
      : 'autocannon (in the bench process) at 50 connections, a sequential undici client at one connection';
  return `# Benchmarks

Generated by \`bench/run.mjs\` — do not edit by hand; re-run the command below to refresh it.

- **Command:** \`npm run build && ${run.command}\` ${run.command === 'node bench/run.mjs' ? '(`npm run bench` runs the same, building first when src/ changed)' : ''}
- **Date:** ${run.date}
- **Machine:** ${m.cpuModel}, ${m.cores} cores, ${m.memoryGb.toFixed(0)} GB RAM, Linux ${m.kernel}
- **Node:** ${m.node}
- **Switchyard revision:** ${run.revision}${run.gatewayNodeArgs.length ? `; gateway Node flags: \`${run.gatewayNodeArgs.join(' ')}\`` : ''}
- **Load generator:** ${loadgenText}; a sequential undici client for streaming
- **CPU layout:** ${run.cpus.label}
- **Warm-up:** each configuration first serves ${st.initialWarmupSeconds} s of the 50-connection load and
  ${st.streamWarmup * 5} streams, unmeasured, so that V8 has optimised its hot paths and sized its heap
- **Repetitions:** ${st.reps}, configurations in rotated order each time; every figure is the median
  over repetitions (ratios and differences are taken within a repetition, then the median)

${targets.length} configurations, one at a time, all calling the **same simulated upstream** (the built-in
simulator, its own process) on loopback:

- **direct** — the load generator calls the simulator itself;
- **bare node:http proxy** — \`bench/servers/bare-proxy.mjs\`: \`node:http\` server → undici \`Pool\`,
  body streamed both ways, nothing else. The cost of one Node hop, the gateway's floor;
- **Fastify proxy** — \`bench/servers/fastify-proxy.mjs\`: the same pass-through on Fastify 5 (logger
  off, body streamed through), to show what the framework costs;
- **JSON proxy** — \`bench/servers/json-proxy.mjs\`: \`node:http\` → undici, but reading both bodies,
  parsing them, setting their \`model\` and serialising them again: the least any gateway that reads and
  rewrites JSON pays over the bare hop, before its first feature;
- **Switchyard gateway** — \`bench/servers/gateway.mjs\`, its configuration validated the way
  \`switchyard start\` does it: one route, one target (the simulator), no keys, otherwise the
  configuration's defaults: the request store (SQLite, on its own thread) and the status page's live
  statistics on, metrics and the request log off;
- **Switchyard, every layer on** — the defaults plus metrics (\`metrics.enabled: true\`) and a routing
  policy (\`least-latency\`) choosing between two targets (two providers, both the simulator): every
  layer that runs per request (tracing stays off: it needs a collector);${
    targets.some((t) => t.key === 'shared')
      ? `
- **Switchyard, every layer on, state in Redis** — the same with \`state.driver: redis\` (the machine's
  Redis, a private key prefix): breakers, cooldowns, drains, key cooldowns, spend, retry budgets and hedge
  caps shared as across instances (one instance here, so the figure is Redis's cost on the hot path).`
      : `
- (no Redis answered, so the configuration with state in Redis was not run).`
  }

Each server runs in its own child process, so CPU and memory are read per process from \`/proc\`.

## Targets

| Target | Measured (median) | Range over repetitions | Target | Result |
|---|---|---|---|---|
${s.targets.map((t) => t.text).join('\n')}

## 1. Non-streaming, ${st.connections} connections

A small chat completion (${SMALL_BEHAVIOR.replyTokens} tokens). ${st.warmupSeconds} s warm-up, then ${st.seconds} s measured.
CPU is user + system time of the proxy's process over the measured window divided by requests served.

| Configuration | req/s (median) | req/s range | p50 ms | p99 ms | % of direct | % of bare proxy | proxy CPU µs/req | simulator CPU µs/req | load generator CPU (cores) | proxy max RSS MB |
|---|---|---|---|---|---|---|---|---|---|---|
${rows((t, k) => {
  const r = s.throughput[k];
  return `| ${t.label} | ${f(r.rps, 0)} | ${f(r.rpsRange[0], 0)}–${f(r.rpsRange[1], 0)} | ${f(r.p50Ms, 2)} | ${f(r.p99Ms, 2)} | ${f(r.ofDirect * 100, 1)} | ${f(r.ofBare * 100, 1)} | ${f(r.cpuUsPerReq, 0)} | ${f(r.simCpuUsPerReq, 0)} | ${f(r.loadgenCores, 2)} | ${f(r.rssMb, 1)} |`;
})}

## 2. One connection, sequential requests

The same request, one at a time on one keep-alive connection: ${st.oneConnWarmupSeconds} s warm-up, ${st.oneConnSeconds} s measured.

| Configuration | p50 ms | p99 ms | added p50 vs direct | added p99 vs direct | added p50 vs bare proxy |
|---|---|---|---|---|---|
${rows((t, k) => {
  const r = s.latency[k];
  return `| ${t.label} | ${f(r.p50Ms, 3)} | ${f(r.p99Ms, 3)} | ${signed(r.addedP50Ms, 3)} ms | ${signed(r.addedP99Ms, 3)} ms | ${signed(r.overBareP50Ms, 3)} ms |`;
})}

## 3. Streaming, ~200 chunks

\`stream: true\`, the simulator sends 200 content chunks as fast as it can (\`replyTokens: 200\`,
\`tokensPerSecond: 0\`). ${st.streams} sequential requests on one connection after ${st.streamWarmup} warm-up requests.
Time to first token (TTFT) runs from just before the request is sent to the arrival of the first
\`data:\` event carrying content; total runs to the end of the stream (checked to end in \`[DONE]\`).

| Configuration | TTFT p50 ms | TTFT p99 ms | added TTFT p50 | added TTFT p99 | total p50 ms | added total p50 | SSE events | proxy CPU µs/stream | proxy max RSS MB |
|---|---|---|---|---|---|---|---|---|---|
${rows((t, k) => {
  const r = s.streaming[k];
  return `| ${t.label} | ${f(r.ttftP50, 3)} | ${f(r.ttftP99, 3)} | ${signed(r.addedTtftP50, 3)} ms | ${signed(r.addedTtftP99, 3)} ms | ${f(r.totalP50, 2)} | ${signed(r.addedTotalP50, 2)} ms | ${f(r.events, 0)} | ${f(r.cpuUsPerReq, 0)} | ${f(r.rssMb, 1)} |`;
})}

## 4. Gateway memory

RSS of the gateway process with the defaults (\`VmRSS\`, sampled every 100 ms during its load phases):
idle 2 s after start ${run.gatewayIdleMb.gateway.toFixed(1)} MB (every layer on: ${f(run.gatewayIdleMb.layers, 1)} MB), ${settledText(run)}, max under load ${Math.max(s.throughput.gateway.rssMb, s.streaming.gateway.rssMb).toFixed(1)} MB; peak over the whole run (\`VmHWM\`) ${run.gatewayPeakMb.toFixed(1)} MB.
For scale, the bare proxy peaked at ${f(s.throughput.bare.rssMb, 1)} MB and the Fastify proxy at ${f(s.throughput.fastify.rssMb, 1)} MB in the same scenario.
\`process.memoryUsage()\` of the gateway right after its last ${st.connections}-connection window:
${heapText(run.gatewayHeap?.loaded)}; after a full GC (live data): ${heapText(run.gatewayHeap?.live)}.
The gap between live heap and RSS is V8's heap sizing under load (young generation, heap reserve),
not data the gateway keeps: the live heap does not grow with the requests served. Most of the idle
RSS is code: a bare \`node\` process starts at about 40 MB; undici's entry point, which the bare proxy
imports, adds about 20 MB, of which the gateway loads only the Pool and what it needs (about 11 MB);
the request store's thread (a second V8 isolate and SQLite) about 10 MB, given back some 15 s after
the store's last write or query (the thread ends and starts again on the next); zod and yaml, which validate the configuration, load on a short-lived thread of their own and are
gone once the gateway serves (docs/PERFORMANCE.md). A smaller young generation
(\`--gateway-node-args=--max-semi-space-size=4\`) lowered the peak by a few MB in a trial run and
cost CPU per request, so the gateway keeps V8's defaults.

## What reading JSON costs, and what the gateway's own work costs

The JSON proxy does the work every translating gateway must do and nothing else: it reached
${f(s.throughput.json.ofBare * 100, 1)} % of the bare proxy's throughput at ${st.connections} connections, with
${f(s.throughput.json.cpuUsPerReq, 0)} µs of CPU per request against the bare proxy's ${f(s.throughput.bare.cpuUsPerReq, 0)} µs. The rest of the
gateway's ${f(s.throughput.gateway.cpuUsPerReq, 0)} µs is its own machinery (routing, failover, breakers, timeouts, events, the request
store and the status page): docs/PERFORMANCE.md says where it goes.

## node:http or Fastify

The gateway uses \`node:http\`. The two pass-throughs differ only in the framework: at ${st.connections}
connections Fastify reached ${f(s.throughput.fastify.ofBare * 100, 1)} % of the bare proxy's throughput
and spent ${f(s.throughput.fastify.cpuUsPerReq, 0)} µs of CPU per request against ${f(s.throughput.bare.cpuUsPerReq, 0)} µs; at one connection it added
${signed(s.latency.fastify.overBareP50Ms, 3)} ms at p50 over the bare proxy.

## Reading these numbers

- Everything shares one ${m.cores}-core machine: the simulator, the proxy under test and the load
  generator compete for the same cores, so absolute req/s are this machine's, not the gateway's
  ceiling. Compare configurations within the run, not across machines or runs. Direct has one hop
  fewer *and* one busy process fewer; the bare proxy is the fair floor for any Node gateway here.
- The load generator costs CPU too (column "load generator CPU": the bench process plus the wrk
  runs it reaped, over the measured window). wrk (C, one thread) is far lighter than autocannon
  (Node, one event loop); with autocannon the load generator takes a larger share of the two cores
  and the throughput ratios move towards 100 %.
- CPU layout: ${run.cpus.loadgen ? 'pinned with `taskset` as stated above.' : 'not pinned. On this VM, pinning (`--pin 0:0:1`: load generator and simulator on CPU 0, proxy on CPU 1) did not reduce the run-to-run spread in trial runs and raised one-connection latency (every hop becomes a cross-CPU wake-up), so the default leaves scheduling to the OS.'}
- Other work on the machine: before each measured window the bench waits (up to ${st.quietWaitSeconds} s) until
  other processes use ≤ ${st.maxForeignCores} cores, and measures a window again (up to ${st.attempts} tries, the
  quietest kept) when they used more during it — computed from \`/proc/stat\` minus the bench's own
  processes. In this run: ${spreadText(s.spread)}
- Even in quiet windows the spread between repetitions is wide (see the ranges); the medians and
  the within-repetition ratios are the figures to quote.
- CPU time comes from \`/proc/PID/stat\` (utime + stime, all threads, clock-tick resolution); RSS from
  \`/proc/PID/status\`.

## Reproduce and profile

\`\`\`sh
npm run build
node bench/run.mjs                  # full run, rewrites this file
node bench/run.mjs --quick          # ~1 minute, prints only
node bench/run.mjs --profile        # gateway under --cpu-prof at ${st.connections} connections: top self time
node bench/run.mjs --profile --scenario streaming
\`\`\`

Options: \`--reps N\`, \`--seconds N\`, \`--loadgen wrk|autocannon\` (default: wrk when installed —
\`apt-get install wrk\` — else autocannon), \`--pin none|L:S:P\` (CPU lists for load generator,
simulator, proxy, e.g. \`0:0:1\`; default \`none\`), \`--json FILE\` for the raw numbers.

## What each change bought

Not generated: [PERFORMANCE.md](PERFORMANCE.md) lists each change made to move these figures (issue 16),
what it measured and how, and what was tried and bought nothing.

## Shared state (Redis) on the request path

${
  s.throughput.shared
    ? `Measured above ("state in Redis"): ${f(median(s.sharedOfLayers) * 100, 1)} % of the same layers' throughput on one
instance (median of the per-repetition ratios). Breakers, cooldowns, retry budgets and hedge caps are
read locally; Redis is written off the request path (docs/deployment.md, "What it costs").`
    : 'Not measured in this run: no Redis answered.'
}
`;
}
