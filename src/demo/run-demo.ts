/**
 * `npm start` / `switchyard start` without a config: simulated providers on loopback, the gateway in
 * front of them, and a short live demo that prints what happens to a few requests while a provider
 * fails. The gateway keeps serving afterwards.
 */
import { request } from 'undici';
import { announce, stopOnSignal } from '../lifecycle.js';
import { startGateway } from '../main.js';
import { startSimulator, type Simulator } from '../simulator/index.js';
import { demoConfig } from './demo-config.js';

interface DemoOptions {
  overrides?: { host?: string; port?: number };
}

const MODEL = 'gpt-4o-mini';
const bold = (s: string): string => (process.stdout.isTTY ? `\x1b[1m${s}\x1b[0m` : s);

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
  const gateway = await startGateway(config);
  console.log(
    `switchyard demo: simulated providers "primary" at ${primary.url}/v1 and "backup" at ${backup.url}/v1`,
  );
  announce(config, gateway.url);
  stopOnSignal(async () => {
    await gateway.close();
    await Promise.all([primary.close(), backup.close()]);
  });

  await liveDemo(gateway.url, primary);
  console.log(`\n${bold('The gateway keeps serving.')} Try it:\n`);
  console.log(`  curl ${gateway.url}/v1/chat/completions -H 'content-type: application/json' \\`);
  console.log(`    -d '{"model":"${MODEL}","messages":[{"role":"user","content":"Hello"}]}'\n`);
  console.log(`  Or point the OpenAI SDK at baseURL ${gateway.url}/v1 (any API key). Ctrl-C stops.`);
}

async function liveDemo(base: string, primary: Simulator): Promise<void> {
  console.log(
    `\n${bold('Live demo')}: route "${MODEL}" = primary/gpt-4o-mini, then backup/mistral-small-latest\n`,
  );
  await show('1. a plain request', base, false);
  await show('2. a streamed request', base, true);
  primary.schedule('gpt-4o-mini', [{ durationMs: 1_500, fault: { kind: 'status', status: 503 } }]);
  console.log('   … the primary now answers 503 for 1.5 s (a provider outage)');
  await show('3. during the outage', base, false);
  await show('4. streamed during the outage', base, true);
  primary.schedule('gpt-4o-mini', [{ durationMs: 1_500, behavior: { ttftMs: 5_000 } }]);
  console.log('   … the primary is now slow: 5 s to its first token (the demo route allows 1.5 s)');
  await show('5. a slow first token', base, true);
  primary.schedule('gpt-4o-mini', [{ durationMs: 1_500, fault: { kind: 'cut', afterChunks: 0 } }]);
  console.log('   … the primary now drops streams before the first token');
  await show('6. a stream cut before the first token', base, true);
  primary.schedule('gpt-4o-mini', []);
  console.log('   … the primary has recovered');
  await show('7. after recovery', base, false);
}

async function show(label: string, base: string, stream: boolean): Promise<void> {
  const started = performance.now();
  const res = await request(`${base}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      model: MODEL,
      stream,
      ...(stream ? { stream_options: { include_usage: true } } : {}),
      messages: [{ role: 'user', content: 'Say something short.' }],
    }),
  });
  let firstChunkMs: number | undefined;
  let text = '';
  let chunks = 0;
  let clean = !stream;
  for await (const data of res.body) {
    firstChunkMs ??= performance.now() - started;
    text += (data as Buffer).toString('utf8');
    chunks++;
  }
  const ms = Math.round(performance.now() - started);
  const h = res.headers;
  const target = String(h['x-switchyard-target'] ?? '-');
  const attempts = String(h['x-switchyard-attempts'] ?? '-');
  const reason = h['x-switchyard-fallback-reason']
    ? `, fell back because ${String(h['x-switchyard-fallback-reason'])}`
    : '';
  let summary: string;
  if (res.statusCode !== 200) {
    summary = `HTTP ${res.statusCode}: ${text.slice(0, 160)}`;
  } else if (stream) {
    clean = text.trimEnd().endsWith('data: [DONE]');
    const content = [...text.matchAll(/"content":"([^"]*)"/g)].map((m) => m[1]).join('');
    summary = `first bytes after ${Math.round(firstChunkMs ?? ms)} ms, ${chunks} writes, ${clean ? 'ended with [DONE]' : 'INCOMPLETE'}: "${content.slice(0, 48)}…"`;
  } else {
    const body = JSON.parse(text) as { choices: { message: { content: string } }[] };
    summary = `"${(body.choices[0]?.message.content ?? '').slice(0, 48)}…"`;
  }
  console.log(
    `${bold(label.padEnd(40))} → ${res.statusCode} from ${target} in ${ms} ms (attempts ${attempts}${reason})`,
  );
  console.log(`${' '.repeat(43)}${summary}`);
}
