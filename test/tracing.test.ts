/**
 * OpenTelemetry tracing end to end: the gateway exports OTLP/HTTP (JSON) to a local receiver on
 * loopback, configured only by OTEL_* variables passed as an env object (process.env is not touched).
 */
import { spawnSync } from 'node:child_process';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { BACKUP_KEY, PRIMARY_KEY, startHarness, userMessage, type Harness } from './harness.js';

interface OtlpValue {
  stringValue?: string;
  intValue?: number | string;
  boolValue?: boolean;
  doubleValue?: number;
}
interface OtlpAttribute {
  key: string;
  value: OtlpValue;
}
interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes: OtlpAttribute[];
  events?: { name: string; attributes: OtlpAttribute[] }[];
  status?: { code?: number; message?: string };
}
interface OtlpExport {
  resourceSpans: { resource: { attributes: OtlpAttribute[] }; scopeSpans: { spans: OtlpSpan[] }[] }[];
}

/** An OTLP/HTTP receiver: keeps every body and its headers. */
interface Receiver {
  url: string;
  posts: { path: string; headers: IncomingHttpHeaders; body: string }[];
  close(): Promise<void>;
}

async function startReceiver(): Promise<Receiver> {
  const posts: Receiver['posts'] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      posts.push({ path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    posts,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

const SPAN_KIND = { SERVER: 2, CLIENT: 3 };
const STATUS_ERROR = 2;

const value = (v: OtlpValue | undefined): unknown =>
  v === undefined
    ? undefined
    : (v.stringValue ?? (v.intValue !== undefined ? Number(v.intValue) : (v.boolValue ?? v.doubleValue)));
const attrs = (list: OtlpAttribute[] | undefined): Record<string, unknown> =>
  Object.fromEntries((list ?? []).map((a) => [a.key, value(a.value)]));

function spansOf(receiver: Receiver): { spans: OtlpSpan[]; resource: Record<string, unknown> } {
  const spans: OtlpSpan[] = [];
  let resource: Record<string, unknown> = {};
  for (const post of receiver.posts) {
    const body = JSON.parse(post.body) as OtlpExport;
    for (const rs of body.resourceSpans) {
      resource = attrs(rs.resource.attributes);
      for (const ss of rs.scopeSpans) spans.push(...ss.spans);
    }
  }
  return { spans, resource };
}

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const PARENT_ID = '00f067aa0ba902b7';
const PROMPT = 'a prompt that must never leave in a span';

let h: Harness | undefined;
let receiver: Receiver | undefined;
afterEach(async () => {
  await h?.close();
  await receiver?.close();
  h = undefined;
  receiver = undefined;
});

async function start(env: Record<string, string>): Promise<{ h: Harness; receiver: Receiver }> {
  receiver = await startReceiver();
  h = await startHarness({
    routes: {
      m: { targets: ['primary/model-a', 'backup/model-b'] },
      solo: { targets: ['primary/model-a'] },
      once: { targets: ['primary/model-a', 'backup/model-b'], retry: { maxRetriesPerTarget: 0 } },
      hedged: {
        targets: ['primary/model-h', 'backup/model-b'],
        hedge: { delayMs: 100, maxRatio: 1 },
        timeouts: { firstTokenMs: 5_000 },
      },
    },
    gateway: { env: { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, ...env } },
  });
  return { h, receiver };
}

/** Waits until the gateway announced the request's end, then exports everything (shutdown flushes). */
async function exportAll(harness: Harness): Promise<void> {
  await expect.poll(() => harness.gateway.tracing!.flush() ?? harness.gateway.tracing!.openSpans).toBe(0);
  await harness.gateway.tracing!.shutdown();
}

describe('OpenTelemetry tracing', () => {
  it('a request that fails over: one server span, two attempt children, the failover as an event', async () => {
    const { h, receiver } = await start({
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_SERVICE_NAME: 'gateway-under-test',
      OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment.name=test,team=platform%20ops',
      OTEL_EXPORTER_OTLP_HEADERS: 'x-collector-token=collector-secret',
    });
    h.primary.setBehavior('model-a', { fault: { kind: 'status', status: 503 } });
    const answer = await h.client.chat.completions.create(
      { model: 'once', messages: userMessage(PROMPT) },
      { headers: { traceparent: `00-${TRACE_ID}-${PARENT_ID}-01`, tracestate: 'vendor=abc' } },
    );
    expect(answer.choices[0]!.message.content).toBeTruthy();
    await exportAll(h);

    expect(receiver.posts.length).toBeGreaterThan(0);
    for (const post of receiver.posts) {
      expect(post.path).toBe('/v1/traces');
      expect(post.headers['content-type']).toBe('application/json');
      expect(post.headers['x-collector-token']).toBe('collector-secret');
      // No prompt, no provider key in any export.
      for (const secret of [PROMPT, PRIMARY_KEY, BACKUP_KEY]) expect(post.body).not.toContain(secret);
    }
    const { spans, resource } = spansOf(receiver);
    expect(resource).toMatchObject({
      'service.name': 'gateway-under-test',
      'deployment.environment.name': 'test',
      team: 'platform ops',
      'telemetry.sdk.language': 'nodejs',
    });
    expect(spans).toHaveLength(3);
    const server = spans.find((s) => s.kind === SPAN_KIND.SERVER)!;
    const attempts = spans.filter((s) => s.kind === SPAN_KIND.CLIENT);

    // The client's trace continues: same trace id, its span is the parent.
    expect(server.traceId).toBe(TRACE_ID);
    expect(server.parentSpanId).toBe(PARENT_ID);
    expect(server.name).toBe('chat once');
    expect(attrs(server.attributes)).toMatchObject({
      'gen_ai.operation.name': 'chat',
      'gen_ai.request.model': 'once',
      'gen_ai.response.model': 'model-b',
      'http.response.status_code': 200,
      'switchyard.attempts': 2,
      'switchyard.target': 'backup/model-b',
      'switchyard.fallback_reason': 'primary/model-a: upstream_503',
      'switchyard.outcome': 'ok',
    });
    expect(attrs(server.attributes)['gen_ai.usage.input_tokens']).toBeGreaterThan(0);
    expect(server.status?.code ?? 0).not.toBe(STATUS_ERROR);
    const events = server.events ?? [];
    const failover = events.find((e) => e.name === 'switchyard.failover');
    expect(attrs(failover?.attributes)).toEqual({
      'switchyard.failover.from': 'primary/model-a',
      'switchyard.failover.to': 'backup/model-b',
      'switchyard.reason': 'upstream_503',
    });
    expect(attrs(events.find((e) => e.name === 'switchyard.retry_denied')?.attributes)).toMatchObject({
      'switchyard.target': 'primary/model-a',
      'switchyard.reason': 'max-retries',
    });

    expect(attempts).toHaveLength(2);
    for (const a of attempts) {
      expect(a.traceId).toBe(TRACE_ID);
      expect(a.parentSpanId).toBe(server.spanId);
    }
    const [failed, ok] = [
      attempts.find((a) => attrs(a.attributes)['switchyard.target'] === 'primary/model-a')!,
      attempts.find((a) => attrs(a.attributes)['switchyard.target'] === 'backup/model-b')!,
    ];
    expect(failed.name).toBe('chat model-a');
    expect(failed.status?.code).toBe(STATUS_ERROR);
    expect(attrs(failed.attributes)).toMatchObject({
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'primary',
      'gen_ai.request.model': 'model-a',
      'error.type': 'upstream_503',
      'http.response.status_code': 503,
      'server.address': '127.0.0.1',
      'server.port': Number(new URL(h.primary.url).port),
      // A 503 is retryable; the retry was denied (max-retries), so the request failed over.
      'switchyard.outcome': 'retry',
    });
    expect(ok.name).toBe('chat model-b');
    expect(ok.status?.code ?? 0).not.toBe(STATUS_ERROR);
    const okAttrs = attrs(ok.attributes);
    expect(okAttrs).toMatchObject({
      'gen_ai.provider.name': 'backup',
      'gen_ai.request.model': 'model-b',
      'gen_ai.response.model': 'model-b',
      'server.port': Number(new URL(h.backup.url).port),
      'switchyard.outcome': 'ok',
    });
    expect(okAttrs['gen_ai.usage.input_tokens']).toBeGreaterThan(0);
    expect(okAttrs['gen_ai.usage.output_tokens']).toBeGreaterThan(0);
    expect(okAttrs).not.toHaveProperty('error.type');
  });

  it('a new trace without a traceparent; an unsampled parent is honoured (nothing exported)', async () => {
    const { h, receiver } = await start({});
    await h.client.chat.completions.create(
      { model: 'm', messages: userMessage() },
      { headers: { traceparent: `00-${TRACE_ID}-${PARENT_ID}-00` } },
    );
    await h.client.chat.completions.create({ model: 'm', messages: userMessage() });
    await exportAll(h);
    const { spans } = spansOf(receiver);
    expect(spans.map((s) => s.name)).toEqual(['chat model-a', 'chat m']);
    expect(spans[1]!.traceId).not.toBe(TRACE_ID);
    expect(spans[1]!.parentSpanId ?? '').toBe('');
  });

  it('a hedge: both attempts are children (the loser cancelled, not failed), the hedge as events', async () => {
    const { h, receiver } = await start({});
    let attemptsEnded = 0;
    h.gateway.events.subscribe('attempt.ended', () => attemptsEnded++);
    h.primary.setBehavior('model-h', { ttftMs: 2_000 });
    const stream = await h.client.chat.completions.create({
      model: 'hedged',
      messages: userMessage(),
      stream: true,
    });
    for await (const _ of stream) void _;
    // The loser's attempt may end after the request did.
    await expect.poll(() => attemptsEnded).toBe(2);
    await exportAll(h);
    const { spans } = spansOf(receiver);
    const server = spans.find((s) => s.kind === SPAN_KIND.SERVER)!;
    const attempts = spans.filter((s) => s.kind === SPAN_KIND.CLIENT);
    expect(attempts.map((a) => a.parentSpanId)).toEqual([server.spanId, server.spanId]);
    const loser = attempts.find((a) => a.name === 'chat model-h')!;
    expect(attrs(loser.attributes)).toMatchObject({
      'switchyard.outcome': 'cancelled',
      'switchyard.reason': 'lost_race',
    });
    expect(loser.status?.code ?? 0).not.toBe(STATUS_ERROR);
    const events = (server.events ?? []).map((e) => [e.name, attrs(e.attributes)]);
    expect(events).toContainEqual([
      'switchyard.hedge',
      {
        'switchyard.hedge.primary': 'primary/model-h',
        'switchyard.target': 'backup/model-b',
        'switchyard.hedge.delay_ms': 100,
      },
    ]);
    expect(events).toContainEqual([
      'switchyard.hedge_settled',
      { 'switchyard.hedge.winner': 'backup/model-b', 'switchyard.hedge.result': 'won' },
    ]);
  });

  it('a failed request: status ERROR and error.type on the server span', async () => {
    const { h, receiver } = await start({});
    h.primary.setBehavior('model-a', { fault: { kind: 'status', status: 503 } });
    await expect(
      h.client.chat.completions.create({ model: 'solo', messages: userMessage() }),
    ).rejects.toThrow();
    await exportAll(h);
    const server = spansOf(receiver).spans.find((s) => s.kind === SPAN_KIND.SERVER)!;
    expect(server.status?.code).toBe(STATUS_ERROR);
    expect(attrs(server.attributes)).toMatchObject({
      'http.response.status_code': 503,
      'error.type': 'all_targets_failed',
    });
  });

  it.each([
    ['no OTEL_* variable', {}],
    ['OTEL_SDK_DISABLED=true', { OTEL_SDK_DISABLED: 'true', OTEL_EXPORTER_OTLP_ENDPOINT: 'URL' }],
    ['OTEL_TRACES_EXPORTER=none', { OTEL_TRACES_EXPORTER: 'none', OTEL_EXPORTER_OTLP_ENDPOINT: 'URL' }],
  ])('off with %s: no tracing, nothing exported', async (_label, vars: Record<string, string>) => {
    receiver = await startReceiver();
    const env = Object.fromEntries(
      Object.entries(vars).map(([k, v]) => [k, v === 'URL' ? receiver!.url : v]),
    );
    h = await startHarness({ gateway: { env } });
    expect(h.gateway.tracing).toBeUndefined();
    await h.client.chat.completions.create({ model: 'm', messages: userMessage() });
    await h.gateway.drain({ drainMs: 1_000 });
    expect(receiver.posts).toEqual([]);
  });

  it('a gateway without tracing loads none of the SDK (the built gateway, in a process of its own)', () => {
    // Which OpenTelemetry packages a gateway started with `env` has loaded (CommonJS: require.cache).
    const script = (env: Record<string, string>): string => `
      import { createRequire } from 'node:module';
      const { startGateway } = await import('./dist/main.js');
      const { resolveConfig } = await import('./dist/config/load.js');
      const { silentLogger } = await import('./dist/telemetry/logger.js');
      const config = resolveConfig(
        { server: { port: 0 }, providers: { p: { type: 'openai', apiKey: 'x' } }, routes: { m: { targets: ['p/m'] } } },
        { env: {} },
      );
      const gateway = await startGateway(config, { env: ${JSON.stringify(env)}, log: silentLogger });
      const loaded = Object.keys(createRequire(import.meta.url).cache)
        .filter((p) => p.includes('@opentelemetry/'))
        .map((p) => p.split('@opentelemetry/')[1].split('/')[0]);
      await gateway.close();
      console.log(JSON.stringify([...new Set(loaded)].sort()));`;
    const root = new URL('..', import.meta.url).pathname;
    const loaded = (env: Record<string, string>): string[] => {
      const run = spawnSync(process.execPath, ['--input-type=module', '-e', script(env)], {
        cwd: root,
        encoding: 'utf8',
      });
      expect(run.stderr).toBe('');
      return JSON.parse(run.stdout) as string[];
    };
    // prom-client looks for @opentelemetry/api (exemplars) on its own; the SDK stays out.
    expect(loaded({}).filter((p) => p !== 'api')).toEqual([]);
    expect(loaded({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9' })).toEqual(
      expect.arrayContaining(['exporter-trace-otlp-http', 'resources', 'sdk-trace-base']),
    );
  });
});
