/**
 * What a serving gateway loads (docs/PERFORMANCE.md): Anthropic's and Gemini's translators are
 * imported only when a configured provider speaks their protocol, the alerts only with sinks, the
 * upstream client takes undici's Pool without undici's entry point, the
 * Redis-backed shared state only with `state.driver: redis`, the status page's HTML on its first GET.
 * The static import graph is read from the built `dist/` (which `npm test` builds first); that they
 * still work once loaded is shown over HTTP by translation.test.ts, test/shared-state.test.ts and
 * test/status-page.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { chatProtocol, loadProtocols } from '../src/providers/registry.js';
import { staticImports } from './import-graph.js';

const dist = new URL('../dist/', import.meta.url).pathname;

const staticGraph = (entry: string): Set<string> => staticImports(dist, entry).files;

describe('modules a serving gateway loads', () => {
  it.each(['main.js', 'cli.js'])(
    '%s does not import the Anthropic, Gemini, alerts, Redis-state or status-page HTML modules statically',
    (entry) => {
      const files = [...staticGraph(entry)];
      expect(files).toContain('providers/openai/index.js'); // the walk does follow imports
      expect(files).toContain('providers/registry.js');
      // alerts/settings.js resolves the configuration's `alerts` section (no runtime): it may load.
      expect(
        files.filter((f) =>
          /^providers\/(anthropic|gemini)\/|^alerts\/(?!settings\.js)|^state\/(redis|shared)-|^server\/status-page-/.test(
            f,
          ),
        ),
      ).toEqual([]);
    },
  );

  it.each(['main.js', 'cli.js'])("%s does not import undici's entry point (all of undici)", (entry) => {
    // The upstream client takes undici's Pool from its own file (src/upstream/undici-pool.ts); the
    // commands that send requests (stats, keys, the drill, the demo, alert delivery) load undici on use.
    const { packages } = staticImports(dist, entry);
    expect(packages).toContain('node:http'); // the walk does collect packages
    expect(packages).not.toContain('undici');
  });

  it('loads a protocol on demand, once', async () => {
    expect(chatProtocol('openai')?.name).toBe('openai');
    expect(chatProtocol('gemini')).toBeUndefined();
    await loadProtocols(['openai', 'gemini', 'gemini']);
    const gemini = chatProtocol('gemini');
    expect(gemini?.name).toBe('gemini');
    expect(chatProtocol('anthropic')).toBeUndefined();
    await loadProtocols(['gemini', 'anthropic']);
    expect(chatProtocol('gemini')).toBe(gemini);
    expect(chatProtocol('anthropic')?.name).toBe('anthropic');
  });
});
