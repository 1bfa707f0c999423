/**
 * Consensus (opt-in per route, `consensus`; non-streaming chat only): the same request goes to N
 * targets at once — the route's first N healthy targets, or a named set — and the answer is the one
 * most of them agree on (consensus-tally.ts compares). Each vote is one target's attempts (with the
 * route's retries of that target); a vote that fails is left out and is not a dissent. The vote waits
 * for every answer within its deadline (`wait: all`), or stops once a majority is certain
 * (`wait: majority`) and cancels the rest, which is no verdict on those targets. Every vote's tokens
 * and cost are accounted; the answer's `usage` is the sum over the answers received. See
 * docs/speculative.md.
 */
import type { ChatCompletion, Usage } from '../core/chat.js';
import type { TimerHandle } from '../core/clock.js';
import { ApiError } from '../core/errors.js';
import type { ConsensusSettings } from '../config/speculative.js';
import type { Target } from '../config/types.js';
import { LOST_RACE } from './attempt.js';
import { majorityCertain, quorumOf, tally, voteKey, type Decision, type Vote } from './consensus-tally.js';
import type { Operation } from './exchanges.js';
import type { Plan } from './health.js';
import { skipTarget, type RequestState } from './request-state.js';
import { runTarget, type RunnerDeps, type Success } from './target-runner.js';
import { Cancel } from '../core/cancel.js';

type Answer = Success<ChatCompletion>;

export interface ConsensusDeps {
  runner: RunnerDeps;
  /** The request's plan over the route's targets: routing (tier floor, drains, policy), then health. */
  plan(): Plan;
  /** The route's normal failover, for `belowQuorum: fallback`. */
  fallback(): Promise<Answer | undefined>;
}

/** Why the voting stopped waiting. */
const VOTE_TIMEOUT: unique symbol = Symbol('consensus-vote-timeout');

interface Ballot {
  target: Target;
  rank: number;
  controller: Cancel;
  done: Promise<{ ballot: Ballot; result: Answer | undefined }>;
}

/** A streaming request on a consensus route: answered 400 before anything is sent. */
export function consensusNeedsNonStreaming(route: string): ApiError {
  return new ApiError({
    status: 400,
    message: `The model \`${route}\` answers by consensus of several targets, which needs a complete answer from each: send the request with \`stream: false\`.`,
    type: 'invalid_request_error',
    param: 'stream',
    code: 'consensus_requires_non_streaming',
  });
}

export async function runConsensus(
  deps: ConsensusDeps,
  operation: Operation<ChatCompletion>,
  state: RequestState,
): Promise<Answer | undefined> {
  const settings = state.call.route.consensus!;
  const voters = chooseVoters(deps, settings, state);
  // Every vote gets its first attempt; the route's attempt allowance is for retries on top.
  state.maxAttempts += Math.max(0, voters.length - 1);
  const { votes, failed } = await collect(deps, operation, state, voters, settings);
  if (state.signal.aborted) return undefined;
  const decision = tally(votes, settings, electorate(settings));
  return decide(deps, { state, settings, voters, votes, failed, decision });
}

/**
 * How many targets the route means to ask, which the quorum is a majority of: targets the plan leaves
 * out (an open breaker) do not lower the bar.
 */
const electorate = (settings: ConsensusSettings): number => settings.targets?.length ?? settings.votes;

/** The named targets, or the first N, of those the health plan allows (in its order). */
function chooseVoters(deps: ConsensusDeps, settings: ConsensusSettings, state: RequestState): Target[] {
  const plan = deps.plan();
  for (const skip of plan.skipped ?? []) skipTarget(state, skip, true);
  state.panic = plan.panic;
  const named = settings.targets;
  return named ? plan.targets.filter((t) => named.includes(t.id)) : plan.targets.slice(0, settings.votes);
}

/** Runs the votes in parallel until all are in, a majority is certain, or the vote's deadline. */
async function collect(
  deps: ConsensusDeps,
  operation: Operation<ChatCompletion>,
  state: RequestState,
  voters: Target[],
  settings: ConsensusSettings,
): Promise<{ votes: Vote<Answer>[]; failed: number }> {
  const { clock } = deps.runner;
  if (state.signal.aborted) return { votes: [], failed: 0 };
  const pending = new Set<Ballot>();
  const forward = (): void => {
    for (const b of pending) b.controller.abort(state.signal.reason);
  };
  state.signal.addEventListener('abort', forward, { once: true });
  voters.forEach((target, rank) => {
    const controller = new Cancel();
    const ballot: Ballot = {
      target,
      rank,
      controller,
      done: runTarget(deps.runner, target, operation, state, controller.signal).then((result) => ({
        ballot,
        result,
      })),
    };
    pending.add(ballot);
  });
  let timer: TimerHandle | undefined;
  const timeout =
    settings.timeoutMs === undefined
      ? undefined
      : new Promise<typeof VOTE_TIMEOUT>((resolve) => {
          timer = clock.setTimeout(() => resolve(VOTE_TIMEOUT), settings.timeoutMs!);
        });
  const votes: Vote<Answer>[] = [];
  let failed = 0;
  let stopReason: symbol | undefined;
  try {
    while (pending.size) {
      const next = await Promise.race([...[...pending].map((b) => b.done), ...(timeout ? [timeout] : [])]);
      if (next === VOTE_TIMEOUT) {
        stopReason = VOTE_TIMEOUT;
        const { requestId, route } = state.call;
        for (const b of pending) {
          const { timeoutMs } = settings;
          const target = b.target.id;
          state.events.publish('consensus.voted', {
            ...{ requestId, route: route.name, target, verdict: 'timeout', timeoutMs: timeoutMs! },
          });
        }
        break;
      }
      pending.delete(next.ballot);
      if (!next.result) {
        failed++;
        continue;
      }
      const key = voteKey(next.result.value!, settings);
      votes.push({ key, rank: next.ballot.rank, arrival: votes.length, value: next.result });
      if (
        settings.wait === 'majority' &&
        majorityCertain(votes, pending.size, settings, electorate(settings))
      ) {
        stopReason = LOST_RACE;
        break;
      }
    }
  } finally {
    if (timer) clock.clearTimeout(timer);
    state.signal.removeEventListener('abort', forward);
    // Whatever is still out is cancelled (a fatal vote, the deadline, or a decided vote), and waited
    // for, so that its attempt (and what it cost) is in the trace before the answer leaves.
    for (const b of pending) b.controller.abort(stopReason);
    await Promise.allSettled([...pending].map((b) => b.done));
  }
  return { votes, failed };
}

interface Tallied {
  state: RequestState;
  settings: ConsensusSettings;
  voters: Target[];
  votes: Vote<Answer>[];
  failed: number;
  decision: Decision<Answer>;
}

/** Traces each vote, announces the decision, and answers, fails or falls back. */
function decide(deps: ConsensusDeps, t: Tallied): Promise<Answer | undefined> | Answer {
  const { state, settings, voters, votes, failed, decision } = t;
  const { route, requestId } = state.call;
  const chosenKey = decision.kind === 'answer' ? decision.vote.key : undefined;
  for (const v of votes) {
    const agreeing = votes.filter((o) => o.key === v.key).length;
    const target = voters[v.rank]!.id;
    const verdict = v.key === chosenKey ? 'chosen' : 'dissent';
    state.events.publish('consensus.voted', {
      ...{ requestId, route: route.name, target, verdict, agreeing, answered: votes.length },
    });
  }
  const outcome =
    decision.kind === 'answer'
      ? decision.how
      : decision.kind === 'below-quorum' && settings.belowQuorum === 'fallback'
        ? 'fallback'
        : decision.kind;
  const agreeing = decision.kind === 'below-quorum' ? 0 : decision.agreeing;
  if (decision.kind !== 'below-quorum') state.consensus = `${agreeing}/${decision.answered}`;
  const { events } = state;
  if (events.wants('consensus.decided')) {
    events.publish('consensus.decided', {
      requestId,
      route: route.name,
      asked: voters.length,
      answered: votes.length,
      failed,
      agreeing,
      decision: outcome,
      ...(decision.kind === 'answer' ? { winner: voters[decision.vote.rank]!.id } : {}),
    });
  }
  if (decision.kind === 'answer') {
    const target = voters[decision.vote.rank]!;
    state.current = target;
    const chosen = decision.vote.value;
    const usage = sumUsage(votes.map((v) => v.value.value!.usage));
    return { ...chosen, value: { ...chosen.value!, ...(usage ? { usage } : {}) } };
  }
  if (decision.kind === 'no-majority') {
    throw consensusError(
      'consensus_no_majority',
      `No answer had a majority: the largest group of matching answers had ${agreeing} of ${decision.answered} (compared as \`${settings.compare}\`).`,
    );
  }
  if (settings.belowQuorum === 'fallback') {
    state.events.publish('consensus.voted', {
      ...{ requestId, route: route.name, target: route.targets[0]!.id, verdict: 'fallback' },
      ...{ answered: votes.length, quorum: decision.quorum },
    });
    state.consensus = 'fallback';
    return deps.fallback();
  }
  const reasons = state.failures.map((f) => `${f.target.id}: ${f.failure.reason}`).join('; ');
  throw consensusError(
    'consensus_below_quorum',
    `Only ${votes.length} of ${electorate(settings)} targets answered; ${quorumOf(settings, electorate(settings))} are needed for a consensus.${reasons ? ` ${reasons}` : ''}`,
  );
}

function consensusError(code: string, message: string): ApiError {
  return new ApiError({
    status: 502,
    message,
    type: 'api_error',
    code,
    headers: { 'x-should-retry': 'false' },
  });
}

/** Every answer's tokens together (the request paid for all of them). */
function sumUsage(all: (Usage | undefined)[]): Usage | undefined {
  const known = all.filter((u): u is Usage => u !== undefined);
  if (!known.length) return undefined;
  const sum = (pick: (u: Usage) => number): number => known.reduce((n, u) => n + pick(u), 0);
  return {
    prompt_tokens: sum((u) => u.prompt_tokens),
    completion_tokens: sum((u) => u.completion_tokens),
    total_tokens: sum((u) => u.total_tokens),
  };
}
