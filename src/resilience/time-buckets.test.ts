import { describe, expect, it } from 'vitest';
import { ManualClock } from './manual-clock.js';
import { TimeBuckets } from './time-buckets.js';

describe('TimeBuckets.entries', () => {
  it('lists the window oldest first with each bucket start, empty buckets reset', () => {
    const clock = new ManualClock({ now: 1_000 });
    const ring = new TimeBuckets(
      clock,
      { windowMs: 4_000, buckets: 4 },
      () => ({ n: 0 }),
      (slot) => (slot.n = 0),
    );
    ring.current().n = 1; // bucket [1000, 2000)
    clock.advance(2_000);
    ring.current().n = 3; // bucket [3000, 4000)
    expect(ring.entries().map((e) => [e.startMs, e.slot.n])).toEqual([
      [0, 0],
      [1_000, 1],
      [2_000, 0],
      [3_000, 3],
    ]);
    // Two steps later the first two buckets have left; the new ones are empty, not stale.
    clock.advance(2_000);
    expect(ring.entries().map((e) => [e.startMs, e.slot.n])).toEqual([
      [2_000, 0],
      [3_000, 3],
      [4_000, 0],
      [5_000, 0],
    ]);
  });
});
