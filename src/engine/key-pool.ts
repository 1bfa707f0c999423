/**
 * Provider key pools (docs/failover.md, "Key pools"): a provider with several keys gives each attempt
 * one of them. A failure that belongs to the key — a rate limit, an exhausted quota or billing, a
 * rejected key — cools that key down on its own, and the request moves at once to another key of
 * the same provider; the target's health (breaker, cooldown) does not hear of it while another key
 * is ready. When no key is left, the target is reported out until the first key comes back, like any
 * target cooldown, and the request fails over to the next target. Anything else (5xx, timeouts,
 * cut streams) is the provider's, not the key's, and counts against the target as without a pool.
 *
 * Scopes: a rate limit (`upstream_429`, `upstream_slow_down`) is per model on every provider we know,
 * so it cools the key for that target only; quota, billing and auth failures are the account's, so
 * they cool the key for every model of the provider. Keys are named by label, never by secret.
 */
import type { Clock } from '../core/clock.js';
import type { UpstreamFailure } from '../core/errors.js';
import { NO_EVENTS, type EventBus } from '../core/events.js';
import type { Target } from '../config/types.js';
import type { KeyPoolSettings, ProviderKey, ProviderSettings } from '../providers/types.js';
import { Cooldowns, type Cooldown } from '../resilience/cooldowns.js';

type Scope = 'target' | 'provider';

/** Failures that belong to the key that made the request, and how far each reaches. */
const KEY_FAILURES: ReadonlyMap<string, Scope> = new Map<string, Scope>([
  ['upstream_429', 'target'],
  ['upstream_slow_down', 'target'],
  ['upstream_quota', 'provider'],
  ['upstream_billing', 'provider'],
  ['upstream_auth_401', 'provider'],
  ['upstream_auth_403', 'provider'],
]);

/** A rate limit that gave no reset hint keeps its key out this long. */
export const HINTLESS_RATE_LIMIT_MS = 5_000;

const NONE: ReadonlySet<number> = new Set();

/** What the runner does after a failed attempt with a pool key. */
export interface KeyVerdict {
  /** The failure as the target's health and retry policy should see it. */
  failure: UpstreamFailure;
  /** Another key of the pool is ready: try it now, without backoff (the failure was the key's). */
  nextKey: boolean;
}

/** One key's state for the status endpoint. */
export interface KeyStatus {
  provider: string;
  key: string;
  state: 'ready' | 'cooling';
  /** Cooling keys: each scope it is out for (`provider` = every model), until when and why. */
  cooling?: { scope: string; reason: string; retryInMs: number }[];
}

export class KeyPools {
  private readonly cooldowns: Cooldowns;
  /** Round-robin cursors per provider; bounded by the configured providers. */
  private readonly cursors = new Map<string, number>();
  /** Target ids seen with a target-scoped cooldown, per provider (for the status endpoint). */
  private readonly seenTargets = new Map<string, Set<string>>();
  /** Per provider's settings, the same settings with each of its pool keys (`settingsWith`). */
  private readonly keyed = new WeakMap<ProviderSettings, ProviderSettings[]>();

  constructor(
    private readonly clock: Pick<Clock, 'now'>,
    private readonly events: EventBus = NO_EVENTS,
  ) {
    this.cooldowns = new Cooldowns(clock);
  }

  /** The target's key pool, or undefined when its provider has a single key (or none). */
  poolOf(target: Target): KeyPoolSettings | undefined {
    return target.provider.keyPool;
  }

  /**
   * The index of the key for the next attempt on `target`: not cooling, not in `tried` (keys that
   * already failed this request), in round-robin or configured order; undefined when none is left.
   */
  pick(target: Target, tried: ReadonlySet<number> = NONE): number | undefined {
    const pool = target.provider.keyPool;
    if (!pool) return undefined;
    const n = pool.keys.length;
    const roundRobin = pool.selection === 'round-robin';
    const start = roundRobin ? (this.cursors.get(target.provider.id) ?? 0) : 0;
    for (let k = 0; k < n; k++) {
      const i = (start + k) % n;
      if (tried.has(i) || this.cooling(target, i)) continue;
      if (roundRobin) this.cursors.set(target.provider.id, (i + 1) % n);
      return i;
    }
    return undefined;
  }

  /** Whether a key not cooling and not in `tried` is left (without moving the round-robin cursor). */
  ready(target: Target, tried: ReadonlySet<number>): boolean {
    const n = target.provider.keyPool?.keys.length ?? 0;
    for (let i = 0; i < n; i++) if (!tried.has(i) && !this.cooling(target, i)) return true;
    return false;
  }

  /** The key at `index` of the target's pool. */
  key(target: Target, index: number): ProviderKey {
    return target.provider.keyPool!.keys[index]!;
  }

  /**
   * The target's provider settings with the pool key at `index` as its key: one object per key, made
   * once, so that what is derived from a provider's settings once (its URLs, its auth headers) is
   * derived once per key too, not per attempt.
   */
  settingsWith(target: Target, index: number): ProviderSettings {
    const { provider } = target;
    let perKey = this.keyed.get(provider);
    if (!perKey) this.keyed.set(provider, (perKey = []));
    return (perKey[index] ??= { ...provider, apiKey: this.key(target, index).secret });
  }

  /**
   * Records a failed attempt made with key `index`: a key failure cools the key (and adds it to
   * `tried`); the verdict says whether another key may take the request now, and what the target's
   * health should hear: nothing of a key failure while another key is ready, else a cooldown until the
   * first key comes back.
   */
  settle(target: Target, index: number, failure: UpstreamFailure, tried: Set<number>): KeyVerdict {
    const scope = KEY_FAILURES.get(failure.reason);
    if (!scope) return { failure, nextKey: false };
    const ms = failure.cooldownMs || failure.retryAfterMs || HINTLESS_RATE_LIMIT_MS;
    this.cooldowns.coolFor(this.entry(target, index, scope), ms, failure.reason);
    if (scope === 'target') this.remember(target);
    tried.add(index);
    const label = this.key(target, index).label;
    if (this.events.wants('cooldown.set'))
      this.events.publish('cooldown.set', {
        target: target.id,
        ms,
        reason: failure.reason,
        key: label,
        keyScope: scope,
      });
    if (this.ready(target, NONE)) {
      // Another key takes over: the target's breaker and cooldown hear nothing of this key's failure.
      const { cooldownMs: _c, retryAfterMs: _r, ...rest } = failure;
      return { failure: { ...rest, breaker: false }, nextKey: this.ready(target, tried) };
    }
    const back = this.firstBackMs(target);
    return {
      failure: {
        ...failure,
        cooldownMs: back,
        ...(failure.class === 'retry' ? { retryAfterMs: back } : {}),
        message: `${failure.message} (every key of provider ${target.provider.id} is cooling down)`,
      },
      nextKey: false,
    };
  }

  /** The key that comes back first (panic mode: every target is tried, cooling or not). */
  soonest(target: Target): number | undefined {
    const pool = target.provider.keyPool;
    if (!pool) return undefined;
    let best = 0;
    let bestUntil = Infinity;
    for (let i = 0; i < pool.keys.length; i++) {
      const until = this.cooling(target, i)?.until ?? -Infinity;
      if (until < bestUntil) [best, bestUntil] = [i, until];
    }
    return best;
  }

  /** Milliseconds until the first key of the target's pool is ready again (0 if one is). */
  firstBackMs(target: Target): number {
    const pool = target.provider.keyPool;
    if (!pool) return 0;
    let min = Infinity;
    for (let i = 0; i < pool.keys.length; i++) {
      const cooling = this.cooling(target, i);
      min = Math.min(min, cooling ? cooling.until - this.clock.now() : 0);
    }
    return Number.isFinite(min) ? Math.max(0, min) : 0;
  }

  /** Each key of every pooled provider, ready or cooling (per scope), for the status endpoint. */
  status(providers: Iterable<ProviderSettings>): KeyStatus[] {
    const out: KeyStatus[] = [];
    for (const provider of providers) {
      const pool = provider.keyPool;
      if (!pool) continue;
      const scopes = ['provider', ...(this.seenTargets.get(provider.id) ?? [])];
      pool.keys.forEach((key, i) => {
        const cooling = scopes.flatMap((scope) => {
          const entry = this.cooldowns.active(`${scope === 'provider' ? provider.id : scope}\n${i}`);
          if (!entry) return [];
          return [{ scope, reason: entry.reason, retryInMs: Math.round(entry.until - this.clock.now()) }];
        });
        out.push({
          provider: provider.id,
          key: key.label,
          state: cooling.length ? 'cooling' : 'ready',
          ...(cooling.length ? { cooling } : {}),
        });
      });
    }
    return out;
  }

  /**
   * Shared state (src/state/shared-health.ts): cools key `label` of `target` (scope `target`) or of its
   * provider (scope `provider`) until `until` (this clock's time), keeping the later deadline; announces
   * nothing (it came from another instance). False when the pool has no such key.
   */
  holdOut(
    target: Target,
    label: string,
    scope: 'target' | 'provider',
    until: number,
    reason: string,
  ): boolean {
    const index = target.provider.keyPool?.keys.findIndex((k) => k.label === label) ?? -1;
    if (index < 0) return false;
    this.cooldowns.coolUntil(this.entry(target, index, scope), until, reason);
    if (scope === 'target') this.remember(target);
    return true;
  }

  /** Until when key `label` of `target` is out (this clock's time), for the scope given, if it is. */
  keyOutUntil(target: Target, label: string, scope: 'target' | 'provider'): number | undefined {
    const index = target.provider.keyPool?.keys.findIndex((k) => k.label === label) ?? -1;
    return index < 0 ? undefined : this.cooldowns.active(this.entry(target, index, scope))?.until;
  }

  /** Forgets every key cooldown (operators, tests). */
  reset(): void {
    this.cooldowns.clear();
  }

  /** The longer of the key's provider-wide and this-target cooldowns, if any. */
  private cooling(target: Target, index: number): Cooldown | undefined {
    const wide = this.cooldowns.active(this.entry(target, index, 'provider'));
    const own = this.cooldowns.active(this.entry(target, index, 'target'));
    if (!wide) return own;
    return own && own.until > wide.until ? own : wide;
  }

  private entry(target: Target, index: number, scope: Scope): string {
    return `${scope === 'provider' ? target.provider.id : target.id}\n${index}`;
  }

  private remember(target: Target): void {
    let seen = this.seenTargets.get(target.provider.id);
    if (!seen) this.seenTargets.set(target.provider.id, (seen = new Set()));
    seen.add(target.id);
  }
}
