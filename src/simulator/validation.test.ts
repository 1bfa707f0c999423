/** Request validation: the SDK gets OpenAI's 400 `invalid_request_error` with the right param and code. */
import OpenAI, { APIError } from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from './index.js';

let sim: Simulator;
let client: OpenAI;

beforeAll(async () => {
  sim = await startSimulator();
  client = new OpenAI({ baseURL: `${sim.url}/v1`, apiKey: 'k', maxRetries: 0 });
});
afterAll(() => sim.close());

const hi = [{ role: 'user', content: 'hi' }];

async function rejected(body: Record<string, unknown>): Promise<APIError> {
  const error = await client.chat.completions.create(body as never).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(OpenAI.BadRequestError);
  const e = error as APIError;
  expect(e.type).toBe('invalid_request_error');
  return e;
}

const toolCall = (id: string) => ({ id, type: 'function', function: { name: 'f', arguments: '{}' } });
const tool = { type: 'function', function: { name: 'f', parameters: { type: 'object', properties: {} } } };

describe('chat request validation', () => {
  it('rejects a body that is not JSON', async () => {
    const response = await fetch(`${sim.url}/v1/chat/completions`, { method: 'POST', body: '{"model":' });
    expect(response.status).toBe(400);
    const { error } = (await response.json()) as { error: { message: string; param: null; code: null } };
    expect(error.message).toMatch(/^We could not parse the JSON body of your request/);
    expect(error).toMatchObject({ type: 'invalid_request_error', param: null, code: null });
  });

  it.each([
    ['missing model', { messages: hi }, null, null, 'you must provide a model parameter'],
    [
      'missing messages',
      { model: 'm' },
      'messages',
      'missing_required_parameter',
      "Missing required parameter: 'messages'.",
    ],
    [
      'empty messages',
      { model: 'm', messages: [] },
      'messages',
      'empty_array',
      "Invalid 'messages': empty array.",
    ],
    [
      'messages not an array',
      { model: 'm', messages: 'hi' },
      'messages',
      'invalid_type',
      'expected an array, but got a string',
    ],
    [
      'unknown role',
      { model: 'm', messages: [{ role: 'robot', content: 'x' }] },
      'messages[0].role',
      'invalid_value',
      "Invalid value: 'robot'. Supported values are: 'system', 'assistant', 'user', 'function', 'tool', and 'developer'.",
    ],
    [
      'missing content',
      { model: 'm', messages: [{ role: 'user' }] },
      'messages[0].content',
      'missing_required_parameter',
      'content',
    ],
    [
      'bad content part type',
      { model: 'm', messages: [{ role: 'user', content: [{ type: 'video', video: {} }] }] },
      'messages[0].content[0].type',
      'invalid_value',
      "Invalid value: 'video'.",
    ],
    [
      'image part in a system message',
      {
        model: 'm',
        messages: [{ role: 'system', content: [{ type: 'image_url', image_url: { url: 'u' } }] }],
      },
      'messages[0].content[0].type',
      'invalid_value',
      "Supported values are: 'text'.",
    ],
    [
      'text part without text',
      { model: 'm', messages: [{ role: 'user', content: [{ type: 'text' }] }] },
      'messages[0].content[0].text',
      'missing_required_parameter',
      'text',
    ],
    [
      'unknown parameter',
      { model: 'm', messages: hi, temprature: 1 },
      null,
      null,
      'Unrecognized request argument supplied: temprature',
    ],
    [
      'n above range',
      { model: 'm', messages: hi, n: 129 },
      'n',
      'integer_above_max_value',
      'Expected a value <= 128, but got 129 instead.',
    ],
    [
      'n below range',
      { model: 'm', messages: hi, n: 0 },
      'n',
      'integer_below_min_value',
      'Expected a value >= 1',
    ],
    [
      'temperature above 2',
      { model: 'm', messages: hi, temperature: 2.5 },
      'temperature',
      'decimal_above_max_value',
      '<= 2',
    ],
    [
      'temperature below 0',
      { model: 'm', messages: hi, temperature: -1 },
      'temperature',
      'decimal_below_min_value',
      '>= 0',
    ],
    [
      'wrong type',
      { model: 'm', messages: hi, temperature: 'hot' },
      'temperature',
      'invalid_type',
      "Invalid type for 'temperature': expected a decimal, but got a string instead.",
    ],
    [
      'max_tokens not an integer',
      { model: 'm', messages: hi, max_tokens: 1.5 },
      'max_tokens',
      'invalid_type',
      'expected an integer',
    ],
    [
      'stream_options without stream',
      { model: 'm', messages: hi, stream_options: { include_usage: true } },
      'stream_options',
      null,
      "The 'stream_options' parameter is only allowed when 'stream' is enabled.",
    ],
    [
      'tool_choice without tools',
      { model: 'm', messages: hi, tool_choice: 'auto' },
      'tool_choice',
      null,
      "'tool_choice' is only allowed when 'tools' are specified.",
    ],
    [
      'empty tools',
      { model: 'm', messages: hi, tools: [] },
      'tools',
      'empty_array',
      "Invalid 'tools': empty array.",
    ],
    [
      'tool without a name',
      { model: 'm', messages: hi, tools: [{ type: 'function', function: {} }] },
      'tools[0].function.name',
      'missing_required_parameter',
      'name',
    ],
    [
      'tool name with spaces',
      { model: 'm', messages: hi, tools: [{ type: 'function', function: { name: 'get weather' } }] },
      'tools[0].function.name',
      'invalid_value',
      'string does not match pattern',
    ],
    [
      'tool schema not an object schema',
      {
        model: 'm',
        messages: hi,
        tools: [{ type: 'function', function: { name: 'f', parameters: { type: 'string' } } }],
      },
      'tools[0].function.parameters',
      'invalid_function_parameters',
      "Invalid schema for function 'f'",
    ],
    [
      'tool schema properties not an object',
      {
        model: 'm',
        messages: hi,
        tools: [
          { type: 'function', function: { name: 'f', parameters: { type: 'object', properties: [] } } },
        ],
      },
      'tools[0].function.parameters',
      'invalid_function_parameters',
      "'properties' is not of type 'object'",
    ],
    [
      'tool message without tool_calls before it',
      { model: 'm', messages: [...hi, { role: 'tool', tool_call_id: 'call_1', content: 'r' }] },
      'messages.[1].role',
      null,
      "messages with role 'tool' must be a response to a preceeding message with 'tool_calls'",
    ],
    [
      'tool message answering an unknown id',
      {
        model: 'm',
        messages: [
          ...hi,
          { role: 'assistant', tool_calls: [toolCall('call_1')] },
          { role: 'tool', tool_call_id: 'call_2', content: 'r' },
        ],
      },
      'messages.[2].role',
      null,
      "must be a response to a preceeding message with 'tool_calls'",
    ],
    [
      'tool calls not answered before the next user turn',
      {
        model: 'm',
        tools: [tool],
        messages: [
          ...hi,
          { role: 'assistant', tool_calls: [toolCall('call_1'), toolCall('call_2')] },
          { role: 'tool', tool_call_id: 'call_1', content: 'r' },
          ...hi,
        ],
      },
      'messages.[1].role',
      null,
      "An assistant message with 'tool_calls' must be followed by tool messages responding to each 'tool_call_id'. The following tool_call_ids did not have response messages: call_2",
    ],
    [
      'empty tool_calls',
      { model: 'm', messages: [...hi, { role: 'assistant', tool_calls: [] }] },
      'messages[1].tool_calls',
      'empty_array',
      'empty array',
    ],
  ])('%s', async (_name, body, param, code, message) => {
    const error = await rejected(body);
    expect(error.status).toBe(400);
    expect(error.param).toBe(param);
    expect(error.code).toBe(code);
    expect(error.message).toContain(message);
  });

  it('treats null optional parameters as absent, as the API does', async () => {
    const data = await client.chat.completions.create({
      model: 'm',
      messages: [{ role: 'user', content: 'hi' }],
      temperature: null,
      n: null,
    });
    expect(data.choices).toHaveLength(1);
  });

  it('validates embeddings requests', async () => {
    for (const [body, param, code] of [
      [{ model: 'e' }, 'input', 'missing_required_parameter'],
      [{ model: 'e', input: '' }, null, null],
      [{ model: 'e', input: 'x', encoding_format: 'int8' }, 'encoding_format', 'invalid_value'],
      [{ model: 'e', input: 'x', dimensions: 0 }, 'dimensions', 'integer_below_min_value'],
      [{ model: 'e', input: 'x', dimensions: 1e308 }, 'dimensions', 'integer_above_max_value'],
      [{ model: 'e', input: 'x', colour: 'red' }, null, null],
    ] as const) {
      const error = await client.embeddings.create(body as never).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(OpenAI.BadRequestError);
      expect((error as APIError).param).toBe(param);
      expect((error as APIError).code).toBe(code);
    }
  });

  it('answers an unknown path with OpenAI 404 Invalid URL', async () => {
    const response = await fetch(`${sim.url}/v1/nothing`, { method: 'POST' });
    expect(response.status).toBe(404);
    expect(((await response.json()) as { error: { message: string } }).error.message).toBe(
      'Invalid URL (POST /v1/nothing)',
    );
  });

  it('counts rejected requests under their model', async () => {
    const before = sim.stats('counted').outcomes.rejected;
    await rejected({ model: 'counted', messages: [] });
    expect(sim.stats('counted').outcomes.rejected).toBe(before + 1);
  });
});
