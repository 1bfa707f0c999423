/**
 * Prompt and completion capture on the request path (store.capture, docs/observability.md): off, it
 * costs one property read per request and copies no text. On, the request's text and the answer's are
 * copied, bounded, into `request.ended`; the recorder redacts them off the request path (src/store/
 * redact.ts). A little more than `maxChars` is copied (CAPTURE_MARGIN) so that redaction sees a secret
 * or an address whole before the text is cut to `maxChars`.
 */
import type { ChatCompletion, ChatMessage, MessageContent } from '../core/chat.js';
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
