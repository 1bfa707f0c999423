/**
 * Decodes `streamGenerateContent?alt=sse`: every `data:` event is a whole GenerateContentResponse chunk
 * (ai.google.dev/api/generate-content#method:-models.streamgeneratecontent). Text parts are deltas; a
 * functionCall part arrives whole, so it becomes one complete tool-call part (id, name and all the
 * arguments in one fragment); the chunk that ends a candidate carries its finishReason; usageMetadata is
 * cumulative, so the last one seen is the total and is emitted once, when the stream ends.
 *
 * End of stream: Gemini sends no terminator like OpenAI's `[DONE]`; the server simply closes the stream
 * after the chunk carrying the finishReason. So a stream is complete when every candidate it mentioned
 * has finished (or the prompt was blocked). A stream that closes before that, including one that sent
 * nothing, was cut: an error part `stream_cut`, never a clean end.
 */
import { transportFailure } from '../../core/errors.js';
import type { SseEvent } from '../../core/sse.js';
import type { PartSink } from '../../core/stream.js';
import type { AttemptContext, StreamDecoder } from '../types.js';
import { classifyStreamError } from './errors.js';
import {
  MALFORMED_CALL_REASONS,
  finishReason,
  malformedCallFailure,
  openAIUsage,
  signatureExtra,
  toolCallId,
} from './mapping.js';
import type { Candidate, GenerateContentResponse, UsageMetadata } from './wire.js';

interface ChoiceState {
  calls: number;
  finished: boolean;
}

export class GeminiStreamDecoder implements StreamDecoder {
  private readonly choices = new Map<number, ChoiceState>();
  private usage: UsageMetadata | undefined;
  private responseId: string | undefined;
  private blocked = false;
  private failed = false;

  constructor(private readonly ctx: AttemptContext) {}

  event(event: SseEvent, emit: PartSink): void {
    if (this.failed) return;
    let chunk: GenerateContentResponse;
    try {
      chunk = JSON.parse(event.data) as GenerateContentResponse;
    } catch {
      this.fail(emit, 'malformed_chunk', 'The upstream stream sent a chunk that is not valid JSON.');
      return;
    }
    if (typeof chunk !== 'object' || chunk === null || Array.isArray(chunk)) {
      this.fail(emit, 'malformed_chunk', 'The upstream stream sent a chunk that is not a JSON object.');
      return;
    }
    if (chunk.error !== undefined) {
      this.failed = true;
      emit({ type: 'error', failure: classifyStreamError(event.data, this.ctx) });
      return;
    }
    if (typeof chunk.responseId === 'string') this.responseId = chunk.responseId;
    if (chunk.usageMetadata) this.usage = chunk.usageMetadata;
    const candidates = Array.isArray(chunk.candidates) ? chunk.candidates : [];
    candidates.forEach((candidate, i) => this.candidate(candidate, i, emit));
    if (!candidates.length && chunk.promptFeedback?.blockReason && !this.blocked) {
      // The prompt was blocked: no candidates will come (reference §3 row 29).
      this.blocked = true;
      emit({ type: 'finish', choice: 0, reason: 'content_filter' });
    }
  }

  end(emit: PartSink): void {
    if (this.failed) return;
    const states = [...this.choices.values()];
    const complete = this.blocked || (states.length > 0 && states.every((s) => s.finished));
    if (!complete) {
      this.fail(emit, 'stream_cut', 'The upstream closed the stream before every candidate finished.');
      return;
    }
    if (this.usage) emit({ type: 'usage', usage: openAIUsage(this.usage) });
  }

  private candidate(candidate: Candidate, position: number, emit: PartSink): void {
    if (this.failed) return;
    const index = typeof candidate.index === 'number' ? candidate.index : position;
    let state = this.choices.get(index);
    if (state === undefined) {
      state = { calls: 0, finished: false };
      this.choices.set(index, state);
    }
    for (const part of candidate.content?.parts ?? []) {
      if (typeof part.text === 'string') {
        if (part.text !== '')
          emit({ type: part.thought === true ? 'reasoning' : 'text', choice: index, text: part.text });
      } else if (part.functionCall) {
        const call = part.functionCall;
        const extra = signatureExtra(part.thoughtSignature, this.ctx);
        emit({
          type: 'tool-call',
          choice: index,
          index: state.calls,
          id: toolCallId(call.id, this.responseId, index, state.calls),
          name: call.name ?? '',
          arguments: JSON.stringify(call.args ?? {}),
          ...(extra ? { extra } : {}),
        });
        state.calls++;
      }
    }
    const reason = candidate.finishReason;
    // "If empty, the model has not stopped generating the tokens" (FinishReason reference).
    if (typeof reason !== 'string' || reason === 'FINISH_REASON_UNSPECIFIED' || state.finished) return;
    if (MALFORMED_CALL_REASONS.has(reason)) {
      this.failed = true;
      emit({ type: 'error', failure: malformedCallFailure(reason) });
      return;
    }
    state.finished = true;
    emit({ type: 'finish', choice: index, reason: finishReason(reason, state.calls > 0) });
  }

  private fail(emit: PartSink, reason: string, message: string): void {
    this.failed = true;
    emit({ type: 'error', failure: transportFailure(reason, message) });
  }
}
