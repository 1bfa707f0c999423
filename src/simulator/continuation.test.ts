/** The simulator's continuable answers, judged by the providers' own SDKs (no gateway involved). */
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from './index.js';

const KEY = 'sk-sim-continue-0001';
let sim: Simulator;
let openai: OpenAI;
let beta: OpenAI;
let anthropic: Anthropic;
const ask = [{ role: 'user' as const, content: 'Tell me something' }];

beforeAll(async () => {
  sim = await startSimulator({ apiKey: KEY, defaultBehavior: { replyTokens: 10 } });
  openai = new OpenAI({ baseURL: `${sim.url}/v1`, apiKey: KEY, maxRetries: 0 });
  beta = new OpenAI({ baseURL: `${sim.url}/beta`, apiKey: KEY, maxRetries: 0 });
  anthropic = new Anthropic({ baseURL: sim.url, apiKey: KEY, maxRetries: 0, logLevel: 'off' });
});

afterAll(async () => {
  await sim.close();
});

async function whole(model: string): Promise<string> {
  const answer = await openai.chat.completions.create({ model, messages: ask });
  return answer.choices[0]!.message.content!;
}

describe('continuable answers', () => {
  it('Anthropic: a final assistant message is continued with exactly the rest', async () => {
    const full = await whole('claude-sonnet-4-5');
    const prefix = full.split(' ').slice(0, 4).join(' ');
    const answer = await anthropic.messages.create({
      model: 'claude-sonnet-4-5',
      max_tokens: 100,
      messages: [...ask, { role: 'assistant', content: prefix }],
    });
    const text = answer.content.map((b) => (b.type === 'text' ? b.text : '')).join('');
    expect(prefix + text).toBe(full);
    expect(answer.usage.output_tokens).toBe(6);
  });

  it('Anthropic: a prefill ending in whitespace is refused, as the API does', async () => {
    await expect(
      anthropic.messages.create({
        model: 'claude-sonnet-4-5',
        max_tokens: 100,
        messages: [...ask, { role: 'assistant', content: 'switchyard ' }],
      }),
    ).rejects.toThrow(/trailing whitespace/);
  });

  it('Mistral: prefix: true continues, repeating the prefix first; a bare final assistant message is refused', async () => {
    const full = await whole('mistral-large-latest');
    const prefix = full.slice(0, 17);
    const messages = [
      ...ask,
      { role: 'assistant', content: prefix, prefix: true },
    ] as OpenAI.ChatCompletionMessageParam[];
    const stream = await openai.chat.completions.create({
      model: 'mistral-large-latest',
      messages,
      stream: true,
    });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    expect(text).toBe(full);
    await expect(
      openai.chat.completions.create({
        model: 'mistral-large-latest',
        messages: [...ask, { role: 'assistant', content: prefix }],
      }),
    ).rejects.toThrow(/Assistant with prefix True/);
  });

  it('DeepSeek: prefix completion on the beta base URL only; the answer is the rest', async () => {
    const full = await whole('deepseek-chat');
    const prefix = full.slice(0, 23);
    const messages = [
      ...ask,
      { role: 'assistant', content: prefix, prefix: true },
    ] as OpenAI.ChatCompletionMessageParam[];
    const answer = await beta.chat.completions.create({ model: 'deepseek-chat', messages });
    expect(prefix + answer.choices[0]!.message.content).toBe(full);
    await expect(openai.chat.completions.create({ model: 'deepseek-chat', messages })).rejects.toThrow(
      /beta/,
    );
  });

  it('any model: a user turn asking to continue the partial answer before it', async () => {
    const full = await whole('gpt-4o');
    const prefix = full.split(' ').slice(0, 3).join(' ');
    const answer = await openai.chat.completions.create({
      model: 'gpt-4o',
      messages: [
        ...ask,
        { role: 'assistant', content: prefix },
        { role: 'user', content: 'Please continue.' },
      ],
    });
    expect(prefix + answer.choices[0]!.message.content).toBe(full);
  });

  it('a partial answer that is not the start of the answer gets the whole answer', async () => {
    const full = await whole('claude-sonnet-4-5');
    const answer = await anthropic.messages.create({
      model: 'claude-sonnet-4-5',
      max_tokens: 100,
      messages: [...ask, { role: 'assistant', content: 'Something else' }],
    });
    expect(answer.content.map((b) => (b.type === 'text' ? b.text : '')).join('')).toBe(full);
  });
});
