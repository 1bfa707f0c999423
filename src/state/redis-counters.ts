/**
 * WindowCounters in Redis, shared by every instance: the same fixed windows aligned on the epoch as
 * MemoryCounters (src/state/counters.ts), each window one key `<prefix>:ctr:<windowMs>:<start>:<key>`
 * that expires with its window. `take` (check and add) and `add` are one Lua script each, so that
 * concurrent takes from any number of instances never take a window past its limit.
 *
 * Windows align on each instance's wall clock: hosts whose clocks disagree by d milliseconds disagree
 * on a window boundary for d milliseconds (keep NTP on).
 *
 * A Redis failure throws (RedisCounters). `FailModeCounters` wraps it with the configured
 * `state.failMode`: `open` counts in this process while Redis is away (a limit then holds per instance)
 * and adds what it counted to the shared windows on reconnection, if they are still current; `closed`
 * throws `StateUnavailableError` (the caller answers 503).
 */
import type { Redis } from 'ioredis';
import { MemoryCounters, type TakeResult, type WindowCounters } from './counters.js';
import type { RedisLink } from './redis-link.js';

/** KEYS[1]: the window's key. ARGV: amount, limit, ttl ms. Returns {allowed 0|1, total}. */
const TAKE_LUA = `
local total = tonumber(redis.call('GET', KEYS[1]) or '0')
if total + tonumber(ARGV[1]) > tonumber(ARGV[2]) then return {0, tostring(total)} end
local after = redis.call('INCRBYFLOAT', KEYS[1], ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return {1, after}
`;

/** KEYS[1]: the window's key. ARGV: amount, ttl ms. Returns the total. */
const ADD_LUA = `
local after = redis.call('INCRBYFLOAT', KEYS[1], ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return after
`;

/** A window's key outlives its window by this much (then Redis drops it). */
const EXPIRY_MARGIN_MS = 5_000;

export class RedisCounters implements WindowCounters {
  constructor(
    private readonly redis: Pick<Redis, 'eval' | 'get'>,
    private readonly prefix: string,
    private readonly time: () => number = Date.now,
  ) {}

  async take(key: string, amount: number, limit: number, windowMs: number): Promise<TakeResult> {
    const { id, start, now } = this.window(key, windowMs);
    const [allowed, total] = (await this.redis.eval(
      TAKE_LUA,
      1,
      id,
      String(amount),
      String(limit),
      String(windowMs + EXPIRY_MARGIN_MS),
    )) as [number, string];
    return { allowed: allowed === 1, total: Number(total), resetMs: start + windowMs - now };
  }

  add(key: string, amount: number, windowMs: number): Promise<number> {
    const { start } = this.window(key, windowMs);
    return this.addAt(key, amount, windowMs, start);
  }

  /** Adds to the window that began at `start` (catching up what was counted during an outage). */
  async addAt(key: string, amount: number, windowMs: number, start: number): Promise<number> {
    const id = `${this.prefix}:ctr:${windowMs}:${start}:${key}`;
    const ttl = Math.max(1, start + windowMs + EXPIRY_MARGIN_MS - this.time());
    return Number(await this.redis.eval(ADD_LUA, 1, id, String(amount), String(ttl)));
  }

  async peek(key: string, windowMs: number): Promise<number> {
    return Number((await this.redis.get(this.window(key, windowMs).id)) ?? 0);
  }

  private window(key: string, windowMs: number): { id: string; start: number; now: number } {
    const now = this.time();
    const start = now - (now % windowMs);
    return { id: `${this.prefix}:ctr:${windowMs}:${start}:${key}`, start, now };
  }
}

/** Shared counters are unreachable and `state.failMode` is `closed`. */
export class StateUnavailableError extends Error {
  constructor(cause: unknown) {
    super('shared state unavailable', { cause });
    this.name = 'StateUnavailableError';
  }
}

export interface FailModeCountersOptions {
  redis: RedisCounters;
  link: Pick<RedisLink, 'connected' | 'onReady'>;
  failMode: 'open' | 'closed';
  time?: () => number;
  /** Windows counted locally during an outage, kept to add on reconnection (bounded). */
  maxPending?: number;
}

/** RedisCounters with the configured behaviour while Redis is unreachable (see the top of the file). */
export class FailModeCounters implements WindowCounters {
  readonly #o: FailModeCountersOptions;
  readonly #time: () => number;
  readonly #local: MemoryCounters;
  /** What was added locally per window during the outage: `${windowMs}|${start}|${key}` → amount. */
  readonly #owed = new Map<string, number>();
  #failures = 0;

  constructor(options: FailModeCountersOptions) {
    this.#o = options;
    this.#time = options.time ?? Date.now;
    this.#local = new MemoryCounters(this.#time);
    options.link.onReady(() => void this.#settle());
  }

  /** Calls that failed over to the fail mode. */
  get failures(): number {
    return this.#failures;
  }

  async take(key: string, amount: number, limit: number, windowMs: number): Promise<TakeResult> {
    if (this.#o.link.connected) {
      try {
        return await this.#o.redis.take(key, amount, limit, windowMs);
      } catch (err) {
        this.#fail(err);
      }
    } else this.#fail(new Error('Redis not connected'));
    const result = await this.#local.take(key, amount, limit, windowMs);
    if (result.allowed) this.#owe(key, amount, windowMs);
    return result;
  }

  async add(key: string, amount: number, windowMs: number): Promise<number> {
    if (this.#o.link.connected) {
      try {
        return await this.#o.redis.add(key, amount, windowMs);
      } catch (err) {
        this.#fail(err);
      }
    } else this.#fail(new Error('Redis not connected'));
    this.#owe(key, amount, windowMs);
    return this.#local.add(key, amount, windowMs);
  }

  async peek(key: string, windowMs: number): Promise<number> {
    if (this.#o.link.connected) {
      try {
        return await this.#o.redis.peek(key, windowMs);
      } catch (err) {
        this.#fail(err);
      }
    } else this.#fail(new Error('Redis not connected'));
    return this.#local.peek(key, windowMs);
  }

  /** In `closed` mode: throws. In `open` mode: counts the failure; the caller goes on locally. */
  #fail(err: unknown): void {
    this.#failures++;
    if (this.#o.failMode === 'closed') throw new StateUnavailableError(err);
  }

  #owe(key: string, amount: number, windowMs: number): void {
    const now = this.#time();
    const id = `${windowMs}|${now - (now % windowMs)}|${key}`;
    if (!this.#owed.has(id) && this.#owed.size >= (this.#o.maxPending ?? 10_000)) return;
    this.#owed.set(id, (this.#owed.get(id) ?? 0) + amount);
  }

  /** Adds what was counted locally to the shared windows still current; drops the ended ones. */
  async #settle(): Promise<void> {
    const owed = [...this.#owed];
    this.#owed.clear();
    const now = this.#time();
    for (const [id, amount] of owed) {
      const [windowMs, start, ...rest] = id.split('|');
      const w = Number(windowMs);
      if (Number(start) + w <= now) continue;
      try {
        await this.#o.redis.addAt(rest.join('|'), amount, w, Number(start));
      } catch {
        this.#owed.set(id, (this.#owed.get(id) ?? 0) + amount);
      }
    }
  }
}
