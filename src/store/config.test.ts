/** The `store` config section: defaults, PostgreSQL from the environment, errors naming the key. */
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, resolveConfig } from '../config/load.js';
import { defaultStorePath } from './open.js';

const raw = (extra: Record<string, unknown> = {}) => ({
  providers: { p: { type: 'openai-compatible', baseUrl: 'http://127.0.0.1:9/v1', apiKey: 'sk-test-0001' } },
  routes: { m: { targets: ['p/model'] } },
  ...extra,
});

function problems(config: unknown, env: Record<string, string> = {}): string[] {
  try {
    resolveConfig(config, { env });
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

describe('store config', () => {
  it('is on by default: SQLite, a week or a million rows, batches of 200 every second', () => {
    expect(resolveConfig(raw(), { env: {} }).store).toEqual({
      enabled: true,
      driver: 'sqlite',
      schema: 'public',
      connectTimeoutMs: 5_000,
      queryTimeoutMs: 15_000,
      retention: { maxAgeMs: 604_800_000, maxRows: 1_000_000, pruneIntervalMs: 60_000 },
      batch: { maxSize: 200, flushIntervalMs: 1_000, maxQueued: 10_000 },
      // Prompt and completion capture: off unless asked for.
      capture: { prompts: false, completions: false, maxChars: 4_000, redact: [], redactCommon: true },
    });
  });

  it('capture: rejects a redaction pattern that is not a regular expression, naming the key', () => {
    expect(() =>
      resolveConfig(
        { ...raw(), store: { capture: { prompts: true, redact: ['ok-\\d+', '(unclosed'] } } },
        { env: {} },
      ),
    ).toThrow(/store\.capture\.redact\[1\]: not a valid regular expression/);
  });

  it('puts the SQLite file in SWITCHYARD_DATA_DIR, else in ./.switchyard', () => {
    expect(defaultStorePath({ SWITCHYARD_DATA_DIR: '/var/lib/switchyard' })).toBe(
      '/var/lib/switchyard/requests.db',
    );
    expect(defaultStorePath({})).toBe(resolve(join('.switchyard', 'requests.db')));
  });

  it('SWITCHYARD_STORE_URL switches to PostgreSQL', () => {
    const config = resolveConfig(raw(), { env: { SWITCHYARD_STORE_URL: 'postgres://db/switchyard' } });
    expect(config.store).toMatchObject({ driver: 'postgres', url: 'postgres://db/switchyard' });
  });

  it('names the key of a bad setting', () => {
    expect(problems(raw({ store: { driver: 'postgres' } }))).toEqual([
      expect.stringMatching(/^store\.url: required with driver: postgres/),
    ]);
    expect(problems(raw({ store: { driver: 'mysql' } }))[0]).toMatch(/^store\.driver/);
    expect(problems(raw({ store: { schema: 'a; drop' } }))[0]).toMatch(/^store\.schema/);
    expect(problems(raw({ store: { batch: { maxSize: 0 } } }))[0]).toMatch(/^store\.batch\.maxSize/);
    expect(problems(raw({ store: { retention: { maxDays: 3 } } }))[0]).toMatch(/^store\.retention/);
  });
});

describe('lazy backends', () => {
  it('only open.ts imports a backend, dynamically: a gateway without the store never loads better-sqlite3 or pg', () => {
    const root = new URL('..', import.meta.url).pathname;
    const offenders: string[] = [];
    for (const file of readdirSync(root, { recursive: true, encoding: 'utf8' })) {
      if (!file.endsWith('.ts') || file.endsWith('.test.ts')) continue;
      const text = readFileSync(join(root, file), 'utf8');
      // Type-only imports are erased at build time: they load nothing.
      const staticImports = [...text.matchAll(/^import (?!type )[^;]*? from '([^']+)'/gms)].map((m) => m[1]);
      const backends = staticImports.filter((s) =>
        /(^|\/)(sqlite|postgres)(-keys)?\.js$|^better-sqlite3$|^pg$/.test(s!),
      );
      // The key store's PostgreSQL backend too: src/keys/service.ts imports it only when configured.
      const allowed =
        file === join('store', 'sqlite.ts') ||
        file === join('store', 'postgres.ts') ||
        file === join('keys', 'postgres-keys.ts');
      if (backends.length && !(allowed && backends.every((s) => s === 'better-sqlite3' || s === 'pg')))
        offenders.push(`${file}: ${backends.join(', ')}`);
    }
    expect(offenders).toEqual([]);
    const open = readFileSync(join(root, 'store', 'open.ts'), 'utf8');
    expect(open).toContain("await import('./sqlite.js')");
    expect(open).toContain("await import('./postgres.js')");
    const keys = readFileSync(join(root, 'keys', 'service.ts'), 'utf8');
    expect(keys).toContain("await import('./sqlite-keys.js')");
    expect(keys).toContain("await import('./postgres-keys.js')");
  });
});
