import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { unauthorized } from '../core/errors.js';
import type { GatewayKey } from '../config/types.js';

const digest = (s: string): Buffer => createHash('sha256').update(s).digest();

/** Checks gateway keys in constant time (per key). With no keys configured, any caller is accepted. */
export class KeyAuthenticator {
  private readonly keys: { key: GatewayKey; digest: Buffer }[];

  constructor(keys: GatewayKey[]) {
    this.keys = keys.map((key) => ({ key, digest: digest(key.key) }));
  }

  get open(): boolean {
    return this.keys.length === 0;
  }

  /** The caller's key, undefined in open mode; throws a 401 ApiError otherwise. */
  authenticate(headers: IncomingHttpHeaders): GatewayKey | undefined {
    if (this.open) return undefined;
    const header = headers.authorization;
    const match = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
    const presented = match?.[1] ?? (typeof headers['api-key'] === 'string' ? headers['api-key'] : undefined);
    if (!presented) {
      throw unauthorized(
        "You didn't provide an API key. Send your Switchyard key as 'Authorization: Bearer KEY'.",
      );
    }
    const d = digest(presented);
    for (const entry of this.keys) if (timingSafeEqual(d, entry.digest)) return entry.key;
    throw unauthorized('Incorrect API key provided. Check the Switchyard key your application sends.');
  }
}
