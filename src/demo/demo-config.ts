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
      defaults: { timeouts: { firstTokenMs: 1_500, stallMs: 2_000, requestMs: 30_000 } },
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
        'gpt-4o-mini': { targets: ['primary/gpt-4o-mini', 'backup/mistral-small-latest'] },
        'mistral-small': { targets: ['backup/mistral-small-latest'] },
      },
    },
    { env: {}, overrides },
  );
}
