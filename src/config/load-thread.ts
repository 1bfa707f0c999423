/** The configuration thread of load-isolated.ts: loads, validates, resolves, answers once. */
import { parentPort, workerData } from 'node:worker_threads';
import type { ConfigSource, LoadThreadReply } from './load-isolated.js';
import { ConfigError, loadConfigFile, resolveConfig, type LoadOptions } from './load.js';

const { source, options } = workerData as { source: ConfigSource; options: LoadOptions };
let reply: LoadThreadReply;
try {
  const config = 'path' in source ? loadConfigFile(source.path, options) : resolveConfig(source.raw, options);
  reply = { ok: true, config };
} catch (error) {
  reply =
    error instanceof ConfigError
      ? { ok: false, problems: error.problems }
      : { ok: false, crash: error instanceof Error ? (error.stack ?? error.message) : String(error) };
}
parentPort!.postMessage(reply);
