/**
 * Issue 4 (chains): a prompt too long for a target re-routes to a larger-context target. After a
 * context-length error, targets whose configured window is known to be too small are skipped (they
 * would fail the same way and use up the request's attempts), using the failing target's window and the
 * size each provider states in its own error message (OpenAI, Anthropic, Gemini wire formats).
 */
import OpenAI, { APIError } from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulatedGateway, type SimulatedGateway } from './harness.js';

const KEY = 'sk-context-sim-key-0001';
let h: SimulatedGateway;
let client: OpenAI;

beforeAll(async () => {
  h = await startSimulatedGateway(KEY, (url) => ({
    defaults: { retry: { maxAttempts: 3 } },
    providers: {
      small: { type: 'openai', baseUrl: `${url}/v1`, apiKey: KEY, contextWindows: { 'gpt-small': 50 } },
      compat: { type: 'openai-compatible', baseUrl: `${url}/v1`, apiKey: KEY, contextWindows: { mini: 40 } },
      claude: {
        type: 'anthropic',
        baseUrl: `${url}/v1`,
        apiKey: KEY,
        contextWindows: { 'claude-big': 200 },
      },
      // No windows configured: the gateway learns only from the errors.
      gem: { type: 'gemini', baseUrl: `${url}/v1beta`, apiKey: KEY },
    },
    routes: {
      long: { targets: ['small/gpt-small', 'compat/mini', 'claude/claude-big', 'gem/gemini-huge'] },
      'claude-first': { targets: ['claude/claude-big', 'small/gpt-small', 'gem/gemini-huge'] },
      'gemini-first': { targets: ['gem/gemini-small', 'small/gpt-small', 'claude/claude-big'] },
      bounded: { targets: ['small/gpt-small', 'claude/claude-big'] },
    },
  }));
  client = h.client;
  // The models' real limits, as the simulator enforces them (prompt words ≈ tokens).
  h.sim.setBehavior('gpt-small', { contextWindow: 50 });
  h.sim.setBehavior('mini', { contextWindow: 40 });
  h.sim.setBehavior('claude-big', { contextWindow: 200 });
  h.sim.setBehavior('gemini-small', { contextWindow: 60 });
});

afterAll(() => h?.close());

const prompt = (words: number): OpenAI.Chat.ChatCompletionMessageParam[] => [
  { role: 'user', content: Array.from({ length: words }, (_, i) => `w${i}`).join(' ') },
];
const debug = { headers: { 'x-switchyard-debug': 'trace' } };

describe('context-length errors re-route to a larger-context target', () => {
  it('skips the targets too small for the size OpenAI stated and answers from the next large enough', async () => {
    const { data, response } = await client.chat.completions
      .create({ model: 'long', messages: prompt(100) }, debug)
      .withResponse();
    expect(data.choices[0]!.message.content).toBeTruthy();
    expect(response.headers.get('x-switchyard-target')).toBe('claude/claude-big');
    const trace = response.headers.get('x-switchyard-trace')!;
    expect(trace).toMatch(/^small\/gpt-small attempt context_length \d+ms; /);
    // "your messages resulted in 106 tokens": mini (40) cannot take it and is never called.
    expect(trace).toContain('compat/mini skip context-window:40<106');
    expect(response.headers.get('x-switchyard-attempts')).toBe('2');
  });

  it('reaches a target past the attempt limit that it would otherwise have spent on hopeless targets', async () => {
    // Three attempts allowed; four targets, of which only the last can take 300 tokens.
    const stream = await client.chat.completions
      .create({ model: 'long', messages: prompt(300), stream: true }, debug)
      .withResponse();
    let text = '';
    for await (const chunk of stream.data) text += chunk.choices[0]?.delta.content ?? '';
    expect(text.length).toBeGreaterThan(0);
    expect(stream.response.headers.get('x-switchyard-target')).toBe('gem/gemini-huge');
    const trace = stream.response.headers.get('x-switchyard-trace')!;
    expect(trace).toContain('compat/mini skip context-window:40<306');
    expect(trace).toContain('claude/claude-big skip context-window:200<306');
  });

  it('reads the size from Anthropic\'s "prompt is too long: N tokens > M maximum"', async () => {
    const { response } = await client.chat.completions
      .create({ model: 'claude-first', messages: prompt(300) }, debug)
      .withResponse();
    expect(response.headers.get('x-switchyard-target')).toBe('gem/gemini-huge');
    const trace = response.headers.get('x-switchyard-trace')!;
    expect(trace).toMatch(
      /^claude\/claude-big attempt context_length \d+ms; small\/gpt-small skip context-window:50<\d+; /,
    );
  });

  it('reads the size from Gemini\'s "The input token count (N) exceeds …", with no window configured', async () => {
    const { response } = await client.chat.completions
      .create({ model: 'gemini-first', messages: prompt(100) }, debug)
      .withResponse();
    expect(response.headers.get('x-switchyard-target')).toBe('claude/claude-big');
    expect(response.headers.get('x-switchyard-trace')).toMatch(/small\/gpt-small skip context-window:50<100/);
  });

  it('when no target can take the prompt: one 400 context_length_exceeded, not a 503', async () => {
    const error = await client.chat.completions
      .create({ model: 'bounded', messages: prompt(300) })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(APIError);
    const e = error as APIError;
    expect(e.status).toBe(400);
    expect(e.code).toBe('context_length_exceeded');
    expect(e.param).toBe('messages');
    expect(e.message).toMatch(/maximum context length is 50 tokens/);
    expect(e.message).toContain('claude/claude-big: context-window:200<306');
    expect(e.headers?.get('x-should-retry')).toBe('false');
  });

  it('a prompt that fits the first target is not affected', async () => {
    const { response } = await client.chat.completions
      .create({ model: 'long', messages: prompt(10) })
      .withResponse();
    expect(response.headers.get('x-switchyard-target')).toBe('small/gpt-small');
  });
});
