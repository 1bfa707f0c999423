/**
 * The one SSE encoder: canonical stream parts → OpenAI `chat.completion.chunk` events.
 * The role is folded into each choice's first chunk, so the first token goes out in one write.
 */
import type { ThinkingBlock, ToolCallExtra, Usage } from '../core/chat.js';
import type { OpenAIErrorBody, UpstreamFailure } from '../core/errors.js';
import { SecretScrubber } from '../core/secret-scrubber.js';
import type { StreamPart } from '../core/stream.js';
import type { StreamSummary } from '../engine/types.js';

interface Delta {
  role?: 'assistant';
  content?: string;
  reasoning_content?: string;
  thinking_blocks?: ThinkingBlock[];
  refusal?: string;
  tool_calls?: {
    index: number;
    id?: string;
    type?: 'function';
    function: { name?: string; arguments: string };
    extra_content?: ToolCallExtra;
  }[];
}

export class ChatChunkEncoder {
  private readonly rolesSent = new Set<number>();
  private usage: Usage | undefined;
  /**
   * What every chunk of one choice starts with, serialised once per stream: `data: {"id":…,"object":
   * "chat.completion.chunk","created":…,"model":…,"choices":[`. A chunk is then this, its choice
   * (JSON.stringify) and `]}`: the same text as serialising the whole chunk, with the strings that
   * never change not escaped again for every token.
   */
  private readonly choiceChunkHead: string;

  constructor(
    private readonly id: string,
    private readonly model: string,
    private readonly created: number,
    private readonly includeUsage: boolean,
    /** Error events carry upstream text: every field goes through it. */
    private readonly scrubber: SecretScrubber = SecretScrubber.none,
  ) {
    const head = JSON.stringify({ id, object: 'chat.completion.chunk', created, model, choices: [] });
    this.choiceChunkHead = `data: ${head.slice(0, -2)}`;
  }

  /** The SSE text for one part; '' for parts held until the end (usage). */
  part(part: StreamPart): string {
    switch (part.type) {
      case 'text':
        // Most chunks of a stream: the same text as `delta` would make, without serialising the keys.
        if (this.rolesSent.has(part.choice) && Number.isSafeInteger(part.choice)) {
          return `${this.choiceChunkHead}{"index":${part.choice},"delta":{"content":${JSON.stringify(part.text)}},"logprobs":null,"finish_reason":null}]}\n\n`;
        }
        return this.delta(part.choice, { content: part.text });
      case 'reasoning':
        return this.delta(part.choice, { reasoning_content: part.text });
      case 'thinking-block':
        return this.delta(part.choice, { thinking_blocks: [part.block] });
      case 'refusal':
        return this.delta(part.choice, { refusal: part.text });
      case 'tool-call': {
        const call: NonNullable<Delta['tool_calls']>[number] = {
          index: part.index,
          function: { arguments: part.arguments },
        };
        if (part.id) {
          call.id = part.id;
          call.type = 'function';
        }
        if (part.name) call.function.name = part.name;
        if (part.extra) call.extra_content = part.extra;
        return this.delta(part.choice, { tool_calls: [call] });
      }
      case 'finish':
        return this.event({
          index: part.choice,
          delta: this.withRole(part.choice, {}),
          logprobs: null,
          finish_reason: part.reason,
        });
      case 'usage':
        this.usage = part.usage;
        return '';
      case 'error':
        return this.error(part.failure);
    }
  }

  /**
   * The end of a successful stream: the usage chunk if asked for, then `[DONE]`. An answer continued
   * after a cut says so in its last chunk (`switchyard.continued`), and its usage counts every attempt.
   */
  end(summary?: StreamSummary): string {
    let out = '';
    if (summary?.continuations.length) {
      const { usage: total } = summary;
      const usage = total
        ? {
            prompt_tokens: total.prompt_tokens,
            completion_tokens: total.completion_tokens,
            total_tokens: total.total_tokens,
          }
        : this.usage;
      const continued = summary.continuations.map((c) => ({
        after_chars: c.afterChars,
        from: c.from,
        to: c.to,
        method: c.method,
        reason: c.reason,
      }));
      const note = {
        continued,
        ...(total ? { usage_estimated: total.estimated } : {}),
        ...(summary.costUsd !== undefined ? { cost_usd: summary.costUsd } : {}),
      };
      out += this.chunk([], this.includeUsage ? usage : undefined, { switchyard: note });
    } else if (this.includeUsage && this.usage) out += this.chunk([], this.usage);
    return out + 'data: [DONE]\n\n';
  }

  /** An OpenAI-style error event; the stream then ends without `[DONE]`, so clients see it is incomplete. */
  error(failure: Pick<UpstreamFailure, 'message' | 'type' | 'code' | 'param'>): string {
    const { message, type, param, code } = failure;
    const body: OpenAIErrorBody = { error: this.scrubber.scrubError({ message, type, param, code }) };
    return `data: ${JSON.stringify(body)}\n\n`;
  }

  private delta(choice: number, delta: Delta): string {
    return this.event({
      index: choice,
      delta: this.withRole(choice, delta),
      logprobs: null,
      finish_reason: null,
    });
  }

  private withRole(choice: number, delta: Delta): Delta {
    if (this.rolesSent.has(choice)) return delta;
    this.rolesSent.add(choice);
    return { role: 'assistant', ...delta };
  }

  private event(choice: unknown): string {
    return `${this.choiceChunkHead}${JSON.stringify(choice)}]}\n\n`;
  }

  private chunk(choices: unknown[], usage?: Usage, extra?: Record<string, unknown>): string {
    const chunk: Record<string, unknown> = {
      id: this.id,
      object: 'chat.completion.chunk',
      created: this.created,
      model: this.model,
      choices,
      ...extra,
    };
    if (usage) chunk.usage = usage;
    return `data: ${JSON.stringify(chunk)}\n\n`;
  }
}
