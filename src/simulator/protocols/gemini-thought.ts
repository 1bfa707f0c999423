/**
 * Thought signatures on function calls (ai.google.dev/gemini-api/docs/thought-signatures): thinking
 * models return a `thoughtSignature` on the first functionCall part of a step; Gemini 3 models reject a
 * request whose current turn has a model step without one ("Function call is missing a
 * thought_signature in functionCall parts…", a 400 quoted in public issue threads), and accept the
 * documented `skip_thought_signature_validator` instead. The simulator signs with an HMAC of the model
 * and the call under a per-process secret and rejects a signature it did not issue (the API checks
 * signatures too; the wording of that error is ours).
 */
import { createHmac, randomBytes } from 'node:crypto';
import type { Json } from './gemini-fields.js';
import { rpcError } from './gemini-errors.js';
import type { PlainResponse } from './types.js';

const SECRET = randomBytes(32);
const SKIP_VALIDATOR = 'skip_thought_signature_validator';

export function callSignature(model: string, call: Json): string {
  const text = `${model}\n${String(call.name)}\n${JSON.stringify(call.args ?? {})}`;
  return `Cs${createHmac('sha256', SECRET).update(text).digest('base64')}`;
}

/** Gemini 3 models enforce signatures on function calls; 2.5 models only return them. */
export function enforcesSignatures(model: string): boolean {
  return /^gemini-3/.test(model);
}

const parts = (content: Json): Json[] => (Array.isArray(content.parts) ? (content.parts as Json[]) : []);

/** A 400 for a signature problem in the request's contents, or undefined when they are fine. */
export function checkSignatures(model: string, contents: readonly Json[]): PlainResponse | undefined {
  for (const [i, content] of contents.entries()) {
    for (const part of parts(content)) {
      const signature = part.thoughtSignature;
      if (typeof signature !== 'string' || signature === SKIP_VALIDATOR || !part.functionCall) continue;
      if (signature !== callSignature(model, part.functionCall as Json))
        return rpcError(
          400,
          `Thought signature is not valid for contents[${i}] (function call \`${String((part.functionCall as Json).name)}\`).`,
        );
    }
  }
  if (!enforcesSignatures(model)) return undefined;
  // The current turn: everything after the last user content that is not only function responses.
  const start = contents.findLastIndex(
    (c) => c.role === 'user' && parts(c).some((p) => p.functionResponse === undefined),
  );
  for (let i = start + 1; i < contents.length; i++) {
    const content = contents[i]!;
    if (content.role !== 'model') continue;
    const first = parts(content).find((p) => p.functionCall !== undefined);
    if (!first || typeof first.thoughtSignature === 'string') continue;
    const name = String((first.functionCall as Json).name);
    return rpcError(
      400,
      'Function call is missing a thought_signature in functionCall parts. This is required for tools to work ' +
        'correctly, and missing thought_signature may lead to degraded model performance. Additional data, ' +
        `function call \`default_api:${name}\` , position ${i + 1}. Please refer to ` +
        'https://ai.google.dev/gemini-api/docs/thought-signatures for more details.',
    );
  }
  return undefined;
}
