/**
 * Issue 3 (reasoning_effort on Anthropic, tool-result round trips, conversations that move between
 * providers): a tool loop with extended thinking stays valid through the OpenAI API. Anthropic checks
 * the signature of every thinking block sent back and, with thinking on, requires the last tool turn to
 * start with its block; the simulator enforces both, as the API does. The gateway's answers carry the
 * blocks in `thinking_blocks`, an app that sends the message back keeps them, and a loop whose blocks
 * are missing or came from another model runs without thinking instead of failing. Gemini's thought
 * signatures ride on the tool calls (`extra_content`, Google's own OpenAI-compatible shape); Gemini 3
 * rejects a step without one, and the simulator enforces that too. DeepSeek's thinking mode needs
 * `reasoning_content` back on every tool-call turn.
 */
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulatedGateway, type SimulatedGateway } from './harness.js';

const KEY = 'sk-thinking-sim-key-0001';
let h: SimulatedGateway;
let client: OpenAI;

beforeAll(async () => {
  h = await startSimulatedGateway(KEY, (url) => ({
    providers: {
      anthropic: { type: 'anthropic', baseUrl: `${url}/v1`, apiKey: KEY },
      openai: { type: 'openai', baseUrl: `${url}/v1`, apiKey: KEY },
      gemini: { type: 'gemini', baseUrl: `${url}/v1beta`, apiKey: KEY },
      // The same API under another name: signatures do not travel between targets.
      'gemini-eu': { type: 'gemini', baseUrl: `${url}/v1beta`, apiKey: KEY },
      deepseek: { type: 'deepseek', baseUrl: `${url}/v1`, apiKey: KEY },
    },
    routes: {
      claude: { targets: ['anthropic/claude-sonnet-4-5'] },
      'claude-haiku': { targets: ['anthropic/claude-haiku-4-5'] },
      // Claude 4.6 and later think adaptively (thinking: {type: 'adaptive'}), not with a budget.
      'claude-adaptive': { targets: ['anthropic/claude-opus-4-6'] },
      gpt: { targets: ['openai/gpt-4o'] },
      'gemini-3': { targets: ['gemini/gemini-3-pro-preview'] },
      'gemini-3-eu': { targets: ['gemini-eu/gemini-3-pro-preview'] },
      deepseek: { targets: ['deepseek/deepseek-v4-flash'] },
    },
  }));
  client = h.client;
});

afterAll(() => h?.close());

const weather: OpenAI.Chat.ChatCompletionTool = {
  type: 'function',
  function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } },
};
const question: OpenAI.Chat.ChatCompletionMessageParam[] = [{ role: 'user', content: 'Weather in Paris?' }];
const ask = { tools: [weather], reasoning_effort: 'low' as const };

interface ThinkingBlock {
  type: string;
  thinking?: string;
  signature?: string;
  data?: string;
  origin?: string;
}
type WithBlocks = OpenAI.Chat.ChatCompletionMessage & {
  reasoning_content?: string;
  thinking_blocks?: ThinkingBlock[];
};

/** The app's side of a tool loop: send the assistant message back as received, with the tool's result. */
function next(
  history: OpenAI.Chat.ChatCompletionMessageParam[],
  message: OpenAI.Chat.ChatCompletionMessageParam,
): OpenAI.Chat.ChatCompletionMessageParam[] {
  const call = (message as OpenAI.Chat.ChatCompletionAssistantMessageParam).tool_calls![0]!;
  return [...history, message, { role: 'tool', tool_call_id: call.id, content: 'sunny, 21 °C' }];
}

/** Sends the assistant message back on a Claude route: whether the next answer still thinks. */
async function stillThinking(message: object, model = 'claude'): Promise<boolean> {
  const second = await client.chat.completions.create({
    model,
    messages: next(question, message as OpenAI.Chat.ChatCompletionMessageParam),
    ...ask,
  });
  return Boolean((second.choices[0]!.message as WithBlocks).reasoning_content);
}

describe('extended thinking in a tool loop, through the OpenAI API', () => {
  it('the answer carries its thinking blocks; sent back with the message, the loop goes on thinking', async () => {
    const first = await client.chat.completions.create({ model: 'claude', messages: question, ...ask });
    const message = first.choices[0]!.message as WithBlocks;
    expect(first.choices[0]!.finish_reason).toBe('tool_calls');
    expect(message.reasoning_content).toBeTruthy();
    expect(message.thinking_blocks).toEqual([
      {
        type: 'thinking',
        thinking: message.reasoning_content,
        signature: expect.stringMatching(/^Eu/),
        origin: 'anthropic/claude-sonnet-4-5',
      },
    ]);
    // Still thinking: the upstream request kept the signed block (the simulator checked it).
    expect(await stillThinking(message)).toBe(true);
  });

  it('the same with adaptive thinking (Claude 4.6 and later)', async () => {
    const first = await client.chat.completions.create({
      model: 'claude-adaptive',
      messages: question,
      ...ask,
    });
    const message = first.choices[0]!.message as WithBlocks;
    expect(message.thinking_blocks?.[0]).toMatchObject({
      type: 'thinking',
      origin: 'anthropic/claude-opus-4-6',
    });
    expect(await stillThinking(message, 'claude-adaptive')).toBe(true);
  });

  it('streamed: the complete block arrives as a thinking_blocks delta after the reasoning deltas', async () => {
    const stream = await client.chat.completions.create({
      model: 'claude',
      messages: question,
      stream: true,
      ...ask,
    });
    let reasoning = '';
    const blocks: ThinkingBlock[] = [];
    const calls: OpenAI.Chat.ChatCompletionMessageFunctionToolCall[] = [];
    for await (const chunk of stream) {
      const delta = chunk.choices[0]?.delta as
        | (OpenAI.Chat.ChatCompletionChunk.Choice.Delta & {
            reasoning_content?: string;
            thinking_blocks?: ThinkingBlock[];
          })
        | undefined;
      reasoning += delta?.reasoning_content ?? '';
      blocks.push(...(delta?.thinking_blocks ?? []));
      for (const c of delta?.tool_calls ?? []) {
        if (c.id)
          calls[c.index] = {
            id: c.id,
            type: 'function',
            function: { name: c.function!.name!, arguments: '' },
          };
        calls[c.index]!.function.arguments += c.function?.arguments ?? '';
      }
    }
    expect(blocks).toHaveLength(1);
    expect(blocks[0]!.thinking).toBe(reasoning);
    const message = { role: 'assistant', content: null, tool_calls: calls, thinking_blocks: blocks };
    expect(await stillThinking(message)).toBe(true);
  });

  it('a tool loop begun on another provider continues on Claude, without thinking for that request', async () => {
    const first = await client.chat.completions.create({
      model: 'gpt',
      messages: question,
      tools: [weather],
    });
    const { data: second, response } = await client.chat.completions
      .create({
        model: 'claude',
        messages: next(question, first.choices[0]!.message as OpenAI.Chat.ChatCompletionMessageParam),
        ...ask,
      })
      .withResponse();
    expect(second.choices[0]!.finish_reason).toBe('stop'); // accepted, and the tool result answered;
    expect((second.choices[0]!.message as WithBlocks).reasoning_content).toBeUndefined();
    expect(response.headers.get('x-switchyard-warnings')).toBe(
      'reasoning_effort: ran without thinking (the tool loop has no thinking block from this model)',
    );
  });

  it('blocks signed by another model are not sent to it (they would be rejected)', async () => {
    const first = await client.chat.completions.create({ model: 'claude', messages: question, ...ask });
    const second = await client.chat.completions.create({
      model: 'claude-haiku',
      messages: next(question, first.choices[0]!.message as OpenAI.Chat.ChatCompletionMessageParam),
      ...ask,
    });
    expect(second.choices[0]!.finish_reason).toBe('stop');
    expect((second.choices[0]!.message as WithBlocks).reasoning_content).toBeUndefined();
  });

  it('an OpenAI-protocol target gets the message without thinking_blocks', async () => {
    const first = await client.chat.completions.create({ model: 'claude', messages: question, ...ask });
    const second = await client.chat.completions.create({
      model: 'gpt',
      messages: next(question, first.choices[0]!.message as OpenAI.Chat.ChatCompletionMessageParam),
      tools: [weather],
    });
    expect(second.choices[0]!.finish_reason).toBeTruthy();
  });

  it('malformed thinking_blocks are a 400 naming the field', async () => {
    const bad = [
      ...question,
      { role: 'assistant', content: 'x', thinking_blocks: [{ type: 'thinking', thinking: 'y' }] },
      { role: 'user', content: 'go on' },
    ];
    const error = await client.chat.completions
      .create({ model: 'claude', messages: bad as OpenAI.Chat.ChatCompletionMessageParam[] })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ status: 400, param: 'messages[1].thinking_blocks[0].signature' });
  });
});

describe('Gemini thought signatures in a tool loop, through the OpenAI API', () => {
  type Call = OpenAI.Chat.ChatCompletionMessageFunctionToolCall & {
    extra_content?: { google?: { thought_signature?: string }; switchyard?: { origin?: string } };
  };
  const firstTurn = async (): Promise<OpenAI.Chat.ChatCompletionMessage> =>
    (await client.chat.completions.create({ model: 'gemini-3', messages: question, tools: [weather] }))
      .choices[0]!.message;

  it('the signature comes with the tool call and, sent back, keeps the loop going', async () => {
    const message = await firstTurn();
    const call = message.tool_calls![0] as Call;
    expect(call.extra_content).toEqual({
      google: { thought_signature: expect.stringMatching(/^Cs/) },
      switchyard: { origin: 'gemini/gemini-3-pro-preview' },
    });
    const second = await client.chat.completions.create({
      model: 'gemini-3',
      messages: next(question, message as OpenAI.Chat.ChatCompletionMessageParam),
      tools: [weather],
    });
    expect(second.choices[0]!.finish_reason).toBe('stop');
  });

  it('the real signature is what goes upstream: an altered one is refused by the provider', async () => {
    const message = await firstTurn();
    const call = message.tool_calls![0] as Call;
    const altered = { ...call, extra_content: { google: { thought_signature: 'Csaltered' } } };
    const error = await client.chat.completions
      .create({
        model: 'gemini-3',
        messages: next(question, {
          ...message,
          tool_calls: [altered],
        } as OpenAI.Chat.ChatCompletionMessageParam),
        tools: [weather],
      })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ status: 400 });
    expect(String((error as Error).message)).toContain('Thought signature is not valid');
  });

  it("another target's signature, or none at all, is replaced by the documented skip value", async () => {
    const message = await firstTurn();
    const elsewhere = await client.chat.completions.create({
      model: 'gemini-3-eu',
      messages: next(question, message as OpenAI.Chat.ChatCompletionMessageParam),
      tools: [weather],
    });
    expect(elsewhere.choices[0]!.finish_reason).toBe('stop');
    const { extra_content: _dropped, ...bare } = message.tool_calls![0] as Call;
    const without = await client.chat.completions.create({
      model: 'gemini-3',
      messages: next(question, { ...message, tool_calls: [bare] } as OpenAI.Chat.ChatCompletionMessageParam),
      tools: [weather],
    });
    expect(without.choices[0]!.finish_reason).toBe('stop');
  });

  it('streamed: the signature arrives on the tool call delta', async () => {
    const stream = await client.chat.completions.create({
      model: 'gemini-3',
      messages: question,
      tools: [weather],
      stream: true,
    });
    const extras: unknown[] = [];
    for await (const chunk of stream)
      for (const c of chunk.choices[0]?.delta.tool_calls ?? [])
        extras.push((c as { extra_content?: unknown }).extra_content);
    expect(extras[0]).toMatchObject({ google: { thought_signature: expect.stringMatching(/^Cs/) } });
  });
});

describe('DeepSeek thinking mode in a tool loop', () => {
  it('a loop begun on DeepSeek keeps its reasoning_content and goes on thinking', async () => {
    const first = await client.chat.completions.create({
      model: 'deepseek',
      messages: question,
      tools: [weather],
    });
    const message = first.choices[0]!.message as WithBlocks;
    expect(message.reasoning_content).toBeTruthy();
    const { data, response } = await client.chat.completions
      .create({
        model: 'deepseek',
        messages: next(question, message as OpenAI.Chat.ChatCompletionMessageParam),
        tools: [weather],
      })
      .withResponse();
    expect((data.choices[0]!.message as WithBlocks).reasoning_content).toBeTruthy();
    expect(response.headers.get('x-switchyard-warnings')).toBeNull();
  });

  it('a loop begun elsewhere runs that request with thinking off instead of a 400', async () => {
    const first = await client.chat.completions.create({
      model: 'gpt',
      messages: question,
      tools: [weather],
    });
    const { data, response } = await client.chat.completions
      .create({
        model: 'deepseek',
        messages: next(question, first.choices[0]!.message as OpenAI.Chat.ChatCompletionMessageParam),
        tools: [weather],
      })
      .withResponse();
    expect(data.choices[0]!.finish_reason).toBe('stop');
    expect((data.choices[0]!.message as WithBlocks).reasoning_content).toBeUndefined();
    expect(response.headers.get('x-switchyard-warnings')).toBe(
      'thinking: disabled (a tool-call turn has no reasoning_content to send back)',
    );
  });
});
