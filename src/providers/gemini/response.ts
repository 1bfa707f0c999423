/**
 * A GenerateContentResponse (ai.google.dev/api/generate-content#generatecontentresponse) → an OpenAI chat
 * completion: each candidate is a choice; text parts are the content, thought parts (`thought: true`) the
 * reasoning_content, functionCall parts the tool_calls.
 */
import type { ChatChoice, ChatCompletion, ToolCall } from '../../core/chat.js';
import type { AttemptContext } from '../types.js';
import { invalidResponse, parseJsonObject } from '../upstream-body.js';
import { UpstreamFailureError } from '../types.js';
import { classifyStreamError } from './errors.js';
import {
  MALFORMED_CALL_REASONS,
  finishReason,
  malformedCallFailure,
  openAIUsage,
  signatureExtra,
  toolCallId,
} from './mapping.js';
import type { Candidate, GenerateContentResponse, LogprobsCandidate, LogprobsResult } from './wire.js';

export function geminiChatResponse(body: string, ctx: AttemptContext): ChatCompletion {
  const parsed = parseJsonObject(body);
  const response = parsed as GenerateContentResponse;
  if (response.error !== undefined) throw new UpstreamFailureError(classifyStreamError(body, ctx));
  const candidates = Array.isArray(response.candidates) ? response.candidates : [];
  const responseId = typeof response.responseId === 'string' ? response.responseId : undefined;
  let choices: ChatChoice[];
  if (candidates.length) {
    choices = candidates.map((candidate, i) => choice(candidate, i, responseId, ctx));
  } else if (response.promptFeedback?.blockReason) {
    // The prompt itself was blocked: no candidates, a policy outcome rather than an error (reference §3 row 29).
    choices = [{ index: 0, message: { role: 'assistant', content: null }, finish_reason: 'content_filter' }];
  } else {
    throw invalidResponse('no candidates and no promptFeedback.blockReason');
  }
  const completion: ChatCompletion = {
    id: `chatcmpl-${responseId ?? ctx.requestId}`,
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model: ctx.publicModel,
    choices,
  };
  if (response.usageMetadata) completion.usage = openAIUsage(response.usageMetadata);
  return completion;
}

function choice(
  candidate: Candidate,
  position: number,
  responseId: string | undefined,
  ctx: AttemptContext,
): ChatChoice {
  const index = typeof candidate.index === 'number' ? candidate.index : position;
  const reason = candidate.finishReason;
  if (reason !== undefined && MALFORMED_CALL_REASONS.has(reason))
    throw new UpstreamFailureError(malformedCallFailure(reason));
  let text = '';
  let reasoning = '';
  const toolCalls: ToolCall[] = [];
  for (const part of candidate.content?.parts ?? []) {
    if (typeof part.text === 'string') {
      if (part.thought === true) reasoning += part.text;
      else text += part.text;
    } else if (part.functionCall) {
      const extra = signatureExtra(part.thoughtSignature, ctx);
      toolCalls.push({
        id: toolCallId(part.functionCall.id, responseId, index, toolCalls.length),
        type: 'function',
        function: {
          name: part.functionCall.name ?? '',
          arguments: JSON.stringify(part.functionCall.args ?? {}),
        },
        ...(extra ? { extra_content: extra } : {}),
      });
    }
  }
  const finish = finishReason(reason, toolCalls.length > 0);
  // No text: null with tool calls (as OpenAI does) and when a filter emptied the answer.
  const empty = text === '' && (toolCalls.length > 0 || finish === 'content_filter');
  const out: ChatChoice = {
    index,
    message: { role: 'assistant', content: empty ? null : text },
    finish_reason: finish,
  };
  if (reasoning) out.message.reasoning_content = reasoning;
  if (toolCalls.length) out.message.tool_calls = toolCalls;
  if (candidate.logprobsResult) out.logprobs = openAILogprobs(candidate.logprobsResult);
  return out;
}

const encoder = new TextEncoder();

const entry = (c: LogprobsCandidate | undefined) => ({
  token: c?.token ?? '',
  logprob: typeof c?.logProbability === 'number' ? c.logProbability : 0,
  bytes: [...encoder.encode(c?.token ?? '')],
});

/** LogprobsResult (chosen and top candidates per step) → OpenAI's `logprobs.content`. */
function openAILogprobs(result: LogprobsResult): { content: unknown[] } {
  const top = result.topCandidates ?? [];
  return {
    content: (result.chosenCandidates ?? []).map((chosen, i) => ({
      ...entry(chosen),
      top_logprobs: (top[i]?.candidates ?? []).map(entry),
    })),
  };
}
