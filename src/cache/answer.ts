/**
 * A cached answer is the final chat completion, whichever form it came in: a JSON answer as it was
 * sent, a stream assembled from its parts. Both forms are rendered from it: as JSON, or as stream parts
 * for the one SSE encoder (so a replay is written exactly as a live stream is).
 */
import type {
  ChatChoice,
  ChatCompletion,
  FinishReason,
  ThinkingBlock,
  ToolCall,
  Usage,
} from '../core/chat.js';
import type { StreamPart } from '../core/stream.js';

export interface CachedAnswer {
  completion: ChatCompletion;
  /** The target that originally answered (`provider/model`). */
  target: string;
}

/** Finish reasons of a complete answer: `length` is cut short, `content_filter` is not the model's answer. */
const COMPLETE: ReadonlySet<FinishReason> = new Set(['stop', 'tool_calls']);

/** Whether an answer may be stored: every choice finished as a complete answer does. */
export function isCompleteAnswer(completion: ChatCompletion): boolean {
  return (
    completion.choices.length > 0 &&
    completion.choices.every((c) => c.finish_reason !== null && COMPLETE.has(c.finish_reason))
  );
}

interface ChoiceDraft {
  content: string;
  reasoning: string;
  refusal: string;
  thinking: ThinkingBlock[];
  calls: ToolCall[];
  finish: FinishReason | null;
}

/**
 * Builds the completion a stream amounts to, part by part, and counts the bytes it holds: past
 * `maxBytes` it gives up (the answer is too large to store) and holds nothing more.
 */
export class AnswerRecorder {
  private readonly choices = new Map<number, ChoiceDraft>();
  private usage: Usage | undefined;
  private bytes = 0;
  private abandoned = false;

  constructor(private readonly maxBytes: number) {}

  add(part: StreamPart): void {
    if (this.abandoned) return;
    if (part.type === 'usage') {
      this.usage = part.usage;
      return;
    }
    if (part.type === 'error') return this.abandon();
    const c = this.choice(part.choice);
    switch (part.type) {
      case 'text':
        c.content += part.text;
        return this.count(part.text.length);
      case 'reasoning':
        c.reasoning += part.text;
        return this.count(part.text.length);
      case 'refusal':
        c.refusal += part.text;
        return this.count(part.text.length);
      case 'thinking-block':
        c.thinking.push(part.block);
        return this.count(JSON.stringify(part.block).length);
      case 'tool-call': {
        let call = c.calls[part.index];
        if (!call) {
          call = { id: part.id ?? '', type: 'function', function: { name: part.name ?? '', arguments: '' } };
          c.calls[part.index] = call;
        }
        if (part.id) call.id = part.id;
        if (part.name) call.function.name = part.name;
        if (part.extra) call.extra_content = part.extra;
        call.function.arguments += part.arguments;
        return this.count(part.arguments.length + (part.name?.length ?? 0) + 64);
      }
      case 'finish':
        c.finish = part.reason;
    }
  }

  /** Gives up: nothing is stored. */
  abandon(): void {
    this.abandoned = true;
    this.choices.clear();
  }

  /** The completion the stream amounts to, or undefined when it was given up. */
  completion(model: string): ChatCompletion | undefined {
    if (this.abandoned) return undefined;
    const choices: ChatChoice[] = [...this.choices.entries()]
      .sort(([a], [b]) => a - b)
      .map(([index, c]) => ({
        index,
        message: {
          role: 'assistant',
          content: c.content.length > 0 || c.calls.length === 0 ? c.content : null,
          ...(c.refusal ? { refusal: c.refusal } : {}),
          ...(c.calls.length ? { tool_calls: c.calls.filter(Boolean) } : {}),
          ...(c.reasoning ? { reasoning_content: c.reasoning } : {}),
          ...(c.thinking.length ? { thinking_blocks: c.thinking } : {}),
        },
        finish_reason: c.finish,
      }));
    return {
      id: '',
      object: 'chat.completion',
      created: 0,
      model,
      choices,
      ...(this.usage ? { usage: this.usage } : {}),
    };
  }

  private choice(index: number): ChoiceDraft {
    let c = this.choices.get(index);
    if (!c) {
      c = { content: '', reasoning: '', refusal: '', thinking: [], calls: [], finish: null };
      this.choices.set(index, c);
    }
    return c;
  }

  private count(n: number): void {
    this.bytes += n;
    if (this.bytes > this.maxBytes) this.abandon();
  }
}

/** The stream parts that replay a completion: per choice its reasoning, text, refusal, tool calls, finish; then usage. */
export function answerParts(completion: ChatCompletion): StreamPart[] {
  const parts: StreamPart[] = [];
  for (const { index: choice, message, finish_reason } of completion.choices) {
    if (message.reasoning_content) parts.push({ type: 'reasoning', choice, text: message.reasoning_content });
    for (const block of message.thinking_blocks ?? []) parts.push({ type: 'thinking-block', choice, block });
    if (message.content) parts.push({ type: 'text', choice, text: message.content });
    if (message.refusal) parts.push({ type: 'refusal', choice, text: message.refusal });
    message.tool_calls?.forEach((call, index) =>
      parts.push({
        type: 'tool-call',
        choice,
        index,
        id: call.id,
        name: call.function.name,
        arguments: call.function.arguments,
        ...(call.extra_content ? { extra: call.extra_content } : {}),
      }),
    );
    if (finish_reason) parts.push({ type: 'finish', choice, reason: finish_reason });
  }
  if (completion.usage) parts.push({ type: 'usage', usage: completion.usage });
  return parts;
}
