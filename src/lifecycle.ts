/** Start-up and shutdown chores shared by `switchyard start` and the demo. */
import { readFileSync } from 'node:fs';
import type { ResolvedConfig } from './config/types.js';

export function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}

export function announce(config: ResolvedConfig, url: string): void {
  console.log(
    `switchyard ${version()} listening on ${url}/v1 (${config.routes.size} routes: ${[...config.routes.keys()].join(', ')})`,
  );
  if (config.keys.length === 0) {
    console.log('switchyard: no gateway keys configured: bound to loopback only and accepting any key.');
  }
}

export function stopOnSignal(close: () => Promise<void>): void {
  const stop = (): void => {
    console.log('switchyard: shutting down');
    close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
