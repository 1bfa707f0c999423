import { createRequire } from 'node:module';
import { Pool as PublishedPool } from 'undici';
import { describe, expect, it } from 'vitest';
import { POOL_PATH, Pool } from './undici-pool.js';

const require = createRequire(import.meta.url);

describe('undici-pool', () => {
  it('loads the class undici publishes, from its own file', () => {
    // If undici moves the file, the gateway falls back to the entry point (more memory, same class):
    // this test says so, so that POOL_PATH follows the new layout.
    expect(require(POOL_PATH)).toBe(PublishedPool);
    expect(Pool).toBe(PublishedPool);
  });
});
