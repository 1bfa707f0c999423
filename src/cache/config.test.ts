import { describe, expect, it } from 'vitest';
import { ConfigError, resolveConfig } from '../config/load.js';

const file = (route: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  providers: { p: { type: 'openai-compatible', baseUrl: 'http://127.0.0.1:9/v1' } },
  routes: { m: { targets: ['p/a'], ...route }, plain: { targets: ['p/a'] } },
  ...extra,
});

describe('the cache config', () => {
  it('is off unless a route has a cache section, whose defaults are per key, deterministic, 5 minutes', () => {
    const config = resolveConfig(file({ cache: {} }), { env: {} });
    expect(config.routes.get('m')!.cache).toEqual({ ttlMs: 300_000, nonDeterministic: false, scope: 'key' });
    expect(config.routes.get('plain')!.cache).toBeUndefined();
    expect(config.cache).toEqual({
      maxEntries: 10_000,
      maxBytes: 64 * 1024 * 1024,
      maxEntryBytes: 1024 * 1024,
      shared: true,
      lookupTimeoutMs: 20,
    });
  });

  it('keeps a route local with shared: false, and the whole cache with cache.shared: false', () => {
    const config = resolveConfig(
      file({ cache: { shared: false } }, { cache: { shared: false, lookupTimeoutMs: 5 } }),
      {
        env: {},
      },
    );
    expect(config.routes.get('m')!.cache).toMatchObject({ shared: false });
    expect(config.cache).toMatchObject({ shared: false, lookupTimeoutMs: 5 });
  });

  it('names a wrong key or value by its path', () => {
    const problems = (input: Record<string, unknown>): string[] => {
      try {
        resolveConfig(input, { env: {} });
      } catch (error) {
        return (error as ConfigError).problems;
      }
      return [];
    };
    expect(problems(file({ cache: { ttl: 5 } }))).toEqual(['routes.m.cache: unknown key "ttl"']);
    expect(problems(file({ cache: { scope: 'global' } }))[0]).toMatch(/^routes\.m\.cache\.scope: /);
    expect(problems(file({}, { cache: { maxBytes: 0 } }))[0]).toMatch(/^cache\.maxBytes: /);
  });
});
