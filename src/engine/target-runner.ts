/**
 * Attempts on one target for one request: the first, then retries of the same target while the
 * failure says so, the retry budget allows and the deadline leaves time. Returns the successful
 * attempt, or undefined when the request should move on to another target.
 */
import type { Clock, Random } from '../core/clock.js';
import { ApiError, type UpstreamFailure } from '../core/errors.js';
import type { EventBus, EventTokens, GatewayEvents, RetryDenial, SkipReason } from '../core/events.js';
import type { Target } from '../config/types.js';
import { chatProtocol } from '../providers/registry.js';
import type { AttemptContext } from '../providers/types.js';
import { decideWait } from '../resilience/backoff.js';
import type { RetryBudget } from '../resilience/retry-budget.js';
import type { UpstreamClient } from '../upstream/client.js';
import { attemptTokens, costUsd, estimateTokens } from './accounting.js';
import { runAttempt, type AttemptInput, type AttemptResult } from './attempt.js';
import type { AttemptRelay } from './commit-gate.js';
import { EJECTED } from './ejection.js';
import type { KeyPools } from './key-pool.js';
import { cancellationVerdict } from './race.js';
import type { Operation } from './exchanges.js';
import type { AttemptOutcome, TargetHealth } from './health.js';
import { fatalError, translationFailure } from './outcome-errors.js';
import { noteContextNeed, skipTarget, tooSmallForContext, type RequestState } from './request-state.js';
import type { CancelSignal } from '../core/cancel.js';

export interface RunnerDeps {
  client: UpstreamClient;
  clock: Clock;
  random: Random;
  budget: RetryBudget;
  health: TargetHealth;
  events: EventBus;
  /** Providers' key pools (src/engine/key-pool.ts); absent: every provider uses its one key. */
  keys?: KeyPools;
}

export type Success<T> = Extract<AttemptResult<T>, { ok: true }> & { relay?: AttemptRelay };

/** Thrown when an attempt fails after its stream was committed to the client: nothing can hide it. */
export class CommittedFailure extends Error {
  constructor(readonly failure: UpstreamFailure) {
    super(failure.message);
  }
}

/** Stands for the tried keys of a target without a key pool (never read or written). */
const NO_KEYS: Set<number> = new Set();

export async function runTarget<T>(
  deps: RunnerDeps,
  target: Target,
  operation: Operation<T>,
  state: RequestState,
  signal: CancelSignal,
): Promise<Success<T> | undefined> {
  const { route } = state.call;
  const protocol = chatProtocol(target.provider.protocol);
  const ctx: AttemptContext = {
    provider: target.provider,
    model: target.model,
    publicModel: route.name,
    requestId: state.call.requestId,
    dropUnsupported: route.dropUnsupportedParams,
  };
  ctx.warn = (warning) => {
    state.warnings ??= new Map();
    const own = state.warnings.get(target.id) ?? new Set<string>();
    state.warnings.set(target.id, own.add(warning));
  };
  if (tooSmallForContext(state, target)) {
    const detail = `context-window:${target.contextWindow}<${state.contextNeed}`;
    skipTarget(state, { target: target.id, reason: 'context-window', detail });
    return undefined;
  }
  const exchange = protocol && operation.exchange(protocol, ctx);
  if (!exchange) {
    const { reason, detail } = operation.unsupported ?? {
      reason: 'unsupported-endpoint',
      detail: 'unsupported-operation',
    };
    skipTarget(state, { target: target.id, reason, detail });
    return undefined;
  }
  deps.budget.recordRequest(target.id);
  const pool = deps.keys?.poolOf(target) && deps.keys;
  /** Pool keys that failed as keys (rate limit, quota, auth) during this request (targets with a pool). */
  const triedKeys = pool ? new Set<number>() : NO_KEYS;
  for (let retry = 0; ;) {
    if (state.attempts >= state.maxAttempts || signal.aborted) return undefined;
    const keyIndex = pool ? chooseKey(pool, target, triedKeys, state.panic) : undefined;
    if (pool && keyIndex === undefined) {
      skipTarget(state, { target: target.id, reason: 'cooldown', detail: 'cooling:all-keys' });
      return undefined;
    }
    const keyedExchange =
      pool && keyIndex !== undefined
        ? operation.exchange(protocol!, { ...ctx, provider: pool.settingsWith(target, keyIndex) })!
        : exchange;
    const admitted = deps.health.admit(target, { panic: state.panic, signal, commit: state.gate });
    // Most admissions answer at once: awaited only when they had to wait (a concurrency slot).
    const admission = admitted instanceof Promise ? await admitted : admitted;
    if (!admission.ok) {
      const reason = admissionSkipReason(admission.reason);
      skipTarget(state, { target: target.id, reason, detail: admission.reason });
      return undefined;
    }
    state.attempts++;
    if (state.events.wants('attempt.started')) {
      const { id, provider, model } = target;
      const { requestId, route: r } = state.call;
      state.events.publish('attempt.started', {
        requestId,
        route: r.name,
        target: id,
        provider: provider.id,
        model,
      });
    }
    const relay = state.gate?.relay(target);
    // The attempt may take no longer than the request has left; when that is what limits it, its
    // timing out is the deadline passing (its timer can fire a hair before the deadline's own).
    const attemptMs = Math.max(1, Math.min(route.timeouts.attemptMs, state.deadline.remaining()));
    const cutByDeadline = attemptMs < route.timeouts.attemptMs;
    // Built field by field (no conditional spreads): one of these per attempt.
    const input: AttemptInput<T> = {
      target,
      exchange: keyedExchange,
      timeouts: cutByDeadline ? { ...route.timeouts, attemptMs } : route.timeouts,
      signal,
    };
    if (admission.dispatched) input.onDispatch = admission.dispatched;
    if (relay) {
      input.onPart = (p) => relay.part(p);
      input.drained = () => relay.drained();
    }
    let result: AttemptResult<T>;
    try {
      result = await runAttempt(deps, input);
    } catch (error) {
      admission.done(undefined);
      // The target cannot take this request as it is (e.g. a parameter it does not support).
      if (!(error instanceof ApiError)) throw error;
      state.attempts--;
      state.failures.push({ target, failure: translationFailure(error) });
      const detail = `unsupported:${error.param ?? error.code}`;
      skipTarget(state, { target: target.id, reason: 'unsupported-parameter', detail });
      return undefined;
    }
    // A key's own failure (rate limit, quota, auth) while another key is ready is not the target's.
    const verdict =
      pool && keyIndex !== undefined && !result.ok
        ? pool.settle(target, keyIndex, result.failure, triedKeys)
        : undefined;
    const outcome: AttemptOutcome = { ok: result.ok, durationMs: result.durationMs };
    if (!result.ok) {
      outcome.failure = verdict?.failure ?? result.failure;
      if (result.cancelled) outcome.cancelled = cancellationVerdict(route, result.cancelled);
    }
    if (result.ttftMs !== undefined) outcome.ttftMs = result.ttftMs;
    admission.done(outcome);
    const key = pool && keyIndex !== undefined ? pool.key(target, keyIndex).label : undefined;
    announceAttempt({ state, target, operation, result, key });
    if (result.ok) {
      if (relay?.lost) return undefined;
      state.current = target;
      return relay ? { ...result, relay } : result;
    }
    const failure = verdict?.failure ?? result.failure;
    if (relay?.won) {
      state.current = target;
      throw new CommittedFailure(failure);
    }
    if (signal.aborted && signal.reason !== EJECTED) return undefined;
    if (cutByDeadline && failure.reason === 'attempt_timeout') state.deadline.markPassed();
    state.failures.push({ target, failure });
    // The next key of the pool, at once: no backoff, no retry budget, and the attempt it takes is
    // added to the request's allowance (each key fails as a key at most once per request), so that a
    // pool of keys never uses up the attempts the next provider needs.
    if (verdict?.nextKey) {
      state.maxAttempts++;
      continue;
    }
    if (failure.class === 'context') noteContextNeed(state, target, failure);
    if (failure.class === 'fatal') {
      state.current = target;
      throw fatalError(failure);
    }
    if (failure.class !== 'retry' || !(await waitToRetry(deps, target, failure, retry, state, signal))) {
      return undefined;
    }
    retry++;
  }
}

/**
 * The pool key for the next attempt: one not cooling and not yet failed as a key this request, else
 * any not cooling; in panic (every target tried whatever its state), the key that comes back first.
 */
function chooseKey(
  pool: KeyPools,
  target: Target,
  tried: ReadonlySet<number>,
  panic: boolean,
): number | undefined {
  return pool.pick(target, tried) ?? pool.pick(target) ?? (panic ? pool.soonest(target) : undefined);
}

/** Whether to retry the same target; if so, waits first. False means: fail over now. */
async function waitToRetry(
  deps: RunnerDeps,
  target: Target,
  failure: UpstreamFailure,
  retry: number,
  state: RequestState,
  signal: CancelSignal,
): Promise<boolean> {
  const { retry: settings } = state.call.route;
  const { requestId, route } = state.call;
  const denied = (reason: RetryDenial): false => {
    state.events.publish('retry.denied', { requestId, route: route.name, target: target.id, reason });
    return false;
  };
  if (retry >= settings.maxRetriesPerTarget) return denied('max-retries');
  if (state.attempts >= state.maxAttempts) return denied('max-attempts');
  const decision = decideWait({
    retry,
    hintMs: failure.retryAfterMs,
    remainingMs: state.deadline.remaining(),
    maxWaitMs: settings.maxRetryWaitMs,
    random: deps.random,
    backoff: { baseMs: settings.backoffBaseMs, capMs: settings.backoffCapMs },
  });
  if (decision.action === 'failover') return denied(decision.reason);
  if (!deps.budget.tryAcquireRetry(target.id)) {
    if (deps.events.wants('budget.exhausted'))
      deps.events.publish('budget.exhausted', { target: target.id, kind: 'retry' });
    return denied('budget');
  }
  state.events.publish('retry.scheduled', {
    requestId,
    route: route.name,
    target: target.id,
    waitMs: decision.ms,
    source: decision.source,
  });
  await sleep(deps.clock, decision.ms, signal);
  return !signal.aborted;
}

/** `concurrency-limit`, `breaker:open`, `breaker:half-open-full` → the event's reason. */
export function admissionSkipReason(reason: string): SkipReason {
  if (reason === 'concurrency-limit') return 'concurrency';
  if (reason === 'breaker:half-open-full') return 'half-open-full';
  return reason.startsWith('breaker:') ? 'breaker-open' : 'cooldown';
}

interface EndedAttempt {
  state: RequestState;
  target: Target;
  operation: Operation<unknown>;
  result: AttemptResult<unknown>;
  /** Providers with a key pool: the label of the key used. */
  key: string | undefined;
}

/** Announces an attempt's end (which traces it): its outcome, timing, tokens and cost. */
function announceAttempt({ state, target, operation, result, key }: EndedAttempt): void {
  const { requestId, route } = state.call;
  const tokens: EventTokens | undefined = attemptTokens(
    result,
    () => (state.promptTokens ??= estimateTokens(state.body)),
  );
  const cost = tokens && costUsd(tokens, target.price);
  const failure = result.ok ? undefined : result.failure;
  const cancelled = failure !== undefined && (failure.reason === 'lost_race' || failure.reason === 'aborted');
  // Built field by field, not by spreads: this object is made for every attempt (the trace needs it).
  const event: GatewayEvents['attempt.ended'] = {
    requestId,
    route: route.name,
    target: target.id,
    provider: target.provider.id,
    model: target.model,
    operation: operation.name,
    stream: operation.stream,
    outcome: failure ? (cancelled ? 'cancelled' : failure.class) : 'ok',
    reason: failure ? failure.reason : 'ok',
    durationMs: result.durationMs,
    countsAgainstBreaker: failure !== undefined && !cancelled && failure.breaker,
  };
  if (failure?.upstreamStatus !== undefined) event.upstreamStatus = failure.upstreamStatus;
  if (result.ttftMs !== undefined) event.ttftMs = result.ttftMs;
  if (tokens) event.tokens = tokens;
  if (cost !== undefined) event.costUsd = cost;
  if (key) event.key = key;
  state.events.publish('attempt.ended', event);
}

export function sleep(clock: Clock, ms: number, signal: CancelSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const onAbort = (): void => {
      clock.clearTimeout(timer);
      resolve();
    };
    const timer = clock.setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
