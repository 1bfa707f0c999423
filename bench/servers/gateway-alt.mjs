// Child process: the Switchyard gateway in front of the simulator, no keys.
// argv[2]: the simulator's URL; argv[3]: the public (= upstream) model name; argv[4]: the variant:
//   `defaults`  one route, one target; the configuration's defaults (request store and status page on,
//               metrics off);
//   `layers`    every per-request layer on: the defaults, metrics, and a routing policy (least-latency)
//               choosing between two targets (two providers, both the simulator);
//   `no-store`, `no-store-status`  the defaults less the request store (and the status page's
//               statistics): what each layer costs (bench/layer-cost.mjs);
//   `shared`    `layers`, with breakers, cooldowns, drains, budgets and the response cache's store shared
//               through Redis (SWITCHYARD_REDIS_URL, set by bench/run.mjs; a private key prefix).
// The request store writes to a temporary directory (SWITCHYARD_DATA_DIR, set by bench/run.mjs).
import { loadConfigIsolated } from '/work/main/dist/config/load-isolated.js';
import { startGateway } from '/work/main/dist/main.js';
import { serve } from '/work/main/bench/servers/common.mjs';

function rawConfig(upstream, model, variant) {
  const sim = (apiKey) => ({ type: 'openai-compatible', baseUrl: `${upstream}/v1`, apiKey });
  if (variant === 'defaults' || variant.startsWith('no-store')) {
    return {
      server: { host: '127.0.0.1', port: 0 },
      providers: { sim: sim('sk-bench') },
      routes: { [model]: { targets: [`sim/${model}`] } },
      ...(variant.startsWith('no-store') ? { store: { enabled: false } } : {}),
      ...(variant === 'no-store-status' ? { status: { enabled: false } } : {}),
    };
  }
  const raw = {
    server: { host: '127.0.0.1', port: 0 },
    providers: { sim: sim('sk-bench'), sim2: sim('sk-bench-2') },
    routes: {
      [model]: { targets: [`sim/${model}`, `sim2/${model}`], routing: { policy: 'least-latency' } },
    },
    metrics: { enabled: true },
  };
  if (variant === 'shared') {
    raw.state = { driver: 'redis', url: process.env.SWITCHYARD_REDIS_URL, prefix: `bench${process.pid}` };
  }
  return raw;
}

serve(async () => {
  const [upstream, model, variant = 'defaults'] = process.argv.slice(2);
  // As `switchyard start --config` loads it: validated on its own thread (src/config/load-isolated.ts).
  const config = await loadConfigIsolated({ raw: rawConfig(upstream, model, variant) }, { env: {} });
  const gateway = await startGateway(config);
  return { url: gateway.url, close: () => gateway.close() };
});
