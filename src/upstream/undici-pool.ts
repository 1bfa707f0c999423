/**
 * undici's `Pool` class, loaded without undici's entry point. `import { Pool } from 'undici'` runs the
 * package's index, which loads all of undici (fetch, WebSocket, EventSource, the cache and mock
 * dispatchers, every interceptor): about 19 MB of RSS and 6 MB of heap in a process that only ever uses
 * a Pool, against about 11 MB and 2.3 MB for the Pool and what it needs (docs/PERFORMANCE.md).
 *
 * undici publishes no `exports` map, so its files resolve as paths; but the layout is not its published
 * API, so the entry point stays the fallback: a release that moves the file costs memory, never
 * correctness. `undici-pool.test.ts` checks that the file is still the class the entry point exports.
 */
import { createRequire } from 'node:module';
import type { Pool as UndiciPool } from 'undici';

const require = createRequire(import.meta.url);

/** The path of undici's Pool within the package, as of undici 7. */
export const POOL_PATH = 'undici/lib/dispatcher/pool.js';

function loadPool(): typeof UndiciPool {
  try {
    const pool = require(POOL_PATH) as unknown;
    if (typeof pool === 'function') return pool as typeof UndiciPool;
  } catch {
    // Moved or gone in this release of undici: the entry point has it.
  }
  return (require('undici') as typeof import('undici')).Pool;
}

export const Pool = loadPool();
export type Pool = UndiciPool;
