/**
 * Behaviour book: which behaviour and which fault apply to a request for a model, now. Layers, from
 * weakest to strongest: built-in defaults < `defaultBehavior` and `setBehavior('*')` < `models[m]`
 * and `setBehavior(m)` < the active phase of `schedule('*')` < the active phase of `schedule(m)`.
 */
import { seededRandom, type Random } from './random.js';
import type { Fault, FaultPhase, ModelBehavior } from './types.js';

export const DEFAULT_BEHAVIOR: Readonly<ModelBehavior> = Object.freeze({
  latencyMs: 0,
  ttftMs: 0,
  tokensPerSecond: 0,
  replyTokens: 12,
  replyText: null,
  toolCalls: 1,
  fault: null,
  faultRate: 1,
  embeddingDimensions: 1536,
  contextWindow: null,
});

export const ALL_MODELS = '*';

export interface BehaviorBookOptions {
  defaultBehavior?: Partial<ModelBehavior>;
  models?: Record<string, Partial<ModelBehavior>>;
  clock: () => number;
  seed: number;
}

/** What the simulator does with one request. */
export interface Decision {
  behavior: ModelBehavior;
  /** The fault drawn for this request (after `faultRate`), or null. */
  fault: Fault | null;
}

interface ActiveSchedule {
  startedAt: number;
  phases: FaultPhase[];
}

/** Spread that ignores `undefined` values, so a partial never erases a default. */
function merge<T extends object>(base: T, over: Partial<T> | undefined): T {
  if (over === undefined) return base;
  const result = { ...base };
  for (const [key, value] of Object.entries(over)) {
    if (value !== undefined) (result as Record<string, unknown>)[key] = value;
  }
  return result;
}

export class BehaviorBook {
  private layers = new Map<string, Partial<ModelBehavior>>();
  private schedules = new Map<string, ActiveSchedule>();
  private random: Random;

  constructor(private readonly options: BehaviorBookOptions) {
    this.random = seededRandom(options.seed);
    this.reset();
  }

  reset(): void {
    this.layers = new Map([[ALL_MODELS, { ...this.options.defaultBehavior }]]);
    for (const [model, behavior] of Object.entries(this.options.models ?? {})) {
      this.layers.set(model, { ...behavior });
    }
    this.schedules = new Map();
    this.random = seededRandom(this.options.seed);
  }

  /** Models named in the `models` option (served when `strictModels` is on). */
  configuredModels(): string[] {
    return Object.keys(this.options.models ?? {});
  }

  setBehavior(model: string, behavior: Partial<ModelBehavior>): void {
    this.layers.set(model, merge(this.layers.get(model) ?? {}, behavior));
  }

  schedule(model: string, phases: FaultPhase[]): void {
    this.schedules.set(model, { startedAt: this.options.clock(), phases: [...phases] });
  }

  /** The behaviour in force for `model` now, schedules included (fault not yet drawn). */
  resolve(model: string): ModelBehavior {
    let behavior = merge({ ...DEFAULT_BEHAVIOR }, this.layers.get(ALL_MODELS));
    if (model !== ALL_MODELS) behavior = merge(behavior, this.layers.get(model));
    for (const key of model === ALL_MODELS ? [ALL_MODELS] : [ALL_MODELS, model]) {
      const phase = this.activePhase(key);
      if (phase === undefined) continue;
      behavior = merge(behavior, phase.behavior);
      if (phase.fault !== undefined) behavior.fault = phase.fault;
      if (phase.faultRate !== undefined) behavior.faultRate = phase.faultRate;
    }
    return behavior;
  }

  /** Resolve the behaviour and draw the fault with the seeded RNG. */
  decide(model: string): Decision {
    const behavior = this.resolve(model);
    const { fault, faultRate } = behavior;
    if (fault === null || faultRate <= 0) return { behavior, fault: null };
    if (faultRate >= 1) return { behavior, fault };
    return { behavior, fault: this.random() < faultRate ? fault : null };
  }

  private activePhase(key: string): FaultPhase | undefined {
    const active = this.schedules.get(key);
    if (active === undefined) return undefined;
    let elapsed = this.options.clock() - active.startedAt;
    for (const phase of active.phases) {
      if (phase.durationMs === undefined || elapsed < phase.durationMs) return phase;
      elapsed -= phase.durationMs;
    }
    this.schedules.delete(key);
    return undefined;
  }
}
