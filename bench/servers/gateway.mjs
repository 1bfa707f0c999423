// Child process: the Switchyard gateway, one route with one target (the simulator), no keys.
// argv[2]: the simulator's URL; argv[3]: the public (= upstream) model name.
import { resolveConfig } from '../../dist/config/load.js';
import { startGateway } from '../../dist/main.js';
import { serve } from './common.mjs';

serve(async () => {
  const [upstream, model] = process.argv.slice(2);
  const config = resolveConfig(
    {
      server: { host: '127.0.0.1', port: 0 },
      providers: { sim: { type: 'openai-compatible', baseUrl: `${upstream}/v1`, apiKey: 'sk-bench' } },
      routes: { [model]: { targets: [`sim/${model}`] } },
    },
    { env: {} },
  );
  const gateway = await startGateway(config);
  return { url: gateway.url, close: () => gateway.close() };
});
