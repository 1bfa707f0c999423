/** The per-request decision trace (x-switchyard-trace, the request log), one entry per decision. */
import type { EventTokens } from './events.js';

/** One line of the per-request decision trace: a target tried or skipped, and why. */
export interface TraceEntry {
  target: string;
  action: 'attempt' | 'skip' | 'wait' | 'hedge' | 'continue' | 'race' | 'vote' | 'rank';
  /**
   * For attempts: `ok` or the failure reason; for skips and waits: why; for continuations:
   * `after:<chars>:<method>` (or `refused:<why>` when a cut stream could not be continued); for
   * races: `with:<other racers>`; for consensus votes: `agree:<n>/<answered>` or `dissent`; for ranks:
   * `<policy>:<score>`, the routing policy's score of a candidate (docs/routing.md).
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
}
