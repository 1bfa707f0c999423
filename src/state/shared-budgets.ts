/**
 * Retry budgets and hedge caps shared across instances with bounded staleness (docs/deployment.md):
 * every `intervalMs` (state.budgetSyncMs, 250 ms by default) each instance, in ONE round trip (one Lua
 * script), writes its own current window counts per budget key and reads the other instances' last
 * written ones, which its budgets then add to their own in every decision (RetryBudget.setRemote). The
 * request path never waits on Redis.
 *
 * Keys: one hash per budget key, `<prefix>:budget:<name>:<key>` (name `retry` keyed by target, `hedge`
 * keyed by route), one field per instance: `requests,retries,<written at, epoch ms>`. A field older than
 * the budget's window is ignored and deleted by whoever reads it (a dead instance ages out in one
 * window), and the hash expires a window (plus 5 s) after its last write.
 *
 * Staleness: what an instance knows of the others is at most 2 × intervalMs plus a round trip old (their
 * last write, up to one interval before our last read, up to one interval ago). Redis unreachable: the
 * others' counts are kept for one window after the last successful sync, then dropped (each instance
 * then decides on its own counts, as without Redis).
 */
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Clock } from '../core/clock.js';
import { SyncLoop } from './sync-loop.js';
import type { RetryBudget, WindowCounts } from '../resilience/retry-budget.js';

/** A budget to share: `name` in the keys, the keys to read (those held locally are added). */
export interface SyncedBudget {
  name: string;
  budget: RetryBudget;
  keys: Iterable<string>;
}

export interface SharedBudgetsOptions {
  redis: Pick<Redis, 'eval'>;
  link: { readonly connected: boolean };
  prefix: string;
  intervalMs: number;
  /** The budgets, read at every sync (hedge caps are created lazily). */
  budgets: () => SyncedBudget[];
  clock: Pick<Clock, 'setTimeout' | 'clearTimeout'> & { now(): number };
  /** Epoch ms: when a field was written, compared across instances. */
  wallNow: () => number;
  /** This instance's field name; random by default. */
  instance?: string;
}

export interface SharedBudgetsStatus {
  instance: string;
  intervalMs: number;
  syncs: number;
  /** Round trips that failed (ticks while Redis is not connected send nothing and are not counted). */
  failures: number;
  /** Wall-clock time of the last successful sync (epoch ms). */
  lastSyncAt: number | null;
}

/**
 * KEYS: one hash per budget key. ARGV[1] instance, ARGV[2] now (epoch ms), ARGV[3] stale after (ms),
 * ARGV[4] hash expiry (ms), then requests and retries per key. Returns the others' requests and
 * retries per key, as strings.
 */
const SYNC_LUA = `
local me, now, stale, expiry = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), ARGV[4]
local out = {}
for i, key in ipairs(KEYS) do
  local req, ret = ARGV[3 + 2 * i], ARGV[4 + 2 * i]
  if req == '0' and ret == '0' then
    redis.call('HDEL', key, me)
  else
    redis.call('HSET', key, me, req .. ',' .. ret .. ',' .. ARGV[2])
    redis.call('PEXPIRE', key, expiry)
  end
  local all = redis.call('HGETALL', key)
  local requests, retries = 0, 0
  for j = 1, #all, 2 do
    local field = all[j]
    if field ~= me then
      local a, b, at = string.match(all[j + 1], '^([^,]+),([^,]+),([^,]+)$')
      if at and tonumber(at) >= now - stale then
        requests = requests + tonumber(a)
        retries = retries + tonumber(b)
      else
        redis.call('HDEL', key, field)
      end
    end
  end
  out[#out + 1] = tostring(requests)
  out[#out + 1] = tostring(retries)
end
return out
`;

const EXPIRY_MARGIN_MS = 5_000;

export class SharedBudgets {
  readonly #o: SharedBudgetsOptions;
  readonly #instance: string;
  readonly #loop: SyncLoop;
  #lastSyncAt: number | null = null;
  /** Monotonic time of the last successful sync. */
  #lastSyncMono = Number.NEGATIVE_INFINITY;

  constructor(options: SharedBudgetsOptions) {
    this.#o = options;
    this.#loop = new SyncLoop(options.clock, options.intervalMs, () => this.sync());
    this.#instance = options.instance ?? randomBytes(6).toString('hex');
  }

  start(): void {
    this.#loop.start();
  }

  stop(): void {
    this.#loop.stop();
  }

  status(): SharedBudgetsStatus {
    return {
      instance: this.#instance,
      intervalMs: this.#o.intervalMs,
      syncs: this.#loop.syncs,
      failures: this.#loop.failures,
      lastSyncAt: this.#lastSyncAt,
    };
  }

  /** One round trip: write this instance's counts, read the others'. False when Redis failed. */
  async sync(): Promise<boolean> {
    const budgets = this.#o.budgets();
    const windowMs = Math.max(1, ...budgets.map((b) => b.budget.ttlMs));
    const plan = budgets.map((b) => ({ ...b, keys: [...new Set([...b.keys, ...b.budget.keys()])] }));
    const ids: string[] = [];
    const counts: string[] = [];
    for (const b of plan)
      for (const key of b.keys) {
        ids.push(`${this.#o.prefix}:budget:${b.name}:${key}`);
        const own = b.budget.localCounts(key);
        counts.push(String(own.requests), String(own.retries));
      }
    if (ids.length === 0) return true;
    // Not connected: no command is sent (not a failure), the others' counts age as after one.
    if (!this.#o.link.connected) return this.#stale(plan, windowMs);
    let reply: string[];
    try {
      const now = this.#o.wallNow();
      const args = [this.#instance, String(now), String(windowMs), String(windowMs + EXPIRY_MARGIN_MS)];
      reply = (await this.#o.redis.eval(SYNC_LUA, ids.length, ...ids, ...args, ...counts)) as string[];
    } catch {
      this.#loop.failures++;
      return this.#stale(plan, windowMs);
    }
    let i = 0;
    for (const b of plan) {
      const remote = new Map<string, WindowCounts>();
      for (const key of b.keys) {
        const requests = Number(reply[i++]);
        const retries = Number(reply[i++]);
        if (requests > 0 || retries > 0) remote.set(key, { requests, retries });
      }
      b.budget.setRemote(remote);
    }
    this.#loop.syncs++;
    this.#lastSyncAt = this.#o.wallNow();
    this.#lastSyncMono = this.#o.clock.now();
    return true;
  }

  /** Keeps the others' counts for one window after the last success, then forgets them. */
  #stale(plan: SyncedBudget[], windowMs: number): false {
    if (this.#o.clock.now() - this.#lastSyncMono > windowMs)
      for (const b of plan) b.budget.setRemote(new Map());
    return false;
  }
}
