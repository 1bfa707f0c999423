/** Issue 13: Prometheus /metrics over real sockets — traffic through the gateway, then a scrape. */
import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { startHarness, userMessage, type Harness, type HarnessOptions } from './harness.js';

const OPS_KEY = 'sk-gateway-ops-0001';
const APP_KEY = 'sk-gateway-app-0002';
const KEYS = [
  { name: 'ops', key: OPS_KEY },
  { name: 'app', key: APP_KEY, models: ['m'] },
];

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

async function start(options: HarnessOptions = {}): Promise<Harness> {
  h = await startHarness({
    apiKey: OPS_KEY,
    providers: {
      // One USD per input token, two per output token: costs are whole numbers.
      primary: { prices: { 'model-a': { input: 1_000_000, output: 2_000_000 } } },
    },
    ...options,
    config: {
      keys: KEYS,
      breakers: { consecutiveFailures: 2 },
      ...options.config,
      metrics: { enabled: true, ...(options.config?.metrics as object | undefined) },
    },
  });
  return h;
}

async function scrape(key: string | null = OPS_KEY): Promise<{ status: number; text: string; type: string }> {
  const res = await request(`${h!.gateway.url}/metrics`, {
    headers: key ? { authorization: `Bearer ${key}` } : {},
  });
  return { status: res.statusCode, text: await res.body.text(), type: String(res.headers['content-type']) };
}

/** The value of the one sample of `name` whose labels are exactly `labels`; undefined when absent. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  const wanted = JSON.stringify(Object.entries(labels).sort());
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const got = [...(m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((l) => [l[1], l[2]]);
    if (JSON.stringify(got.sort()) === wanted) return Number(m[3]);
  }
  return undefined;
}

const OK_ATTEMPT = { route: 'm', target: 'primary/model-a', outcome: 'ok', reason: 'ok' };
const CHAT_A = {
  gen_ai_operation_name: 'chat',
  gen_ai_provider_name: 'primary',
  gen_ai_request_model: 'model-a',
};

describe('GET /metrics', () => {
  it('a success: requests, attempts, tokens, cost and the GenAI histograms, with exact labels', async () => {
    await start();
    const { data } = await h!.client.chat.completions
      .create({ model: 'm', messages: userMessage() })
      .withResponse();
    const { status, text, type } = await scrape();
    expect(status).toBe(200);
    expect(type).toContain('text/plain');
    const usage = data.usage!;
    expect(
      sample(text, 'switchyard_requests_total', { route: 'm', key: 'ops', status: '200', outcome: 'ok' }),
    ).toBe(1);
    expect(sample(text, 'switchyard_attempts_total', OK_ATTEMPT)).toBe(1);
    expect(sample(text, 'switchyard_requests_in_flight', { route: 'm' })).toBe(0);
    expect(sample(text, 'switchyard_tokens_total', { route: 'm', key: 'ops', type: 'input' })).toBe(
      usage.prompt_tokens,
    );
    expect(sample(text, 'switchyard_tokens_total', { route: 'm', key: 'ops', type: 'output' })).toBe(
      usage.completion_tokens,
    );
    expect(sample(text, 'switchyard_cost_usd_total', { route: 'm', key: 'ops' })).toBe(
      usage.prompt_tokens + 2 * usage.completion_tokens,
    );
    const output = { ...CHAT_A, gen_ai_token_type: 'output' };
    expect(sample(text, 'gen_ai_client_token_usage_sum', output)).toBe(usage.completion_tokens);
    expect(sample(text, 'gen_ai_client_token_usage_count', output)).toBe(1);
    const attempt = { ...CHAT_A, gen_ai_response_model: 'model-a' };
    expect(sample(text, 'gen_ai_client_operation_duration_seconds_count', attempt)).toBe(1);
    expect(sample(text, 'gen_ai_client_operation_duration_seconds_bucket', { ...attempt, le: '60' })).toBe(1);
    const served = {
      gen_ai_operation_name: 'chat',
      gen_ai_request_model: 'm',
      gen_ai_response_model: 'model-a',
    };
    expect(sample(text, 'gen_ai_server_request_duration_seconds_count', served)).toBe(1);
    expect(
      sample(text, 'switchyard_request_duration_seconds_count', { route: 'm', key: 'ops', outcome: 'ok' }),
    ).toBe(1);
    // Breakers start closed; no stream, so no time to first token.
    expect(sample(text, 'switchyard_breaker_state', { target: 'primary/model-a', state: 'closed' })).toBe(1);
    expect(sample(text, 'switchyard_request_ttft_seconds_count', { route: 'm', key: 'ops' })).toBeUndefined();
    // Secrets never appear; keys by name only.
    expect(text).not.toContain(OPS_KEY);
    expect(text).not.toContain('sk-primary');
  });

  it('a failover from a failing primary: retries, the failover, the failed attempts by reason', async () => {
    await start();
    h!.primary.setBehavior('model-a', { fault: { kind: 'status', status: 503 } });
    const { response } = await h!.client.chat.completions
      .create({ model: 'm', messages: userMessage() })
      .withResponse();
    const attempts = Number(response.headers.get('x-switchyard-attempts'));
    const failed = attempts - 1;
    expect(failed).toBeGreaterThanOrEqual(1);
    const { text } = await scrape();
    const retry = { route: 'm', target: 'primary/model-a', outcome: 'retry', reason: 'upstream_503' };
    expect(sample(text, 'switchyard_attempts_total', retry)).toBe(failed);
    expect(sample(text, 'switchyard_attempts_total', { ...OK_ATTEMPT, target: 'backup/model-b' })).toBe(1);
    expect(sample(text, 'switchyard_retries_total', { route: 'm', target: 'primary/model-a' })).toBe(
      failed - 1,
    );
    expect(
      sample(text, 'switchyard_failovers_total', {
        route: 'm',
        from: 'primary/model-a',
        to: 'backup/model-b',
        reason: 'upstream_503',
      }),
    ).toBe(1);
    const failedAttempt = { ...CHAT_A, gen_ai_response_model: 'model-a', error_type: 'upstream_503' };
    expect(sample(text, 'gen_ai_client_operation_duration_seconds_count', failedAttempt)).toBe(failed);
    expect(
      sample(text, 'switchyard_requests_total', { route: 'm', key: 'ops', status: '200', outcome: 'ok' }),
    ).toBe(1);
  });

  it('a stream: time to first token for the request and the attempt', async () => {
    await start();
    const stream = await h!.client.chat.completions.create({
      model: 'm',
      messages: userMessage(),
      stream: true,
    });
    for await (const _ of stream) void _;
    const { text } = await scrape();
    expect(sample(text, 'switchyard_request_ttft_seconds_count', { route: 'm', key: 'ops' })).toBe(1);
    const served = {
      gen_ai_operation_name: 'chat',
      gen_ai_request_model: 'm',
      gen_ai_response_model: 'model-a',
    };
    expect(sample(text, 'gen_ai_server_time_to_first_token_seconds_count', served)).toBe(1);
    expect(sample(text, 'gen_ai_client_operation_time_to_first_chunk_seconds_count', CHAT_A)).toBe(1);
    expect(sample(text, 'switchyard_attempts_total', OK_ATTEMPT)).toBe(1);
  });

  it('embeddings: input tokens counted, no output tokens (the usage has none), nothing thrown', async () => {
    await start();
    const { usage } = await h!.client.embeddings.create({ model: 'm', input: 'hello there' });
    const { text } = await scrape();
    const embed = { ...CHAT_A, gen_ai_operation_name: 'embeddings' };
    expect(sample(text, 'gen_ai_client_token_usage_sum', { ...embed, gen_ai_token_type: 'input' })).toBe(
      usage.prompt_tokens,
    );
    expect(
      sample(text, 'gen_ai_client_token_usage_count', { ...embed, gen_ai_token_type: 'output' }),
    ).toBeUndefined();
    expect(sample(text, 'switchyard_tokens_total', { route: 'm', key: 'ops', type: 'output' })).toBe(0);
    const served = {
      gen_ai_operation_name: 'embeddings',
      gen_ai_request_model: 'm',
      gen_ai_response_model: 'model-a',
    };
    expect(sample(text, 'gen_ai_server_request_duration_seconds_count', served)).toBe(1);
  });

  it('a breaker trip shows in the state gauge and the transitions counter', async () => {
    await start();
    h!.primary.setBehavior('model-a', { fault: { kind: 'status', status: 503 } });
    await h!.client.chat.completions.create({ model: 'm', messages: userMessage() });
    const { text } = await scrape();
    const target = 'primary/model-a';
    expect(sample(text, 'switchyard_breaker_state', { target, state: 'open' })).toBe(1);
    expect(sample(text, 'switchyard_breaker_state', { target, state: 'closed' })).toBe(0);
    expect(sample(text, 'switchyard_breaker_state', { target: 'backup/model-b', state: 'closed' })).toBe(1);
    const trip = { target, from: 'closed', to: 'open', reason: 'consecutive' };
    expect(sample(text, 'switchyard_breaker_transitions_total', trip)).toBe(1);
    // The next request skips the open target.
    await h!.client.chat.completions.create({ model: 'm', messages: userMessage() });
    const after = (await scrape()).text;
    expect(
      sample(after, 'switchyard_target_skips_total', { route: 'm', target, reason: 'breaker-open' }),
    ).toBe(1);
  });

  it('with keys configured: no key 401, a key limited to some models 403, an unrestricted key 200', async () => {
    await start();
    expect((await scrape(null)).status).toBe(401);
    expect((await scrape('sk-not-a-gateway-key')).status).toBe(401);
    const scoped = await scrape(APP_KEY);
    expect(scoped.status).toBe(403);
    expect(JSON.parse(scoped.text).error.code).toBeTruthy();
    expect((await scrape(OPS_KEY)).status).toBe(200);
  });

  it('requests refused before a route: counted apart by path, status and code, never as requests of a route', async () => {
    await start();
    const refused: string[] = [];
    h!.gateway.events.subscribe('request.refused', (e) => refused.push(`${e.path} ${e.status} ${e.outcome}`));
    const post = (path: string, key: string | null, body: unknown) =>
      request(`${h!.gateway.url}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}) },
        body: typeof body === 'string' ? body : JSON.stringify(body),
      }).then((r) => r.body.text());
    const chat = { model: 'm', messages: userMessage() };
    await post('/v1/chat/completions', null, chat); // no key
    await post('/v1/chat/completions', OPS_KEY, '{"model": '); // not JSON
    await post('/v1/chat/completions', OPS_KEY, { ...chat, model: 'no-such-model' });
    await post('/v1/chat/completions', APP_KEY, { ...chat, model: 'solo' }); // key not allowed the model
    await post('/v1/nowhere/../../etc', OPS_KEY, chat); // a path the gateway does not serve
    await h!.client.chat.completions.create(chat); // served: not refused
    expect(refused).toEqual([
      '/v1/chat/completions 401 invalid_api_key',
      '/v1/chat/completions 400 invalid_json',
      '/v1/chat/completions 404 model_not_found',
      '/v1/chat/completions 403 model_not_allowed',
      'other 404 unknown_url',
    ]);
    const { text } = await scrape();
    const refusedSample = (path: string, status: string, outcome: string) =>
      sample(text, 'switchyard_requests_refused_total', { path, status, outcome });
    expect(refusedSample('/v1/chat/completions', '401', 'invalid_api_key')).toBe(1);
    expect(refusedSample('/v1/chat/completions', '404', 'model_not_found')).toBe(1);
    // Only the served request is a route's request.
    expect(
      sample(text, 'switchyard_requests_total', { route: 'm', key: 'ops', status: '200', outcome: 'ok' }),
    ).toBe(1);
    expect(text).not.toMatch(/switchyard_requests_total\{[^}]*status="4/);
  });

  it('metrics.public opens it without a key; metrics.enabled false answers 404', async () => {
    await start({ config: { metrics: { public: true } } });
    expect((await scrape(null)).status).toBe(200);
    await h!.close();
    await start({ config: { metrics: { enabled: false } } });
    expect((await scrape()).status).toBe(404);
    expect(h!.gateway.metrics).toBeUndefined();
  });
});
