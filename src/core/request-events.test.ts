/**
 * The decision trace is a per-request subscriber of typed events: each traced event makes its entry,
 * every event goes on to the gateway's bus unchanged, and events the trace does not take cost the
 * request's publisher nothing more than the bus's own `wants`.
 */
import { describe, expect, it } from 'vitest';
import { EventBus, type EventName, type GatewayEvents } from './events.js';
import { RequestEvents } from './request-events.js';
import { TRACE_OF, traceLine } from './trace.js';

const ids = { requestId: 'r1', route: 'm' };

describe('RequestEvents: the trace built from the request’s events', () => {
  it('writes each decision as the header has always shown it, in the order published', () => {
    const events = new RequestEvents(new EventBus());
    events.publish('target.skipped', {
      ...ids,
      target: 'a/x',
      reason: 'breaker-open',
      detail: 'breaker:open',
      retryInMs: 1234.4,
    });
    events.publish('plan.panic', { ...ids, target: 'a/x' });
    events.publish('target.ranked', { ...ids, target: 'b/y', policy: 'weighted', score: 'weight=3' });
    events.publish('race.started', { ...ids, targets: ['a/x', 'b/y'] });
    events.publish('race.alone', { ...ids, target: 'c/z' });
    events.publish('attempt.ended', {
      ...ids,
      ...{ target: 'a/x', provider: 'a', model: 'x', operation: 'chat', stream: false },
      ...{ outcome: 'retry', reason: 'upstream_503', durationMs: 12.6, countsAgainstBreaker: true },
      upstreamStatus: 503,
      tokens: { prompt: 3, completion: 1, estimated: false },
      costUsd: 0.5,
      key: 'key#2',
    });
    events.publish('retry.denied', { ...ids, target: 'a/x', reason: 'max-retries' });
    events.publish('retry.denied', { ...ids, target: 'a/x', reason: 'hint-too-long' });
    events.publish('retry.scheduled', { ...ids, target: 'a/x', waitMs: 40, source: 'backoff' });
    events.publish('hedge.fired', { ...ids, primary: 'a/x', target: 'b/y', delayMs: 800 });
    events.publish('budget.exhausted', { target: 'a/x', kind: 'retry' });
    events.publish('budget.exhausted', { ...ids, target: 'a/x', kind: 'hedge' });
    events.publish('consensus.voted', { ...ids, target: 'a/x', verdict: 'chosen', agreeing: 2, answered: 3 });
    events.publish('consensus.voted', { ...ids, target: 'b/y', verdict: 'timeout', timeoutMs: 500 });
    events.publish('consensus.voted', { ...ids, target: 'a/x', verdict: 'fallback', answered: 1, quorum: 2 });
    events.publish('stream.continued', {
      ...{ ...ids, from: 'a/x', to: 'b/y', method: 'prefill', afterChars: 42, reason: 'stream_cut' },
    });
    events.publish('stream.uncontinued', { ...ids, from: 'b/y', reason: 'complete' });
    events.publish('stream.uncontinued', { ...ids, from: 'b/y', reason: 'no-target' });
    events.publish('failover', { ...ids, from: 'a/x', to: 'b/y', reason: 'upstream_503' });
    expect(
      events.trace.map((t) => `${t.target} ${t.action} ${t.result}${t.ms !== undefined ? ` ${t.ms}` : ''}`),
    ).toEqual([
      'a/x skip breaker:open 1234',
      'a/x skip panic:all-targets-tried',
      'b/y rank weighted:weight=3',
      'a/x race with:b/y',
      'b/y race with:a/x',
      'c/z race alone:no-other-usable-target',
      'a/x attempt upstream_503 13',
      'a/x skip no-retry:hint-too-long',
      'a/x wait backoff 40',
      'b/y hedge no-first-token-after:800ms',
      'a/x skip no-hedge:budget',
      'a/x vote chosen:2/3',
      'b/y vote timeout:500ms',
      'a/x vote fallback:1<2',
      'b/y continue after:42:prefill',
      'b/y continue complete',
      'b/y continue refused:no-target',
    ]);
    expect(events.trace[6]).toMatchObject({
      tokens: { prompt: 3, completion: 1 },
      costUsd: 0.5,
      key: 'key#2',
      outcome: 'retry',
      status: 503,
    });
  });

  it('writes an answer from the response cache as the header has always shown it', () => {
    const bus = new EventBus();
    const seen: GatewayEvents['cache.hit'][] = [];
    bus.subscribe('cache.hit', (e) => seen.push(e));
    const events = new RequestEvents(bus);
    const hit = { ...ids, target: 'a/x', ageMs: 12_999 };
    events.publish('cache.hit', hit);
    expect(events.trace).toEqual([{ target: 'a/x', action: 'cache', result: 'hit age 12s' }]);
    expect(events.trace.map(traceLine)).toEqual(['a/x cache hit age 12s']);
    expect(seen).toEqual([hit]);
  });

  it('keeps a successful attempt’s entry small: no outcome class or status, which only failures carry', () => {
    const events = new RequestEvents(new EventBus());
    events.publish('attempt.ended', {
      ...ids,
      ...{ target: 'a/x', provider: 'a', model: 'x', operation: 'chat', stream: true },
      ...{ outcome: 'ok', reason: 'ok', durationMs: 5, ttftMs: 2, countsAgainstBreaker: false },
    });
    expect(events.trace).toEqual([{ target: 'a/x', action: 'attempt', result: 'ok', ms: 5 }]);
  });

  it('passes every event on to the gateway’s bus, the same object, and wants the traced ones itself', () => {
    const bus = new EventBus();
    const seen: unknown[] = [];
    bus.subscribe('target.ranked', (e) => seen.push(e));
    bus.subscribe('failover', (e) => seen.push(e));
    const events = new RequestEvents(bus);
    const ranked: GatewayEvents['target.ranked'] = { ...ids, target: 'a/x', policy: 'p', score: '1' };
    events.publish('target.ranked', ranked);
    events.publish('failover', { ...ids, from: 'a/x', to: 'b/y', reason: 'skipped' });
    expect(seen[0]).toBe(ranked);
    expect(seen).toHaveLength(2);
    // Traced: wanted with nobody on the bus; not traced: only when the bus wants it.
    const quiet = new RequestEvents(new EventBus());
    const traced = Object.keys(TRACE_OF) as EventName[];
    expect(traced.every((name) => quiet.wants(name))).toBe(true);
    expect(quiet.wants('attempt.started')).toBe(false);
    expect(quiet.wants('hedge.settled')).toBe(false);
  });
});
