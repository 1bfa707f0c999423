/**
 * Drained regions shared between gateway instances through Redis, the way breaker deadlines are
 * (shared-health.ts): a drain or undrain on one instance (`region.drain`, from
 * POST /v1/switchyard/regions/{name}/drain|undrain) is written off the request path with one Lua script
 * and published in the same step; every instance applies what it receives at once. Routing reads its
 * own drained set as before: the request path never waits on Redis.
 *
 * Each region's latest decision is kept as `{ drained, at }` (wall-clock epoch ms) in the hash
 * `<prefix>:regions`; the script only replaces a decision with a later one, so that instances agree
 * whatever order messages arrive in. On every (re)connection an instance writes the decisions it made
 * while Redis was away, then reads the hash and applies every decision later than its own: a Redis
 * restarted empty is refilled by the instances, and an instance started after a drain drains too.
 * Decisions are kept without expiry (an operator's drain holds until undrained); at most 1 000 regions.
 */
import { randomBytes } from 'node:crypto';
import type { EventBus } from '../core/events.js';
import type { Logger } from '../telemetry/logger.js';
import type { RedisLink } from './redis-link.js';

interface Decision {
  region: string;
  drained: boolean;
  /** Wall-clock epoch ms of the decision. */
  at: number;
  origin: string;
}

/** What applies a decision locally (the router). */
export interface DrainTarget {
  drain(region: string): void;
  undrain(region: string): boolean;
}

/** KEYS[1]: the hash. ARGV: region, decision (JSON), at, channel. Returns 1 when it replaced the decision. */
const DECIDE_LUA = `
local current = redis.call('HGET', KEYS[1], ARGV[1])
if current then
  local ok, parsed = pcall(cjson.decode, current)
  if ok and tonumber(parsed.at) and tonumber(parsed.at) >= tonumber(ARGV[3]) then return 0 end
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('PUBLISH', ARGV[4], ARGV[2])
return 1
`;

const MAX_REGIONS = 1_000;

export interface SharedDrainsStatus {
  published: number;
  applied: number;
  pending: number;
}

export class SharedDrains {
  readonly #instance = randomBytes(6).toString('hex');
  readonly #hash: string;
  readonly #channel: string;
  /** The latest decision known per region (local or remote). */
  readonly #decisions = new Map<string, Decision>();
  /** Local decisions not yet written (Redis away). */
  readonly #pending = new Map<string, Decision>();
  #router: DrainTarget | undefined;
  #applying = false;
  #published = 0;
  #applied = 0;
  readonly #unsubscribe: (() => void)[] = [];

  constructor(
    private readonly o: {
      link: RedisLink;
      prefix: string;
      events: EventBus;
      wallNow: () => number;
      log: Logger;
    },
  ) {
    this.#hash = `${o.prefix}:regions`;
    this.#channel = `${o.prefix}:regions`;
  }

  /** Starts sharing the router's drains (the router exists once the engine is built). */
  attach(router: DrainTarget): void {
    this.#router = router;
    const { link, events } = this.o;
    this.#unsubscribe.push(
      events.subscribe('region.drain', (e) => {
        if (this.#applying) return;
        // An operator's decision here is the latest, even against a clock that runs ahead elsewhere.
        const at = Math.max(this.o.wallNow(), (this.#decisions.get(e.region)?.at ?? 0) + 1);
        this.#decide({ region: e.region, drained: e.drained, at, origin: this.#instance });
      }),
    );
    link.subscriber.on('message', (channel: string, raw: string) => {
      if (channel === this.#channel) this.#receive(raw);
    });
    link.subscriber.subscribe(this.#channel).catch((err: unknown) => this.#logError(err, 'subscribe'));
    link.onReady(() => void this.#catchUp());
  }

  stop(): void {
    for (const off of this.#unsubscribe.splice(0)) off();
  }

  status(): SharedDrainsStatus {
    return { published: this.#published, applied: this.#applied, pending: this.#pending.size };
  }

  #decide(d: Decision): void {
    if (!this.#remember(d)) return;
    if (!this.o.link.connected) {
      this.#pending.set(d.region, d);
      return;
    }
    void this.#write(d);
  }

  /** Keeps `d` as the region's latest decision; false when a later one is known, or the map is full. */
  #remember(d: Decision): boolean {
    const current = this.#decisions.get(d.region);
    if (current && current.at > d.at) return false;
    if (!current && this.#decisions.size >= MAX_REGIONS) return false;
    this.#decisions.set(d.region, d);
    return true;
  }

  async #write(d: Decision): Promise<void> {
    try {
      const replaced = await this.o.link.command.eval(
        DECIDE_LUA,
        1,
        this.#hash,
        d.region,
        JSON.stringify(d),
        String(d.at),
        this.#channel,
      );
      if (replaced === 1) this.#published++;
    } catch {
      this.#pending.set(d.region, d);
    }
  }

  #receive(raw: string): void {
    const d = parseDecision(raw);
    if (!d || d.origin === this.#instance) return;
    this.#apply(d);
  }

  #apply(d: Decision): void {
    if (!this.#router || !this.#remember(d)) return;
    this.#applying = true;
    try {
      if (d.drained) this.#router.drain(d.region);
      else this.#router.undrain(d.region);
      this.#applied++;
    } finally {
      this.#applying = false;
    }
  }

  /**
   * Writes every decision it knows (those made offline, and the rest in case Redis restarted empty: the
   * script keeps the later one), then applies every later decision in force.
   */
  async #catchUp(): Promise<void> {
    this.#pending.clear();
    await Promise.all([...this.#decisions.values()].map((d) => this.#write(d)));
    try {
      const all = await this.o.link.command.hgetall(this.#hash);
      for (const raw of Object.values(all)) {
        const d = parseDecision(raw);
        if (d && d.origin !== this.#instance) this.#apply(d);
      }
    } catch (err) {
      this.#logError(err, 'regions catch-up');
    }
  }

  #logError(err: unknown, what: string): void {
    this.o.log.debug(
      { err: err instanceof Error ? err.message : String(err) },
      `shared state: ${what} failed`,
    );
  }
}

function parseDecision(raw: string): Decision | undefined {
  try {
    const d = JSON.parse(raw) as Decision;
    if (
      typeof d.region === 'string' &&
      d.region.length <= 64 &&
      typeof d.drained === 'boolean' &&
      typeof d.at === 'number' &&
      typeof d.origin === 'string'
    )
      return d;
  } catch {
    // not ours
  }
  return undefined;
}
