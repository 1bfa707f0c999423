/**
 * GenerateContentResponse answers: `candidates[{content:{role:'model', parts}, finishReason, index}]`,
 * `usageMetadata`, `modelVersion`, `responseId`. Function calls are whole `functionCall` parts
 * (no ids: the Gemini Developer API does not set `FunctionCall.id`). With `alt=sse` each chunk is a
 * `data:` event holding a partial GenerateContentResponse; the last one carries `finishReason` and
 * the full usage, and there is no terminator. It plays the terminator's role for the `afterChunks`
 * faults, so a cut "past the end" ends the stream without a finishReason.
 */
import { randomId } from '../random.js';
import { sseFrame } from '../sse.js';
import { instanceOf, jsonObjectAnswer } from '../instance.js';
import { asksToContinue, continuedPieces, contentText } from '../continuation.js';
import { countWords, estimateJsonTokens, fragments, replyPieces, replyWords } from '../text.js';
import type { ModelBehavior } from '../types.js';
import type { Json } from './gemini-fields.js';
import { rpcError } from './gemini-errors.js';
import { callSignature, checkSignatures, enforcesSignatures } from './gemini-thought.js';
import type { GenerateRequest } from './gemini-request.js';
import type { Answer, Headers, ProtocolContext, StreamFrame } from './types.js';

interface Candidate {
  thoughts: string[];
  pieces: string[];
  calls: Json[];
  finishReason: 'STOP' | 'MAX_TOKENS';
  tokens: number;
}

const THOUGHT = '**Planning the answer** I will answer the request briefly.';

export function promptTokens(request: GenerateRequest): number {
  let tokens = countWords(request.systemText);
  for (const content of request.contents) {
    for (const part of content.parts as Json[]) {
      tokens +=
        typeof part.text === 'string'
          ? countWords(part.text)
          : part.inlineData !== undefined
            ? 258
            : estimateJsonTokens(part);
    }
  }
  return tokens + (request.tools.length > 0 ? estimateJsonTokens(request.tools) : 0);
}

/** Gemini's OpenAPI-subset schemas spell types in capitals (`OBJECT`, `STRING`); JSON Schema does not. */
function jsonSchema(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(jsonSchema);
  if (typeof schema !== 'object' || schema === null) return schema;
  const out: Json = {};
  for (const [key, value] of Object.entries(schema)) {
    out[key] =
      key === 'type' && typeof value === 'string'
        ? value.toLowerCase()
        : key === 'enum'
          ? value
          : jsonSchema(value);
  }
  return out;
}

/** The model's partial answer when the last user turn asks to continue it, else ''. */
function continuing(request: GenerateRequest): string {
  const [before, last] = request.contents.slice(-2);
  const text = (content: Json | undefined): string =>
    contentText((content?.parts as Json[] | undefined) ?? []);
  if (last?.role !== 'user' || before?.role !== 'model' || !asksToContinue(text(last))) return '';
  return text(before);
}

/** The last turn is the user's own words, not function responses. */
function endsWithUserTurn(request: GenerateRequest): boolean {
  const last = request.contents.at(-1);
  return last !== undefined && !(last.parts as Json[]).some((p) => p.functionResponse !== undefined);
}

/** Function calls when functions are offered and forced (mode ANY) or the user spoke last. */
function calls(request: GenerateRequest, behavior: ModelBehavior): Json[] {
  if (request.tools.length === 0 || request.mode === 'NONE') return [];
  if (request.mode !== 'ANY' && !endsWithUserTurn(request)) return [];
  const usable =
    request.allowed.length > 0
      ? request.tools.filter((t) => request.allowed.includes(t.name))
      : request.tools;
  let count = behavior.toolCalls;
  if (count <= 0 && request.mode === 'ANY') count = 1;
  const out: Json[] = [];
  for (let i = 0; i < count && usable.length > 0; i++) {
    const tool = usable[i % usable.length];
    if (tool !== undefined)
      out.push({ name: tool.name, args: instanceOf(jsonSchema(tool.schema ?? { type: 'object' })) });
  }
  return out;
}

/**
 * The answer text, and whether it is JSON: `responseMimeType: application/json` gives JSON for the
 * response schema (or an object without one); `text/x.enum` one of the schema's enum values.
 */
function replyText(request: GenerateRequest, behavior: ModelBehavior, index: number): [string, boolean] {
  const words = replyWords(behavior.replyTokens, index, behavior.replyText).join(' ');
  const schema = request.responseSchema === null ? null : jsonSchema(request.responseSchema);
  if (request.responseMimeType === 'application/json') {
    return [JSON.stringify(schema === null ? jsonObjectAnswer(words) : instanceOf(schema)), true];
  }
  if (request.responseMimeType === 'text/x.enum' && schema !== null) {
    const value = instanceOf(schema);
    return [typeof value === 'string' ? value : words, false];
  }
  return [words, false];
}

function candidate(request: GenerateRequest, behavior: ModelBehavior, index: number): Candidate {
  const thoughts = request.includeThoughts ? replyPieces(THOUGHT) : [];
  const thinkingTokens = request.thinking ? replyPieces(THOUGHT).length : 0;
  const functionCalls = calls(request, behavior);
  if (functionCalls.length > 0) {
    const tokens = functionCalls.reduce((sum, call) => sum + estimateJsonTokens(call), 0);
    return {
      thoughts,
      pieces: [],
      calls: functionCalls,
      finishReason: 'STOP',
      tokens: tokens + thinkingTokens,
    };
  }
  const [reply, json] = replyText(request, behavior, index);
  const rest = json ? null : continuedPieces(reply, continuing(request));
  if (rest) {
    const cap = request.maxOutputTokens ?? rest.length;
    const finishReason = rest.length > cap ? 'MAX_TOKENS' : 'STOP';
    const pieces = rest.slice(0, cap);
    return { thoughts, pieces, calls: [], finishReason, tokens: pieces.length + thinkingTokens };
  }
  let text = reply;
  const stops = request.stopSequences.map((s) => text.indexOf(s)).filter((i) => i >= 0);
  if (stops.length > 0) text = text.slice(0, Math.min(...stops)).trimEnd();
  let pieces = json ? fragments(text) : replyPieces(text);
  let finishReason: Candidate['finishReason'] = 'STOP';
  if (request.maxOutputTokens !== null && pieces.length > request.maxOutputTokens) {
    pieces = pieces.slice(0, request.maxOutputTokens);
    finishReason = 'MAX_TOKENS';
  }
  return { thoughts, pieces, calls: [], finishReason, tokens: pieces.length + thinkingTokens };
}

/** A candidate's parts; `model` when its first function call carries a thought signature. */
function parts(c: Candidate, model: string | null): Json[] {
  const out: Json[] = [];
  if (c.thoughts.length > 0) out.push({ text: c.thoughts.join(''), thought: true });
  if (c.pieces.length > 0) out.push({ text: c.pieces.join('') });
  c.calls.forEach((call, i) =>
    out.push(
      i === 0 && model !== null
        ? { functionCall: call, thoughtSignature: callSignature(model, call) }
        : { functionCall: call },
    ),
  );
  return out;
}

export interface GenerateAnswerInput {
  request: GenerateRequest;
  behavior: ModelBehavior;
  context: ProtocolContext;
  model: string;
  headers: Headers;
  /** `sse` for `alt=sse`, `array` for a streamGenerateContent without it, `json` for generateContent. */
  format: 'json' | 'sse' | 'array';
}

export function generateAnswer({
  request,
  behavior,
  context,
  model,
  headers,
  format,
}: GenerateAnswerInput): Answer {
  const window = behavior.contextWindow;
  if (window !== null && promptTokens(request) > window) {
    // The API's wording: 400 INVALID_ARGUMENT with both numbers.
    const message = `The input token count (${promptTokens(request)}) exceeds the maximum number of tokens allowed (${window}).`;
    return { kind: 'error', response: rpcError(400, message) };
  }
  const signatureError = checkSignatures(model, request.contents);
  if (signatureError) return { kind: 'error', response: signatureError };
  const candidates: Candidate[] = [];
  for (let i = 0; i < request.candidateCount; i++) candidates.push(candidate(request, behavior, i));
  const prompt = promptTokens(request);
  const thoughtsTokens = request.thinking ? replyPieces(THOUGHT).length * candidates.length : 0;
  const output = candidates.reduce((sum, c) => sum + c.tokens, 0) - thoughtsTokens;
  const usage: Json = {
    promptTokenCount: prompt,
    candidatesTokenCount: output,
    totalTokenCount: prompt + output + thoughtsTokens,
    promptTokensDetails: [{ modality: 'TEXT', tokenCount: prompt }],
    ...(thoughtsTokens > 0 ? { thoughtsTokenCount: thoughtsTokens } : {}),
  };
  const signature = request.thinking || enforcesSignatures(model) ? model : null;
  const base = { modelVersion: model, responseId: randomId(context.random, 22) };
  if (format === 'json') {
    const body = {
      candidates: candidates.map((c, index) => ({
        content: { parts: parts(c, signature), role: 'model' },
        finishReason: c.finishReason,
        index,
      })),
      usageMetadata: usage,
      ...base,
    };
    const tokens = Math.max(0, ...candidates.map((c) => c.tokens));
    return { kind: 'json', headers, body: JSON.stringify(body, null, 2), tokens };
  }
  const chunks: Array<{ data: Json; token: boolean; last?: boolean }> = [];
  const partial = { promptTokenCount: prompt, totalTokenCount: prompt };
  const chunk = (index: number, part: Json): Json => ({
    candidates: [{ content: { parts: [part], role: 'model' }, index }],
    usageMetadata: partial,
    ...base,
  });
  candidates.forEach((c, index) => {
    for (const piece of c.thoughts)
      chunks.push({ data: chunk(index, { text: piece, thought: true }), token: true });
    for (const piece of c.pieces) chunks.push({ data: chunk(index, { text: piece }), token: true });
    for (const part of parts({ ...c, thoughts: [], pieces: [] }, signature))
      chunks.push({ data: chunk(index, part), token: true });
  });
  const final = {
    candidates: candidates.map((c, index) => ({
      content: { parts: [{ text: '' }], role: 'model' },
      finishReason: c.finishReason,
      index,
    })),
    usageMetadata: usage,
    ...base,
  };
  chunks.push({ data: final, token: false, last: true });
  if (format === 'array') {
    const body = JSON.stringify(chunks.map((c) => c.data));
    return { kind: 'json', headers, body, tokens: chunks.length };
  }
  const frames: StreamFrame[] = chunks.map((c) => ({
    text: sseFrame({ data: JSON.stringify(c.data) }),
    token: c.token,
    ...(c.last === true ? { terminal: true } : {}),
  }));
  return { kind: 'stream', headers, frames };
}
