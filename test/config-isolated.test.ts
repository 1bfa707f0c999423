/**
 * `switchyard start --config` validates the configuration on a short-lived thread
 * (src/config/load-isolated.ts): the serving thread gets the same resolved configuration and never
 * loads the schema library or the YAML parser. Runs the built `dist/` (which `npm test` builds first):
 * the thread's module is JavaScript.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { staticImports } from './import-graph.js';

const root = new URL('..', import.meta.url).pathname;
type Load = typeof import('../src/config/load.js');
type ConfigError = import('../src/config/config-error.js').ConfigError;
type Isolated = typeof import('../src/config/load-isolated.js');
const { loadConfigFile } = (await import(`${root}dist/config/load.js`)) as Load;
const { loadConfigIsolated } = (await import(`${root}dist/config/load-isolated.js`)) as Isolated;

const dir = mkdtempSync(join(tmpdir(), 'switchyard-config-isolated-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('configuration loaded on its own thread', () => {
  it.each(['active-passive', 'cheaper-fallback', 'key-pools', 'speculative'])(
    'resolves examples/%s.yaml exactly as loading in the thread does',
    async (name) => {
      const path = `${root}examples/${name}.yaml`;
      // Every variable the example names, set (the crossing must carry what the file resolved to).
      const names = readFileSync(path, 'utf8').matchAll(/\$\{([A-Z0-9_]+)/g);
      const options = { env: Object.fromEntries([...names].map(([, n]) => [n!, `sk-test-${n}`])) };
      const isolated = await loadConfigIsolated({ path }, options);
      expect(isolated).toEqual(loadConfigFile(path, options));
      // Shared references survive the crossing: a route's target points at the provider itself.
      const route = [...isolated.routes.values()][0]!;
      expect(route.targets[0]!.provider).toBe(isolated.providers.get(route.targets[0]!.provider.id));
    },
  );

  it('says every problem of an invalid file, as a ConfigError', async () => {
    const path = join(dir, 'bad.yaml');
    writeFileSync(path, 'server: { port: "many" }\nroutes: { m: { targets: [nowhere/m] } }\n');
    const failure = await loadConfigIsolated({ path }).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(Error);
    expect((failure as ConfigError).name).toBe('ConfigError');
    expect((failure as ConfigError).problems.join('\n')).toMatch(/port/);
  });

  it('the serving thread imports neither zod nor yaml: only the configuration thread does', () => {
    // Static imports, followed through dist/ (dynamic imports load on use: the admin API's bodies,
    // `switchyard check`).
    const reaches = (entry: string): Set<string> => staticImports(join(root, 'dist'), entry).packages;
    for (const entry of ['cli.js', 'main.js']) {
      const packages = reaches(entry);
      expect(packages.has('node:http'), entry).toBe(true); // the walk does see packages
      expect(packages.has('zod'), entry).toBe(false);
      expect(packages.has('yaml'), entry).toBe(false);
    }
    const thread = reaches('config/load-thread.js');
    expect(thread.has('zod') && thread.has('yaml')).toBe(true);
  });
});
