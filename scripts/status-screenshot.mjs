// Makes docs/status-page.png: simulated providers and a gateway run a few minutes of traffic, the
// primary slows down and then fails (its breaker opens, requests fail over), and headless Chromium takes
// a picture of /status during the outage. Run after `npx tsc -p tsconfig.build.json`:
//   node scripts/status-screenshot.mjs [out.png] [seconds, default 280]
import { setTimeout as sleep } from 'node:timers/promises';
import { performance } from 'node:perf_hooks';
import { setInterval, clearInterval } from 'node:timers';
import { chromium } from 'playwright-core';
import { request } from 'undici';
import { resolveConfig } from '../dist/config/load.js';
import { startGateway } from '../dist/main.js';
import { startSimulator } from '../dist/simulator/index.js';

const out = process.argv[2] ?? 'docs/status-page.png';
const seconds = Number(process.argv[3] ?? 280);
const slowAt = seconds * 0.45;
const failAt = seconds * 0.6;

const primary = await startSimulator({ apiKey: 'sk-primary-0000000001' });
const backup = await startSimulator({ apiKey: 'sk-backup-00000000002' });
const price = (input, output) => ({ input, output });
const config = resolveConfig(
  {
    server: { port: 0 },
    breakers: { consecutiveFailures: 3, openBaseMs: 20_000, openMaxMs: 60_000 },
    providers: {
      primary: {
        type: 'openai-compatible',
        baseUrl: `${primary.url}/v1`,
        apiKey: 'sk-primary-0000000001',
        prices: { 'gpt-4o-mini': price(0.15, 0.6), 'gpt-4o': price(2.5, 10) },
      },
      backup: {
        type: 'openai-compatible',
        baseUrl: `${backup.url}/v1`,
        apiKey: 'sk-backup-00000000002',
        prices: { 'mistral-small-latest': price(0.1, 0.3), 'mistral-large-latest': price(2, 6) },
      },
    },
    routes: {
      'gpt-4o-mini': {
        targets: ['primary/gpt-4o-mini', { provider: 'backup', model: 'mistral-small-latest', tier: 2 }],
        retry: { maxRetriesPerTarget: 0 },
      },
      'gpt-4o': {
        targets: ['primary/gpt-4o', 'backup/mistral-large-latest'],
        retry: { maxRetriesPerTarget: 0 },
      },
    },
  },
  { env: {} },
);
const gateway = await startGateway(config);
console.log(`status page: ${gateway.url}/status (${seconds} s of traffic)`);

const started = performance.now();
const elapsed = () => (performance.now() - started) / 1000;
let stop = false;

// A little jitter on first-token times, so the charts look like traffic; the primary slows, then fails.
const jitter = setInterval(() => {
  const t = elapsed();
  const slow = t > slowAt ? 3 : 1;
  for (const m of ['gpt-4o-mini', 'gpt-4o']) {
    primary.setBehavior(m, { ttftMs: Math.round((120 + Math.random() * 80) * slow), tokensPerSecond: 400 });
    backup.setBehavior(m === 'gpt-4o' ? 'mistral-large-latest' : 'mistral-small-latest', {
      ttftMs: Math.round(220 + Math.random() * 120),
      tokensPerSecond: 300,
    });
  }
  if (t > failAt) {
    for (const m of ['gpt-4o-mini', 'gpt-4o'])
      primary.setBehavior(m, { fault: { kind: 'status', status: 503 } });
  }
}, 1_000);

async function client(model, pauseMs) {
  while (!stop) {
    const res = await request(`${gateway.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model, stream: true, messages: [{ role: 'user', content: 'Hello there' }] }),
    }).catch(() => undefined);
    await res?.body.text();
    await sleep(pauseMs * (0.5 + Math.random()));
  }
}
const clients = [client('gpt-4o-mini', 150), client('gpt-4o-mini', 250), client('gpt-4o', 600)];

await sleep(seconds * 1000);
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
});
const page = await browser.newPage({ viewport: { width: 1100, height: 900 }, deviceScaleFactor: 1 });
await page.goto(`${gateway.url}/status`);
await page.locator('tr[data-target="primary/gpt-4o-mini"][data-state="open"]').waitFor({ timeout: 60_000 });
await page.screenshot({ path: out, fullPage: true });
console.log(`wrote ${out}`);
stop = true;
clearInterval(jitter);
await Promise.all(clients);
await browser.close();
await gateway.close();
await Promise.all([primary.close(), backup.close()]);
