/**
 * Breaker and cooldown deadlines shared between gateway instances through Redis, local-first:
 *
 * - Reads never leave the process: the engine asks its own breakers and cooldowns, as with one
 *   instance. This module only feeds them.
 * - A local change (`breaker.transition` to open, `cooldown.set`) is written off the request path with
 *   one Lua script that keeps the later deadline (a shorter one never replaces a longer one, LiteLLM
 *   #40130) and, only when it extended the deadline, publishes it on the prefix's channel in the same
 *   atomic step.
 * - Every instance applies what it receives at once (pub/sub, not a polling cycle), again keeping the
 *   later deadline locally (`TargetHealth.holdOut`), so an opened target is out everywhere within one
 *   publish (measured on loopback in test/cluster.test.ts).
 * - On every (re)connection an instance reads the deadlines in force (catch-up) and writes the ones it
 *   set while Redis was away (a bounded map, one entry per target and kind): nothing decided during an
 *   outage is dropped, and the instances re-converge.
 *
 * Deadlines travel as wall-clock epoch milliseconds and become each instance's monotonic time on
 * arrival; clock skew between hosts shifts them by the skew (keep NTP on). Closing is not shared: each
 * instance probes a target itself once its deadline has passed. Trip counts stay per instance.
 */
import { randomBytes } from 'node:crypto';
import type { EventBus } from '../core/events.js';
import type { TargetHealth } from '../engine/health.js';
import type { WallClock } from '../resilience/wall-clock.js';
import type { Logger } from '../telemetry/logger.js';
import type { RedisLink } from './redis-link.js';

export type OutKind = 'open' | 'cooldown';

/** What travels on the channel (and is stored under `<prefix>:out:<kind>:<target>`). */
export interface OutMessage {
  kind: OutKind;
  target: string;
  /** Wall-clock epoch ms. */
  until: number;
  reason: string;
  /** The instance that set it (it ignores its own messages). */
  origin: string;
}

/** KEYS[1]: the deadline's key. ARGV: until, reason, channel, message. Returns 1 when it extended. */
const EXTEND_LUA = `
local current = tonumber(redis.call('HGET', KEYS[1], 'until') or '0')
local untilMs = tonumber(ARGV[1])
if current >= untilMs then return 0 end
redis.call('HSET', KEYS[1], 'until', ARGV[1], 'reason', ARGV[2])
redis.call('PEXPIREAT', KEYS[1], untilMs + 1000)
redis.call('PUBLISH', ARGV[3], ARGV[4])
return 1
`;

export interface SharedHealthOptions {
  link: RedisLink;
  prefix: string;
  health: TargetHealth;
  events: EventBus;
  clock: Pick<WallClock, 'now' | 'wallNow'>;
  /** Target ids of this configuration: deadlines for others are ignored. */
  targets: ReadonlySet<string>;
  log: Logger;
  /** Deadlines set while Redis is away, kept to write on reconnection (bounded). */
  maxPending?: number;
}

export interface SharedHealthStatus {
  instance: string;
  /** Local deadlines written to Redis (extending the shared one). */
  published: number;
  /** Remote deadlines applied locally. */
  applied: number;
  /** Deadlines waiting for Redis to come back. */
  pending: number;
  /** Deadlines dropped because the pending map was full. */
  droppedPending: number;
  catchUps: number;
}

export class SharedHealth {
  readonly instance = randomBytes(6).toString('hex');
  readonly #o: SharedHealthOptions;
  readonly #channel: string;
  readonly #pending = new Map<string, OutMessage>();
  readonly #maxPending: number;
  readonly #unsubscribe: (() => void)[] = [];
  /** Set while a remote deadline is applied, so that its local echo is not sent back. */
  #applying = false;
  #published = 0;
  #applied = 0;
  #dropped = 0;
  #catchUps = 0;

  constructor(options: SharedHealthOptions) {
    this.#o = options;
    this.#channel = `${options.prefix}:out`;
    this.#maxPending = options.maxPending ?? 10_000;
  }

  /** Subscribes to the local events and the channel; catches up on every (re)connection. */
  start(): void {
    const { events, link, health } = this.#o;
    this.#unsubscribe.push(
      events.subscribe('breaker.transition', (e) => {
        if (this.#applying || e.to !== 'open') return;
        const until = health.outUntil?.(e.target);
        if (until !== undefined) this.#share('open', e.target, this.#toWall(until), e.reason ?? 'open');
      }),
      events.subscribe('cooldown.set', (e) => {
        if (this.#applying) return;
        this.#share('cooldown', e.target, this.#o.clock.wallNow() + e.ms, e.reason);
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

  status(): SharedHealthStatus {
    return {
      instance: this.instance,
      published: this.#published,
      applied: this.#applied,
      pending: this.#pending.size,
      droppedPending: this.#dropped,
      catchUps: this.#catchUps,
    };
  }

  /** Applies a deadline from elsewhere: keeps the later one, never shortens. */
  apply(message: OutMessage): void {
    if (!this.#o.targets.has(message.target) || !(message.until > this.#o.clock.wallNow())) return;
    const local = message.until - this.#o.clock.wallNow() + this.#o.clock.now();
    this.#applying = true;
    try {
      this.#o.health.holdOut?.(message.target, local, message.kind, message.reason);
      this.#applied++;
    } finally {
      this.#applying = false;
    }
  }

  #share(kind: OutKind, target: string, until: number, reason: string): void {
    const message: OutMessage = { kind, target, until: Math.round(until), reason, origin: this.instance };
    if (!this.#o.link.connected) return this.#keep(message);
    void this.#write(message);
  }

  async #write(message: OutMessage): Promise<void> {
    const key = `${this.#o.prefix}:out:${message.kind}:${message.target}`;
    try {
      const extended = await this.#o.link.command.eval(
        EXTEND_LUA,
        1,
        key,
        String(message.until),
        message.reason,
        this.#channel,
        JSON.stringify(message),
      );
      if (extended === 1) this.#published++;
    } catch {
      // Redis went away between the check and the write: keep it for the reconnection.
      this.#keep(message);
    }
  }

  /** Keeps the later deadline per target and kind until Redis is back; bounded. */
  #keep(message: OutMessage): void {
    const id = `${message.kind}:${message.target}`;
    const current = this.#pending.get(id);
    if (current && current.until >= message.until) return;
    if (!current && this.#pending.size >= this.#maxPending) {
      this.#dropped++;
      return;
    }
    this.#pending.set(id, message);
  }

  #receive(raw: string): void {
    let message: OutMessage;
    try {
      message = JSON.parse(raw) as OutMessage;
    } catch {
      return;
    }
    if (message.origin === this.instance || !isOutMessage(message)) return;
    this.apply(message);
  }

  /** Writes what was decided offline, then applies every deadline in force. */
  async #catchUp(): Promise<void> {
    this.#catchUps++;
    const pending = [...this.#pending.values()];
    this.#pending.clear();
    await Promise.all(pending.map((m) => this.#write(m)));
    try {
      const { command } = this.#o.link;
      let cursor = '0';
      do {
        const [next, keys] = await command.scan(cursor, 'MATCH', `${this.#o.prefix}:out:*`, 'COUNT', 200);
        cursor = next;
        for (const key of keys) await this.#applyKey(key);
      } while (cursor !== '0');
    } catch (err) {
      this.#logError(err, 'catch-up');
    }
  }

  async #applyKey(key: string): Promise<void> {
    const rest = key.slice(this.#o.prefix.length + ':out:'.length);
    const colon = rest.indexOf(':');
    const kind = rest.slice(0, colon);
    if (kind !== 'open' && kind !== 'cooldown') return;
    const fields = await this.#o.link.command.hgetall(key);
    const until = Number(fields.until);
    if (!Number.isFinite(until)) return;
    this.apply({ kind, target: rest.slice(colon + 1), until, reason: fields.reason ?? kind, origin: '' });
  }

  #toWall(local: number): number {
    return this.#o.clock.wallNow() + (local - this.#o.clock.now());
  }

  #logError(err: unknown, what: string): void {
    this.#o.log.debug(
      { err: err instanceof Error ? err.message : String(err) },
      `shared state: ${what} failed`,
    );
  }
}

function isOutMessage(m: OutMessage): boolean {
  return (
    (m.kind === 'open' || m.kind === 'cooldown') &&
    typeof m.target === 'string' &&
    typeof m.until === 'number' &&
    typeof m.reason === 'string'
  );
}
