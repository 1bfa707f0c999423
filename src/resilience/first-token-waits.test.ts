import { describe, expect, it } from 'vitest';
import { FirstTokenWaits, type FirstTokenWait } from './first-token-waits.js';
import { ManualClock } from './manual-clock.js';

interface W extends FirstTokenWait {
  name: string;
  answered: boolean;
}

function setup(thresholdMs = 2_000) {
  const clock = new ManualClock();
  const overdue: string[] = [];
  const threshold = { ms: thresholdMs };
  const waits = new FirstTokenWaits<W>({
    clock,
    thresholdMs: () => threshold.ms,
    answered: (w) => w.answered,
    onOverdue: (w) => overdue.push(`${w.name}@${clock.now()}`),
  });
  const add = (name: string): W => {
    const w: W = { name, since: clock.now(), waiting: true, answered: false };
    waits.add(w);
    return w;
  };
  return { clock, waits, overdue, add, threshold };
}

describe('FirstTokenWaits', () => {
  it('reports each wait the moment it passes the threshold unanswered, once, oldest first', () => {
    const { clock, waits, overdue, add } = setup();
    add('a');
    clock.advance(500);
    add('b');
    clock.advance(1_499);
    expect(overdue).toEqual([]);
    clock.advance(1);
    expect(overdue).toEqual(['a@2000']);
    clock.advance(500);
    expect(overdue).toEqual(['a@2000', 'b@2500']);
    waits.check();
    clock.advance(10_000);
    expect(overdue).toHaveLength(2);
    expect(waits.size).toBe(0);
    expect(clock.pendingTimers()).toBe(0);
  });

  it('never reports a wait that had its first token or ended, and stops its timer when none is left', () => {
    const { clock, waits, overdue, add } = setup();
    const a = add('a');
    const b = add('b');
    const c = add('c');
    a.answered = true;
    waits.end(b);
    clock.advance(2_000);
    expect(overdue).toEqual(['c@2000']);
    const d = add('d');
    expect(clock.pendingTimers()).toBe(1);
    waits.end(d);
    expect(clock.pendingTimers()).toBe(0);
    waits.end(c); // already reported: nothing happens
    expect(waits.size).toBe(0);
  });

  it('uses one timer for any number of waits, and the threshold in force when it checks', () => {
    const { clock, overdue, add, threshold } = setup();
    for (let i = 0; i < 100; i++) {
      add(`w${i}`);
      clock.advance(10);
    }
    expect(clock.pendingTimers()).toBe(1);
    threshold.ms = 500; // e.g. the adaptive threshold fell
    clock.advance(1_010); // the timer armed for 2 000 ms fires; everything is overdue by then
    expect(overdue).toHaveLength(100);
    expect(clock.pendingTimers()).toBe(0);
  });

  it('lists the waits still waiting (for ejection), without the answered or ended ones', () => {
    const { waits, add } = setup();
    const [a, b, c] = [add('a'), add('b'), add('c')];
    b.answered = true;
    waits.end(c);
    expect([...waits.waiting()]).toEqual([a]);
  });
});
