/**
 * The only place where routing, resilience and providers meet. For one request: walk the route's
 * targets in order (active-passive), run attempts, classify each outcome, retry the same target after a
 * jittered or hinted wait (within the retry budget and the request deadline), fail over otherwise, and
 * hold the commit point of streams so that any failure before the first token stays invisible.
 * See docs/failover.md.
 */
import type { Clock, Random } from '../core/clock.js';
import type { EmbeddingsRequest, EmbeddingsResponse } from '../core/embeddings.js';
import { ApiError, type UpstreamFailure } from '../core/errors.js';
import type { Route, Target } from '../config/types.js';
import { chatProtocol } from '../providers/registry.js';
import type { AttemptContext } from '../providers/types.js';
import { decideWait } from '../resilience/backoff.js';
import { Cooldowns } from '../resilience/cooldowns.js';
import { Deadline } from '../resilience/deadline.js';
import { RetryBudget } from '../resilience/retry-budget.js';
import type { UpstreamClient } from '../upstream/client.js';
import { attemptTokens, costUsd, estimateTokens } from './accounting.js';
import { runAttempt, type AttemptResult } from './attempt.js';
import { CommitGate } from './commit-gate.js';
import { chatOperation, embeddingsOperation, type Operation } from './exchanges.js';
import { exhaustedError, fatalError, translationFailure } from './outcome-errors.js';
import type { ChatCall, CompletionResult, ResponseMeta, StreamSink, TraceEntry } from './types.js';

export interface EngineDeps {
  client: UpstreamClient;
  clock: Clock;
  random: Random;
  /** Shared by every request; keyed by target. */
  budget?: RetryBudget;
  cooldowns?: Cooldowns;
}

/** What every kind of request needs to run: the route, the caller's signal and deadline, the body. */
export type RunCall = Omit<ChatCall, 'request'> & { body: unknown };

interface RequestState {
  call: RunCall;
  trace: TraceEntry[];
  attempts: number;
  failures: { target: Target; failure: UpstreamFailure }[];
  deadline: Deadline;
  signal: AbortSignal;
  gate?: CommitGate;
  current?: Target;
  /** Estimated prompt tokens, computed once if an attempt without usage needs it. */
  promptTokens?: number;
}

type Success<T> = Extract<AttemptResult<T>, { ok: true }>;

export class Engine {
  readonly cooldowns: Cooldowns;
  private readonly budget: RetryBudget;

  constructor(private readonly deps: EngineDeps) {
    this.cooldowns = deps.cooldowns ?? new Cooldowns(deps.clock);
    this.budget = deps.budget ?? new RetryBudget({ clock: deps.clock });
  }

  /** A non-streaming chat request: the first successful attempt's completion, or an ApiError. */
  async complete(call: ChatCall): Promise<CompletionResult> {
    const { state, result } = await this.execute(
      { ...call, body: call.request },
      chatOperation(call.request),
      undefined,
    );
    return { completion: result.value!, meta: this.meta(state) };
  }

  async embed(
    call: Omit<RunCall, 'body'>,
    request: EmbeddingsRequest,
  ): Promise<{ response: EmbeddingsResponse; meta: ResponseMeta }> {
    const { state, result } = await this.execute(
      { ...call, body: request },
      embeddingsOperation(request),
      undefined,
    );
    return { response: result.value!, meta: this.meta(state) };
  }

  /** A streaming chat request, relayed into `sink`. Resolves when the stream has ended, one way or another. */
  async stream(call: ChatCall, sink: StreamSink): Promise<void> {
    try {
      const { state } = await this.execute(
        { ...call, body: call.request },
        chatOperation(call.request),
        sink,
      );
      state.gate!.finish();
    } catch (error) {
      if (!(error instanceof CommittedFailure)) throw error;
      error.gate.fail(error.failure);
    }
  }

  private async execute<T>(
    call: RunCall,
    operation: Operation<T>,
    sink: StreamSink | undefined,
  ): Promise<{ state: RequestState; result: Success<T> }> {
    const { route } = call;
    const timeoutMs = Math.min(route.timeouts.requestMs, call.timeoutMs ?? Infinity);
    const deadline = new Deadline(timeoutMs, this.deps.clock);
    // One signal for "stop now": the client left or the deadline passed. (Not AbortSignal.any, whose
    // signals some Node 20 releases keep alive until the sources are collected.)
    const linked = new AbortController();
    const stop = (): void => linked.abort();
    for (const source of [call.signal, deadline.signal()]) {
      if (source.aborted) linked.abort();
      else source.addEventListener('abort', stop, { once: true });
    }
    const state: RequestState = {
      call,
      trace: [],
      attempts: 0,
      failures: [],
      deadline,
      signal: linked.signal,
    };
    if (sink) state.gate = new CommitGate(sink, () => this.meta(state));
    try {
      for (const target of this.plan(route, state)) {
        const result = await this.tryTarget(target, operation, state);
        if (result) return { state, result };
        if (state.attempts >= route.retry.maxAttempts || state.signal.aborted) break;
      }
    } finally {
      call.signal.removeEventListener('abort', stop);
      deadline.signal().removeEventListener('abort', stop);
      deadline.dispose();
      call.onSettled?.(this.meta(state));
    }
    if (call.signal.aborted) throw clientGone();
    throw exhaustedError(state.failures, this.meta(state), deadline.expired(), timeoutMs, this.cooldowns);
  }

  /** Targets in order, cooling ones skipped — unless every one is cooling: then all, in order (panic). */
  private plan(route: Route, state: RequestState): Target[] {
    const usable = route.targets.filter((t) => {
      const cooling = this.cooldowns.active(t.id);
      if (cooling) state.trace.push({ target: t.id, action: 'skip', result: `cooling:${cooling.reason}` });
      return !cooling;
    });
    return usable.length ? usable : route.targets;
  }

  /** Attempts on one target: the first, then retries while the failure says so and time allows. */
  private async tryTarget<T>(
    target: Target,
    operation: Operation<T>,
    state: RequestState,
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
    const exchange = protocol && operation.exchange(protocol, ctx);
    if (!exchange) {
      state.trace.push({ target: target.id, action: 'skip', result: 'unsupported-operation' });
      return undefined;
    }
    this.budget.recordRequest(target.id);
    for (let retry = 0; ; retry++) {
      if (state.attempts >= route.retry.maxAttempts || state.signal.aborted) return undefined;
      state.attempts++;
      state.current = target;
      const gate = state.gate;
      let result: AttemptResult<T>;
      try {
        result = await runAttempt(this.deps, {
          target,
          exchange,
          timeouts: {
            ...route.timeouts,
            attemptMs: Math.max(1, Math.min(route.timeouts.attemptMs, state.deadline.remaining())),
          },
          signal: state.signal,
          ...(gate ? { onPart: (p) => gate.part(p), drained: () => gate.drained() } : {}),
        });
      } catch (error) {
        // The target cannot take this request as it is (e.g. a parameter it does not support).
        if (!(error instanceof ApiError)) throw error;
        state.attempts--;
        state.failures.push({ target, failure: translationFailure(error) });
        state.trace.push({
          target: target.id,
          action: 'skip',
          result: `unsupported:${error.param ?? error.code}`,
        });
        return undefined;
      }
      state.trace.push(this.attemptEntry(target, result, state));
      if (result.ok) return result;
      const { failure } = result;
      if (gate?.committed) throw new CommittedFailure(gate, failure);
      gate?.discard();
      if (state.call.signal.aborted) throw clientGone();
      state.failures.push({ target, failure });
      if (failure.class === 'fatal') throw fatalError(failure, this.meta(state));
      if (failure.cooldownMs) this.cooldowns.coolFor(target.id, failure.cooldownMs, failure.reason);
      if (failure.class !== 'retry' || !(await this.waitToRetry(target, failure, retry, state)))
        return undefined;
    }
  }

  /** Whether to retry the same target; if so, waits first. False means: fail over now. */
  private async waitToRetry(
    target: Target,
    failure: UpstreamFailure,
    retry: number,
    state: RequestState,
  ): Promise<boolean> {
    const { retry: settings } = state.call.route;
    if (retry >= settings.maxRetriesPerTarget || state.attempts >= settings.maxAttempts) {
      this.coolForHint(target, failure);
      return false;
    }
    const decision = decideWait({
      retry,
      hintMs: failure.retryAfterMs,
      remainingMs: state.deadline.remaining(),
      maxWaitMs: settings.maxRetryWaitMs,
      random: this.deps.random,
      backoff: { baseMs: settings.backoffBaseMs, capMs: settings.backoffCapMs },
    });
    if (decision.action === 'failover') {
      this.coolForHint(target, failure);
      state.trace.push({ target: target.id, action: 'skip', result: `no-retry:${decision.reason}` });
      return false;
    }
    if (!this.budget.tryAcquireRetry(target.id)) {
      state.trace.push({ target: target.id, action: 'skip', result: 'no-retry:budget' });
      return false;
    }
    state.trace.push({ target: target.id, action: 'wait', result: decision.source, ms: decision.ms });
    await sleep(this.deps.clock, decision.ms, state.signal);
    return !state.signal.aborted;
  }

  private attemptEntry(target: Target, result: AttemptResult<unknown>, state: RequestState): TraceEntry {
    const entry: TraceEntry = {
      target: target.id,
      action: 'attempt',
      result: result.ok ? 'ok' : result.failure.reason,
      ms: Math.round(result.durationMs),
    };
    const tokens = attemptTokens(result, () => (state.promptTokens ??= estimateTokens(state.call.body)));
    if (tokens) {
      entry.tokens = tokens;
      const cost = costUsd(tokens, target.price);
      if (cost !== undefined) entry.costUsd = cost;
    }
    return entry;
  }

  /** A rate-limited target with a known reset stays out of rotation until then. */
  private coolForHint(target: Target, failure: UpstreamFailure): void {
    if (failure.retryAfterMs) this.cooldowns.coolFor(target.id, failure.retryAfterMs, failure.reason);
  }

  private meta(state: RequestState): ResponseMeta {
    const target = state.current?.id ?? state.call.route.targets[0]!.id;
    const meta: ResponseMeta = { target, attempts: state.attempts, trace: state.trace };
    const firstTarget = state.call.route.targets[0]!.id;
    const lastFailure = state.failures.at(-1);
    if (lastFailure && (target !== firstTarget || state.attempts > 1)) {
      meta.fallbackReason = `${lastFailure.target.id}: ${lastFailure.failure.reason}`;
    }
    return meta;
  }
}

/** Thrown inside `execute` when an attempt fails after its stream was committed to the client. */
class CommittedFailure extends Error {
  constructor(
    readonly gate: CommitGate,
    readonly failure: UpstreamFailure,
  ) {
    super(failure.message);
  }
}

function clientGone(): ApiError {
  return new ApiError({
    status: 499,
    message: 'The client closed the request.',
    type: 'invalid_request_error',
    code: 'client_closed_request',
  });
}

function sleep(clock: Clock, ms: number, signal: AbortSignal): Promise<void> {
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
