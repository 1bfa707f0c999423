/**
 * Whatever building the upstream request throws is the request's or the gateway's fault, never the
 * provider's: no attempt is sent and the target's breaker learns nothing. (A body nested 10,000 levels
 * made JSON.stringify throw; the attempt answered 502 connection_error and counted a provider failure.)
 */
import { describe, expect, it } from 'vitest';
import type { ChatRequest } from '../core/chat.js';
import { ApiError } from '../core/errors.js';
import { resolveConfig } from '../config/load.js';
import { ManualClock } from '../resilience/manual-clock.js';
import type { UpstreamClient } from '../upstream/client.js';
import { Engine } from './engine.js';
import { healthFromConfig } from './health-from-config.js';

const config = resolveConfig(
  {
    providers: { p: { type: 'openai-compatible', baseUrl: 'http://127.0.0.1:9/v1' } },
    routes: { m: { targets: ['p/m'] } },
    breakers: { consecutiveFailures: 2 },
  },
  { env: {} },
);
const route = config.routes.get('m')!;

function nested(levels: number): unknown {
  let value: unknown = 'x';
  for (let i = 0; i < levels; i++) value = { a: value };
  return value;
}

async function run(request: ChatRequest): Promise<{ error: unknown; sends: number; engine: Engine }> {
  let sends = 0;
  const client = {
    send: () => {
      sends++;
      return Promise.reject(new Error('no upstream in this test'));
    },
  } as unknown as UpstreamClient;
  const clock = new ManualClock();
  const random = (): number => 0.5;
  const engine = new Engine({ client, clock, random, health: healthFromConfig(config, clock, random) });
  let error: unknown;
  for (let i = 0; i < 3; i++) {
    error = await engine
      .complete({ request, route, requestId: `r${i}`, cancel: new AbortController() })
      .catch((e: unknown) => e);
  }
  return { error, sends, engine };
}

const base: ChatRequest = { model: 'm', messages: [{ role: 'user', content: 'hi' }] };

describe('building the upstream request', () => {
  it('a body too deep to serialise is a 400, sends nothing and leaves the breaker alone', async () => {
    const { error, sends, engine } = await run({ ...base, metadata: nested(20_000) } as ChatRequest);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ status: 400, code: 'request_not_serializable' });
    expect(sends).toBe(0);
    expect(engine.health.status(route.targets)[0]).toMatchObject({ state: 'closed', consecutiveFailures: 0 });
  });

  it('any other throw is the gateway’s own error (a 500 upstream of nothing), never a provider failure', async () => {
    const { error, sends, engine } = await run({ ...base, seed: 1n } as unknown as ChatRequest);
    expect(error).toBeInstanceOf(TypeError);
    expect(sends).toBe(0);
    expect(engine.health.status(route.targets)[0]).toMatchObject({ state: 'closed', consecutiveFailures: 0 });
  });
});
