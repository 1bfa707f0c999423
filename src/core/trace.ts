/**
 * The per-request decision trace (x-switchyard-trace, the request log, the request store), one entry
 * per decision. The engine does not write it: it publishes typed events (src/core/events.ts), and each
 * request's trace is a subscriber of its own request's events (src/core/request-events.ts), built by
 * TRACE_OF below: one entry (or a few) per event that tells a decision, none for the others.
 */
import type { AttemptOutcomeClass, EventName, EventTokens, GatewayEvents } from './events.js';

/** One line of the per-request decision trace: a target tried or skipped, and why. */
export interface TraceEntry {
  target: string;
  action: 'attempt' | 'skip' | 'wait' | 'hedge' | 'continue' | 'race' | 'vote' | 'rank' | 'cache';
  /**
   * For attempts: `ok` or the failure reason; for skips and waits: why; for continuations:
   * `after:<chars>:<method>` (or `refused:<why>` when a cut stream could not be continued); for
   * races: `with:<other racers>`; for consensus votes: `chosen:<n>/<answered>` or `dissent:<n>/<answered>`; for ranks:
   * `<policy>:<score>`, the routing policy's score of a candidate (docs/routing.md); for an answer from
   * the response cache: `hit age <seconds>s` (`target` answered it originally).
   */
  result: string;
  /** Milliseconds the attempt or the wait took. */
  ms?: number;
  /** Tokens the attempt consumed (exact from upstream usage, or estimated), when it was billed. */
  tokens?: EventTokens;
  /** USD at the target's configured price. */
  costUsd?: number;
  /** Providers with a key pool: the label of the key used (`key#2` or its name), never the key. */
  key?: string;
  /** Failed attempts: the outcome class (`retry`, `failover`, `context`, `fatal`, `cancelled`). */
  outcome?: AttemptOutcomeClass;
  /** Failed attempts: the upstream's HTTP status, when it answered with one. */
  status?: number;
}

/** One entry as x-switchyard-trace (and `switchyard stats --request`) shows it: `TARGET [KEY] ACTION RESULT [MSms]`. */
export const traceLine = (t: TraceEntry): string =>
  `${t.target}${t.key ? ` ${t.key}` : ''} ${t.action} ${t.result}${t.ms !== undefined ? ` ${t.ms}ms` : ''}`;

type Tracer<K extends EventName> = (event: GatewayEvents[K], trace: TraceEntry[]) => void;

/**
 * How each event that tells a decision is written into its request's trace. Events not listed here
 * (attempt.started, failover, race.settled, hedge.settled, consensus.decided, the request's own start
 * and end, and everything not about one request) add nothing: what they say is in the entries already.
 */
export const TRACE_OF: { readonly [K in EventName]?: Tracer<K> } = {
  'attempt.ended': (e, trace) => {
    const entry: TraceEntry = {
      target: e.target,
      action: 'attempt',
      result: e.reason,
      ms: Math.round(e.durationMs),
    };
    if (e.tokens) entry.tokens = e.tokens;
    if (e.costUsd !== undefined) entry.costUsd = e.costUsd;
    if (e.key) entry.key = e.key;
    // Failures only: a successful attempt's entry stays as small as it was.
    if (e.outcome !== 'ok') entry.outcome = e.outcome;
    if (e.upstreamStatus !== undefined) entry.status = e.upstreamStatus;
    trace.push(entry);
  },
  'target.skipped': (e, trace) => {
    const entry: TraceEntry = { target: e.target, action: 'skip', result: e.detail };
    if (e.retryInMs !== undefined) entry.ms = Math.round(e.retryInMs);
    trace.push(entry);
  },
  'target.ranked': (e, trace) => {
    trace.push({ target: e.target, action: 'rank', result: `${e.policy}:${e.score}` });
  },
  'plan.panic': (e, trace) => {
    trace.push({ target: e.target, action: 'skip', result: 'panic:all-targets-tried' });
  },
  // A retry refused because the target had its retries or the request its attempts says nothing the
  // next attempt (or the failover) does not: only the refusals of a wanted retry are traced.
  'retry.denied': (e, trace) => {
    if (e.reason === 'max-retries' || e.reason === 'max-attempts') return;
    trace.push({ target: e.target, action: 'skip', result: `no-retry:${e.reason}` });
  },
  'retry.scheduled': (e, trace) => {
    trace.push({ target: e.target, action: 'wait', result: e.source, ms: e.waitMs });
  },
  'hedge.fired': (e, trace) => {
    trace.push({ target: e.target, action: 'hedge', result: `no-first-token-after:${e.delayMs}ms` });
  },
  // A refused retry is traced by its `retry.denied`; a refused hedge only here.
  'budget.exhausted': (e, trace) => {
    if (e.kind === 'hedge') trace.push({ target: e.target, action: 'skip', result: 'no-hedge:budget' });
  },
  'race.started': (e, trace) => {
    for (const id of e.targets)
      trace.push({
        target: id,
        action: 'race',
        result: `with:${e.targets.filter((o) => o !== id).join(',')}`,
      });
  },
  'race.alone': (e, trace) => {
    trace.push({ target: e.target, action: 'race', result: 'alone:no-other-usable-target' });
  },
  'consensus.voted': (e, trace) => {
    const result =
      e.verdict === 'timeout'
        ? `timeout:${e.timeoutMs}ms`
        : e.verdict === 'fallback'
          ? `fallback:${e.answered}<${e.quorum}`
          : `${e.verdict}:${e.agreeing}/${e.answered}`;
    trace.push({ target: e.target, action: 'vote', result });
  },
  'stream.continued': (e, trace) => {
    trace.push({ target: e.to, action: 'continue', result: `after:${e.afterChars}:${e.method}` });
  },
  'stream.uncontinued': (e, trace) => {
    const result = e.reason === 'complete' ? 'complete' : `refused:${e.reason}`;
    trace.push({ target: e.from, action: 'continue', result });
  },
  // The whole trace of an answer from the response cache: no attempt was made.
  'cache.hit': (e, trace) => {
    trace.push({ target: e.target, action: 'cache', result: `hit age ${Math.floor(e.ageMs / 1000)}s` });
  },
};
