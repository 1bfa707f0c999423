/**
 * OpenAI messages → Gemini `systemInstruction` + `contents` (ai.google.dev/api/generate-content,
 * …/gemini-api/docs/function-calling, …/gemini-api/docs/thought-signatures).
 *
 * - system and developer messages, wherever they appear, become `systemInstruction` text parts, in order
 *   (the API has no system role inside `contents`);
 * - user turns are role `user`, assistant turns role `model`; a tool result is a `functionResponse` part
 *   in a `user` turn (the function-calling guide sends function responses with role "user");
 * - consecutive turns of one role are merged, so the functionResponse parts answering one model turn's
 *   parallel calls travel together in one user turn, as the guide requires;
 * - assistant `reasoning_content` is not sent back (thought text is never input); tool calls keep their
 *   thought signatures (see SKIP_SIGNATURE).
 */
import type { ChatMessage, ContentPart, MessageContent, ToolCall, ToolMessage } from '../../core/chat.js';
import { invalidRequest } from '../../core/errors.js';
import { type AttemptContext, targetId } from '../types.js';
import { mediaPart } from './media.js';
import { refuse } from './refuse.js';
import type { Content, Part } from './wire.js';

export interface Conversation {
  systemInstruction?: Content;
  contents: Content[];
}

/**
 * The signature the thought-signatures guide documents for function calls the API did not produce
 * itself (history from another model, or from a client that did not keep signatures): Gemini 3 rejects
 * a model turn whose first functionCall part has no signature with a 4xx, and accepts this value instead.
 * A call whose `extra_content` carries this target's own signature gets that one back (better reasoning,
 * the guide says); any other first call of a turn gets this one.
 */
export const SKIP_SIGNATURE = 'skip_thought_signature_validator';

/** The call's own thought signature, when this target issued it (or the client gave no origin). */
function ownSignature(call: ToolCall, ctx: AttemptContext): string | undefined {
  const signature = call.extra_content?.google?.thought_signature;
  if (typeof signature !== 'string' || signature === '') return undefined;
  const origin = call.extra_content?.switchyard?.origin;
  return origin === undefined || origin === targetId(ctx) ? signature : undefined;
}

export function conversation(messages: readonly ChatMessage[], ctx: AttemptContext): Conversation {
  const system: Part[] = [];
  const contents: Content[] = [];
  /** tool_call id → function name, from the assistant turns seen so far. */
  const callNames = new Map<string, string>();
  const push = (role: 'user' | 'model', parts: Part[]): void => {
    if (parts.length === 0) return;
    const last = contents.at(-1);
    if (last?.role === role) last.parts.push(...parts);
    else contents.push({ role, parts });
  };
  messages.forEach((message, i) => {
    const path = `messages[${i}]`;
    switch (message.role) {
      case 'system':
      case 'developer':
        system.push(...systemParts(message.content, path, ctx));
        break;
      case 'user':
        push('user', contentParts(message.content, path, ctx));
        break;
      case 'assistant': {
        const parts = contentParts(message.content, path, ctx);
        (message.tool_calls ?? []).forEach((call, j) => {
          const part = functionCall(call, `${path}.tool_calls[${j}]`);
          const signature = ownSignature(call, ctx) ?? (j === 0 ? SKIP_SIGNATURE : undefined);
          if (signature) part.thoughtSignature = signature;
          if (typeof call.id === 'string' && call.id) callNames.set(call.id, part.functionCall!.name!);
          parts.push(part);
        });
        push('model', parts);
        break;
      }
      case 'tool':
        push('user', [functionResponse(message, path, callNames, ctx)]);
        break;
      default:
        throw invalidRequest(
          `Invalid value for ${path}.role: ${JSON.stringify((message as { role?: unknown }).role)}.`,
          `${path}.role`,
        );
    }
  });
  return system.length ? { systemInstruction: { parts: system }, contents } : { contents };
}

function systemParts(content: MessageContent | undefined, path: string, ctx: AttemptContext): Part[] {
  return contentParts(content, path, ctx).filter((part) => {
    if (typeof part.text === 'string') return true;
    // "Only text should be used in parts" of systemInstruction (GenerateContentRequest reference).
    refuse(ctx, path, `Non-text content in a ${path} system message`);
    return false;
  });
}

/** Text, image, audio and file parts. Empty text is skipped: a part must carry data. */
function contentParts(content: MessageContent | null | undefined, path: string, ctx: AttemptContext): Part[] {
  if (content == null) return [];
  if (typeof content === 'string') return content ? [{ text: content }] : [];
  if (!Array.isArray(content))
    throw invalidRequest(`${path}.content must be a string or an array.`, `${path}.content`);
  const parts: Part[] = [];
  content.forEach((part: ContentPart, j) => {
    const param = `${path}.content[${j}]`;
    if (part?.type === 'text' || part?.type === 'refusal') {
      const text = (part as { text?: unknown; refusal?: unknown })[part.type];
      if (typeof text === 'string' && text) parts.push({ text });
      return;
    }
    const media = mediaPart(part, param, ctx);
    if (media) parts.push(media);
  });
  return parts;
}

/** A tool call → `functionCall {id, name, args}`; `args` is the parsed JSON object of `arguments`. */
function functionCall(call: ToolCall, path: string): Part {
  const param = `${path}.function.arguments`;
  const raw = call?.function?.arguments ?? '';
  let args: unknown = {};
  if (typeof raw === 'string' && raw.trim() !== '') {
    try {
      args = JSON.parse(raw);
    } catch {
      throw invalidRequest(
        `${param} is not valid JSON; Gemini needs function-call arguments as a JSON object.`,
        param,
      );
    }
  }
  if (typeof args !== 'object' || args === null || Array.isArray(args)) {
    throw invalidRequest(`${param} must be a JSON object; Gemini function-call args are objects.`, param);
  }
  const name = call?.function?.name;
  if (typeof name !== 'string' || name === '')
    throw invalidRequest(`${path}.function.name is required.`, `${path}.function.name`);
  const fc: Part['functionCall'] = { name, args: args as Record<string, unknown> };
  if (typeof call.id === 'string' && call.id) fc.id = call.id;
  return { functionCall: fc };
}

/**
 * A tool message → `functionResponse {id, name, response}`. The name is the one the earlier assistant
 * tool call with this id used (the API matches responses to declarations by name). `response` must be
 * an object: content that parses as a JSON object is sent as it is, anything else as `{result: text}`.
 */
function functionResponse(
  message: ToolMessage,
  path: string,
  callNames: ReadonlyMap<string, string>,
  ctx: AttemptContext,
): Part {
  const id = message.tool_call_id;
  const name = typeof id === 'string' ? callNames.get(id) : undefined;
  if (name === undefined) {
    throw invalidRequest(
      `${path}.tool_call_id ${JSON.stringify(id)} does not match a tool call of an earlier assistant message; ` +
        'Gemini needs the function name of every tool result.',
      `${path}.tool_call_id`,
    );
  }
  const text = toolText(message.content, path, ctx);
  let response: Record<string, unknown> = { result: text };
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed))
      response = parsed as Record<string, unknown>;
  } catch {
    // Not JSON: sent as text under `result`.
  }
  return { functionResponse: { id: id as string, name, response } };
}

function toolText(content: MessageContent | undefined, path: string, ctx: AttemptContext): string {
  if (typeof content === 'string') return content;
  if (content == null) return '';
  const texts: string[] = [];
  contentParts(content, path, ctx).forEach((part) => {
    if (typeof part.text === 'string') texts.push(part.text);
    else refuse(ctx, `${path}.content`, `Non-text content in a ${path} tool result`);
  });
  return texts.join('');
}
