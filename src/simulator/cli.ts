/**
 * `switchyard simulate`: simulated providers on a port, until SIGINT/SIGTERM.
 *   --port N (default 4010)  --host H (default 127.0.0.1)  --config FILE (YAML or JSON with
 *   `models`/`defaultBehavior`, and optionally host, port, apiKey, apiKeys, strictModels, seed)
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { parse as parseYaml } from 'yaml';
import { startSimulator } from './index.js';
import { configFileSchema, describeIssues, type ConfigFile } from './schema.js';
import type { SimulatorOptions } from './types.js';

export const DEFAULT_SIMULATOR_PORT = 4010;

/** Reads and validates a simulator config file; errors name the file and the exact key. */
export function loadSimulatorConfig(path: string): ConfigFile {
  let raw: unknown;
  try {
    raw = parseYaml(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new Error(`${path}: ${error instanceof Error ? error.message : String(error)}`);
  }
  const parsed = configFileSchema.safeParse(raw ?? {});
  if (!parsed.success) throw new Error(`${path}: ${describeIssues(parsed.error)}`);
  return parsed.data;
}

function parsePort(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) > 65_535)
    throw new Error(`--port: expected 0-65535, got "${value}"`);
  return Number(value);
}

/** The options `simulateCommand` would start with (flags override the config file). */
export function simulatorOptionsFromArgs(argv: string[]): SimulatorOptions {
  const { values } = parseArgs({
    args: argv,
    options: { port: { type: 'string' }, host: { type: 'string' }, config: { type: 'string' } },
  });
  const config = values.config === undefined ? {} : loadSimulatorConfig(values.config);
  return {
    ...config,
    host: values.host ?? config.host ?? '127.0.0.1',
    port: values.port !== undefined ? parsePort(values.port) : (config.port ?? DEFAULT_SIMULATOR_PORT),
  };
}

export async function simulateCommand(argv: string[]): Promise<void> {
  const sim = await startSimulator(simulatorOptionsFromArgs(argv));
  console.log(`Switchyard simulator listening on ${sim.url}`);
  console.log(
    `  OpenAI base URL:  ${sim.url}/v1   (POST /v1/chat/completions, POST /v1/embeddings, GET /v1/models)`,
  );
  console.log('  Admin API:');
  console.log(`    GET  ${sim.url}/_sim/stats[?model=M]`);
  console.log(`    POST ${sim.url}/_sim/behavior   {"model": "*", "behavior": {...}}`);
  console.log(`    POST ${sim.url}/_sim/schedule   {"model": "gpt-4o", "phases": [...]}`);
  console.log(`    POST ${sim.url}/_sim/reset`);
  await new Promise<void>((resolve) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      console.log('Simulator stopping.');
      void sim.close().then(resolve);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}
