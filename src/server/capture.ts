/**
 * Prompt and completion capture on the request path (store.capture, docs/observability.md): off, it
 * costs one property read per request and copies no text. On, the request's text and the answer's are
 * copied, bounded, into `request.ended`; the recorder redacts them off the request path (src/store/
 * redact.ts). A little more than `maxChars` is copied (CAPTURE_MARGIN) so that redaction sees a secret
 * or an address whole before the text is cut to `maxChars`. Chat requests (live or answered from the
 * response cache) keep their messages and answer; embeddings requests their input and a summary of the
 * answer (how many vectors, of how many dimensions: never the vectors).
 */
import type { ChatCompletion, ChatMessage, MessageContent } from '../core/chat.js';
import type { EmbeddingsRequest, EmbeddingsResponse } from '../core/embeddings.js';
import type { UpstreamFailure } from '../core/errors.js';
import type { StreamPart } from '../core/stream.js';
import type { Route, StoreSettings } from '../config/types.js';
import type { ResponseMeta, StreamSink, StreamSummary } from '../engine/types.js';

/** Characters copied beyond `maxChars`: redaction runs on them before the cut. */
export const CAPTURE_MARGIN = 256;
/** Ends a text cut at its bound (the secret scrubber treats a secret's prefix before it as cut). */
export const CUT = '…';

/** What a route's requests capture; undefined when nothing is. */
export interface CapturePlan {
  prompts: boolean;
  completions: boolean;
  /** Characters copied at most (maxChars + CAPTURE_MARGIN). */
  limit: number;
}

export function capturePlan(store: StoreSettings, route: Route): CapturePlan | undefined {
  if (!store.enabled) return undefined;
  const { capture } = store;
  const prompts = route.capture?.prompts ?? capture.prompts;
  const completions = route.capture?.completions ?? capture.completions;
  if (!prompts && !completions) return undefined;
  return { prompts, completions, limit: capture.maxChars + CAPTURE_MARGIN };
}

const bounded = (text: string, limit: number): string =>
  text.length > limit ? text.slice(0, limit) + CUT : text;

function textOf(content: MessageContent | null | undefined): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  let text = '';
  for (const part of content) {
    if (part.type === 'text' && typeof part.text === 'string') text += (text ? '\n' : '') + part.text;
  }
  return text;
}

/** The messages' text parts, `role: text`, one message after another, at most `limit` characters. */
export function promptText(messages: readonly ChatMessage[], limit: number): string {
  let out = '';
  for (const m of messages) {
    out += `${out ? '\n\n' : ''}${m.role}: ${textOf(m.content)}`;
    if (out.length > limit) break;
  }
  return bounded(out, limit);
}

/** Choice 0's text (or its refusal), at most `limit` characters; undefined when it has none. */
export function completionText(completion: ChatCompletion, limit: number): string | undefined {
  const message = completion.choices.find((c) => c.index === 0)?.message ?? completion.choices[0]?.message;
  const text = message?.content ?? message?.refusal;
  return typeof text === 'string' ? bounded(text, limit) : undefined;
}

/** The text captured of a request so far (said in `request.ended`, bounded, not yet redacted). */
export interface CapturedText {
  prompt?: string;
  completion?: string;
}

/** Keeps the answer's text, when there is one. */
export function captureCompletion(call: { captured?: CapturedText }, text: string | undefined): void {
  if (text !== undefined) (call.captured ??= {}).completion = text;
}

/**
 * An embeddings request's input: a text as `input: text`, several as `input[0]: text` one after another
 * (separated by a blank line), at most `limit` characters. Token arrays are not text: their length.
 */
export function embeddingsInputText(input: EmbeddingsRequest['input'], limit: number): string {
  const one = (v: string | number | number[]): string =>
    typeof v === 'string' ? v : `${Array.isArray(v) ? v.length : 1} token ids`;
  if (typeof input === 'string') return bounded(`input: ${input}`, limit);
  // One token array is one input; an array of strings or of token arrays is several.
  if (input.length && typeof input[0] === 'number') return bounded(`input: ${input.length} token ids`, limit);
  let out = '';
  for (let i = 0; i < input.length; i++) {
    out += `${out ? '\n\n' : ''}input[${i}]: ${one(input[i]!)}`;
    if (out.length > limit) break;
  }
  return bounded(out, limit);
}

/** Floats in one embedding: the array's length, or a base64 string's bytes (little-endian float32) / 4. */
function dimensionsOf(embedding: number[] | string): number {
  if (Array.isArray(embedding)) return embedding.length;
  const padding = embedding.endsWith('==') ? 2 : embedding.endsWith('=') ? 1 : 0;
  return Math.floor(((embedding.length * 3) / 4 - padding) / 4);
}

/**
 * What an embeddings answer was, never its vectors: `2 embeddings × 1536 dimensions (float)` (or
 * `(base64)`, as sent; a range, `8–16 dimensions`, should they differ).
 */
export function embeddingsSummary(response: EmbeddingsResponse): string {
  const count = response.data.length;
  if (!count) return '0 embeddings';
  let min = Infinity;
  let max = 0;
  for (const item of response.data) {
    const n = dimensionsOf(item.embedding);
    min = Math.min(min, n);
    max = Math.max(max, n);
  }
  const dims = min === max ? `${max}` : `${min}–${max}`;
  const format = typeof response.data[0]!.embedding === 'string' ? 'base64' : 'float';
  return `${count} embedding${count === 1 ? '' : 's'} × ${dims} dimensions (${format})`;
}

/** A stream's sink that also keeps the choice-0 text the client is sent, at most `limit` characters. */
export class CaptureSink implements StreamSink {
  private text = '';
  private cut = false;

  constructor(
    private readonly inner: StreamSink,
    private readonly limit: number,
  ) {}

  /** The text relayed so far (ends with `…` when cut at the bound). */
  get captured(): string {
    return this.cut ? this.text + CUT : this.text;
  }

  open(meta: ResponseMeta): void {
    this.inner.open(meta);
  }

  part(part: StreamPart): void {
    if (part.type === 'text' && part.choice === 0 && !this.cut) {
      const room = this.limit - this.text.length;
      if (part.text.length <= room) this.text += part.text;
      else {
        this.text += part.text.slice(0, room);
        this.cut = true;
      }
    }
    this.inner.part(part);
  }

  flush(): void {
    this.inner.flush();
  }

  end(summary?: StreamSummary): void {
    this.inner.end(summary);
  }

  fail(failure: UpstreamFailure): void {
    this.inner.fail(failure);
  }

  drained(): Promise<void> | undefined {
    return this.inner.drained();
  }
}
