/** Request counters: received, by outcome, in flight, cancelled by the client; totals and per model. */
import type { ModelStats, Outcome, SimulatorStats } from './types.js';

const OUTCOMES: readonly Outcome[] = [
  'ok',
  'rejected',
  'status',
  'hang',
  'reset',
  'cut',
  'error-event',
  'malformed',
  'keepalive',
  'stall',
  'flood',
  'echo-key',
];

function emptyStats(): ModelStats {
  const outcomes = Object.fromEntries(OUTCOMES.map((o) => [o, 0])) as Record<Outcome, number>;
  return { requests: 0, inFlight: 0, cancelled: 0, outcomes };
}

function copy(stats: ModelStats): ModelStats {
  return { ...stats, outcomes: { ...stats.outcomes } };
}

/** The counters of one request; the model is attached once the body has been read. */
export class RequestRecord {
  model: string | undefined;
  private done = false;
  private readonly generation: number;

  constructor(private readonly book: StatsBook) {
    this.generation = book.generation;
    book.each(undefined, (s) => {
      s.requests++;
      s.inFlight++;
    });
  }

  attachModel(model: string): void {
    if (this.model !== undefined || this.stale()) return;
    this.model = model;
    const stats = this.book.forModel(model);
    stats.requests++;
    if (!this.done) stats.inFlight++;
  }

  outcome(outcome: Outcome): void {
    if (this.stale()) return;
    this.book.each(this.model, (s) => s.outcomes[outcome]++);
  }

  /** The response is over: finished, destroyed by the simulator, or (`cancelled`) by the client. */
  finish(cancelled: boolean): void {
    if (this.done) return;
    this.done = true;
    if (this.stale()) {
      this.book.each(undefined, (s) => s.inFlight--);
      return;
    }
    this.book.each(this.model, (s) => {
      s.inFlight--;
      if (cancelled) s.cancelled++;
    });
  }

  /** Started before a `reset`: only its in-flight slot in the totals is still counted. */
  private stale(): boolean {
    return this.generation !== this.book.generation;
  }
}

export class StatsBook {
  private total = emptyStats();
  private models = new Map<string, ModelStats>();
  generation = 0;

  reset(): void {
    this.generation++;
    const inFlight = this.total.inFlight;
    this.total = emptyStats();
    this.total.inFlight = inFlight;
    this.models = new Map();
  }

  start(): RequestRecord {
    return new RequestRecord(this);
  }

  forModel(model: string): ModelStats {
    let stats = this.models.get(model);
    if (stats === undefined) {
      stats = emptyStats();
      this.models.set(model, stats);
    }
    return stats;
  }

  /** Apply `update` to the totals and, when known, to the model's counters. */
  each(model: string | undefined, update: (stats: ModelStats) => void): void {
    update(this.total);
    if (model !== undefined) update(this.forModel(model));
  }

  snapshot(model?: string): SimulatorStats {
    if (model !== undefined) {
      const stats = copy(this.models.get(model) ?? emptyStats());
      return { ...stats, models: { [model]: copy(stats) } };
    }
    const models: Record<string, ModelStats> = {};
    for (const [name, stats] of this.models) models[name] = copy(stats);
    return { ...copy(this.total), models };
  }
}
