/**
 * Moving the requests still waiting on a target that was just ejected: when a target's breaker opens,
 * a stream that has not had its first token from it yet is cancelled with `EJECTED` and fails over at
 * once instead of waiting out its first-token timeout. The cancellation is not another failure of the
 * target (the breaker already judged it); only streams are moved (a non-streaming answer has no first
 * token to wait for, and its latency scales with its length).
 */
import type { UpstreamFailure } from '../core/errors.js';

/** The abort reason of an attempt moved off a target whose breaker opened while it waited. */
export const EJECTED: unique symbol = Symbol('ejected');

export function ejectedFailure(targetId: string): UpstreamFailure {
  return {
    class: 'failover',
    reason: 'ejected',
    status: 503,
    type: 'api_error',
    code: 'ejected',
    param: null,
    message: `Moved to the next target: ${targetId} was ejected (its breaker opened) before its first token.`,
    breaker: false,
  };
}
