/**
 * Issue 13, part 5: alerts over real sockets. Simulated providers ← gateway ← the openai SDK, and
 * local webhook receivers standing in for Slack and a generic JSON webhook.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { startHarness, userMessage, type Harness } from './harness.js';
import { startWebhookReceiver, type WebhookReceiver } from './webhook-receiver.js';

interface SlackBlock {
  type: string;
  text?: { text: string };
  fields?: { text: string }[];
  elements?: { text: string }[];
}
interface SlackMessage {
  text: string;
  blocks: SlackBlock[];
}

const header = (m: SlackMessage): string => m.blocks.find((b) => b.type === 'header')!.text!.text;
/** The Slack message's fields as name → value ("*Error class*\nupstream_503"). */
const fields = (m: SlackMessage): Record<string, string> =>
  Object.fromEntries(
    m.blocks
      .flatMap((b) => b.fields ?? [])
      .map((f) => {
        const [name, ...value] = f.text.split('\n');
        return [name!.replace(/\*/g, ''), value.join('\n')];
      }),
  );
const context = (m: SlackMessage): string => m.blocks.find((b) => b.type === 'context')!.elements![0]!.text;
const slackFor = (r: WebhookReceiver, key: string): SlackMessage[] =>
  (r.bodies as unknown as SlackMessage[]).filter((m) => context(m).includes(`\`${key}\``));
const jsonFor = (r: WebhookReceiver, key: string): Record<string, unknown>[] =>
  r.bodies.filter((b) => b.key === key);

/** Asks until `done()` holds (at most `max` requests): recovery needs real requests as probes. */
async function askUntil(h: Harness, done: () => boolean, model = 'm', max = 300): Promise<void> {
  for (let i = 0; i < max && !done(); i++) {
    await h.client.chat.completions.create({ model, messages: userMessage() }).catch(() => undefined);
    if (i % 20 === 19) await new Promise((r) => setTimeout(r, 50));
  }
}

const WEBHOOK_TOKEN = 'whsec-test-token-0123456789';

describe('alerts: a breaker opening on the primary, traffic failing over, then recovering', () => {
  let h: Harness;
  let slack: WebhookReceiver;
  let hook: WebhookReceiver;
  beforeAll(async () => {
    slack = await startWebhookReceiver('/services/T000/B000/slacksecret');
    hook = await startWebhookReceiver();
    h = await startHarness({
      config: {
        breakers: {
          consecutiveFailures: 3,
          openBaseMs: 300,
          openMaxMs: 300,
          halfOpenProbes: 1,
          slowStartWindowMs: 500,
        },
        alerts: {
          sinks: [
            { type: 'slack', name: 'ops-slack', url: slack.url },
            { type: 'webhook', url: hook.url, headers: { authorization: `Bearer ${WEBHOOK_TOKEN}` } },
          ],
          delivery: { backoffBaseMs: 20, backoffCapMs: 100 },
          resolveAfterMs: 60_000,
        },
      },
      routes: {
        m: {
          targets: ['primary/model-a', { provider: 'backup', model: 'model-b', tier: 2 }],
          retry: { maxRetriesPerTarget: 0 },
        },
      },
    });
  });
  afterAll(async () => {
    await h.close();
    await Promise.all([slack.close(), hook.close()]);
  });

  it('sends a Slack message saying what broke, since when, the error class and the failover target, then "resolved"', async () => {
    h.primary.setBehavior('model-a', { fault: { kind: 'status', status: 503 } });
    for (let i = 0; i < 4; i++) {
      const r = await h.client.chat.completions
        .create({ model: 'm', messages: userMessage() })
        .withResponse();
      expect(r.response.headers.get('x-switchyard-target')).toBe('backup/model-b');
    }
    await vi.waitFor(() => expect(slackFor(slack, 'breaker:primary/model-a')).toHaveLength(1));
    const [firing] = slackFor(slack, 'breaker:primary/model-a');
    expect(header(firing!)).toBe('🔴 [FIRING · ticket] Circuit breaker open: primary/model-a');
    expect(fields(firing!)).toMatchObject({
      'What broke': 'primary/model-a',
      Severity: 'ticket',
      'Error class': 'upstream_503',
      'Failover target': 'backup/model-b',
    });
    expect(fields(firing!).Since).toMatch(
      /^<!date\^\d+\^\{date_short_pretty\} \{time_secs\}\|\d{4}-\d\d-\d\dT/,
    );
    expect(context(firing!)).toContain(`<${h.gateway.url}/status|Status page>`);
    expect(firing!.text).toContain('Circuit breaker open: primary/model-a');
    expect(firing!.text).toContain('Error: upstream_503. Failover: backup/model-b.');

    // The failover went to a lower tier: its own alert, in the generic JSON shape.
    const [degraded] = jsonFor(hook, 'degraded:m');
    expect(degraded).toMatchObject({
      version: 1,
      source: 'switchyard',
      status: 'firing',
      kind: 'degraded',
      severity: 'ticket',
      route: 'm',
      target: 'primary/model-a',
      errorClass: 'upstream_503',
      failoverTarget: 'backup/model-b',
      resolvedAt: null,
      statusPageUrl: `${h.gateway.url}/status`,
    });
    expect(hook.headers[0]!.authorization).toBe(`Bearer ${WEBHOOK_TOKEN}`);

    // Recovery: the primary answers again; after the open period, probes close the breaker.
    h.primary.setBehavior('model-a', { fault: null });
    await new Promise((r) => setTimeout(r, 350));
    await askUntil(h, () => slackFor(slack, 'breaker:primary/model-a').length >= 2);
    const messages = slackFor(slack, 'breaker:primary/model-a');
    expect(messages.map(header)).toEqual([
      '🔴 [FIRING · ticket] Circuit breaker open: primary/model-a',
      '✅ [RESOLVED] Circuit breaker open: primary/model-a',
    ]);
    const resolved = messages[1]!;
    expect(fields(resolved).Since).toBe(fields(firing!).Since);
    expect(fields(resolved).Resolved).toMatch(/\(lasted [\d.]+ (ms|s)\)$/);
    const json = jsonFor(hook, 'breaker:primary/model-a');
    expect(json.map((b) => b.status)).toEqual(['firing', 'resolved']);
    expect(json[1]!.since).toBe(json[0]!.since);
    expect(typeof json[1]!.resolvedAt).toBe('string');
    // One firing per outage, whatever the number of failed requests; nothing names the webhook URLs.
    expect(jsonFor(hook, 'degraded:m')).toHaveLength(1);
    expect(JSON.stringify([slack.bodies, hook.bodies])).not.toContain('slacksecret');
    expect(h.gateway.alerts!.stats().sinks['ops-slack']).toMatchObject({ dropped: 0 });
  });
});

describe('alerts: delivery', () => {
  let h: Harness;
  let receiver: WebhookReceiver;
  beforeEach(async () => {
    receiver = await startWebhookReceiver();
    h = await startHarness({
      config: {
        breakers: { consecutiveFailures: 2, openBaseMs: 60_000, openMaxMs: 60_000 },
        alerts: {
          sinks: [{ type: 'slack', url: receiver.url }],
          delivery: { backoffBaseMs: 20, backoffCapMs: 50, timeoutMs: 60_000 },
          events: { degraded: 'off' },
        },
      },
      routes: { m: { targets: ['primary/model-a', 'backup/model-b'], retry: { maxRetriesPerTarget: 0 } } },
    });
  });
  afterEach(async () => {
    await h.close();
    await receiver.close();
  });

  const trip = async (): Promise<void> => {
    h.primary.setBehavior('model-a', { fault: { kind: 'status', status: 503 } });
    for (let i = 0; i < 2; i++)
      await h.client.chat.completions.create({ model: 'm', messages: userMessage() });
  };

  it('a receiver that answers 500, then 200, gets the message once more after a retry', async () => {
    receiver.script.push({ status: 500 });
    await trip();
    await receiver.received(2);
    expect(receiver.bodies[1]).toEqual(receiver.bodies[0]);
    const stats = () => h.gateway.alerts!.stats().sinks['slack#1']!;
    await vi.waitFor(() => expect(stats().delivered).toBe(1));
    expect(stats()).toMatchObject({ delivered: 1, retries: 1, dropped: 0, queued: 0 });
    expect(receiver.bodies).toHaveLength(2);
  });

  it('a webhook that hangs never slows requests: they are served while the delivery still waits', async () => {
    receiver.script.push({ hang: true }, { hang: true }, { hang: true });
    await trip();
    await receiver.received(1);
    for (let i = 0; i < 20; i++) {
      const r = await h.client.chat.completions
        .create({ model: 'm', messages: userMessage() })
        .withResponse();
      expect(r.data.choices[0]!.message.content).toBeTruthy();
    }
    expect(receiver.hanging).toBe(1);
    expect(h.gateway.alerts!.stats().sinks['slack#1']).toMatchObject({ delivered: 0, queued: 1 });
  });
});

describe('alerts: SLO burn rate, end to end (windows shortened for the test)', () => {
  let h: Harness;
  let receiver: WebhookReceiver;
  beforeAll(async () => {
    receiver = await startWebhookReceiver();
    h = await startHarness({
      config: {
        breakers: { enabled: false },
        slos: [{ name: 'solo-availability', route: 'solo', objective: 99 }],
        alerts: {
          sinks: [{ type: 'webhook', url: receiver.url }],
          burnRates: [{ severity: 'page', longWindowMs: 2_000, shortWindowMs: 500, factor: 14.4 }],
          minRequests: 5,
          evaluateEveryMs: 50,
          events: { exhausted: 'off', breaker: 'off', degraded: 'off', budget: 'off', key: 'off' },
        },
      },
    });
  });
  afterAll(async () => {
    await h.close();
    await receiver.close();
  });

  it('pages while failures burn the budget, and resolves once the short window is clean; client errors do not count', async () => {
    // Client errors (an unknown parameter value the upstream rejects with 400) are neither good nor bad.
    h.primary.setBehavior('model-a', { fault: { kind: 'status', status: 400 } });
    for (let i = 0; i < 10; i++)
      await h.client.chat.completions
        .create({ model: 'solo', messages: userMessage() })
        .catch(() => undefined);
    h.primary.setBehavior('model-a', { fault: null });
    for (let i = 0; i < 5; i++)
      await h.client.chat.completions.create({ model: 'solo', messages: userMessage() });
    await new Promise((r) => setTimeout(r, 150));
    h.gateway.alerts!.evaluate();
    expect(receiver.bodies).toEqual([]);

    // Every request failing: the page fires once 14.4 × 1 % of the long window's traffic has failed.
    h.primary.setBehavior('model-a', { fault: { kind: 'status', status: 503 } });
    await askUntil(h, () => receiver.bodies.length >= 1, 'solo');
    expect(receiver.bodies[0]).toMatchObject({
      key: 'slo:solo-availability:page',
      kind: 'slo',
      status: 'firing',
      severity: 'page',
      route: 'solo',
      errorClass: 'upstream_503',
      slo: {
        name: 'solo-availability',
        objectivePercent: 99,
        longWindowMs: 2_000,
        shortWindowMs: 500,
        factor: 14.4,
      },
    });
    h.primary.setBehavior('model-a', { fault: null });
    await askUntil(h, () => receiver.bodies.length >= 2, 'solo');
    expect(receiver.bodies.map((b) => `${b.key} ${b.status}`)).toEqual([
      'slo:solo-availability:page firing',
      'slo:solo-availability:page resolved',
    ]);
  });
});
