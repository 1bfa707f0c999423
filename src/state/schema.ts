/**
 * Shared state's config: the top-level `state` section. Part of the one config schema
 * (src/config/schema.ts imports it). Reference: docs/deployment.md.
 */
import { z } from 'zod';

/**
 * Shared state across gateway instances (docs/deployment.md): `memory` (the default) keeps
 * everything in this process; `redis` shares breaker and cooldown deadlines and offers shared
 * rate-limit counters. `url` may come from SWITCHYARD_REDIS_URL instead.
 */
export const stateSchema = z
  .object({
    driver: z.enum(['memory', 'redis']).default('memory'),
    /** e.g. redis://127.0.0.1:6379/0 */
    url: z.string().min(1).optional(),
    /** Prefix of every key and channel, so that several gateways can share one Redis. */
    prefix: z
      .string()
      .regex(/^[A-Za-z0-9_.:-]{1,64}$/, 'letters, digits, _ . : -')
      .default('switchyard'),
    /** Shared counters while Redis is unreachable: `open` counts locally, `closed` refuses. */
    failMode: z.enum(['open', 'closed']).default('open'),
    /** Each Redis command gives up after this long (then the instance works on local state). */
    commandTimeoutMs: z.number().int().positive().max(60_000).default(500),
    /**
     * Retry budgets, hedge caps and routing latency statistics across instances: each instance writes
     * its own and reads the others' this often (one round trip each); 0 keeps them per instance.
     */
    budgetSyncMs: z.number().int().min(0).max(60_000).default(250),
  })
  .strict()
  .refine((s) => s.driver !== 'redis' || s.url !== undefined, {
    message: 'required with driver: redis (or set SWITCHYARD_REDIS_URL)',
    path: ['url'],
  })
  .prefault({});
