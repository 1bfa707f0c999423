/** Runtime schemas for behaviours, faults and phases, used by the admin API and the CLI config. */
import { z } from 'zod';
import type { Fault, FaultPhase, ModelBehavior } from './types.js';

const count = z.number().int().min(0);
const ms = z.number().min(0);

export const faultSchema: z.ZodType<Fault> = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('status'),
    status: z.number().int().min(100).max(599),
    code: z.string().optional(),
    message: z.string().optional(),
    retryAfterSeconds: z.number().min(0).optional(),
    retryAfterMs: z.number().min(0).optional(),
    limit: z.enum(['requests', 'tokens']).optional(),
  }),
  z.strictObject({ kind: z.literal('hang') }),
  z.strictObject({ kind: z.literal('reset') }),
  z.strictObject({ kind: z.literal('cut'), afterChunks: count }),
  z.strictObject({
    kind: z.literal('error-event'),
    afterChunks: count,
    message: z.string().optional(),
    errorType: z.string().optional(),
    code: z.string().nullable().optional(),
  }),
  z.strictObject({ kind: z.literal('malformed'), afterChunks: count }),
  z.strictObject({ kind: z.literal('keepalive'), intervalMs: ms, durationMs: ms.optional() }),
  z.strictObject({ kind: z.literal('stall'), afterChunks: count }),
  z.strictObject({
    kind: z.literal('flood'),
    shape: z.enum(['json', 'line', 'data']),
    bytes: count.optional(),
  }),
  z.strictObject({
    kind: z.literal('echo-key'),
    form: z.enum(['json', 'text', 'event']),
    status: z.number().int().min(100).max(599).optional(),
    at: count.optional(),
    afterChunks: count.optional(),
  }),
]);

export const behaviorSchema: z.ZodType<Partial<ModelBehavior>> = z.strictObject({
  latencyMs: ms.optional(),
  ttftMs: ms.optional(),
  tokensPerSecond: ms.optional(),
  replyTokens: count.optional(),
  replyText: z.string().nullable().optional(),
  toolCalls: count.optional(),
  fault: faultSchema.nullable().optional(),
  faultRate: z.number().min(0).max(1).optional(),
  embeddingDimensions: z.number().int().min(1).optional(),
  contextWindow: z.number().int().min(1).nullable().optional(),
});

export const phaseSchema: z.ZodType<FaultPhase> = z.strictObject({
  durationMs: ms.optional(),
  fault: faultSchema.nullable().optional(),
  faultRate: z.number().min(0).max(1).optional(),
  behavior: behaviorSchema.optional(),
});

export const behaviorRequestSchema = z.strictObject({ model: z.string().min(1), behavior: behaviorSchema });
export const keyFaultRequestSchema = z.strictObject({
  key: z.string().min(1),
  fault: faultSchema.nullable(),
});
export const scheduleRequestSchema = z.strictObject({
  model: z.string().min(1),
  phases: z.array(phaseSchema),
});

/** The `--config` file of `switchyard simulate` (YAML or JSON). */
export const configFileSchema = z.strictObject({
  host: z.string().optional(),
  port: z.number().int().min(0).max(65535).optional(),
  apiKey: z.string().optional(),
  apiKeys: z.array(z.string().min(1)).optional(),
  strictModels: z.boolean().optional(),
  seed: z.number().int().optional(),
  defaultBehavior: behaviorSchema.optional(),
  models: z.record(z.string(), behaviorSchema).optional(),
});

export type ConfigFile = z.infer<typeof configFileSchema>;

/** "models.gpt-4o.fault.kind: Invalid input" lines for an invalid input. */
export function describeIssues(error: z.ZodError): string {
  return error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`).join('; ');
}
