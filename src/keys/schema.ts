/**
 * The config of keys and limits (docs/keys.md): a key's `limits`, and the top-level `admin`,
 * `keyStore` and `limits` sections. Kept apart so the main schema only names them.
 */
import { z } from 'zod';
import type { ConfigFile } from '../config/schema.js';
import type { KeysSettings } from './types.js';

export const keyLimitsSchema = z
  .object({
    /** Requests per minute. */
    rpm: z.number().int().positive().optional(),
    /** Tokens (prompt + completion) per minute. */
    tpm: z.number().int().positive().optional(),
  })
  .strict();

export const keysAdminFields = {
  /** The admin API (/v1/switchyard/keys): off (404) unless an admin key is configured. */
  admin: z
    .object({ keys: z.array(z.string().min(16, 'admin keys must be at least 16 characters')).default([]) })
    .strict()
    .prefault({}),
  /** Virtual keys' store: the request store's backend (`store.driver`, path or url, schema). */
  keyStore: z
    .object({
      /** Each instance reloads the keys this often: the bound on honouring a revocation made elsewhere. */
      refreshMs: z.number().int().min(100).max(60_000).default(2_000),
    })
    .strict()
    .prefault({}),
  /** Per-key limits and budgets. */
  limits: z
    .object({
      /** When the counters fail (a shared backend unreachable): `open` serves, `closed` answers 503. */
      failMode: z.enum(['open', 'closed']).default('open'),
      /** Output tokens reserved for a request without max_tokens, under a tpm limit. */
      defaultMaxTokens: z.number().int().positive().default(1_024),
    })
    .strict()
    .prefault({}),
};

/** The resolved settings; SWITCHYARD_ADMIN_KEY adds an admin key. */
export function resolveKeysAdmin(
  file: Pick<ConfigFile, 'admin' | 'keyStore' | 'limits' | 'keys'>,
  env: Record<string, string | undefined>,
  problems: string[],
): KeysSettings {
  const adminKeys = [...file.admin.keys];
  const fromEnv = env.SWITCHYARD_ADMIN_KEY;
  if (fromEnv) {
    if (fromEnv.length < 16) problems.push('SWITCHYARD_ADMIN_KEY: admin keys must be at least 16 characters');
    else adminKeys.push(fromEnv);
  }
  if (file.keys.some((k) => adminKeys.includes(k.key))) {
    problems.push('admin.keys: an admin key must not also be a gateway key');
  }
  return {
    adminKeys,
    refreshMs: file.keyStore.refreshMs,
    failMode: file.limits.failMode,
    defaultMaxTokens: file.limits.defaultMaxTokens,
  };
}
