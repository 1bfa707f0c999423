/** The embedded demo config: two simulated providers behind one public model, with tight timeouts. */
import { resolveConfig } from '../config/load.js';
import type { ResolvedConfig } from '../config/types.js';

export interface DemoUpstreams {
  primaryUrl: string;
  backupUrl: string;
}

export function demoConfig(
  upstreams: DemoUpstreams,
  overrides: { host?: string; port?: number } = {},
): ResolvedConfig {
  return resolveConfig(
    {
      server: { port: 4000 },
      // The gateway's own lines as readable text among the demo's narrative.
      log: { format: 'pretty' },
      // Everything an operator would look at, on: the demo's traffic is small, so is their cost.
      metrics: { enabled: true },
      defaults: { timeouts: { firstTokenMs: 3_000, stallMs: 2_000, requestMs: 30_000 } },
      breakers: { openBaseMs: 2_000, openMaxMs: 5_000, slowStartWindowMs: 4_000, halfOpenProbes: 2 },
      providers: {
        primary: {
          type: 'openai-compatible',
          baseUrl: `${upstreams.primaryUrl}/v1`,
          apiKey: 'sk-demo-primary-0000',
        },
        backup: {
          type: 'openai-compatible',
          baseUrl: `${upstreams.backupUrl}/v1`,
          apiKey: 'sk-demo-backup-0000',
        },
      },
      routes: {
        'gpt-4o-mini': {
          targets: ['primary/gpt-4o-mini', { provider: 'backup', model: 'mistral-small-latest', tier: 2 }],
          hedge: { delayMs: 500, maxRatio: 0.5 },
        },
        'mistral-small': { targets: ['backup/mistral-small-latest'] },
      },
    },
    { env: {}, overrides },
  );
}
