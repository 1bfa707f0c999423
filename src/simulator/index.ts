/**
 * The built-in provider simulator: simulated providers on loopback that speak each provider's real
 * wire format, with scriptable faults. Used by tests, benchmarks, the demo and chaos drills.
 *
 *   const sim = await startSimulator({ models: { 'gpt-4o': { ttftMs: 50 } } });
 *   const client = new OpenAI({ baseURL: `${sim.url}/v1`, apiKey: 'x' });
 *   sim.schedule('gpt-4o', [{ durationMs: 30_000, fault: { kind: 'status', status: 503 } }]);
 */
import { createServer } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { BehaviorBook } from './behavior.js';
import { anthropicProtocol } from './protocols/anthropic.js';
import { geminiProtocol } from './protocols/gemini.js';
import { openaiProtocol } from './protocols/openai.js';
import type { ProtocolContext, ProtocolModule } from './protocols/types.js';
import { seededRandom } from './random.js';
import { createRequestHandler } from './server.js';
import { StatsBook } from './stats.js';
import { KeyBook } from './keys.js';
import type { Fault, RecordedRequest, Simulator, SimulatorOptions } from './types.js';

export type * from './types.js';
export { DEFAULT_BEHAVIOR } from './behavior.js';

/** The wire protocols served, in routing order (their paths do not overlap). */
export const PROTOCOLS: readonly ProtocolModule[] = [openaiProtocol, anthropicProtocol, geminiProtocol];

/** Provider requests kept for `requests()`, newest last. */
const JOURNAL_SIZE = 32;

export async function startSimulator(options: SimulatorOptions = {}): Promise<Simulator> {
  const seed = options.seed ?? 1;
  const book = new BehaviorBook({
    defaultBehavior: options.defaultBehavior,
    models: options.models,
    clock: options.clock ?? (() => performance.now()),
    seed,
  });
  const stats = new StatsBook();
  const accepted = [...(options.apiKey !== undefined ? [options.apiKey] : []), ...(options.apiKeys ?? [])];
  const keys = new KeyBook(accepted);
  const context: ProtocolContext = {
    apiKeys: options.apiKey === undefined && options.apiKeys === undefined ? undefined : accepted,
    strictModels: options.strictModels ?? false,
    models: () => book.configuredModels(),
    random: seededRandom(seed ^ 0x5f3759df),
    unixSeconds: () => Math.floor(Date.now() / 1000),
  };
  let closing = false;
  const journal: RecordedRequest[] = [];
  const controls = {
    setBehavior: book.setBehavior.bind(book),
    schedule: book.schedule.bind(book),
    reset: () => {
      book.reset();
      stats.reset();
      keys.reset();
      journal.length = 0;
    },
    stats: (model?: string) => stats.snapshot(model),
    setKeyFault: (key: string, fault: Fault | null) => keys.setFault(key, fault),
  };
  const server = createServer(
    createRequestHandler({
      book,
      stats,
      keys,
      protocols: PROTOCOLS,
      context,
      admin: controls,
      isClosing: () => closing,
      journal: (request) => {
        if (journal.length === JOURNAL_SIZE) journal.shift();
        journal.push({ method: request.method, path: request.path, body: request.body.toString('utf8') });
      },
    }),
  );
  const sockets = new Set<Socket>();
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${host}:${address.port}`,
    port: address.port,
    ...controls,
    keyRequests: (key) => keys.requests(key),
    requests: () => journal.map((r) => ({ ...r })),
    close: () => {
      closing = true;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      return closed;
    },
  };
}
