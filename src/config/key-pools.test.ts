import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfigText } from './load.js';
import { configuredSecrets } from './secrets.js';

const config = (provider: string): string => `
providers:
  openai:
    type: openai
${provider}
routes:
  m:
    targets: [openai/gpt-4o]
`;

function problems(text: string, env: Record<string, string> = {}): string[] {
  try {
    loadConfigText(text, { env });
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

describe('key pools in the config', () => {
  it('resolves apiKeys from the environment, labelled by position or name, round-robin by default', () => {
    const resolved = loadConfigText(
      config(`    apiKeys:
      - \${KEY_A}
      - key: \${KEY_B}
        name: project-b
      - \${KEY_C:-}
      - \${KEY_D}`),
      { env: { KEY_A: 'sk-a-111111', KEY_B: 'sk-b-222222', KEY_D: 'sk-d-444444' } },
    );
    const provider = resolved.providers.get('openai')!;
    expect(provider.apiKey).toBe('sk-a-111111');
    expect(provider.keyPool).toEqual({
      selection: 'round-robin',
      keys: [
        { secret: 'sk-a-111111', label: 'key#1' },
        { secret: 'sk-b-222222', label: 'project-b' },
        // KEY_C is unset: left out, and key 4 keeps its number.
        { secret: 'sk-d-444444', label: 'key#4' },
      ],
    });
    // Every key of the pool is a secret the scrubber redacts.
    expect(configuredSecrets(resolved)).toEqual(
      expect.arrayContaining(['sk-a-111111', 'sk-b-222222', 'sk-d-444444']),
    );
  });

  it('a pool of one key is that key, without a pool; keySelection ordered is kept', () => {
    const one = loadConfigText(config(`    apiKeys: [sk-only-1]`), { env: {} }).providers.get('openai')!;
    expect(one.apiKey).toBe('sk-only-1');
    expect(one.keyPool).toBeUndefined();
    const ordered = loadConfigText(config(`    apiKeys: [sk-1, sk-2]\n    keySelection: ordered`), {
      env: {},
    }).providers.get('openai')!;
    expect(ordered.keyPool?.selection).toBe('ordered');
  });

  it('names the exact key of each mistake, never the secret', () => {
    expect(problems(config(`    apiKey: sk-1\n    apiKeys: [sk-2]`))).toEqual([
      'providers.openai: set apiKey or apiKeys, not both',
    ]);
    expect(problems(config(`    apiKeys: [sk-same-1, sk-same-1]`))).toEqual([
      'providers.openai.apiKeys[1]: the same key as apiKeys[0]',
    ]);
    expect(problems(config(`    apiKeys: [{ key: sk-1, name: a }, { key: sk-2, name: a }]`))).toEqual([
      'providers.openai.apiKeys[1].name: "a" is used twice',
    ]);
    expect(problems(config(`    apiKey: sk-1\n    keySelection: ordered`))).toEqual([
      'providers.openai.keySelection: only with apiKeys',
    ]);
    expect(problems(config(`    apiKeys: ['\${A:-}']`))).toEqual([
      'providers.openai.apiKey: required for type "openai"',
    ]);
    expect(problems(config(`    apiKeys: [{ key: sk-1, name: "bad name" }]`))[0]).toMatch(
      /^providers\.openai\.apiKeys\[0\]/,
    );
    expect(problems(config(`    apiKeys: []`))[0]).toMatch(/^providers\.openai\.apiKeys/);
  });
});
