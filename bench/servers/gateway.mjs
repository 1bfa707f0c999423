// Child process: the Switchyard gateway, one route with one target (the simulator), no keys.
// argv[2]: the simulator's URL; argv[3]: the public (= upstream) model name; argv[4]: `defaults` (the
// configuration's defaults: request store and status page on, metrics off) or `observed` (metrics on too).
// The request store writes to a temporary directory (SWITCHYARD_DATA_DIR, set by bench/run.mjs).
import { resolveConfig } from '../../dist/config/load.js';
import { startGateway } from '../../dist/main.js';
import { serve } from './common.mjs';

serve(async () => {
  const [upstream, model, variant = 'defaults'] = process.argv.slice(2);
  const config = resolveConfig(
    {
      server: { host: '127.0.0.1', port: 0 },
      providers: { sim: { type: 'openai-compatible', baseUrl: `${upstream}/v1`, apiKey: 'sk-bench' } },
      routes: { [model]: { targets: [`sim/${model}`] } },
      ...(variant === 'observed' ? { metrics: { enabled: true } } : {}),
    },
    { env: {} },
  );
  const gateway = await startGateway(config);
  return { url: gateway.url, close: () => gateway.close() };
});
