/**
 * Issue 11: a request nested 10,000 levels deep is the client's 400 before any attempt. It used to make
 * serialisation throw, answer 502 connection_error and count a provider failure: three such requests
 * ejected a healthy primary for 30 s.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { raw, startHarness, userMessage, type Harness } from './harness.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ config: { breakers: { consecutiveFailures: 3 } } });
});
afterAll(() => h.close());

/** `{"a":{"a":…"x"…}}` as text: ~20 KB at 10,000 levels. */
const nestedText = (levels: number): string => '{"a":'.repeat(levels) + '"x"' + '}'.repeat(levels);

const chat = (field: string): string => `{"model":"m","messages":[{"role":"user","content":"hi"}],${field}}`;

describe('deeply nested request bodies', () => {
  it('are a 400 naming the place, sent to no target, and leave the primary healthy', async () => {
    const deep = nestedText(10_000);
    const bodies = [
      chat(`"metadata":${deep}`),
      chat(
        `"tools":[{"type":"function","function":{"name":"f","parameters":{"type":"object","properties":{"p":${deep}}}}}]`,
      ),
      chat(`"response_format":{"type":"json_schema","json_schema":{"name":"s","schema":${deep}}}`),
      `{"model":"m","input":"hi","user":${deep}}`,
    ];
    for (const [i, body] of bodies.entries()) {
      const path = i === 3 ? '/v1/embeddings' : '/v1/chat/completions';
      const res = await raw(`${h.gateway.url}${path}`, { body });
      expect(res.status, res.text).toBe(400);
      expect(res.json()).toMatchObject({
        error: { type: 'invalid_request_error', code: 'nesting_too_deep' },
      });
      expect((res.json() as { error: { message: string } }).error.message).toMatch(/more than 64 levels/);
    }
    expect(h.primary.stats('model-a').requests).toBe(0);
    const status = (await raw(`${h.gateway.url}/v1/switchyard/status`, { method: 'GET' })).json() as {
      targets: { id: string; state: string; consecutiveFailures: number }[];
    };
    expect(status.targets.find((t) => t.id === 'primary/model-a')).toMatchObject({
      state: 'closed',
      consecutiveFailures: 0,
    });
    const ok = await h.client.chat.completions.create({ model: 'm', messages: userMessage() }).withResponse();
    expect(ok.response.headers.get('x-switchyard-target')).toBe('primary/model-a');
  });

  it('names the field and the path of the first value too deep', async () => {
    const res = await raw(`${h.gateway.url}/v1/chat/completions`, {
      body: chat(`"tools":[{"type":"function","function":{"name":"f","parameters":${nestedText(100)}}}]`),
    });
    expect(res.status).toBe(400);
    expect(res.json()).toMatchObject({
      error: { param: 'tools', message: expect.stringContaining('(at tools[0].function.parameters.a.a.a') },
    });
  });

  it('takes nesting up to the limit (a realistic nested tool schema)', async () => {
    // The body, tools, the tool, function, parameters, then 29 levels of properties/p: 63 levels.
    let schema = '{"type":"string"}';
    for (let i = 0; i < 29; i++) schema = `{"type":"object","properties":{"p":${schema}}}`;
    const res = await raw(`${h.gateway.url}/v1/chat/completions`, {
      body: chat(`"tools":[{"type":"function","function":{"name":"f","parameters":${schema}}}]`),
    });
    expect(res.status, res.text).toBe(200);
  });
});
