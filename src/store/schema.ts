/**
 * The request store's config: the top-level `store` section. Part of the one config schema
 * (src/config/schema.ts imports it). Reference: docs/observability.md#request-store.
 */
import { z } from 'zod';
import { storeCaptureSchema } from './capture-schema.js';

const positiveMs = z.number().int().positive();

/** The request store (docs/observability.md#request-store): one record per request, queryable. */
export const storeSchema = z
  .object({
    enabled: z.boolean().default(true),
    driver: z.enum(['sqlite', 'postgres']).default('sqlite'),
    /** SQLite file; default `requests.db` in $SWITCHYARD_DATA_DIR, else in ./.switchyard. */
    path: z.string().min(1).optional(),
    /** PostgreSQL connection URL (driver: postgres), e.g. from SWITCHYARD_STORE_URL. */
    url: z.string().min(1).optional(),
    /** PostgreSQL schema for the tables (created if missing). */
    schema: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]{0,62}$/, 'a plain SQL identifier (letters, digits, _)')
      .default('public'),
    /** PostgreSQL: how long opening a connection may take before it counts as a failure. */
    connectTimeoutMs: positiveMs.default(5_000),
    /** PostgreSQL: how long one query may wait for its answer (a hung connection is dropped after it). */
    queryTimeoutMs: positiveMs.default(15_000),
    retention: z
      .object({
        maxAgeMs: positiveMs.default(7 * 24 * 3_600_000),
        maxRows: z.number().int().positive().default(1_000_000),
        pruneIntervalMs: positiveMs.default(60_000),
      })
      .strict()
      .prefault({}),
    batch: z
      .object({
        maxSize: z.number().int().positive().max(5_000).default(200),
        flushIntervalMs: positiveMs.default(1_000),
        maxQueued: z.number().int().positive().default(10_000),
      })
      .strict()
      .prefault({}),
    /** Prompt and completion text, opt-in, redacted (docs/observability.md#prompt-and-completion-capture). */
    capture: storeCaptureSchema.prefault({}),
  })
  .strict()
  .refine((s) => s.driver !== 'postgres' || s.url !== undefined, {
    message: 'required with driver: postgres',
    path: ['url'],
  })
  .prefault({});
