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

/** A breaker open, a target cooldown, or one provider key of a key pool cooling down. */
export type OutKind = 'open' | 'cooldown' | 'key';

/** What travels on the channel (and is stored under `<prefix>:out:<kind>:<target>`). */
export interface OutMessage {
  kind: OutKind;
  target: string;
  /** Wall-clock epoch ms. */
  until: number;
  reason: string;
  /** The instance that set it (it ignores its own messages). */
  origin: string;
  /** kind `key`: the key's label (never the secret) and whether it is out for this model or the provider's every model. */
  key?: string;
  scope?: 'target' | 'provider';
}

/** Where key cooldowns from elsewhere go (the engine's key pools, src/engine/key-pool.ts). */
export interface SharedKeyPools {
  /** Cools key `key` of target `target`'s pool (scope as given) until `until` (this clock); keeps the later deadline. */
  holdOut(target: string, key: string, scope: 'target' | 'provider', until: number, reason: string): boolean;
}

/** KEYS[1]: the deadline's key. ARGV: until, reason, channel, message. Returns 1 when it extended. */
const EXTEND_LUA = `
local current = tonumber(redis.call('HGET', KEYS[1], 'until') or '0')
local untilMs = tonumber(ARGV[1])
if current >= untilMs then return 0 end
redis.call('HSET', KEYS[1], 'until', ARGV[1], 'reason', ARGV[2], 'msg', ARGV[4])
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
  #keys: SharedKeyPools | undefined;
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
        const until = this.#o.clock.wallNow() + e.ms;
        // A key pool's key: only that key is out (on every instance), not the target.
        if (e.key !== undefined) {
          if (e.keyScope) this.#share('key', e.target, until, e.reason, { key: e.key, scope: e.keyScope });
          return;
        }
        this.#share('cooldown', e.target, until, e.reason);
      }),
    );
    link.subscriber.on('message', (channel: string, raw: string) => {
      if (channel === this.#channel) this.#receive(raw);
    });
    link.subscriber.subscribe(this.#channel).catch((err: unknown) => this.#logError(err, 'subscribe'));
    link.onReady(() => void this.#catchUp());
  }

  /** The engine's key pools, once built: key cooldowns from elsewhere are applied to them. */
  attachKeys(keys: SharedKeyPools): void {
    this.#keys = keys;
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
      if (message.kind === 'key') {
        if (!this.#keys?.holdOut(message.target, message.key!, message.scope!, local, message.reason)) return;
      } else {
        this.#o.health.holdOut?.(message.target, local, message.kind, message.reason);
      }
      this.#applied++;
    } finally {
      this.#applying = false;
    }
  }

  #share(
    kind: OutKind,
    target: string,
    until: number,
    reason: string,
    key?: { key: string; scope: 'target' | 'provider' },
  ): void {
    const message: OutMessage = {
      kind,
      target,
      until: Math.round(until),
      reason,
      origin: this.instance,
      ...key,
    };
    if (!this.#o.link.connected) return this.#keep(message);
    void this.#write(message);
  }

  async #write(message: OutMessage): Promise<void> {
    const key = `${this.#o.prefix}:out:${outId(message)}`;
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
    const id = outId(message);
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
    if (kind !== 'open' && kind !== 'cooldown' && kind !== 'key') return;
    const fields = await this.#o.link.command.hgetall(key);
    if (kind === 'key') {
      // A key's entry carries its whole message (label and scope are not in the key's name alone).
      let message: OutMessage;
      try {
        message = JSON.parse(fields.msg ?? '') as OutMessage;
      } catch {
        return;
      }
      if (message.kind === 'key' && isOutMessage(message)) this.apply({ ...message, origin: '' });
      return;
    }
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

/** The entry's name under `<prefix>:out:` (and in the pending map): one per target and kind, per key and scope. */
function outId(m: OutMessage): string {
  return m.kind === 'key' ? `key:${m.scope}:${m.key}:${m.target}` : `${m.kind}:${m.target}`;
}

function isOutMessage(m: OutMessage): boolean {
  if (m.kind === 'key' && (typeof m.key !== 'string' || (m.scope !== 'target' && m.scope !== 'provider')))
    return false;
  return (
    (m.kind === 'open' || m.kind === 'cooldown' || m.kind === 'key') &&
    typeof m.target === 'string' &&
    typeof m.until === 'number' &&
    typeof m.reason === 'string'
  );
}
