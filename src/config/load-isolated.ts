/**
 * Loads and validates the configuration on a short-lived worker thread and hands the serving thread
 * only the result. The schema library (zod) and the YAML parser are some 20 MB of a gateway's memory
 * once loaded, and modules cannot be unloaded: loaded here, they go with the thread, and a gateway
 * that serves never holds them (docs/PERFORMANCE.md). The resolved configuration is plain data (maps,
 * sets, arrays, objects, regular expressions), so it crosses by structured clone with its shared
 * references intact. Costs a thread start (~100 ms) once, at start-up.
 */
import { Worker } from 'node:worker_threads';
import { ConfigError } from './config-error.js';
import type { LoadOptions } from './load.js';
import type { ResolvedConfig } from './types.js';

/** A file to read, or an already parsed document (what `resolveConfig` takes). */
export type ConfigSource = { path: string } | { raw: unknown };

/** What the thread answers (load-thread.ts). */
export type LoadThreadReply =
  { ok: true; config: ResolvedConfig } | { ok: false; problems: string[] } | { ok: false; crash: string };

export function loadConfigIsolated(source: ConfigSource, options: LoadOptions = {}): Promise<ResolvedConfig> {
  // The thread sees a copy of this process's environment; options.env, when given, replaces it there too.
  const worker = new Worker(new URL('./load-thread.js', import.meta.url), {
    workerData: { source, options },
  });
  return new Promise((resolve, reject) => {
    let answered = false;
    worker.once('message', (reply: LoadThreadReply) => {
      answered = true;
      if (reply.ok) resolve(reply.config);
      else if ('problems' in reply) reject(new ConfigError(reply.problems));
      else reject(new Error(`loading the configuration failed: ${reply.crash}`));
      void worker.terminate();
    });
    worker.once('error', (error) => {
      if (!answered) reject(error);
    });
    worker.once('exit', (code) => {
      if (!answered) reject(new Error(`the configuration thread exited (code ${code}) without an answer`));
    });
  });
}
