/** Real sockets on loopback: simulated providers ← gateway ← the official OpenAI SDK. */
import OpenAI from 'openai';
import { request } from 'undici';
import { resolveConfig } from '../src/config/load.js';
import { startGateway, type Gateway, type GatewayOptions } from '../src/main.js';
import type { RequestLogger } from '../src/telemetry/request-log.js';
import { silentLogger } from '../src/telemetry/logger.js';
import { startSimulator, type Simulator, type SimulatorOptions } from '../src/simulator/index.js';

export const PRIMARY_KEY = 'sk-primary-secret-key-0001';
export const BACKUP_KEY = 'sk-backup-secret-key-0002';

export interface Harness {
  gateway: Gateway;
  primary: Simulator;
  backup: Simulator;
  client: OpenAI;
  close(): Promise<void>;
}

export interface HarnessOptions {
  /** Extra raw config merged over the default (two providers, route `m` = primary then backup). */
  config?: Record<string, unknown>;
  routes?: Record<string, unknown>;
  primary?: SimulatorOptions;
  backup?: SimulatorOptions;
  apiKey?: string;
  logger?: RequestLogger;
  /** Extra settings merged into the two providers' config. */
  providers?: { primary?: Record<string, unknown>; backup?: Record<string, unknown> };
  /** Options of the gateway (its log, the OTEL_* variables, …). */
  gateway?: GatewayOptions;
}

export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const primary = await startSimulator({ apiKey: PRIMARY_KEY, ...options.primary });
  const backup = await startSimulator({ apiKey: BACKUP_KEY, ...options.backup });
  const config = resolveConfig(
    {
      server: { port: 0 },
      defaults: {
        timeouts: { firstTokenMs: 2_000, stallMs: 2_000, requestMs: 15_000 },
        retry: { backoffBaseMs: 20, backoffCapMs: 100 },
      },
      providers: {
        primary: {
          type: 'openai-compatible',
          baseUrl: `${primary.url}/v1`,
          apiKey: PRIMARY_KEY,
          ...options.providers?.primary,
        },
        backup: {
          type: 'openai-compatible',
          baseUrl: `${backup.url}/v1`,
          apiKey: BACKUP_KEY,
          ...options.providers?.backup,
        },
      },
      routes: options.routes ?? {
        m: { targets: ['primary/model-a', 'backup/model-b'] },
        solo: { targets: ['primary/model-a'] },
      },
      // The request store stays off unless a test asks for it (config.store), so tests write no files.
      store: { enabled: false },
      ...options.config,
    },
    { env: {} },
  );
  const gateway = await startGateway(config, {
    // Quiet by default: breakers trip in many tests (pass `gateway.logDestination` to read the log).
    ...(options.gateway?.logDestination ? {} : { log: silentLogger }),
    ...options.gateway,
    ...(options.logger ? { logger: options.logger } : {}),
  });
  const client = new OpenAI({
    baseURL: `${gateway.url}/v1`,
    apiKey: options.apiKey ?? 'any-key',
    maxRetries: 0,
  });
  return {
    gateway,
    primary,
    backup,
    client,
    async close() {
      await gateway.close();
      await Promise.all([primary.close(), backup.close()]);
    },
  };
}

/** A raw HTTP call, for what the SDK will not send (bad JSON, wrong methods, huge bodies). */
export async function raw(
  url: string,
  init: { method?: 'GET' | 'POST' | 'PUT' | 'DELETE'; headers?: Record<string, string>; body?: string } = {},
): Promise<{
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json: () => unknown;
}> {
  const res = await request(url, {
    method: init.method ?? 'POST',
    headers: { 'content-type': 'application/json', ...init.headers },
    ...(init.body !== undefined ? { body: init.body } : {}),
  });
  const text = await res.body.text();
  return { status: res.statusCode, headers: res.headers, text, json: () => JSON.parse(text) as unknown };
}

export const userMessage = (content = 'Hello there'): OpenAI.Chat.ChatCompletionMessageParam[] => [
  { role: 'user', content },
];

export interface SimulatedGateway {
  sim: Simulator;
  gateway: Gateway;
  client: OpenAI;
  close(): Promise<void>;
}

/**
 * One simulator (it speaks every protocol, so providers of any type can point at it), a gateway with
 * the raw config `config(simUrl)` (port 0 added), and the openai SDK on it.
 */
export async function startSimulatedGateway(
  apiKey: string,
  config: (simUrl: string) => Record<string, unknown>,
): Promise<SimulatedGateway> {
  const sim = await startSimulator({ apiKey });
  const gateway = await startGateway(
    resolveConfig({ server: { port: 0 }, store: { enabled: false }, ...config(sim.url) }, { env: {} }),
    {
      log: silentLogger,
    },
  );
  const client = new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: 'any', maxRetries: 0 });
  return {
    sim,
    gateway,
    client,
    async close() {
      await gateway.close();
      await sim.close();
    },
  };
}
