/**
 * `npm start` / `switchyard start` without a config: simulated providers on loopback, the gateway in
 * front of them, and a short live demo that prints what happens to a few requests while a provider
 * fails. The gateway keeps serving afterwards.
 */
import { request } from 'undici';
import { announce, drainOnSignal } from '../lifecycle.js';
import { startGateway } from '../main.js';
import { startSimulator, type Simulator } from '../simulator/index.js';
import { demoConfig } from './demo-config.js';

interface DemoOptions {
  overrides?: { host?: string; port?: number };
}

const MODEL = 'gpt-4o-mini';
const PRIMARY = 'gpt-4o-mini';
const bold = (s: string): string => (process.stdout.isTTY ? `\x1b[1m${s}\x1b[0m` : s);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function runDemo(options: DemoOptions = {}): Promise<void> {
  const primary = await startSimulator({
    apiKey: 'sk-demo-primary-0000',
    defaultBehavior: { ttftMs: 40, tokensPerSecond: 200 },
  });
  const backup = await startSimulator({
    apiKey: 'sk-demo-backup-0000',
    defaultBehavior: { ttftMs: 60, tokensPerSecond: 150 },
  });
  const config = demoConfig({ primaryUrl: primary.url, backupUrl: backup.url }, options.overrides);
  const closeSimulators = async (): Promise<void> => {
    await Promise.all([primary.close(), backup.close()]);
  };
  const gateway = await startGateway(config).catch(async (error: unknown) => {
    await closeSimulators(); // e.g. the port is in use: the CLI says so and exits
    throw error;
  });
  console.log(
    `switchyard demo: simulated providers "primary" at ${primary.url}/v1 and "backup" at ${backup.url}/v1`,
  );
  announce(config, gateway);
  drainOnSignal(gateway, closeSimulators);

  await liveDemo(gateway.url, primary);
  console.log(`\n${bold('The gateway keeps serving.')} Try it:\n`);
  console.log(`  curl ${gateway.url}/v1/chat/completions -H 'content-type: application/json' \\`);
  console.log(`    -d '{"model":"${MODEL}","messages":[{"role":"user","content":"Hello"}]}'\n`);
  console.log(`  Or point the OpenAI SDK at baseURL ${gateway.url}/v1 (any API key). Ctrl-C stops.\n`);
  console.log(`${bold('Where to look')} (docs/observability.md):\n`);
  const look: [string, string][] = [];
  if (gateway.liveStats) look.push(['status page', `open ${gateway.url}/status in a browser`]);
  look.push(['target states', `curl ${gateway.url}/v1/switchyard/status`]);
  if (gateway.metrics) look.push(['Prometheus metrics', `curl ${gateway.url}/metrics`]);
  if (gateway.store) {
    look.push(['request history', `curl '${gateway.url}/v1/switchyard/requests?limit=5'`]);
    look.push(['aggregates', `npx switchyard stats --url ${gateway.url} --by target --window 15m`]);
  }
  look.push(['an incident, scripted', 'npx switchyard drill --scenario outage']);
  for (const [what, how] of look) console.log(`  ${what.padEnd(22)} ${how}`);
}

async function liveDemo(base: string, primary: Simulator): Promise<void> {
  console.log(
    `\n${bold('Live demo')}: route "${MODEL}" = primary/${PRIMARY}, then backup/mistral-small-latest (tier 2)\n`,
  );
  await show('1. a plain request', base, false);
  await show('2. a streamed request', base, true);

  note('the primary is now slow: 5 s to its first token; the route hedges after 500 ms');
  primary.schedule(PRIMARY, [{ durationMs: 1_000, behavior: { ttftMs: 5_000 } }]);
  await show('3. a slow first token', base, true);
  await sleep(1_000);

  note('the primary now drops streams before their first token');
  primary.schedule(PRIMARY, [{ durationMs: 1_000, fault: { kind: 'cut', afterChunks: 0 } }]);
  await show('4. a stream cut before its first token', base, true);
  await sleep(1_000);

  note('the primary now answers 503 (an outage)');
  primary.schedule(PRIMARY, [{ fault: { kind: 'status', status: 503 } }]);
  for (let i = 0; i < 4; i++) await show(`${5 + i}. during the outage`, base, i % 2 === 1);
  await showBreaker(base);

  note('the primary has recovered; its breaker lets a few probes through, then ramps traffic back');
  primary.schedule(PRIMARY, []);
  await sleep(2_500);
  for (const label of ['9. right after recovery', '10. four seconds later']) {
    let served = 0;
    for (let i = 0; i < 20; i++) if ((await call(base, false)).target === `primary/${PRIMARY}`) served++;
    console.log(`${bold(label.padEnd(40))} → the primary served ${served} of 20 requests`);
    await sleep(4_000);
  }
  await showBreaker(base);
}

function note(text: string): void {
  console.log(`   … ${text}`);
}

interface CallResult {
  status: number;
  target: string;
  attempts: string;
  reason: string;
  trace: string;
  ms: number;
  firstChunkMs: number | undefined;
  text: string;
}

async function call(base: string, stream: boolean): Promise<CallResult> {
  const started = performance.now();
  const res = await request(`${base}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-switchyard-debug': 'trace' },
    body: JSON.stringify({
      model: MODEL,
      stream,
      ...(stream ? { stream_options: { include_usage: true } } : {}),
      messages: [{ role: 'user', content: 'Say something short.' }],
    }),
  });
  let firstChunkMs: number | undefined;
  let text = '';
  for await (const data of res.body) {
    firstChunkMs ??= performance.now() - started;
    text += (data as Buffer).toString('utf8');
  }
  const h = res.headers;
  return {
    status: res.statusCode,
    target: String(h['x-switchyard-target'] ?? '-'),
    attempts: String(h['x-switchyard-attempts'] ?? '-'),
    reason: h['x-switchyard-fallback-reason'] ? String(h['x-switchyard-fallback-reason']) : '',
    trace: String(h['x-switchyard-trace'] ?? ''),
    ms: Math.round(performance.now() - started),
    firstChunkMs,
    text,
  };
}

async function show(label: string, base: string, stream: boolean): Promise<void> {
  const r = await call(base, stream);
  let summary: string;
  if (r.status !== 200) {
    summary = `HTTP ${r.status}: ${r.text.slice(0, 160)}`;
  } else if (stream) {
    const clean = r.text.trimEnd().endsWith('data: [DONE]');
    summary = `stream: first bytes after ${Math.round(r.firstChunkMs ?? r.ms)} ms, ${clean ? 'ended with [DONE]' : 'INCOMPLETE'}`;
  } else {
    const body = JSON.parse(r.text) as { choices: { message: { content: string } }[] };
    summary = `"${(body.choices[0]?.message.content ?? '').slice(0, 48)}…"`;
  }
  const why = r.reason ? `, because ${r.reason}` : '';
  console.log(
    `${bold(label.padEnd(40))} → ${r.status} from ${r.target} in ${r.ms} ms (attempts ${r.attempts}${why})`,
  );
  console.log(`${' '.repeat(43)}${summary}`);
  console.log(`${' '.repeat(43)}trace: ${r.trace}`);
}

async function showBreaker(base: string): Promise<void> {
  const res = await request(`${base}/v1/switchyard/status`);
  const status = (await res.body.json()) as {
    targets: { id: string; state: string; trippedBy?: string | null }[];
  };
  const t = status.targets.find((x) => x.id === `primary/${PRIMARY}`);
  if (t)
    console.log(
      `${' '.repeat(43)}breaker of ${t.id}: ${t.state}${t.trippedBy ? ` (tripped by ${t.trippedBy})` : ''}`,
    );
}
