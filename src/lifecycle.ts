/** Start-up and shutdown chores shared by `switchyard start` and the demo. */
import { readFileSync } from 'node:fs';
import type { ResolvedConfig } from './config/types.js';
import type { Gateway } from './main.js';
import { flushLogs } from './telemetry/logger.js';

export function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}

/** The start-up lines, in the gateway's log. */
export function announce(config: ResolvedConfig, gateway: Pick<Gateway, 'url' | 'log'>): void {
  gateway.log.info(
    { version: version(), routes: [...config.routes.keys()] },
    `listening on ${gateway.url}/v1`,
  );
  if (config.keys.length === 0) {
    gateway.log.warn('no gateway keys configured: bound to loopback only and accepting any key');
  }
}

/**
 * SIGTERM or SIGINT drains the gateway (src/server/drain.ts): one line when the drain starts, one when
 * it ends, then `after` (e.g. the demo's simulators) and exit 0. A second signal stops at once (exit 1).
 */
export function drainOnSignal(gateway: Gateway, after: () => Promise<void> = async () => undefined): void {
  let draining = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    const { log } = gateway;
    if (draining) {
      const cut = gateway.inFlight;
      log.warn({ signal, cut }, `${signal} again: stopping now, ${cut} requests cut`);
      void flushLogs(log).then(() => process.exit(1));
      return;
    }
    draining = true;
    const { drainMs } = gateway.config.server;
    const inFlight = gateway.inFlight;
    log.info(
      { signal, inFlight, drainMs },
      `${signal}: draining ${inFlight} requests in flight for up to ${drainMs} ms ` +
        '(/readyz answers 503; a second signal stops at once)',
    );
    gateway
      .drain()
      .then(async (s) => {
        const left = s.abandoned ? `, ${s.abandoned} closed by their clients` : '';
        log.info(
          { durationMs: s.durationMs, finished: s.finished, cut: s.cut, abandoned: s.abandoned },
          `drained in ${s.durationMs} ms: ${s.finished} finished, ${s.cut} cut${left}; stopped`,
        );
        await after();
        await flushLogs(log);
        process.exit(0);
      })
      .catch(async (err: unknown) => {
        log.error({ err }, 'shutdown failed');
        await flushLogs(log);
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
