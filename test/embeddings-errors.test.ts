/**
 * Issue 11: an embeddings request on a route whose model the provider does not have is the request's
 * error (the upstream's 404 `model_not_found`), not a 502 `all_targets_failed`; it neither cools the
 * target nor stops the next target of the route from answering. Client: the official openai SDK.
 */
import OpenAI, { NotFoundError } from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveConfig } from '../src/config/load.js';
import { startGateway, type Gateway } from '../src/main.js';
import { startSimulator, type Simulator } from '../src/simulator/index.js';

let openai: Simulator;
let gemini: Simulator;
let gateway: Gateway;
let client: OpenAI;

beforeAll(async () => {
  openai = await startSimulator({
    apiKey: 'sk-proj-4Gh8Jk2Lm6Np0Qr3St7Vw',
    strictModels: true,
    models: { 'text-embedding-3-small': {} },
  });
  gemini = await startSimulator({
    apiKey: 'AIzaSyC-7Rq2Vx9Lm4Tp8Wn3Kd6Hf1Jb5',
    strictModels: true,
    models: { 'gemini-embedding-001': {} },
  });
  const config = resolveConfig(
    {
      server: { port: 0 },
      providers: {
        openai: { type: 'openai', baseUrl: `${openai.url}/v1`, apiKey: 'sk-proj-4Gh8Jk2Lm6Np0Qr3St7Vw' },
        gemini: {
          type: 'gemini',
          baseUrl: `${gemini.url}/v1beta`,
          apiKey: 'AIzaSyC-7Rq2Vx9Lm4Tp8Wn3Kd6Hf1Jb5',
        },
      },
      routes: {
        'openai-missing': { targets: ['openai/text-embedding-nope'] },
        'gemini-missing': { targets: ['gemini/gemini-embedding-nope'] },
        'missing-then-ok': { targets: ['openai/text-embedding-nope', 'gemini/gemini-embedding-001'] },
      },
    },
    { env: {} },
  );
  gateway = await startGateway(config);
  client = new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: 'any', maxRetries: 0 });
});

afterAll(async () => {
  await gateway?.close();
  await Promise.all([openai?.close(), gemini?.close()]);
});

describe('embeddings on a model the provider does not have', () => {
  it.each(['openai-missing', 'gemini-missing'])('%s: the client gets 404 model_not_found', async (model) => {
    const error = (await client.embeddings
      .create({ model, input: 'hello' })
      .catch((e: unknown) => e)) as NotFoundError;
    expect(error).toBeInstanceOf(NotFoundError);
    expect(error.status).toBe(404);
    expect(error.code).toBe('model_not_found');
    expect(error.param).toBe('model');
    expect(error.type).toBe('invalid_request_error');
    expect(error.message).toMatch(/does not serve model (text-embedding|gemini-embedding)-nope/);
  });

  it('neither cools the target nor keeps the next target from answering', async () => {
    await client.embeddings.create({ model: 'openai-missing', input: 'a' }).catch(() => undefined);
    const { data, response } = await client.embeddings
      .create({ model: 'missing-then-ok', input: 'a' }, { headers: { 'x-switchyard-debug': 'trace' } })
      .withResponse();
    expect(data.data[0]!.embedding.length).toBeGreaterThan(0);
    expect(response.headers.get('x-switchyard-target')).toBe('gemini/gemini-embedding-001');
    // The missing model was asked again (not skipped as cooling): the failure did not count against it.
    expect(response.headers.get('x-switchyard-trace')).toContain(
      'openai/text-embedding-nope attempt embeddings_model_not_found',
    );
  });
});
