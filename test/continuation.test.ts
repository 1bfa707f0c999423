/**
 * Streams that survive a cut (route option `continuation`), end to end: the official openai SDK's
 * stream helper ← gateway ← one simulator speaking every provider's protocol. A stream cut after its
 * first token is continued on another target (or the same one), and the stitched answer equals the
 * uncut one, for every provider pair and many cut positions.
 */
import type OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startSimulatedGateway, type SimulatedGateway } from './harness.js';
import type { GatewayEvents } from '../src/core/events.js';

const KEY = 'sk-continuation-test-0001';

/** One target per way of continuing (and Gemini's instruction over its own protocol). */
const TARGETS = {
  openai: 'oai/gpt-4o',
  anthropic: 'ant/claude-sonnet-4-5',
  mistral: 'mis/mistral-large-latest',
  deepseek: 'ds/deepseek-chat',
  gemini: 'gem/gemini-2.5-flash',
} as const;
type Kind = keyof typeof TARGETS;
const KINDS = Object.keys(TARGETS) as Kind[];
const model = (kind: Kind): string => TARGETS[kind].split('/')[1]!;

const REPLY_TOKENS = 20;
/** Cut positions, in upstream chunks: before the first token, early, mid-answer, near and past the end. */
const CUTS = [0, 1, 2, 3, 5, 8, 13, 21, 40];

let h: SimulatedGateway;
let uncut: string;

function routes(): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const from of KINDS) {
    out[`solo-${from}`] = { targets: [TARGETS[from]] };
    for (const to of KINDS) {
      if (from === to) continue;
      // No retry of the cut target: the continuation goes to the next target of the chain.
      out[`${from}-${to}`] = {
        targets: [TARGETS[from], TARGETS[to]],
        retry: { maxRetriesPerTarget: 0 },
        continuation: { maxPerRequest: 2 },
      };
    }
  }
  out['same-openai'] = { targets: [TARGETS.openai], continuation: {} };
  out['deadline'] = {
    targets: [TARGETS.openai, TARGETS.anthropic],
    retry: { maxRetriesPerTarget: 0 },
    timeouts: { requestMs: 600 },
    continuation: {},
  };
  out['no-continuation'] = { targets: [TARGETS.openai, TARGETS.anthropic] };
  out['reasoning'] = { targets: ['ds/deepseek-reasoner', TARGETS.anthropic], continuation: {} };
  out['tools'] = { targets: [TARGETS.openai, TARGETS.anthropic], continuation: {} };
  out['cannot'] = {
    targets: [TARGETS.openai, 'none/gpt-4o'],
    retry: { maxRetriesPerTarget: 0 },
    continuation: {},
  };
  return out;
}

beforeAll(async () => {
  h = await startSimulatedGateway(KEY, (url) => ({
    defaults: { timeouts: { firstTokenMs: 5_000, stallMs: 5_000, requestMs: 20_000 } },
    // Every cut counts against its target: the breakers would open in a test that cuts on purpose.
    breakers: { enabled: false },
    providers: {
      oai: {
        type: 'openai-compatible',
        baseUrl: `${url}/v1`,
        apiKey: KEY,
        prices: { 'gpt-4o': { input: 1, output: 2 } },
      },
      ant: { type: 'anthropic', baseUrl: `${url}/v1`, apiKey: KEY },
      mis: { type: 'mistral', baseUrl: `${url}/v1`, apiKey: KEY },
      ds: { type: 'deepseek', baseUrl: `${url}/v1`, apiKey: KEY },
      gem: { type: 'gemini', baseUrl: `${url}/v1beta`, apiKey: KEY },
      none: {
        type: 'openai-compatible',
        baseUrl: `${url}/v1`,
        apiKey: KEY,
        continuation: { method: 'none' },
      },
    },
    routes: routes(),
  }));
  h.sim.setBehavior('*', { replyTokens: REPLY_TOKENS });
  uncut = (await streamText(h.client, 'solo-openai')).text;
});

afterAll(async () => {
  await h?.close();
});

interface Streamed {
  text: string;
  ids: Set<string>;
  models: Set<string>;
  finishes: number;
  last: Record<string, unknown> | undefined;
}

/** Streams through the SDK's stream helper; throws what the SDK throws (an error event, a cut). */
async function streamText(
  client: OpenAI,
  route: string,
  extra: Record<string, unknown> = {},
): Promise<Streamed> {
  const stream = client.chat.completions.stream(
    {
      model: route,
      messages: [{ role: 'user', content: 'Tell me about gateways' }],
      stream_options: { include_usage: true },
      ...extra,
    },
    { headers: { 'x-switchyard-debug': 'trace' } },
  );
  const out: Streamed = { text: '', ids: new Set(), models: new Set(), finishes: 0, last: undefined };
  for await (const chunk of stream) {
    out.ids.add(chunk.id);
    out.models.add(chunk.model);
    for (const choice of chunk.choices) {
      out.text += choice.delta.content ?? '';
      if (choice.finish_reason) out.finishes++;
    }
    out.last = chunk as unknown as Record<string, unknown>;
  }
  const final = await stream.finalChatCompletion();
  expect(final.choices[0]!.message.content ?? '').toBe(out.text);
  return out;
}

/** The first `n` words of the uncut answer. */
const words = (n: number): string => uncut.split(' ').slice(0, n).join(' ');

/** A stream that ends visibly (the SDK throws on the error event); returns the request's trace. */
async function failsVisibly(route: string, extra: Record<string, unknown> = {}): Promise<string[]> {
  const ended: GatewayEvents['request.ended'][] = [];
  const stop = h.gateway.events.subscribe('request.ended', (e) => ended.push(e));
  try {
    await expect(streamText(h.client, route, extra)).rejects.toThrow(/upstream connection failed/);
    await vi.waitFor(() => expect(ended).toHaveLength(1));
  } finally {
    stop();
  }
  return ended[0]!.trace.map((t) => `${t.action} ${t.result}`);
}

describe('continuation: the stitched stream equals the uncut answer', () => {
  it('the uncut answer is the simulator’s deterministic reply', () => {
    expect(uncut.split(' ')).toHaveLength(REPLY_TOKENS);
  });

  for (const from of KINDS) {
    for (const to of KINDS) {
      if (from === to) continue;
      it(`${from} cut, continued on ${to}, at every position`, async () => {
        for (const afterChunks of CUTS) {
          h.sim.setBehavior(model(from), { fault: { kind: 'cut', afterChunks } });
          try {
            const got = await streamText(h.client, `${from}-${to}`);
            expect(got.text, `cut after ${afterChunks} chunks`).toBe(uncut);
            expect(got.ids.size).toBe(1);
            expect([...got.models]).toEqual([`${from}-${to}`]);
            expect(got.finishes).toBe(1);
          } finally {
            h.sim.setBehavior(model(from), { fault: null });
          }
        }
      });
    }
  }
});

describe('continuation: limits, usage, trace', () => {
  it('says in the final chunk where the answer was continued, and counts every attempt', async () => {
    h.sim.setBehavior(model('openai'), { fault: { kind: 'cut', afterChunks: 6 } });
    const ended: GatewayEvents['request.ended'][] = [];
    const continued: GatewayEvents['stream.continued'][] = [];
    const unsubscribe = [
      h.gateway.events.subscribe('request.ended', (e) => ended.push(e)),
      h.gateway.events.subscribe('stream.continued', (e) => continued.push(e)),
    ];
    try {
      const got = await streamText(h.client, 'openai-anthropic');
      expect(got.text).toBe(uncut);
      const note = got.last!.switchyard as {
        continued: Record<string, unknown>[];
        usage_estimated: boolean;
        cost_usd: number;
      };
      // 5 words reached the client before the cut (the role chunk is the first of the 6).
      const sent = uncut.split(' ').slice(0, 5).join(' ');
      expect(note.continued).toEqual([
        {
          after_chars: sent.length,
          from: TARGETS.openai,
          to: TARGETS.anthropic,
          method: 'prefill',
          reason: 'connection_error',
        },
      ]);
      const usage = got.last!.usage as {
        prompt_tokens: number;
        completion_tokens: number;
        total_tokens: number;
      };
      // The cut attempt's 5 output parts (estimated) and the continuation's own 15 tokens.
      expect(usage.completion_tokens).toBe(5 + 15);
      expect(usage.total_tokens).toBe(usage.prompt_tokens + usage.completion_tokens);
      expect(note.usage_estimated).toBe(true);
      expect(note.cost_usd).toBeGreaterThan(0);
      // The trace and the request log: the cut attempt, where the answer went on, the continuation.
      await vi.waitFor(() => expect(ended).toHaveLength(1));
      const [log] = ended;
      expect(log!.outcome).toBe('ok');
      expect(log!.trace.map((t) => `${t.target} ${t.action} ${t.result}`)).toEqual([
        `${TARGETS.openai} attempt connection_error`,
        `${TARGETS.anthropic} continue after:${sent.length}:prefill`,
        `${TARGETS.anthropic} attempt ok`,
      ]);
      expect(log!.tokens).toMatchObject({ completion: 20, prompt: usage.prompt_tokens });
      // The cut attempt is priced (the continuing target has no price): its cost is counted.
      expect(log!.costUsd).toBeGreaterThan(0);
      expect(note.cost_usd).toBeCloseTo(log!.costUsd!, 12);
      expect(continued).toEqual([
        {
          requestId: expect.any(String) as string,
          route: 'openai-anthropic',
          from: TARGETS.openai,
          to: TARGETS.anthropic,
          method: 'prefill',
          afterChars: sent.length,
          reason: 'connection_error',
        },
      ]);
    } finally {
      unsubscribe.forEach((u) => u());
      h.sim.setBehavior(model('openai'), { fault: null });
    }
  });

  it('continues on the same target after a retryable error when the route retries targets', async () => {
    // 12 tokens: cut after 9 of them; the continuation (3 tokens) is cut before `[DONE]`, after its finish.
    h.sim.setBehavior(model('openai'), { replyTokens: 12, fault: { kind: 'cut', afterChunks: 10 } });
    try {
      const stream = h.client.chat.completions.stream({
        model: 'same-openai',
        messages: [{ role: 'user', content: 'Tell me' }],
      });
      const final = await stream.finalChatCompletion();
      h.sim.setBehavior(model('openai'), { fault: null });
      const whole = await h.client.chat.completions.create({
        model: 'solo-openai',
        messages: [{ role: 'user', content: 'x' }],
      });
      expect(final.choices[0]!.message.content).toBe(whole.choices[0]!.message.content);
      const sent = h.sim
        .requests()
        .filter((r) => r.path === '/v1/chat/completions')
        .slice(-3, -1);
      const { messages } = JSON.parse(sent[1]!.body) as { messages: { role: string; content: string }[] };
      // Instruction: the partial answer, then a user turn asking to continue it.
      expect(messages.at(-2)).toEqual({
        role: 'assistant',
        content: whole.choices[0]!.message.content!.split(' ').slice(0, 9).join(' '),
      });
      expect(messages.at(-1)!.role).toBe('user');
    } finally {
      h.sim.setBehavior(model('openai'), { replyTokens: REPLY_TOKENS, fault: null });
    }
  });

  it('gives up after maxPerRequest continuations: an error event, no [DONE]', async () => {
    // Every attempt on the only target is cut after 4 chunks; the route allows 2 continuations.
    h.sim.setBehavior(model('openai'), { fault: { kind: 'cut', afterChunks: 4 } });
    try {
      const trace = await failsVisibly('same-openai');
      expect(trace.filter((t) => t.startsWith('continue'))).toEqual([
        // Each attempt gets 3 words out (the role chunk is the first of the 4) before its cut.
        `continue after:${words(3).length}:instruction`,
        `continue after:${words(6).length}:instruction`,
        'continue refused:max-continuations',
      ]);
    } finally {
      h.sim.setBehavior(model('openai'), { fault: null });
    }
  });

  it('continues only within the request deadline: a stream cut by its deadline ends visibly', async () => {
    // 20 words at 4 words a second take 5 s: the 600 ms deadline cuts the stream after its first words
    // (0 words a second, the simulator's default, means no pacing).
    h.sim.setBehavior(model('openai'), { tokensPerSecond: 4 });
    const before = h.sim.stats(model('anthropic')).requests;
    const ended: GatewayEvents['request.ended'][] = [];
    const stop = h.gateway.events.subscribe('request.ended', (e) => ended.push(e));
    try {
      await expect(streamText(h.client, 'deadline')).rejects.toThrow();
      await vi.waitFor(() => expect(ended).toHaveLength(1));
      const trace = ended[0]!.trace.map((t) => `${t.action} ${t.result}`);
      expect(trace.at(-1)).toBe('continue refused:deadline');
      expect(h.sim.stats(model('anthropic')).requests).toBe(before);
    } finally {
      stop();
      h.sim.setBehavior(model('openai'), { tokensPerSecond: 0, fault: null });
    }
  });

  it('skips a target that cannot continue, and ends visibly when none can', async () => {
    h.sim.setBehavior(model('openai'), { fault: { kind: 'cut', afterChunks: 5 } });
    try {
      const trace = await failsVisibly('cannot');
      expect(trace.slice(-2)).toEqual(['skip cannot-continue', 'continue refused:no-target']);
    } finally {
      h.sim.setBehavior(model('openai'), { fault: null });
    }
  });

  it('without the route option, a cut still ends with an error event', async () => {
    h.sim.setBehavior(model('openai'), { fault: { kind: 'cut', afterChunks: 5 } });
    try {
      await expect(streamText(h.client, 'no-continuation')).rejects.toThrow(
        /upstream connection failed|closed the stream/,
      );
    } finally {
      h.sim.setBehavior(model('openai'), { fault: null });
    }
  });

  it('a cut inside a tool call’s arguments restarts nothing: it ends visibly', async () => {
    h.sim.setBehavior(model('openai'), { toolCalls: 1, fault: { kind: 'cut', afterChunks: 3 } });
    try {
      const tools = [
        {
          type: 'function' as const,
          function: {
            name: 'lookup',
            parameters: {
              type: 'object',
              properties: { query: { type: 'string' }, limit: { type: 'integer' } },
            },
          },
        },
      ];
      const trace = await failsVisibly('tools', { tools });
      expect(trace.at(-1)).toBe('continue refused:tool-call');
    } finally {
      h.sim.setBehavior(model('openai'), { toolCalls: 0, fault: null });
    }
  });

  it('a cut inside a reasoning block restarts nothing: it ends visibly', async () => {
    // deepseek-reasoner streams its reasoning first: the cut comes after the first reasoning chunk.
    h.sim.setBehavior('deepseek-reasoner', { fault: { kind: 'cut', afterChunks: 1 } });
    try {
      expect((await failsVisibly('reasoning')).at(-1)).toBe('continue refused:reasoning');
    } finally {
      h.sim.setBehavior('deepseek-reasoner', { fault: null });
    }
  });

  it('prefill: a partial answer ending in whitespace is sent without it, and the whitespace is not repeated', async () => {
    const replyText = 'alpha beta\n gamma delta\n\n epsilon zeta eta';
    h.sim.setBehavior(model('openai'), { replyText });
    h.sim.setBehavior(model('anthropic'), { replyText });
    try {
      for (const afterChunks of [2, 3, 4, 5, 6]) {
        h.sim.setBehavior(model('openai'), { fault: { kind: 'cut', afterChunks } });
        const got = await streamText(h.client, 'openai-anthropic');
        expect(got.text, `cut after ${afterChunks} chunks`).toBe(replyText);
      }
    } finally {
      h.sim.setBehavior(model('openai'), { replyText: null, fault: null });
      h.sim.setBehavior(model('anthropic'), { replyText: null });
    }
  });

  it('an in-stream server error is continued; an in-stream context error is not', async () => {
    h.sim.setBehavior(model('openai'), { fault: { kind: 'error-event', afterChunks: 7 } });
    try {
      expect((await streamText(h.client, 'openai-anthropic')).text).toBe(uncut);
      h.sim.setBehavior(model('openai'), {
        fault: { kind: 'error-event', afterChunks: 7, code: 'context_length_exceeded' },
      });
      const ended: GatewayEvents['request.ended'][] = [];
      const stop = h.gateway.events.subscribe('request.ended', (e) => ended.push(e));
      await expect(streamText(h.client, 'openai-anthropic')).rejects.toThrow();
      await vi.waitFor(() => expect(ended).toHaveLength(1));
      stop();
      expect(ended[0]!.trace.at(-1)).toMatchObject({ action: 'continue', result: 'refused:context' });
    } finally {
      h.sim.setBehavior(model('openai'), { fault: null });
    }
  });

  it("the client's max_tokens caps the stitched answer as it capped the uncut one", async () => {
    const capped = { max_tokens: 10 };
    const expected = (await streamText(h.client, 'solo-openai', capped)).text;
    expect(expected.length).toBeLessThan(uncut.length);
    for (const to of ['anthropic', 'mistral', 'gemini'] as const) {
      h.sim.setBehavior(model('openai'), { fault: { kind: 'cut', afterChunks: 5 } });
      try {
        const got = await streamText(h.client, `openai-${to}`, capped);
        expect(got.text, to).toBe(expected);
      } finally {
        h.sim.setBehavior(model('openai'), { fault: null });
      }
    }
  });
});
