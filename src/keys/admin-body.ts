/**
 * The admin API's request bodies (docs/keys.md), validated with the config's own schemas for a key's
 * routing and limits, so that a virtual key takes exactly what a config key takes.
 */
import { z } from 'zod';
import { invalidRequest } from '../core/errors.js';
import { keyRoutingSchema } from '../routing/schema.js';
import { keyLimitsSchema } from './schema.js';

const metadataSchema = z
  .record(z.string().min(1).max(64), z.string().max(512))
  .refine((m) => Object.keys(m).length <= 32, 'at most 32 entries');

const expiresAtSchema = z.union([z.iso.datetime({ offset: true }), z.null()]);

const scopeFields = {
  models: z.array(z.string().min(1)).max(1_000).nullable().optional(),
  routing: keyRoutingSchema.nullable().optional(),
  limits: keyLimitsSchema.nullable().optional(),
  debug: z.boolean().optional(),
  metadata: metadataSchema.optional(),
  expiresAt: expiresAtSchema.optional(),
};

export const createKeyBody = z
  .object({
    name: z.string().regex(/^[A-Za-z0-9_.:@-]{1,64}$/, '1 to 64 letters, digits or _ . : @ -'),
    ...scopeFields,
  })
  .strict();

export const updateKeyBody = z.object(scopeFields).strict();

export const rotateKeyBody = z
  .object({
    /** How long the old secret keeps working; 0 ends it at once. Default one hour. */
    graceSeconds: z
      .number()
      .int()
      .min(0)
      .max(30 * 86_400)
      .default(3_600),
  })
  .strict();

export type CreateKeyBody = z.output<typeof createKeyBody>;
export type UpdateKeyBody = z.output<typeof updateKeyBody>;

/** Parses `body` or throws a 400 naming the first field at fault. */
export function parseBody<T extends z.ZodType>(schema: T, body: unknown): z.output<T> {
  const parsed = schema.safeParse(body ?? {});
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const path = issue.path.map(String).join('.');
  const message =
    issue.code === 'unrecognized_keys'
      ? `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `'${k}'`).join(', ')}`
      : issue.message;
  throw invalidRequest(`Invalid request body${path ? ` at '${path}'` : ''}: ${message}.`, path || null);
}
