/**
 * Prompt and completion capture in the request store: `store.capture`, and a route's `capture` that
 * overrides which of the two it captures. Off by default. Part of the one config schema
 * (src/config/schema.ts imports them). Reference: docs/observability.md#prompt-and-completion-capture.
 */
import { z } from 'zod';

/** A regular expression's source, checked to compile (flags: global, case-insensitive, unicode). */
const pattern = z
  .string()
  .min(1)
  .refine(
    (source) => {
      try {
        new RegExp(source, 'giu');
        return true;
      } catch {
        return false;
      }
    },
    { message: 'not a valid regular expression' },
  );

export const storeCaptureSchema = z
  .object({
    /** Store the request's messages (their text parts, `role: text`); embeddings: the input's text. */
    prompts: z.boolean().default(false),
    /**
     * Store the answer's text (choice 0; streams: the text the client received; cache hits too);
     * embeddings: how many vectors of how many dimensions, never the vectors.
     */
    completions: z.boolean().default(false),
    /** Characters kept of each, after redaction; longer text is cut and ends with `…`. */
    maxChars: z.number().int().positive().max(1_000_000).default(4_000),
    /** Patterns whose matches are replaced by `[redacted]` (case-insensitive), after the secrets. */
    redact: z.array(pattern).default([]),
    /** Also redact e-mail addresses and card-like numbers (13–19 digits, spaces or dashes between). */
    redactCommon: z.boolean().default(true),
  })
  .strict();

/** A route's own choice of what is captured (the rest of `store.capture` still applies). */
export const routeCaptureSchema = z
  .object({
    prompts: z.boolean().optional(),
    completions: z.boolean().optional(),
  })
  .strict();

export type StoreCaptureSettings = z.output<typeof storeCaptureSchema>;
export type RouteCaptureSettings = z.output<typeof routeCaptureSchema>;
