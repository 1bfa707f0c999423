// What the response cache costs a request on the hot path (docs/caching.md, "What it costs"): the plan
// and key (canonical JSON + sha256 of the request), the lookup, and a miss's store.
// Run after `npx tsc -p tsconfig.build.json`: node bench/cache-cost.mjs
import { performance } from 'node:perf_hooks';
import { ResponseCache } from '../dist/cache/response-cache.js';
import { routeCacheSchema, cacheStoreSchema } from '../dist/cache/schema.js';

const clock = { now: () => performance.now() };
const route = { name: 'm', cache: routeCacheSchema.parse({}) };
const key = { name: 'ops' };
const words = (n) => Array.from({ length: n }, (_, i) => `word${i % 97}`).join(' ');

function request(promptWords, turns) {
  const messages = [{ role: 'system', content: 'You are a helpful assistant.' }];
  for (let t = 0; t < turns; t++) {
    messages.push({ role: 'user', content: words(promptWords) });
    messages.push({ role: 'assistant', content: words(50) });
  }
  messages.push({ role: 'user', content: words(promptWords) });
  return { model: 'm', temperature: 0, max_tokens: 256, messages };
}

const answer = {
  completion: {
    id: 'x',
    object: 'chat.completion',
    created: 0,
    model: 'm',
    choices: [{ index: 0, message: { role: 'assistant', content: words(200) }, finish_reason: 'stop' }],
    usage: { prompt_tokens: 100, completion_tokens: 200, total_tokens: 300 },
  },
  target: 'p/model-a',
};

async function measure(label, body, n) {
  const cache = new ResponseCache(cacheStoreSchema.parse({}), clock);
  const size = JSON.stringify(body).length;
  const run = async (count, store) => {
    const started = performance.now();
    for (let i = 0; i < count; i++) {
      const r = { ...body, seed: i % 1000 };
      const use = cache.plan(route, key, r, undefined);
      const hit = await use.lookup();
      if (!hit && store) use.save(answer);
    }
    return ((performance.now() - started) * 1000) / count;
  };
  await run(Math.min(n, 2000), false); // warm up
  const missOnly = await run(n, false);
  const withStores = await run(n, true);
  console.log(
    `${label.padEnd(34)} ${String(size).padStart(7)} B   plan+key+lookup ${missOnly.toFixed(1)} µs   (with hits/stores ${withStores.toFixed(1)} µs)`,
  );
}

await measure('short chat (1 turn, 20 words)', request(20, 0), 20_000);
await measure('conversation (10 turns, 100 words)', request(100, 10), 5_000);
await measure('long context (40 turns, 400 words)', request(400, 40), 1_000);
