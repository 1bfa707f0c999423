/** Start-up and shutdown chores shared by `switchyard start` and the demo. */
import { readFileSync } from 'node:fs';
import type { ResolvedConfig } from './config/types.js';
import type { Gateway } from './main.js';

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

/**
 * SIGTERM or SIGINT drains the gateway (src/server/drain.ts): one line when the drain starts, one when
 * it ends, then `after` (e.g. the demo's simulators) and exit 0. A second signal stops at once (exit 1).
 */
export function drainOnSignal(gateway: Gateway, after: () => Promise<void> = async () => undefined): void {
  let draining = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (draining) {
      console.log(`switchyard: ${signal} again: stopping now, ${gateway.inFlight} requests cut`);
      process.exit(1);
    }
    draining = true;
    const { drainMs } = gateway.config.server;
    console.log(
      `switchyard: ${signal}: draining ${gateway.inFlight} requests in flight for up to ${drainMs} ms ` +
        '(/readyz answers 503; a second signal stops at once)',
    );
    gateway
      .drain()
      .then(async (s) => {
        const left = s.abandoned ? `, ${s.abandoned} closed by their clients` : '';
        console.log(
          `switchyard: drained in ${s.durationMs} ms: ${s.finished} finished, ${s.cut} cut${left}; stopped`,
        );
        await after();
        process.exit(0);
      })
      .catch((error: unknown) => {
        console.error('switchyard: shutdown failed:', error);
        process.exit(1);
      });
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
}

/** A listen error (EADDRINUSE, EACCES, EADDRNOTAVAIL, …) as one line, or undefined for anything else. */
export function describeListenError(error: unknown): string | undefined {
  const e = error as { code?: unknown; syscall?: unknown; address?: unknown; port?: unknown };
  if (!(error instanceof Error) || e.syscall !== 'listen' || typeof e.code !== 'string') return undefined;
  const where = `port ${String(e.port)} on ${String(e.address)}`;
  const setPort = 'set server.port, SWITCHYARD_PORT or --port';
  switch (e.code) {
    case 'EADDRINUSE':
      return `${where} is already in use (${setPort})`;
    case 'EACCES':
      return `not allowed to listen on ${where} (ports below 1024 need privileges; ${setPort})`;
    case 'EADDRNOTAVAIL':
      return `cannot listen on ${String(e.address)}: no such address on this machine (set server.host, SWITCHYARD_HOST or --host)`;
    default:
      return `cannot listen on ${where}: ${e.code}`;
  }
}
