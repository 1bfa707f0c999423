/** The example configs in examples/ (linked from the docs) stay valid. */
import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadConfigFile } from '../src/config/load.js';

const env = new Proxy({} as Record<string, string | undefined>, {
  get: (_t, name) =>
    String(name).startsWith('SWITCHYARD_') && !String(name).startsWith('SWITCHYARD_KEY')
      ? undefined
      : `test-value-for-${String(name)}`,
});

describe('examples/', () => {
  for (const file of readdirSync(new URL('../examples', import.meta.url)).filter((f) =>
    f.endsWith('.yaml'),
  )) {
    it(`${file} is a valid config`, () => {
      const config = loadConfigFile(new URL(`../examples/${file}`, import.meta.url).pathname, { env });
      expect(config.routes.size).toBeGreaterThan(0);
    });
  }
});
