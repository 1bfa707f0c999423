import { describe, expect, it } from 'vitest';
import { ManualClock } from '../resilience/manual-clock.js';
import type { AlertNotification, AlertReport } from './alert.js';
import { AlertManager, type RateLimits } from './manager.js';

const report = (target: string, errorClass = 'upstream_503'): AlertReport => ({
  kind: 'breaker',
  severity: 'ticket',
  title: `Circuit breaker open: ${target}`,
  subject: target,
  summary: 'it broke',
  target,
  errorClass,
});

function setup(limits: Partial<RateLimits> = {}) {
  const clock = new ManualClock();
  const sent: AlertNotification[] = [];
  const manager = new AlertManager({
    clock,
    wallNow: () => clock.wallNow(),
    limits: { perAlert: 4, perAlertWindowMs: 600_000, perMinute: 30, ...limits },
    statusPageUrl: 'http://gw/status',
    send: (n) => sent.push(n),
  });
  const log = () => sent.map((n) => `${n.key} ${n.status}`);
  return { clock, sent, manager, log };
}

describe('alert manager', () => {
  it('sends "firing" once per alert and "resolved" when it clears, with since and occurrences', () => {
    const { clock, sent, manager, log } = setup();
    manager.fire('breaker:a', report('a'));
    clock.advance(1_000);
    manager.fire('breaker:a', report('a', 'upstream_502'));
    manager.fire('breaker:b', report('b'));
    expect(log()).toEqual(['breaker:a firing', 'breaker:b firing']);
    clock.advance(60_000);
    manager.resolve('breaker:a');
    manager.resolve('breaker:a');
    manager.resolve('breaker:never');
    expect(log()).toEqual(['breaker:a firing', 'breaker:b firing', 'breaker:a resolved']);
    const resolved = sent[2]!;
    expect(resolved.since).toBe(sent[0]!.since);
    expect(resolved.resolvedAt! - resolved.since).toBe(61_000);
    expect(resolved).toMatchObject({
      occurrences: 2,
      errorClass: 'upstream_502',
      statusPageUrl: 'http://gw/status',
    });
  });

  it('resolves an alert without a clear event after clearAfterMs without a new report', () => {
    const { clock, manager, log } = setup();
    manager.fire('budget:a:retry', report('a'), { clearAfterMs: 10_000 });
    clock.advance(8_000);
    manager.fire('budget:a:retry', report('a'), { clearAfterMs: 10_000 });
    clock.advance(8_000);
    manager.tick();
    expect(log()).toEqual(['budget:a:retry firing']);
    clock.advance(2_000);
    manager.tick();
    expect(log()).toEqual(['budget:a:retry firing', 'budget:a:retry resolved']);
  });

  it('a flapping alert sends a few messages, then its current state once the window allows', () => {
    const { clock, sent, manager, log } = setup({ perAlert: 4, perAlertWindowMs: 60_000 });
    for (let i = 0; i < 10; i++) {
      manager.fire('breaker:a', report('a'));
      clock.advance(1_000);
      manager.resolve('breaker:a');
      clock.advance(1_000);
    }
    manager.fire('breaker:a', report('a'));
    expect(log()).toEqual([
      'breaker:a firing',
      'breaker:a resolved',
      'breaker:a firing',
      'breaker:a resolved',
    ]);
    // The window frees up 60 s after the first message: the current state (firing) goes, once.
    clock.advance(60_000);
    expect(log()).toHaveLength(5);
    expect(sent[4]).toMatchObject({ status: 'firing' });
    expect(sent[4]!.suppressedChanges).toBeGreaterThan(10);
    expect(manager.stats.heldBack).toBeGreaterThan(10);
    clock.advance(10 * 60_000);
    expect(log()).toHaveLength(5);
  });

  it('a change held back and changed back is never sent (resolved → firing → resolved)', () => {
    const { clock, manager, log } = setup({ perAlert: 2, perAlertWindowMs: 60_000 });
    manager.fire('breaker:a', report('a'));
    manager.resolve('breaker:a');
    manager.fire('breaker:a', report('a'));
    manager.resolve('breaker:a');
    clock.advance(120_000);
    expect(log()).toEqual(['breaker:a firing', 'breaker:a resolved']);
  });

  it('caps messages per minute over every alert; the rest go later, none is lost', () => {
    const { clock, manager, log } = setup({ perMinute: 3 });
    for (const t of ['a', 'b', 'c', 'd', 'e']) manager.fire(`breaker:${t}`, report(t));
    expect(log()).toEqual(['breaker:a firing', 'breaker:b firing', 'breaker:c firing']);
    clock.advance(60_000);
    expect(log()).toEqual([
      'breaker:a firing',
      'breaker:b firing',
      'breaker:c firing',
      'breaker:d firing',
      'breaker:e firing',
    ]);
  });

  it('sends nothing after stop', () => {
    const { manager, log } = setup();
    manager.stop();
    manager.fire('breaker:a', report('a'));
    expect(log()).toEqual([]);
  });
});
