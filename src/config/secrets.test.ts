import { describe, expect, it } from 'vitest';
import { resolveConfig } from './load.js';
import { configuredSecrets, secretScrubberFor } from './secrets.js';

describe('secretScrubberFor', () => {
  const config = resolveConfig(
    {
      providers: {
        a: {
          type: 'openai-compatible',
          baseUrl: 'https://proxy-user:proxy-password-42@llm.example.com/v1?api_key=query-secret-777',
          apiKey: 'sk-provider-a-key-000',
          headers: {
            authorization: 'Bearer header-bearer-secret-1',
            'x-portkey-api-key': 'portkey-secret-2222',
            'anthropic-beta': 'prompt-caching-2024-07-31',
          },
        },
        b: { type: 'anthropic', apiKey: 'sk-ant-provider-b-key' },
      },
      routes: { m: { targets: ['a/x', 'b/y'] } },
      keys: [{ name: 'team', key: 'sk-gateway-team-key-01' }],
    },
    { env: {} },
  );
  const scrub = secretScrubberFor(config);

  it('redacts every provider key, secret header, URL credential and gateway key', () => {
    for (const secret of [
      'sk-provider-a-key-000',
      'sk-ant-provider-b-key',
      'header-bearer-secret-1',
      'portkey-secret-2222',
      'proxy-password-42',
      'query-secret-777',
      'sk-gateway-team-key-01',
    ]) {
      expect(scrub.scrub(`echo: ${secret}!`)).toBe('echo: [redacted]!');
    }
  });

  it('takes header credentials without their scheme, and the password of a Basic credential', () => {
    const basic = resolveConfig(
      {
        providers: {
          p: {
            type: 'openai-compatible',
            baseUrl: 'https://llm.example.com/v1',
            headers: {
              'proxy-authorization': `Basic ${Buffer.from('me:basic-pass-123').toString('base64')}`,
            },
          },
        },
        routes: { m: { targets: ['p/x'] } },
      },
      { env: {} },
    );
    expect(configuredSecrets(basic)).toContain('basic-pass-123');
    expect(configuredSecrets(config)).toContain('header-bearer-secret-1');
    expect(configuredSecrets(config)).not.toContain('Bearer header-bearer-secret-1');
  });

  it('keeps headers that are not secrets', () => {
    expect(scrub.scrub('beta prompt-caching-2024-07-31 unknown')).toBe(
      'beta prompt-caching-2024-07-31 unknown',
    );
    expect(scrub.scrub('Bearer token missing')).toBe('Bearer token missing');
  });
});
