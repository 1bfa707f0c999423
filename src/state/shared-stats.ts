/**
 * Routing latency statistics shared across instances with bounded staleness (docs/deployment.md,
 * docs/routing.md): every `intervalMs` (state.budgetSyncMs, 250 ms by default) each instance, in ONE
 * round trip (one Lua script), writes a summary of its own TargetStats per target it has a sample for in
 * the last 3 τ, and reads the other instances' summaries, which TargetStats.setFleet folds into one fleet
 * estimate per target (the merge rule is in src/routing/stats.ts). The request path never waits on Redis.
 *
 * Keys: one hash per target, `<prefix>:rstats:<target>`, one field per instance:
 * `<written at>,<ttft>,<ttft sampled at>,<duration>,<duration sampled at>,<tokens/s>,<error rate>,<samples>`
 * (epoch ms for the times, empty when unknown). A field written more than 3 τ ago (a dead instance) is
 * ignored and deleted by whoever reads it; by then its estimates had decayed to under 5 %. The hash
 * expires 3 τ (plus 5 s) after its last write. Clocks of the hosts are assumed in step (NTP): a skew
 * shifts the decay of the others' estimates by as much.
 *
 * Staleness: what an instance knows of the others is at most 2 × intervalMs plus a round trip old.
 * Redis unreachable: the fleet view is kept for 3 τ after the last successful sync, then dropped (each
 * instance then routes on its own statistics, as without Redis).
 */
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Clock } from '../core/clock.js';
import { SyncLoop } from './sync-loop.js';
import type { StatSummary, TargetStats } from '../routing/stats.js';

export interface SharedStatsOptions {
  redis: Pick<Redis, 'eval'>;
  link: { readonly connected: boolean };
  prefix: string;
  intervalMs: number;
  stats: TargetStats;
  /** The targets whose statistics some route reads (those held locally are added). */
  targets: readonly string[];
  clock: Pick<Clock, 'setTimeout' | 'clearTimeout'> & { now(): number };
  /** Epoch ms: when a summary was written and sampled, compared across instances. */
  wallNow: () => number;
  /** This instance's field name; random by default. */
  instance?: string;
}

export interface SharedStatsStatus {
  instance: string;
  intervalMs: number;
  /** Fields older than this are ignored and deleted (3 τ). */
  staleAfterMs: number;
  syncs: number;
  failures: number;
  /** Wall-clock time of the last successful sync (epoch ms). */
  lastSyncAt: number | null;
}

/**
 * KEYS: one hash per target. ARGV[1] instance, ARGV[2] now (epoch ms), ARGV[3] stale after (ms), ARGV[4]
 * hash expiry (ms), then this instance's field per key ('' = none: its field is deleted). Returns, per
 * key, the others' fresh fields joined by ';'.
 */
const SYNC_LUA = `
local me, now, stale, expiry = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), ARGV[4]
local out = {}
for i, key in ipairs(KEYS) do
  local mine = ARGV[4 + i]
  if mine == '' then
    redis.call('HDEL', key, me)
  else
    redis.call('HSET', key, me, mine)
    redis.call('PEXPIRE', key, expiry)
  end
  local all = redis.call('HGETALL', key)
  local fresh = {}
  for j = 1, #all, 2 do
    local field = all[j]
    if field ~= me then
      local at = tonumber(string.match(all[j + 1], '^([^,]+),'))
      if at and at >= now - stale then
        fresh[#fresh + 1] = all[j + 1]
      else
        redis.call('HDEL', key, field)
      end
    end
  end
  out[#out + 1] = table.concat(fresh, ';')
end
return out
`;

const EXPIRY_MARGIN_MS = 5_000;
/** Estimates older than this many τ are neither published nor read (under 5 % of their value left). */
const STALE_TAUS = 3;

export class SharedStats {
  readonly #o: SharedStatsOptions;
  readonly #instance: string;
  readonly #staleMs: number;
  readonly #loop: SyncLoop;
  #lastSyncAt: number | null = null;
  #lastSyncMono = Number.NEGATIVE_INFINITY;

  constructor(options: SharedStatsOptions) {
    this.#o = options;
    this.#loop = new SyncLoop(options.clock, options.intervalMs, () => this.sync());
    this.#instance = options.instance ?? randomBytes(6).toString('hex');
    this.#staleMs = STALE_TAUS * options.stats.tauMs;
  }

  start(): void {
    this.#loop.start();
  }

  stop(): void {
    this.#loop.stop();
  }

  status(): SharedStatsStatus {
    return {
      instance: this.#instance,
      intervalMs: this.#o.intervalMs,
      staleAfterMs: this.#staleMs,
      syncs: this.#loop.syncs,
      failures: this.#loop.failures,
      lastSyncAt: this.#lastSyncAt,
    };
  }

  /** One round trip: write this instance's summaries, read the others'. False when Redis failed. */
  async sync(): Promise<boolean> {
    const own = this.#o.stats.summaries(this.#staleMs);
    const ids = [...new Set([...this.#o.targets, ...own.keys()])];
    if (ids.length === 0) return true;
    if (!this.#o.link.connected) return this.#stale();
    const now = this.#o.wallNow();
    const fields = ids.map((id) => {
      const s = own.get(id);
      return s ? encode(s, now) : '';
    });
    let reply: string[];
    try {
      const keys = ids.map((id) => `${this.#o.prefix}:rstats:${id}`);
      const args = [this.#instance, String(now), String(this.#staleMs)];
      args.push(String(this.#staleMs + EXPIRY_MARGIN_MS), ...fields);
      reply = (await this.#o.redis.eval(SYNC_LUA, keys.length, ...keys, ...args)) as string[];
    } catch {
      this.#loop.failures++;
      return this.#stale();
    }
    const readAt = this.#o.wallNow();
    const others = new Map<string, StatSummary[]>();
    ids.forEach((id, i) => {
      const list = (reply[i] ?? '').split(';').flatMap((f) => decode(f, readAt) ?? []);
      if (list.length) others.set(id, list);
    });
    this.#o.stats.setFleet(others);
    this.#loop.syncs++;
    this.#lastSyncAt = readAt;
    this.#lastSyncMono = this.#o.clock.now();
    return true;
  }

  /** Keeps the fleet view for 3 τ after the last success (it decays meanwhile), then forgets it. */
  #stale(): false {
    if (this.#o.clock.now() - this.#lastSyncMono > this.#staleMs) this.#o.stats.setFleet(new Map());
    return false;
  }
}

const num = (n: number | undefined): string => (n === undefined ? '' : String(Math.round(n * 1000) / 1000));

/** The field this instance writes: sample ages turned into epoch ms. */
export function encode(s: StatSummary, now: number): string {
  return [
    now,
    num(s.ttft?.value),
    s.ttft ? Math.round(now - s.ttft.ageMs) : '',
    num(s.duration?.value),
    s.duration ? Math.round(now - s.duration.ageMs) : '',
    num(s.tokensPerSecond),
    num(s.errorRate),
    s.samples,
  ].join(',');
}

/** Another instance's field, ages measured from `now`; undefined when malformed. */
export function decode(field: string, now: number): StatSummary | undefined {
  const parts = field.split(',');
  if (parts.length !== 8) return undefined;
  const n = (i: number): number | undefined => {
    const v = parts[i] === '' ? NaN : Number(parts[i]);
    return Number.isFinite(v) && v >= 0 ? v : undefined;
  };
  const est = (v: number | undefined, at: number | undefined) =>
    v === undefined || at === undefined ? undefined : { value: v, ageMs: Math.max(0, now - at) };
  const out: StatSummary = { samples: n(7) ?? 0 };
  const ttft = est(n(1), n(2));
  const duration = est(n(3), n(4));
  const tps = n(5);
  const errors = n(6);
  if (ttft) out.ttft = ttft;
  if (duration) out.duration = duration;
  if (tps !== undefined) out.tokensPerSecond = tps;
  if (errors !== undefined) out.errorRate = Math.min(1, errors);
  return out;
}
