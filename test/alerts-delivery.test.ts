/** Alert delivery over real sockets to a local receiver; time between tries on a manual clock. */
import { Agent } from 'undici';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { AlertNotification } from '../src/alerts/alert.js';
import { DeliveryQueue, type DeliverySettings } from '../src/alerts/delivery.js';
import { ManualClock } from '../src/resilience/manual-clock.js';
import { startWebhookReceiver, type WebhookReceiver } from './webhook-receiver.js';

let receiver: WebhookReceiver;
let dispatcher: Agent;
beforeEach(async () => {
  receiver = await startWebhookReceiver();
  dispatcher = new Agent();
});
afterEach(async () => {
  await receiver.close();
  await dispatcher.destroy();
});

const note = (key: string, status: 'firing' | 'resolved' = 'firing'): AlertNotification => ({
  key,
  status,
  kind: 'breaker',
  severity: 'ticket',
  title: 't',
  subject: 's',
  summary: 'x',
  since: 0,
  occurrences: 1,
  suppressedChanges: 0,
  statusPageUrl: 'http://gw/status',
});

function queue(settings: Partial<DeliverySettings> = {}) {
  const clock = new ManualClock();
  const logs: string[] = [];
  const q = new DeliveryQueue({
    sink: {
      name: 'ops-slack',
      url: receiver.url,
      headers: {},
      render: (n) => JSON.stringify({ key: n.key, status: n.status }),
    },
    settings: {
      timeoutMs: 5_000,
      maxAttempts: 4,
      backoffBaseMs: 1_000,
      backoffCapMs: 60_000,
      maxRetryAfterMs: 120_000,
      maxQueued: 10,
      ...settings,
    },
    clock,
    wallNow: () => clock.wallNow(),
    random: () => 0.5,
    dispatcher,
    log: (line) => logs.push(line),
  });
  /** Waits until the queue sleeps (or waits on a try) with `ms` left on its one timer. */
  const waitingFor = (ms: number) => vi.waitFor(() => expect(clock.nextTimerIn()).toBe(ms));
  return { clock, logs, q, waitingFor };
}

describe('alert delivery', () => {
  it('a receiver that answers 500 then 200 gets the message once more after a backoff, and it counts as delivered once', async () => {
    receiver.script.push({ status: 500 });
    const { clock, q, waitingFor } = queue();
    q.enqueue(note('breaker:a'));
    await receiver.received(1);
    await waitingFor(500); // U(0, 1 s) with random 0.5
    expect(receiver.bodies).toHaveLength(1);
    clock.advance(500);
    await receiver.received(2);
    await vi.waitFor(() => expect(q.stats.delivered).toBe(1));
    expect(receiver.bodies).toEqual([
      { key: 'breaker:a', status: 'firing' },
      { key: 'breaker:a', status: 'firing' },
    ]);
    expect(q.stats).toEqual({ delivered: 1, retries: 1, dropped: 0 });
    await q.close(0);
  });

  it("honours the receiver's Retry-After", async () => {
    receiver.script.push({ status: 429, headers: { 'retry-after': '30' } });
    const { clock, q, waitingFor } = queue();
    q.enqueue(note('breaker:a'));
    await waitingFor(30_000);
    clock.advance(29_999);
    expect(receiver.bodies).toHaveLength(1);
    clock.advance(1);
    await vi.waitFor(() => expect(q.stats.delivered).toBe(1));
    expect(receiver.bodies).toHaveLength(2);
    await q.close(0);
  });

  it('a refusal (4xx) is final; exhausted retries drop the message; logs name the sink, never the URL', async () => {
    receiver.script.push({ status: 403 }, { status: 502 }, { status: 502 });
    const { clock, logs, q, waitingFor } = queue({ maxAttempts: 2 });
    q.enqueue(note('breaker:a'));
    q.enqueue(note('breaker:b'));
    await vi.waitFor(() => expect(q.stats.dropped).toBe(1));
    await waitingFor(500);
    clock.advance(500);
    await vi.waitFor(() => expect(q.stats.dropped).toBe(2));
    expect(receiver.bodies.map((b) => b.key)).toEqual(['breaker:a', 'breaker:b', 'breaker:b']);
    expect(logs).toEqual([
      'switchyard: alert firing "breaker:a" to sink "ops-slack" dropped: HTTP 403',
      'switchyard: alert firing "breaker:b" to sink "ops-slack" dropped: HTTP 502',
    ]);
    expect(logs.join('\n')).not.toContain('127.0.0.1');
    await q.close(0);
  });

  it('a receiver that hangs is cut after the timeout and tried again; messages keep their order', async () => {
    receiver.script.push({ hang: true });
    const { clock, q, waitingFor } = queue();
    q.enqueue(note('breaker:a'));
    q.enqueue(note('breaker:a', 'resolved'));
    await receiver.received(1);
    await waitingFor(5_000);
    clock.advance(5_000);
    await waitingFor(500);
    clock.advance(500);
    await vi.waitFor(() => expect(q.stats.delivered).toBe(2));
    expect(receiver.bodies.map((b) => b.status)).toEqual(['firing', 'firing', 'resolved']);
    await q.close(0);
  });

  it('close waits for what is queued to go out (up to its flush time)', async () => {
    const { q } = queue();
    q.enqueue(note('breaker:a'));
    q.enqueue(note('breaker:a', 'resolved'));
    await q.close(5_000);
    expect(q.stats).toEqual({ delivered: 2, retries: 0, dropped: 0 });
    expect(receiver.bodies.map((b) => b.status)).toEqual(['firing', 'resolved']);
    q.enqueue(note('breaker:b'));
    expect(q.queued).toBe(0);
  });

  it('the queue is bounded: past maxQueued the oldest waiting message is dropped and counted', async () => {
    receiver.script.push({ hang: true });
    const { logs, q } = queue({ maxQueued: 2 });
    q.enqueue(note('a'));
    await receiver.received(1);
    q.enqueue(note('b'));
    q.enqueue(note('c'));
    q.enqueue(note('d'));
    expect(q.stats.dropped).toBe(1); // "b", the oldest waiting ("a" is being sent)
    expect(q.queued).toBe(3);
    await q.close(0);
    expect(q.stats.dropped).toBe(4);
    expect(logs).toEqual([
      'switchyard: alert firing "b" to sink "ops-slack" dropped: the queue was full',
      'switchyard: alert firing "a" to sink "ops-slack" dropped: the gateway stopped',
      'switchyard: alert firing "c" to sink "ops-slack" dropped: the gateway stopped',
      'switchyard: alert firing "d" to sink "ops-slack" dropped: the gateway stopped',
    ]);
  });
});
