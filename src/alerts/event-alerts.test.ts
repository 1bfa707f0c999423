import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../config/load.js';
import { EventBus, type GatewayEvents } from '../core/events.js';
import { ManualClock } from '../resilience/manual-clock.js';
import type { AlertNotification } from './alert.js';
import { subscribeEventAlerts } from './event-alerts.js';
import { AlertManager } from './manager.js';

function setup(events: Record<string, string> = {}) {
  const config = resolveConfig(
    {
      providers: {
        a: { type: 'openai-compatible', baseUrl: 'http://127.0.0.1:9/v1' },
        b: { type: 'openai-compatible', baseUrl: 'http://127.0.0.1:9/v1' },
      },
      routes: { chat: { targets: ['a/m', 'b/m', { provider: 'b', model: 'small', tier: 2 }] } },
      alerts: {
        sinks: [{ type: 'webhook', url: 'http://127.0.0.1:9/hook' }],
        resolveAfterMs: 60_000,
        events,
      },
    },
    { env: {} },
  );
  const clock = new ManualClock();
  const bus = new EventBus();
  const sent: AlertNotification[] = [];
  const manager = new AlertManager({
    clock,
    wallNow: () => clock.wallNow(),
    limits: config.alerts.rateLimit,
    statusPageUrl: 'http://gw/status',
    send: (n) => sent.push(n),
  });
  const stop = subscribeEventAlerts({ config, settings: config.alerts, events: bus, manager });
  const log = () => sent.map((n) => `${n.key} ${n.status}`);
  return { clock, bus, sent, manager, stop, log };
}

const attemptFailed = (target: string, reason: string): GatewayEvents['attempt.ended'] => ({
  requestId: 'r',
  route: 'chat',
  target,
  provider: target.split('/')[0]!,
  model: 'm',
  operation: 'chat',
  stream: false,
  outcome: 'retry',
  reason,
  durationMs: 5,
  countsAgainstBreaker: true,
});

describe('event alerts', () => {
  it('a breaker: fires on open with the last failure and the failover target, stays firing through half-open, resolves on close', () => {
    const { bus, sent, log } = setup();
    bus.publish('attempt.ended', attemptFailed('a/m', 'upstream_502'));
    bus.publish('breaker.transition', { target: 'a/m', from: 'closed', to: 'open', reason: 'consecutive' });
    bus.publish('breaker.transition', { target: 'a/m', from: 'open', to: 'half-open', reason: null });
    bus.publish('breaker.transition', {
      target: 'a/m',
      from: 'half-open',
      to: 'open',
      reason: 'consecutive',
    });
    expect(log()).toEqual(['breaker:a/m firing']);
    expect(sent[0]).toMatchObject({
      kind: 'breaker',
      severity: 'ticket',
      target: 'a/m',
      errorClass: 'upstream_502',
      failoverTarget: 'b/m',
    });
    bus.publish('breaker.transition', { target: 'a/m', from: 'half-open', to: 'closed', reason: null });
    expect(log()).toEqual(['breaker:a/m firing', 'breaker:a/m resolved']);
    expect(sent[1]!.resolvedSummary).toBe('The breaker closed: a/m takes traffic again.');
  });

  it('a failover to a lower tier fires "degraded" once; a failover within the first tier does not; it resolves when quiet', () => {
    const { bus, clock, manager, sent, log } = setup();
    bus.publish('failover', {
      requestId: 'r',
      route: 'chat',
      from: 'a/m',
      to: 'b/m',
      reason: 'upstream_503',
    });
    expect(log()).toEqual([]);
    for (let i = 0; i < 5; i++)
      bus.publish('failover', {
        requestId: 'r',
        route: 'chat',
        from: 'b/m',
        to: 'b/small',
        reason: 'upstream_429',
      });
    expect(log()).toEqual(['degraded:chat firing']);
    expect(sent[0]).toMatchObject({
      route: 'chat',
      failoverTarget: 'b/small',
      errorClass: 'upstream_429',
      title: 'Route chat degraded to tier 2',
    });
    clock.advance(59_000);
    manager.tick();
    expect(log()).toHaveLength(1);
    clock.advance(1_000);
    manager.tick();
    expect(log()).toEqual(['degraded:chat firing', 'degraded:chat resolved']);
    expect(sent[1]!.occurrences).toBe(5);
  });

  it("a provider key out of service fires for its cooldown; a busy provider's does not", () => {
    const { bus, clock, manager, log } = setup();
    bus.publish('cooldown.set', { target: 'a/m', ms: 10_000, reason: 'upstream_slow_down' });
    bus.publish('cooldown.set', { target: 'a/m', ms: 30_000, reason: 'upstream_quota' });
    expect(log()).toEqual(['key:a/m firing']);
    clock.advance(30_000);
    manager.tick();
    expect(log()).toEqual(['key:a/m firing', 'key:a/m resolved']);
  });

  it('budget exhaustion and requests that no target could serve; client errors and a shutdown are not alerts', () => {
    const { bus, sent, log } = setup();
    bus.publish('budget.exhausted', { target: 'a/m', kind: 'retry' });
    const ended = (status: number, outcome: string): GatewayEvents['request.ended'] => ({
      requestId: 'r',
      route: 'chat',
      endpoint: 'chat',
      stream: false,
      status,
      outcome,
      attempts: 2,
      totalMs: 10,
      trace: [
        { target: 'a/m', action: 'attempt', result: 'upstream_503' },
        { target: 'b/m', action: 'attempt', result: 'upstream_500' },
      ],
    });
    bus.publish('request.ended', ended(400, 'invalid_request_error'));
    bus.publish('request.ended', ended(499, 'client_closed_request'));
    bus.publish('request.ended', ended(503, 'server_shutting_down'));
    bus.publish('request.ended', ended(503, 'all_targets_failed'));
    expect(log()).toEqual(['budget:a/m:retry firing', 'exhausted:chat firing']);
    expect(sent[1]).toMatchObject({ errorClass: 'upstream_500', route: 'chat' });
    expect(sent[1]!.summary).toContain('clients get 503 all_targets_failed');
  });

  it('an event alert set to off is not listened to', () => {
    const { bus, log, stop } = setup({ breaker: 'off' });
    expect(bus.wants('breaker.transition')).toBe(false);
    bus.publish('breaker.transition', { target: 'a/m', from: 'closed', to: 'open', reason: 'consecutive' });
    expect(log()).toEqual([]);
    stop();
    expect(bus.wants('request.ended')).toBe(false);
  });
});
