import { describe, expect, it } from 'vitest';
import { ConfigError, resolveConfig } from '../config/load.js';
import { configuredSecrets, secretScrubberFor } from '../config/secrets.js';

const base = {
  providers: {
    p: { type: 'openai-compatible', baseUrl: 'http://127.0.0.1:9/v1', apiKey: 'sk-provider-key-1' },
  },
  routes: { chat: { targets: ['p/m'] } },
  keys: [{ name: 'team-a', key: 'sk-gateway-team-a' }],
};
const SLACK = 'https://hooks.slack.com/services/T0001/B0001/AbC123dEf456GhI789jKl012';

function problems(extra: Record<string, unknown>): string[] {
  try {
    resolveConfig({ ...base, ...extra }, { env: {} });
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

describe('slos and alerts config', () => {
  it('defaults: no sinks, the SRE workbook windows over 30 days, evaluated every 30 s', () => {
    const config = resolveConfig(base, { env: {} });
    expect(config.slos).toEqual([]);
    expect(config.alerts.sinks).toEqual([]);
    expect(
      config.alerts.burnRates.map((b) => [
        b.severity,
        b.longWindowMs / 60_000,
        b.shortWindowMs / 60_000,
        b.factor,
      ]),
    ).toEqual([
      ['page', 60, 5, 14.4],
      ['page', 360, 30, 6],
      ['ticket', 4_320, 360, 1],
    ]);
    expect(config.alerts.evaluateEveryMs).toBe(30_000);
    expect(config.alerts.events).toEqual({
      breaker: 'ticket',
      degraded: 'ticket',
      budget: 'ticket',
      key: 'ticket',
      exhausted: 'ticket',
    });
  });

  it('resolves SLOs: objective in percent → a fraction; latency settings; a key by name', () => {
    const config = resolveConfig(
      {
        ...base,
        slos: [
          { name: 'chat-ok', route: 'chat', objective: 99.9 },
          { name: 'chat-ttft', route: 'chat', key: 'team-a', objective: 95, latency: { thresholdMs: 2_000 } },
        ],
        alerts: { sinks: [{ type: 'slack', url: SLACK }], sloPeriodMs: 3_600_000 },
      },
      { env: {} },
    );
    expect(config.slos).toEqual([
      { name: 'chat-ok', route: 'chat', objective: 0.999 },
      {
        name: 'chat-ttft',
        route: 'chat',
        key: 'team-a',
        objective: 0.95,
        latency: { thresholdMs: 2_000, measure: 'ttft' },
      },
    ]);
    expect(config.alerts.burnRates[0]).toMatchObject({ longWindowMs: 5_000, shortWindowMs: 417 });
    expect(config.alerts.evaluateEveryMs).toBe(83);
  });

  it('names what is wrong', () => {
    expect(problems({ slos: [{ name: 'x', route: 'nope', key: 'team-z', objective: 0.999 }] })).toEqual([
      'slos[0].objective: objective is a percentage between 50 and 100 (e.g. 99.9), not a fraction',
    ]);
    expect(problems({ slos: [{ name: 'x', route: 'nope', key: 'team-z', objective: 99.9 }] })).toEqual([
      'slos[0].route: unknown route "nope"',
      'slos[0].key: unknown key name "team-z"',
      'alerts.sinks: SLOs are configured but there is no sink to send their alerts to',
    ]);
    expect(
      problems({
        slos: [
          { name: 'x', route: 'chat', objective: 99 },
          { name: 'x', route: 'chat', objective: 100 },
        ],
      }),
    ).toEqual([
      'slos[1].objective: objective must be below 100 (an objective of 100 % leaves no error budget)',
      'slos[1].name: duplicate SLO name "x"',
    ]);
    expect(problems({ alerts: { sinks: [{ type: 'teams', url: SLACK }] } })[0]).toMatch(
      /^alerts\.sinks\[0\]\.type: /,
    );
    expect(problems({ alerts: { sinks: [{ type: 'slack', url: 'hooks.slack.com/x' }] } })[0]).toMatch(
      /^alerts\.sinks\[0\]\.url: /,
    );
    expect(
      problems({
        alerts: {
          sinks: [{ type: 'slack', url: SLACK }],
          burnRates: [{ severity: 'page', longWindowMs: 1_000, shortWindowMs: 5_000, factor: 2 }],
        },
      }),
    ).toEqual(['alerts.burnRates[0].shortWindowMs: shortWindowMs must be shorter than longWindowMs']);
    expect(
      problems({
        alerts: {
          sinks: [
            { type: 'slack', name: 'ops', url: SLACK },
            { type: 'webhook', name: 'ops', url: SLACK },
          ],
        },
      }),
    ).toEqual(['alerts.sinks[1].name: duplicate sink name "ops"']);
    expect(problems({ alerts: { events: { breaker: 'loud' } } })[0]).toMatch(/^alerts\.events\.breaker: /);
  });

  it('webhook URLs and header values are secrets: scrubbed from whatever leaves the gateway', () => {
    const config = resolveConfig(
      {
        ...base,
        alerts: {
          sinks: [
            { type: 'slack', url: SLACK },
            {
              type: 'webhook',
              url: 'https://alerts.example.com/in?token=tok-0123456789',
              headers: { authorization: 'Bearer whsec-abcdef123456' },
            },
          ],
        },
      },
      { env: {} },
    );
    const secrets = configuredSecrets(config);
    expect(secrets).toContain('AbC123dEf456GhI789jKl012');
    expect(secrets).toContain('tok-0123456789');
    expect(secrets).toContain('whsec-abcdef123456');
    expect(secrets.some((x) => x.includes('services') || x.includes('hooks.slack.com'))).toBe(false);
    const scrub = secretScrubberFor(config);
    expect(scrub.scrub(`posting to ${SLACK} failed`)).toBe(
      'posting to https://hooks.slack.com/services/T0001/B0001/[redacted] failed',
    );
    // The host is no secret: links to other pages on it, or the gateway's own, stay readable.
    expect(scrub.scrub('https://alerts.example.com/status')).toBe('https://alerts.example.com/status');
  });
});

describe('switchyard check', () => {
  it('lists the alert sinks by name and type and the SLOs, never a webhook URL', async () => {
    const { describeConfig } = await import('../config/describe.js');
    const config = resolveConfig(
      {
        ...base,
        slos: [
          { name: 'chat-ttft', route: 'chat', key: 'team-a', objective: 95, latency: { thresholdMs: 2_000 } },
        ],
        alerts: {
          sinks: [
            { type: 'slack', name: 'ops', url: SLACK },
            { type: 'webhook', url: 'https://a.example.com/x' },
          ],
        },
      },
      { env: {} },
    );
    const text = describeConfig(config);
    expect(text).toContain(
      'alerts: ops (slack), webhook#2 (webhook)\n  slo chat-ttft: 95 % ttft ≤ 2000 ms, route chat, key team-a',
    );
    expect(text).not.toContain('hooks.slack.com');
    expect(text).not.toContain('a.example.com');
  });
});
