import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { ApiError, unauthorized } from '../core/errors.js';
import type { GatewayKey } from '../config/types.js';
import type { KeyRegistry } from '../keys/registry.js';

const digest = (s: string): Buffer => createHash('sha256').update(s).digest();

/** The key a request presents: `Authorization: Bearer KEY` or `api-key: KEY` (Azure's header). */
export function presentedKey(headers: IncomingHttpHeaders): string | undefined {
  const header = headers.authorization;
  const match = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
  return match?.[1] ?? (typeof headers['api-key'] === 'string' ? headers['api-key'] : undefined);
}

/**
 * Checks gateway keys: config keys in constant time (per key), then virtual keys (docs/keys.md) by
 * the hash of the secret in the registry's map. With neither configured, any caller is accepted.
 */
export class KeyAuthenticator {
  private readonly keys: { key: GatewayKey; digest: Buffer }[];

  constructor(
    keys: GatewayKey[],
    private readonly virtual?: KeyRegistry,
  ) {
    this.keys = keys.map((key) => ({ key, digest: digest(key.key) }));
  }

  get open(): boolean {
    return this.keys.length === 0 && !this.virtual;
  }

  /** The caller's key, undefined in open mode; throws a 401 ApiError otherwise. */
  authenticate(headers: IncomingHttpHeaders): GatewayKey | undefined {
    if (this.open) return undefined;
    const presented = presentedKey(headers);
    if (!presented) {
      throw unauthorized(
        "You didn't provide an API key. Send your Switchyard key as 'Authorization: Bearer KEY'.",
      );
    }
    const d = digest(presented);
    for (const entry of this.keys) if (timingSafeEqual(d, entry.digest)) return entry.key;
    const found = this.virtual?.lookupHash(d.toString('hex'));
    if (found?.found) return found.key;
    if (found?.reason === 'expired') {
      throw new ApiError({
        status: 401,
        type: 'invalid_request_error',
        code: 'key_expired',
        message: 'The API key provided has expired. Ask for a new Switchyard key.',
      });
    }
    throw unauthorized('Incorrect API key provided. Check the Switchyard key your application sends.');
  }
}

/** Admin keys (docs/keys.md): constant time per key; a missing or wrong key is a 401. */
export function authenticateAdmin(headers: IncomingHttpHeaders, adminKeys: readonly string[]): void {
  const presented = presentedKey(headers);
  if (!presented) {
    throw unauthorized("The admin API takes an admin key: send it as 'Authorization: Bearer KEY'.");
  }
  const d = digest(presented);
  if (!adminKeys.some((k) => timingSafeEqual(d, digest(k)))) {
    throw unauthorized('Incorrect admin key provided.');
  }
}
