import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    // Two cores: two workers keep integration suites (real sockets) from starving each other.
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 20_000,
    hookTimeout: 20_000,
    // Gateways that tests start without the harness keep the request store on (its default): its
    // SQLite file goes to the temp dir, never into the repository.
    env: { SWITCHYARD_DATA_DIR: join(tmpdir(), 'switchyard-test-data') },
  },
});
