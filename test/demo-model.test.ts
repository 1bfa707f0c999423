/**
 * Issue 11: the demo's simulated model behaves like a model. `npm start`'s configuration (the demo's
 * own config and simulator keys) with the openai SDK: an agent loop ends after one tool round trip,
 * and structured output parses against the zod schema that asked for it, streamed or not.
 */
import OpenAI from 'openai';
import { zodResponseFormat } from 'openai/helpers/zod';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { demoConfig } from '../src/demo/demo-config.js';
import { startGateway, type Gateway } from '../src/main.js';
import { startSimulator, type Simulator } from '../src/simulator/index.js';

let primary: Simulator;
let backup: Simulator;
let gateway: Gateway;
let client: OpenAI;
const model = 'gpt-4o-mini';

beforeAll(async () => {
  primary = await startSimulator({ apiKey: 'sk-demo-primary-0000' });
  backup = await startSimulator({ apiKey: 'sk-demo-backup-0000' });
  gateway = await startGateway(demoConfig({ primaryUrl: primary.url, backupUrl: backup.url }, { port: 0 }));
  client = new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: 'any', maxRetries: 0 });
});

afterAll(async () => {
  await gateway?.close();
  await Promise.all([primary?.close(), backup?.close()]);
});

const Recipe = z.object({
  title: z.string().min(3).max(60),
  servings: z.number().int().min(1).max(12),
  steps: z.array(z.string()).min(2),
});

describe("the demo's simulated model", () => {
  it('answers a tool result with text, so an agent loop ends', async () => {
    const tools: OpenAI.Chat.ChatCompletionTool[] = [
      {
        type: 'function',
        function: {
          name: 'lookup',
          parameters: { type: 'object', properties: { q: { type: 'string' } }, required: ['q'] },
        },
      },
    ];
    const messages: OpenAI.Chat.ChatCompletionMessageParam[] = [{ role: 'user', content: 'Look it up.' }];
    let rounds = 0;
    for (; rounds < 5; rounds++) {
      const answer = await client.chat.completions.create({ model, messages, tools });
      const message = answer.choices[0]!.message;
      if (!message.tool_calls?.length) {
        expect(message.content).toBeTruthy();
        break;
      }
      messages.push(message);
      for (const call of message.tool_calls)
        messages.push({ role: 'tool', tool_call_id: call.id, content: '42' });
    }
    expect(rounds).toBe(1);
  });

  it('generates objects: parse() with a zod schema, and a stream that parses', async () => {
    const parsed = await client.chat.completions.parse({
      model,
      messages: [{ role: 'user', content: 'A recipe.' }],
      response_format: zodResponseFormat(Recipe, 'recipe'),
    });
    expect(Recipe.parse(parsed.choices[0]!.message.parsed)).toBeTruthy();
    const stream = client.chat.completions.stream({
      model,
      messages: [{ role: 'user', content: 'A recipe.' }],
      response_format: zodResponseFormat(Recipe, 'recipe'),
    });
    const final = await stream.finalChatCompletion();
    expect(Recipe.parse(final.choices[0]!.message.parsed)).toBeTruthy();
  });

  it('answers json_object with a JSON object', async () => {
    const answer = await client.chat.completions.create({
      model,
      messages: [{ role: 'user', content: 'Reply in JSON.' }],
      response_format: { type: 'json_object' },
    });
    expect(JSON.parse(answer.choices[0]!.message.content!)).toEqual({ reply: expect.any(String) });
  });
});
