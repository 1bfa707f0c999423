// What tracing costs per request when it is on (docs/observability.md, "Tracing"): a one-attempt
// stream's events with the span builder subscribed, the two spans built after the I/O turn, and their
// export (OTLP/HTTP JSON, batches of 1,000 spans) to a collector stand-in in another process.
// Run after `npx tsc -p tsconfig.build.json`: node bench/tracing-cost.mjs
import { spawn } from 'node:child_process';
import { setImmediate } from 'node:timers/promises';
import { EventBus } from '../dist/core/events.js';
import { RequestSpans } from '../dist/telemetry/request-spans.js';
import { createSdk } from '../dist/telemetry/otel-sdk.js';
import { tracingSettings } from '../dist/telemetry/tracing-config.js';

// A collector stand-in: answers 200 to every POST (in its own process, so its CPU is not counted).
const sink = spawn(
  process.execPath,
  [
    '-e',
    `require('node:http').createServer((q, s) => { q.resume(); q.on('end', () => s.end('{}')); })
       .listen(0, '127.0.0.1', function () { console.log(this.address().port); });`,
  ],
  { stdio: ['ignore', 'pipe', 'inherit'] },
);
const port = await new Promise((resolve) => sink.stdout.once('data', (d) => resolve(Number(String(d)))));

function tracer(sampler) {
  const choice = tracingSettings({
    OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}`,
    OTEL_TRACES_SAMPLER: sampler,
  });
  const sdk = createSdk({ settings: choice.settings, version: 'bench', onExport: () => undefined });
  const bus = new EventBus();
  const spans = new RequestSpans({
    events: bus,
    tracer: sdk.tracer,
    servers: new Map([['p', { address: 'api.example.com', port: 443 }]]),
    maxAgeMs: 660_000,
  });
  return { sdk, bus, spans };
}

function oneRequest(i) {
  const requestId = 'r' + i;
  if (bus.wants('request.started'))
    bus.publish('request.started', {
      requestId,
      route: 'm',
      key: 'ops',
      endpoint: 'chat',
      stream: true,
      traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
    });
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
      trace: [],
    });
}

// The batch span processor holds 2048 spans: 500 requests (1,000 spans) at a time, then an export.
// What is measured is the CPU of this process (process.cpuUsage: the listeners, the span building,
// the export's serialization and HTTP, and the garbage collection all of it causes) per request.
const BATCH = 500;
async function run(rounds) {
  const cpu0 = process.cpuUsage();
  let publishNs = 0n;
  for (let r = 0; r < rounds; r++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < BATCH; i++) oneRequest(r * BATCH + i);
    publishNs += process.hrtime.bigint() - t0;
    spans?.flush();
    await sdk?.flush();
    await setImmediate();
  }
  const cpu = process.cpuUsage(cpu0);
  const n = rounds * BATCH;
  return { cpu: (cpu.user + cpu.system) / n, publish: Number(publishNs) / n / 1000 };
}

async function measure(label) {
  await run(40); // warm-up
  const samples = [];
  for (let k = 0; k < 5; k++) samples.push(await run(40));
  const median = (key) => samples.map((x) => x[key]).sort((a, b) => a - b)[2];
  console.log(
    `${label}: ${median('cpu').toFixed(1)} µs of CPU per request, of which ` +
      `${median('publish').toFixed(2)} µs on the response path (medians of 5 × 20,000)`,
  );
  await sdk?.shutdown();
  return median('cpu');
}

// 1. Tracing off: the events are published to nobody (what a gateway without OTEL_* pays).
let sdk;
let spans;
let bus = new EventBus();
const off = await measure('tracing off');
// 2. On, nothing sampled (OTEL_TRACES_SAMPLER=always_off): events queued, spans not recorded.
({ sdk, bus, spans } = tracer('always_off'));
const unsampled = await measure('tracing on, always_off');
// 3. On, every request sampled (the default parentbased_always_on): two spans built and exported.
({ sdk, bus, spans } = tracer('parentbased_always_on'));
const sampled = await measure('tracing on, sampled and exported');
sink.kill();
console.log(
  `added by tracing: ${(unsampled - off).toFixed(1)} µs unsampled, ${(sampled - off).toFixed(1)} µs sampled`,
);
