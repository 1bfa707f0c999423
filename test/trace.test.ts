/** Issue 4 (visibility and cost): the decision trace and each attempt's tokens and cost. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EventName } from '../src/core/events.js';
import { TRACE_OF, type TraceEntry } from '../src/core/trace.js';
import type { RequestRecord } from '../src/telemetry/request-log.js';
import { startHarness, userMessage, type Harness } from './harness.js';

let h: Harness;
const records: RequestRecord[] = [];
beforeAll(async () => {
  h = await startHarness({
    logger: { log: (r) => records.push(r) },
    routes: { m: { targets: ['primary/model-a', 'backup/model-b'], timeouts: { firstTokenMs: 300 } } },
  });
});
afterAll(() => h.close());

describe('decision trace and cost accounting', () => {
  it("a stream's trace, sent at its commit point, names the attempt still streaming", async () => {
    h.primary.setBehavior('model-a', { fault: { kind: 'status', status: 503 } });
    const { data, response } = await h.client.chat.completions
      .create(
        { model: 'm', messages: userMessage(), stream: true },
        { headers: { 'x-switchyard-debug': 'trace' } },
      )
      .withResponse();
    for await (const chunk of data) void chunk;
    const trace = response.headers.get('x-switchyard-trace')!;
    expect(trace).toMatch(/^primary\/model-a attempt upstream_503 \d+ms; /);
    expect(trace).toMatch(/; backup\/model-b attempt streaming$/);
  });

  it('returns the trace on request and logs every attempt, failed ones included, with tokens', async () => {
    h.primary.setBehavior('model-a', { fault: { kind: 'status', status: 503 } });
    const { response } = await h.client.chat.completions
      .create({ model: 'm', messages: userMessage() }, { headers: { 'x-switchyard-debug': 'trace' } })
      .withResponse();
    const trace = response.headers.get('x-switchyard-trace')!;
    expect(trace).toMatch(
      /^primary\/model-a attempt upstream_503 \d+ms; primary\/model-a wait backoff \d+ms; /,
    );
    expect(trace).toMatch(/backup\/model-b attempt ok \d+ms$/);
    const record = records.at(-1)!;
    expect(record).toMatchObject({
      model: 'm',
      status: 200,
      target: 'backup/model-b',
      attempts: 3,
      endpoint: 'chat',
    });
    const attempts = record.trace.filter((t) => t.action === 'attempt');
    expect(attempts.map((a) => a.result)).toEqual(['upstream_503', 'upstream_503', 'ok']);
    expect(attempts[2]!.tokens).toMatchObject({ estimated: false });
    expect(attempts[2]!.tokens!.completion).toBeGreaterThan(0);
    // A 503 is not billed: no tokens on the failed attempts.
    expect(attempts[0]!.tokens).toBeUndefined();
  });

  it('counts the tokens of an abandoned slow stream, estimated', async () => {
    h.primary.setBehavior('model-a', { fault: null, ttftMs: 5_000 });
    const stream = await h.client.chat.completions.create(
      { model: 'm', messages: userMessage(), stream: true },
      { headers: { 'x-switchyard-timeout-ms': '10000' } },
    );
    for await (const _chunk of stream) void _chunk;
    const attempts = records.at(-1)!.trace.filter((t) => t.action === 'attempt');
    expect(attempts[0]).toMatchObject({
      result: 'first_token_timeout',
      tokens: { estimated: true, completion: 0 },
    });
    expect(attempts[0]!.tokens!.prompt).toBeGreaterThan(0);
  });

  it('is built from the typed events alone: the bus’s events of a request rebuild its trace exactly', async () => {
    h.primary.setBehavior('model-a', { fault: { kind: 'status', status: 503 } });
    const byRequest = new Map<string, TraceEntry[]>();
    const stops = (Object.keys(TRACE_OF) as EventName[]).map((name) =>
      h.gateway.events.subscribe(name, (e) => {
        const id = (e as { requestId?: string }).requestId;
        if (id === undefined) return;
        const entries = byRequest.get(id) ?? [];
        (TRACE_OF[name] as (event: typeof e, trace: TraceEntry[]) => void)(e, entries);
        byRequest.set(id, entries);
      }),
    );
    try {
      await h.client.chat.completions.create({ model: 'm', messages: userMessage() });
    } finally {
      for (const stop of stops) stop();
    }
    const record = records.at(-1)!;
    // A skip (the primary is out after the tests above) or a failed attempt, then the answer.
    expect(record.trace.length).toBeGreaterThan(1);
    expect(record.trace.at(-1)).toMatchObject({ target: 'backup/model-b', action: 'attempt', result: 'ok' });
    expect(byRequest.get(record.requestId)).toEqual(record.trace);
  });
});
