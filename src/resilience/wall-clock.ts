import type { Clock } from '../core/clock.js';

/**
 * A Clock that can also read the wall clock, for the few things that compare against calendar time
 * (HTTP dates in `retry-after`, RFC 3339 rate-limit resets). `now()` stays monotonic and is what every
 * duration is measured with; `wallNow()` is Unix epoch milliseconds and may jump.
 */
export interface WallClock extends Clock {
  /** Milliseconds since the Unix epoch (not monotonic). */
  wallNow(): number;
}
