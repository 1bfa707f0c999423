/**
 * Streams that survive a cut (route option `continuation`). When a stream fails after its commit
 * point, the gateway knows exactly what the client has received: this module keeps that transcript,
 * builds the request that asks a target to continue the answer from there (each provider the way it
 * supports best: Anthropic's prefill, Mistral's and DeepSeek's prefix completion, otherwise an
 * instruction with the partial answer), and stitches the continuation into the same client stream:
 * no text repeated, none missing, one finish, one `[DONE]`. See docs/failover.md.
 */
import type { ChatCompletion, ChatMessage, ChatRequest } from '../core/chat.js';
import type { UpstreamFailure } from '../core/errors.js';
import type { StreamPart } from '../core/stream.js';
import type { ContinuationMethod } from '../providers/types.js';
import { chatOperation, type Operation } from './exchanges.js';
import type { ContinuationNote, ResponseMeta, StreamSink, StreamSummary, TraceEntry } from './types.js';

/** The user turn that asks a model without prefix completion to continue its answer. */
export const CONTINUE_INSTRUCTION =
  'Your previous answer was cut off. Continue it exactly where it stops, mid-word or mid-sentence if ' +
  'that is where it stops. Do not repeat any of it, do not add an introduction or a comment.';

/** Why a cut stream cannot be continued: only text can be. */
export type Unresumable = 'tool-call' | 'reasoning' | 'refusal' | 'choices';

/**
 * The sink of a route that continues streams: records what the client received (choice 0's text, and
 * whether the answer is still text), and stitches continuation segments into the one client stream.
 */
export class ContinuableSink implements StreamSink {
  private sent = '';
  /** Text parts the client got: each is at least one token (a lower bound on the output so far). */
  private parts = 0;
  private blocked: Unresumable | undefined;
  /** The last kind of output part the client got (a cut in a reasoning block is not text). */
  private last: Unresumable | 'text' | undefined;
  private finished = false;
  private segment: Segment | undefined;
  readonly notes: ContinuationNote[] = [];
  private summary: StreamSummary | undefined;

  constructor(private readonly sink: StreamSink) {}

  /** The text the client has, choice 0. */
  get text(): string {
    return this.sent;
  }

  /** Output tokens the client has at least (one per text part). */
  get tokensAtLeast(): number {
    return this.parts;
  }

  /** The answer had finished (its finish reason reached the client): only the end was lost. */
  get complete(): boolean {
    return this.finished && !this.blocked;
  }

  /** Why the answer cannot be continued, if it cannot. */
  get unresumable(): Unresumable | undefined {
    if (this.blocked) return this.blocked;
    return this.last === 'text' || this.last === undefined ? undefined : this.last;
  }

  /** A new continuation segment: its parts go through until it is cut in turn. */
  startSegment(): void {
    this.segment = { trimmer: undefined };
  }

  /** The continuing attempt won: its leading text is checked against what the client already has. */
  beginSegment(method: ContinuationMethod): void {
    const partial = this.sent;
    const whitespace = method === 'prefill' ? partial.slice(partial.trimEnd().length) : '';
    this.segment = { trimmer: new OverlapTrimmer([partial, whitespace]) };
  }

  /** Said in the final chunk: where the answer was continued, and every attempt's tokens. */
  summarize(trace: readonly TraceEntry[]): void {
    const usage = totalUsage(trace);
    let costUsd: number | undefined;
    for (const entry of trace) if (entry.costUsd !== undefined) costUsd = (costUsd ?? 0) + entry.costUsd;
    this.summary = {
      continuations: this.notes,
      ...(usage ? { usage } : {}),
      ...(costUsd !== undefined ? { costUsd } : {}),
    };
  }

  open(meta: ResponseMeta): void {
    if (!this.segment) this.sink.open(meta);
  }

  part(part: StreamPart): void {
    const trimmer = this.segment?.trimmer;
    if (trimmer) {
      switch (part.type) {
        case 'text':
          return this.text0(part.choice, trimmer.push(part.text));
        // Reasoning a continuing model does before it goes on is not part of the answer's text; the
        // usage chunk of a continued answer counts every attempt (summarize).
        case 'reasoning':
        case 'thinking-block':
        case 'usage':
          return;
        case 'finish':
          this.text0(part.choice, trimmer.flush());
          if (this.finished) return;
          break;
        default:
          this.text0(0, trimmer.flush());
      }
    }
    this.record(part);
    this.sink.part(part);
  }

  flush(): void {
    this.sink.flush();
  }

  end(summary?: StreamSummary): void {
    const rest = this.segment?.trimmer?.flush();
    if (rest) this.text0(0, rest);
    this.sink.end(this.notes.length ? (this.summary ?? { continuations: this.notes }) : summary);
  }

  fail(failure: UpstreamFailure): void {
    this.sink.fail(failure);
  }

  drained(): Promise<void> | undefined {
    return this.sink.drained();
  }

  private text0(choice: number, text: string): void {
    if (text === '') return;
    const part: StreamPart = { type: 'text', choice, text };
    this.record(part);
    this.sink.part(part);
  }

  private record(part: StreamPart): void {
    switch (part.type) {
      case 'text':
        if (part.choice !== 0) this.blocked = 'choices';
        else if (part.text) {
          this.sent += part.text;
          this.parts++;
          this.last = 'text';
        }
        return;
      case 'reasoning':
      case 'thinking-block':
        this.last = 'reasoning';
        return;
      case 'refusal':
        this.last = 'refusal';
        return;
      case 'tool-call':
        this.blocked = 'tool-call';
        return;
      case 'finish':
        if (part.choice !== 0) this.blocked = 'choices';
        this.finished = true;
        return;
    }
  }
}

interface Segment {
  /** Set once the continuing attempt is known (its method says what may come back repeated). */
  trimmer: OverlapTrimmer | undefined;
}

/**
 * Drops text a continuation repeats at its start: the whole partial answer (a provider that echoes
 * the prefix, a model that restarts after an instruction) or the trailing whitespace a prefill had
 * to leave out. Holds the first text only while it may still be such a repetition; anything else
 * goes through untouched.
 */
export class OverlapTrimmer {
  private buffer = '';
  private done = false;
  private readonly candidates: string[];

  constructor(candidates: string[]) {
    this.candidates = candidates.filter((c) => c !== '').sort((a, b) => b.length - a.length);
    this.done = this.candidates.length === 0;
  }

  push(text: string): string {
    if (this.done) return text;
    this.buffer += text;
    for (const c of this.candidates) {
      if (this.buffer.startsWith(c)) return this.finish(c.length);
    }
    if (this.candidates.some((c) => c.startsWith(this.buffer))) return '';
    return this.finish(0);
  }

  flush(): string {
    return this.done ? '' : this.finish(0);
  }

  private finish(skip: number): string {
    this.done = true;
    const out = this.buffer.slice(skip);
    this.buffer = '';
    return out;
  }
}

/** The request that asks a target to continue `partial`, the way `method` does it. */
export function continuationRequest(
  request: ChatRequest,
  partial: { text: string; tokensAtLeast: number },
  method: Exclude<ContinuationMethod, 'none'>,
): ChatRequest {
  // Reasoning again before the rest of an answer is not wanted (and prefill excludes extended thinking).
  const { reasoning_effort: _effort, n: _n, ...rest } = request;
  // The client's cap is on the whole answer: what it already got counts (at least one token a part).
  for (const key of ['max_tokens', 'max_completion_tokens'] as const) {
    const cap = request[key];
    if (typeof cap === 'number') rest[key] = Math.max(1, cap - partial.tokensAtLeast);
  }
  const messages: ChatMessage[] = [...request.messages];
  const text = partial.text;
  switch (method) {
    case 'prefill': {
      // A prefill may not end with whitespace (Anthropic refuses it): the whitespace is left
      // out here, and dropped again from the start of the continuation (ContinuableSink).
      const trimmed = text.trimEnd();
      if (trimmed) messages.push({ role: 'assistant', content: trimmed });
      break;
    }
    case 'prefix':
      messages.push({ role: 'assistant', content: text, prefix: true } as ChatMessage);
      break;
    case 'instruction':
      messages.push({ role: 'assistant', content: text }, { role: 'user', content: CONTINUE_INSTRUCTION });
      break;
  }
  return { ...rest, messages };
}

/**
 * A chat operation that continues `partial` on each target its own way: targets whose provider
 * cannot continue are skipped; a provider may take continuations at another base URL (DeepSeek's
 * prefix completion is a beta).
 */
export function continuationOperation(
  request: ChatRequest,
  partial: { text: string; tokensAtLeast: number },
): Operation<ChatCompletion> {
  return {
    name: 'chat',
    stream: true,
    unsupported: { reason: 'cannot-continue', detail: 'cannot-continue' },
    exchange(protocol, ctx) {
      const method = ctx.provider.options.continuation ?? 'none';
      if (method === 'none') return undefined;
      const base = ctx.provider.options.continuationBaseUrl;
      const own = base ? { ...ctx, provider: { ...ctx.provider, baseUrl: base } } : ctx;
      return chatOperation(continuationRequest(request, partial, method)).exchange(protocol, own);
    },
  };
}

/** Every attempt's tokens in the trace together; undefined when none was counted. */
export function totalUsage(trace: readonly TraceEntry[]): StreamSummary['usage'] {
  let usage: StreamSummary['usage'];
  for (const entry of trace) {
    if (entry.action !== 'attempt' || !entry.tokens) continue;
    usage ??= { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0, estimated: false };
    usage.prompt_tokens += entry.tokens.prompt;
    usage.completion_tokens += entry.tokens.completion;
    usage.total_tokens += entry.tokens.prompt + entry.tokens.completion;
    usage.estimated ||= entry.tokens.estimated;
  }
  return usage;
}

/**
 * Whether the same target is asked first: after a retryable error, on routes that retry a target
 * (continuing there is a retry of it). Otherwise the route's other targets, in order.
 */
export function sameTargetFirst(failure: UpstreamFailure, maxRetriesPerTarget: number): boolean {
  return failure.class === 'retry' && maxRetriesPerTarget > 0;
}
