/**
 * Decodes a Messages API stream (platform.claude.com/docs/en/build-with-claude/streaming):
 * message_start, then per content block content_block_start / content_block_delta… / content_block_stop,
 * then message_delta (stop_reason and cumulative usage) and message_stop; `ping` events anywhere;
 * `error` events (e.g. overloaded_error) possibly after a 200. Unknown event and delta types are ignored,
 * as the docs ask ("new event types may be added").
 */
import type { FinishReason } from '../../core/chat.js';
import { transportFailure } from '../../core/errors.js';
import type { SseEvent } from '../../core/sse.js';
import type { PartSink } from '../../core/stream.js';
import { type AttemptContext, type StreamDecoder, targetId } from '../types.js';
import { classifyStreamError } from './errors.js';
import { JSON_TOOL, finishReason, openAIUsage } from './mapping.js';
import type { ResponseBlock, WireUsage } from './wire.js';

type Block =
  | { kind: 'text' | 'json' | 'other' }
  | { kind: 'thinking'; text: string; signature: string }
  | { kind: 'tool'; index: number; sentArguments: boolean };

interface StreamEventData {
  type?: string;
  index?: number;
  message?: { usage?: WireUsage };
  content_block?: ResponseBlock;
  delta?: {
    type?: string;
    text?: string;
    thinking?: string;
    partial_json?: string;
    signature?: string;
    stop_reason?: string | null;
  };
  usage?: WireUsage;
}

export class AnthropicStreamDecoder implements StreamDecoder {
  private done = false;
  private readonly blocks = new Map<number, Block>();
  private tools = 0;
  private jsonAnswer = false;
  private stopReason: string | null = null;
  private usage: WireUsage = {};

  constructor(private readonly ctx: AttemptContext) {}

  event(event: SseEvent, emit: PartSink): void {
    if (this.done) return;
    let data: StreamEventData;
    try {
      data = JSON.parse(event.data) as StreamEventData;
    } catch {
      this.fail(emit, 'malformed_chunk', 'The upstream stream sent an event that is not valid JSON.');
      return;
    }
    if (typeof data !== 'object' || data === null) {
      this.fail(emit, 'malformed_chunk', 'The upstream stream sent an event that is not a JSON object.');
      return;
    }
    // The data's `type` repeats the SSE event name; either identifies the event.
    switch (data.type ?? event.event) {
      case 'message_start':
        this.mergeUsage(data.message?.usage);
        break;
      case 'content_block_start':
        this.blockStart(data, emit);
        break;
      case 'content_block_delta':
        this.blockDelta(data, emit);
        break;
      case 'content_block_stop':
        this.blockStop(data, emit);
        break;
      case 'message_delta':
        if (data.delta?.stop_reason) this.stopReason = data.delta.stop_reason;
        this.mergeUsage(data.usage);
        break;
      case 'message_stop':
        this.finish(emit);
        break;
      case 'error':
        this.done = true;
        emit({ type: 'error', failure: classifyStreamError(event.data, this.ctx) });
        break;
      default:
        // `ping` and event types added later carry no output.
        break;
    }
  }

  end(emit: PartSink): void {
    if (!this.done) this.fail(emit, 'stream_cut', 'The upstream closed the stream before message_stop.');
  }

  private blockStart(data: StreamEventData, emit: PartSink): void {
    const block = data.content_block;
    const at = data.index ?? this.blocks.size;
    switch (block?.type) {
      case 'text':
        this.blocks.set(at, { kind: 'text' });
        if (block.text) emit({ type: 'text', choice: 0, text: block.text });
        break;
      case 'thinking':
        this.blocks.set(at, {
          kind: 'thinking',
          text: block.thinking ?? '',
          signature: block.signature ?? '',
        });
        if (block.thinking) emit({ type: 'reasoning', choice: 0, text: block.thinking });
        break;
      case 'redacted_thinking':
        this.blocks.set(at, { kind: 'other' });
        if (typeof block.data === 'string') {
          const redacted = {
            type: 'redacted_thinking' as const,
            data: block.data,
            origin: targetId(this.ctx),
          };
          emit({ type: 'thinking-block', choice: 0, block: redacted });
        }
        break;
      case 'tool_use':
        if (block.name === JSON_TOOL) {
          this.jsonAnswer = true;
          this.blocks.set(at, { kind: 'json' });
          break;
        }
        this.blocks.set(at, { kind: 'tool', index: this.tools, sentArguments: false });
        emit({
          type: 'tool-call',
          choice: 0,
          index: this.tools++,
          ...(typeof block.id === 'string' ? { id: block.id } : {}),
          ...(typeof block.name === 'string' ? { name: block.name } : {}),
          arguments: '',
        });
        break;
      default:
        // redacted_thinking, server tool blocks, …: nothing a chat completion can carry.
        this.blocks.set(at, { kind: 'other' });
    }
  }

  private blockDelta(data: StreamEventData, emit: PartSink): void {
    const block = this.blocks.get(data.index ?? -1);
    const delta = data.delta;
    if (!block || !delta) return;
    switch (delta.type) {
      case 'text_delta':
        if (delta.text) emit({ type: 'text', choice: 0, text: delta.text });
        break;
      case 'thinking_delta':
        if (!delta.thinking) break;
        if (block.kind === 'thinking') block.text += delta.thinking;
        emit({ type: 'reasoning', choice: 0, text: delta.thinking });
        break;
      case 'signature_delta':
        if (block.kind === 'thinking' && delta.signature) block.signature += delta.signature;
        break;
      case 'input_json_delta':
        if (!delta.partial_json) break;
        if (block.kind === 'json') emit({ type: 'text', choice: 0, text: delta.partial_json });
        else if (block.kind === 'tool') {
          block.sentArguments = true;
          emit({ type: 'tool-call', choice: 0, index: block.index, arguments: delta.partial_json });
        }
        break;
      default:
        // citations_delta, …
        break;
    }
  }

  /**
   * A tool with no input streams no JSON; its arguments must still parse, so send `{}`. A thinking
   * block is complete with its signature: it goes out whole, for the client to send back.
   */
  private blockStop(data: StreamEventData, emit: PartSink): void {
    const block = this.blocks.get(data.index ?? -1);
    if (block?.kind === 'thinking' && block.signature) {
      const thinking = { type: 'thinking' as const, thinking: block.text, signature: block.signature };
      emit({ type: 'thinking-block', choice: 0, block: { ...thinking, origin: targetId(this.ctx) } });
    }
    if (block?.kind === 'tool' && !block.sentArguments) {
      block.sentArguments = true;
      emit({ type: 'tool-call', choice: 0, index: block.index, arguments: '{}' });
    }
  }

  private finish(emit: PartSink): void {
    this.done = true;
    const reason: FinishReason =
      this.jsonAnswer && this.tools === 0 && this.stopReason === 'tool_use'
        ? 'stop'
        : finishReason(this.stopReason);
    emit({ type: 'finish', choice: 0, reason });
    emit({ type: 'usage', usage: openAIUsage(this.usage) });
  }

  /** message_start carries the input counts; message_delta counts are cumulative and win when present. */
  private mergeUsage(usage: WireUsage | undefined): void {
    if (!usage || typeof usage !== 'object') return;
    for (const key of [
      'input_tokens',
      'output_tokens',
      'cache_creation_input_tokens',
      'cache_read_input_tokens',
    ] as const) {
      const value = usage[key];
      if (typeof value === 'number') this.usage[key] = value;
    }
  }

  private fail(emit: PartSink, reason: string, message: string): void {
    this.done = true;
    emit({ type: 'error', failure: transportFailure(reason, message) });
  }
}
