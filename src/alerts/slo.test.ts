import { describe, expect, it } from 'vitest';
import { EventBus, type GatewayEvents } from '../core/events.js';
import { ManualClock } from '../resilience/manual-clock.js';
import type { AlertNotification } from './alert.js';
import { AlertManager } from './manager.js';
import { workbookWindows, type SloSettings } from './settings.js';
import { SloAlerts } from './slo-alerts.js';
import { classify, burnRate } from './slo.js';
import { SloWindow } from './slo-window.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

function ended(partial: Partial<GatewayEvents['request.ended']>): GatewayEvents['request.ended'] {
  return {
    requestId: 'r',
    route: 'chat',
    endpoint: 'chat',
    stream: true,
    status: 200,
    outcome: 'ok',
    attempts: 1,
    totalMs: 500,
    ttftMs: 200,
    trace: [],
    ...partial,
  };
}

function setup(slos: SloSettings[], periodMs = 30 * DAY) {
  const clock = new ManualClock();
  const events = new EventBus();
  const sent: AlertNotification[] = [];
  const manager = new AlertManager({
    clock,
    wallNow: () => clock.wallNow(),
    limits: { perAlert: 4, perAlertWindowMs: 600_000, perMinute: 30 },
    statusPageUrl: 'http://gw/status',
    send: (n) => sent.push(n),
  });
  const settings = {
    burnRates: workbookWindows(periodMs),
    minRequests: 10,
  } as ConstructorParameters<typeof SloAlerts>[0]['settings'];
  const alerts = new SloAlerts({ slos, settings, clock, events, manager });
  /** `perSecond` requests a second for `ms`, a share `badShare` of them failed with a 503. */
  const traffic = (ms: number, perSecond: number, badShare = 0, every = 1_000): void => {
    let owed = 0;
    for (let t = 0; t < ms; t += every) {
      const n = (perSecond * every) / 1_000;
      owed += n * badShare;
      for (let i = 0; i < n; i++) {
        const bad = i < Math.floor(owed);
        events.publish(
          'request.ended',
          bad ? ended({ status: 503, outcome: 'upstream_503', target: 'p/m' }) : ended({}),
        );
      }
      owed -= Math.floor(owed);
      clock.advance(every);
    }
  };
  return { clock, events, sent, alerts, traffic };
}

const success: SloSettings = { name: 'chat-ok', route: 'chat', objective: 0.999 };

describe('SLO classification', () => {
  it('counts server failures as bad, client errors and disconnects as neither', () => {
    expect(classify(success, ended({}))).toBe('good');
    expect(classify(success, ended({ status: 502, outcome: 'upstream_502' }))).toBe('bad');
    expect(classify(success, ended({ status: 429, outcome: 'rate_limit_exceeded' }))).toBe('bad');
    expect(classify(success, ended({ status: 400, outcome: 'invalid_request_error' }))).toBe('ignored');
    expect(classify(success, ended({ status: 401, outcome: 'invalid_api_key' }))).toBe('ignored');
    expect(classify(success, ended({ status: 499, outcome: 'client_closed_request' }))).toBe('ignored');
    expect(classify(success, ended({ route: 'other' }))).toBe('ignored');
    expect(classify({ ...success, key: 'team-a' }, ended({ key: 'team-b' }))).toBe('ignored');
    expect(classify({ ...success, key: 'team-a' }, ended({ key: 'team-a' }))).toBe('good');
  });

  it('latency SLOs judge successful requests by TTFT (a non-streamed one by its whole time) or total time', () => {
    const ttft: SloSettings = { ...success, latency: { thresholdMs: 2_000, measure: 'ttft' } };
    expect(classify(ttft, ended({ ttftMs: 1_999, totalMs: 9_000 }))).toBe('good');
    expect(classify(ttft, ended({ ttftMs: 2_500 }))).toBe('bad');
    expect(classify(ttft, ended({ stream: false, ttftMs: undefined, totalMs: 2_500 }))).toBe('bad');
    expect(classify(ttft, ended({ status: 503, ttftMs: 10 }))).toBe('ignored');
    const total: SloSettings = { ...success, latency: { thresholdMs: 2_000, measure: 'total' } };
    expect(classify(total, ended({ ttftMs: 100, totalMs: 2_001 }))).toBe('bad');
  });

  it('burn rate is the bad share over the error budget', () => {
    expect(burnRate({ good: 999, bad: 1 }, 0.999)).toBeCloseTo(1);
    expect(burnRate({ good: 986, bad: 14 }, 0.999)).toBeCloseTo(14);
    expect(burnRate({ good: 0, bad: 0 }, 0.999)).toBe(0);
    // A window a tenth covered: the missing nine tenths count as clean traffic at the same rate.
    expect(burnRate({ good: 986, bad: 14 }, 0.999, 10)).toBeCloseTo(1.4);
  });

  it('the bucket ring forgets what left the window and stays bounded', () => {
    const clock = new ManualClock();
    const w = new SloWindow(clock, { resolutionMs: 1_000, spanMs: 10_000 });
    w.record(false);
    clock.advance(5_000);
    w.record(true);
    expect(w.counts(10_000)).toEqual({ good: 1, bad: 1 });
    expect(w.counts(3_000)).toEqual({ good: 1, bad: 0 });
    clock.advance(20_000);
    expect(w.counts(10_000)).toEqual({ good: 0, bad: 0 });
    const huge = new SloWindow(clock, { resolutionMs: 1, spanMs: 30 * DAY });
    expect(huge.bucketMs).toBeGreaterThan(100_000);
  });
});

describe('multiwindow, multi-burn-rate alerts (SRE workbook windows over 30 days)', () => {
  it('pages on a fast burn, and resolves once the short window is clean again', () => {
    const { sent, alerts, traffic } = setup([success]);
    traffic(2 * HOUR, 1);
    alerts.evaluate();
    expect(sent).toEqual([]);
    traffic(10 * 60_000, 1, 0.2); // 20 % failing for 10 min: 33× over 1 h, 200× over 5 min
    alerts.evaluate();
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({
      key: 'slo:chat-ok:page',
      status: 'firing',
      severity: 'page',
      kind: 'slo',
      route: 'chat',
      errorClass: 'upstream_503',
      slo: {
        name: 'chat-ok',
        objectivePercent: 99.9,
        longWindowMs: HOUR,
        shortWindowMs: 5 * 60_000,
        factor: 14.4,
      },
    });
    expect(sent[0]!.slo!.longBurnRate).toBeGreaterThan(14.4);
    traffic(3 * 60_000, 1);
    alerts.evaluate();
    expect(sent).toHaveLength(1); // the short window still holds failures
    traffic(4 * 60_000, 1);
    alerts.evaluate();
    expect(sent.map((n) => `${n.key} ${n.status}`)).toEqual([
      'slo:chat-ok:page firing',
      'slo:chat-ok:page resolved',
    ]);
  });

  it('does not page on a blip: 30 s of failures in an otherwise healthy hour', () => {
    const { sent, alerts, traffic } = setup([success]);
    traffic(2 * HOUR, 1);
    traffic(30_000, 1, 1);
    alerts.evaluate();
    traffic(60_000, 1);
    alerts.evaluate();
    expect(sent).toEqual([]);
  });

  it('opens a ticket, not a page, on a slow burn (0.2 % failing for 3 days: 2× the budget)', () => {
    const { sent, alerts, traffic } = setup([success]);
    traffic(3 * DAY, 10, 0.002, 10_000);
    alerts.evaluate();
    expect(sent.map((n) => `${n.key} ${n.status}`)).toEqual(['slo:chat-ok:ticket firing']);
    expect(sent[0]!.slo!.longWindowMs).toBe(3 * DAY);
  });

  it('a latency SLO on one key fires on slow first tokens', () => {
    const slo: SloSettings = {
      name: 'ttft',
      route: 'chat',
      key: 'team-a',
      objective: 0.95,
      latency: { thresholdMs: 2_000, measure: 'ttft' },
    };
    const { sent, alerts, events, clock } = setup([slo]);
    for (let i = 0; i < 3_600; i++) {
      events.publish('request.ended', ended({ key: 'team-a', ttftMs: i % 5 ? 2_500 : 300 }));
      events.publish('request.ended', ended({ key: 'team-b', ttftMs: 300 }));
      clock.advance(1_000);
    }
    alerts.evaluate();
    expect(sent.map((n) => n.key)).toEqual(['slo:ttft:page']);
    expect(sent[0]).toMatchObject({ gatewayKey: 'team-a', errorClass: 'slower_than_2000ms' });
  });

  it('windows follow the SLO period, so a drill can shorten them', () => {
    const w = workbookWindows(60 * 60_000);
    expect(w.map((b) => [b.severity, b.longWindowMs, b.shortWindowMs, b.factor])).toEqual([
      ['page', 5_000, 417, 14.4],
      ['page', 30_000, 2_500, 6],
      ['ticket', 360_000, 30_000, 1],
    ]);
  });
});
