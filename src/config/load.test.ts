import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfigText } from './load.js';

const base = `
providers:
  openai:
    type: openai
    apiKey: \${OPENAI_API_KEY}
  anthropic:
    type: anthropic
    apiKey: sk-ant-test-key
routes:
  gpt-4o:
    targets:
      - openai/gpt-4o
      - { provider: anthropic, model: claude-sonnet-4-5 }
`;

function problems(
  text: string,
  env: Record<string, string> = { OPENAI_API_KEY: 'sk-test-1234567890' },
): string[] {
  try {
    loadConfigText(text, { env });
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

describe('config loading', () => {
  it('resolves providers, presets, routes and defaults', () => {
    const config = loadConfigText(base, { env: { OPENAI_API_KEY: 'sk-test-1234567890' } });
    const route = config.routes.get('gpt-4o')!;
    expect(route.targets.map((t) => t.id)).toEqual(['openai/gpt-4o', 'anthropic/claude-sonnet-4-5']);
    expect(route.targets[0]!.provider.baseUrl).toBe('https://api.openai.com/v1');
    expect(route.targets[0]!.provider.apiKey).toBe('sk-test-1234567890');
    expect(route.targets[1]!.provider.protocol).toBe('anthropic');
    expect(route.retry.maxAttempts).toBe(3);
    expect(route.timeouts.firstTokenMs).toBe(30_000);
    expect(config.server).toEqual({
      host: '127.0.0.1',
      port: 4000,
      bodyLimitBytes: 4 * 1024 * 1024,
      bodyDepthLimit: 64,
      headersTimeoutMs: 30_000,
      requestTimeoutMs: 120_000,
      keepAliveTimeoutMs: 65_000,
      maxHeaderBytes: 16_384,
      maxConnections: 10_000,
      clientStallMs: 30_000,
      requestLog: false,
      drainMs: 20_000,
    });
  });

  it('gives each target its model context window, and rejects windows that are not positive integers', () => {
    const text = base.replace(
      'apiKey: sk-ant-test-key',
      'apiKey: sk-ant-test-key\n    contextWindows: { claude-sonnet-4-5: 200000 }',
    );
    const route = loadConfigText(text, { env: { OPENAI_API_KEY: 'sk-test-1234567890' } }).routes.get(
      'gpt-4o',
    )!;
    expect(route.targets.map((t) => t.contextWindow)).toEqual([undefined, 200000]);
    expect(problems(text.replace('200000', '-5'))).toEqual([
      expect.stringMatching(/^providers\.anthropic\.contextWindows\.claude-sonnet-4-5: /),
    ]);
  });

  it('names the path of an unknown provider in a target', () => {
    const text = base.replace('{ provider: anthropic,', '{ provider: antropic,');
    expect(problems(text)).toContain(
      'routes.gpt-4o.targets[1].provider: unknown provider "antropic" (known: "openai", "anthropic")',
    );
  });

  it('reports a missing environment variable with its path', () => {
    expect(problems(base, {})).toContain(
      'providers.openai.apiKey: environment variable OPENAI_API_KEY is not set',
    );
  });

  it('rejects unknown keys and bad types, naming them', () => {
    const text = base + 'server:\n  port: "eighty"\n  colour: blue\n';
    const found = problems(text);
    expect(found.some((p) => p.startsWith('server.port:'))).toBe(true);
    expect(found).toContain('server: unknown key "colour"');
  });

  it('requires a base URL for azure-openai and fills in its api-version and auth header', () => {
    const azure = (baseUrl: string) =>
      `providers:\n  az:\n    type: azure-openai\n    apiKey: k-azure-12345678\n${baseUrl}routes:\n  m:\n    targets: [az/my-deployment]\n`;
    expect(problems(azure(''))).toContain('providers.az.baseUrl: required for type "azure-openai"');
    const config = loadConfigText(azure('    baseUrl: https://example.openai.azure.com/openai/\n'), {
      env: {},
    });
    const provider = config.providers.get('az')!;
    expect(provider.baseUrl).toBe('https://example.openai.azure.com/openai');
    expect(provider.options.authHeader).toBe('api-key');
    expect(provider.options.query).toEqual({ 'api-version': '2024-10-21' });
    expect(provider.options.chatPath).toBe('/deployments/{model}/chat/completions');
  });

  it('refuses to bind beyond loopback without gateway keys, and allows it with keys', () => {
    expect(problems(base + 'server:\n  host: 0.0.0.0\n')[0]).toMatch(
      /server.host: "0.0.0.0" is not loopback/,
    );
    const withKeys =
      base +
      'server:\n  host: 0.0.0.0\nkeys:\n  - name: app\n    key: sy-app-key-123\n    models: [gpt-4o]\n';
    const config = loadConfigText(withKeys, { env: { OPENAI_API_KEY: 'sk-x-12345678' } });
    expect(config.server.host).toBe('0.0.0.0');
    expect(config.keys[0]!.models?.has('gpt-4o')).toBe(true);
  });

  it('lets SWITCHYARD_* environment override the file and flags override both', () => {
    const env = { OPENAI_API_KEY: 'sk-x-12345678', SWITCHYARD_PORT: '5000' };
    expect(loadConfigText(base, { env }).server.port).toBe(5000);
    expect(loadConfigText(base, { env, overrides: { port: 6000 } }).server.port).toBe(6000);
    expect(problems(base, { ...env, SWITCHYARD_PORT: 'abc' })).toContain(
      'SWITCHYARD_PORT: expected a whole number, got "abc"',
    );
  });

  it('merges route timeouts and retry settings over the defaults', () => {
    const text =
      base +
      '    timeouts: { firstTokenMs: 2000 }\n    retry: { maxAttempts: 2 }\ndefaults:\n  timeouts: { stallMs: 5000 }\n';
    const route = loadConfigText(text, { env: { OPENAI_API_KEY: 'sk-x-12345678' } }).routes.get('gpt-4o')!;
    expect(route.timeouts).toMatchObject({ firstTokenMs: 2000, stallMs: 5000, connectMs: 5000 });
    expect(route.retry.maxAttempts).toBe(2);
  });

  it('reports YAML syntax errors', () => {
    expect(problems('routes: [\n')[0]).toMatch(/^YAML:/);
  });

  it('refuses prototype names (a route named __proto__ used to vanish), naming the path', () => {
    const route = (name: string): string => `${base}  ${name}:\n    targets: [openai/gpt-4o]\n`;
    expect(problems(route('__proto__'))).toEqual([
      'routes.__proto__: "__proto__" is reserved and cannot be used as a name',
    ]);
    expect(problems(route('constructor'))).toEqual([
      'routes.constructor: "constructor" is reserved and cannot be used as a name',
    ]);
    const provider = base.replace(
      '  anthropic:\n',
      '  prototype:\n    type: openai\n    apiKey: sk-x\n  anthropic:\n',
    );
    expect(problems(provider)).toEqual([
      'providers.prototype: "prototype" is reserved and cannot be used as a name',
    ]);
  });

  it('looks up prices and context windows of a model by its own entries only', () => {
    const text = base.replace('openai/gpt-4o\n', 'openai/toString\n');
    const route = loadConfigText(text, { env: { OPENAI_API_KEY: 'sk-test-1234567890' } }).routes.get(
      'gpt-4o',
    )!;
    expect(route.targets[0]).toMatchObject({ id: 'openai/toString' });
    expect(route.targets[0]!.price).toBeUndefined();
    expect(route.targets[0]!.contextWindow).toBeUndefined();
  });

  it('refuses a headers timeout longer than the request timeout that includes it', () => {
    expect(problems(`${base}server:\n  headersTimeoutMs: 5000\n  requestTimeoutMs: 4000\n`)).toEqual([
      'server.headersTimeoutMs: 5000 is longer than server.requestTimeoutMs (4000), which includes the headers',
    ]);
  });

  it('refuses two keys with the same secret, without printing it', () => {
    const text = `${base}keys:\n  - { name: a, key: sk-same-secret-1 }\n  - { name: b, key: sk-other-secret }\n  - { name: c, key: sk-same-secret-1 }\n`;
    expect(problems(text)).toEqual(['keys[2].key: the same secret as keys[0] ("a")']);
  });
});

describe('config: continuation', () => {
  const text = `
providers:
  ant: { type: anthropic, apiKey: a }
  mis: { type: mistral, apiKey: m }
  ds: { type: deepseek, apiKey: d }
  dsproxy: { type: deepseek, apiKey: d, baseUrl: "http://127.0.0.1:9/v1/" }
  oai: { type: openai, apiKey: o }
  gem: { type: gemini, apiKey: g }
  own: { type: openai-compatible, baseUrl: "http://127.0.0.1:9/v1", continuation: { method: none } }
  vllm: { type: openai-compatible, baseUrl: "http://127.0.0.1:9/v1", continuation: { method: prefix, baseUrl: "http://127.0.0.1:9/x/" } }
routes:
  chat:
    targets: [oai/a, ant/b]
    continuation: {}
  plain:
    targets: [oai/a]
`;

  it('each type continues its own way by default; a provider can say otherwise; off unless a route asks', () => {
    const config = loadConfigText(text, { env: {} });
    const options = (id: string) => config.providers.get(id)!.options;
    expect(options('ant').continuation).toBe('prefill');
    expect(options('mis').continuation).toBe('prefix');
    expect(options('ds')).toMatchObject({
      continuation: 'prefix',
      continuationBaseUrl: 'https://api.deepseek.com/beta',
    });
    expect(options('dsproxy').continuationBaseUrl).toBe('http://127.0.0.1:9/beta');
    expect(options('oai').continuation).toBe('instruction');
    expect(options('gem').continuation).toBe('instruction');
    expect(options('own').continuation).toBe('none');
    expect(options('vllm')).toMatchObject({
      continuation: 'prefix',
      continuationBaseUrl: 'http://127.0.0.1:9/x',
    });
    expect(options('mis').continuationBaseUrl).toBeUndefined();
    expect(config.routes.get('chat')!.continuation).toEqual({ maxPerRequest: 2 });
    expect(config.routes.get('plain')!.continuation).toBeUndefined();
  });

  it('names the exact key of a bad setting', () => {
    expect(problems(`${base}    continuation: { maxPerRequest: 9 }\n`)).toEqual([
      'routes.gpt-4o.continuation.maxPerRequest: Too big: expected number to be <=5',
    ]);
    const bad = base.replace('type: anthropic', 'type: anthropic\n    continuation: { method: echo }');
    expect(problems(bad)[0]).toMatch(/^providers\.anthropic\.continuation\.method: /);
  });
});
