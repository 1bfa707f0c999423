/**
 * Issue 11: a bounded fuzz of the inbound API, run by CI with the rest of the suite. A few thousand
 * seeded cases (fuzz-cases.ts): wrong types at every field of a chat and an embeddings body, malformed,
 * truncated, huge and deeply nested JSON, odd content types, methods and paths, raw-socket garbage and
 * oversized headers. Every answer is OpenAI-shaped JSON with a 4xx (2xx for valid requests): never a
 * 5xx, a hang or a crash; afterwards /healthz answers and the simulated upstream's breaker is untouched.
 *
 * A failure names its seed and case; reproduce it with `FUZZ_SEED=<seed> npx vitest run test/inbound-fuzz.test.ts`
 * (FUZZ_CASES=<n> runs more cases).
 */
import { connect } from 'node:net';
import { Pool } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fuzzCase, type FuzzCase, type HttpCase, type RawCase } from './fuzz-cases.js';
import { raw, startHarness, type Harness } from './harness.js';

const SEED = Number(process.env.FUZZ_SEED ?? 11);
const CASES = Number(process.env.FUZZ_CASES ?? 2_000);
const CONCURRENCY = 16;
const HANG_MS = 10_000;

let h: Harness;
let pool: Pool;
const internalErrors: unknown[] = [];
beforeAll(async () => {
  h = await startHarness({
    config: {
      server: { port: 0, bodyLimitBytes: 64 * 1024, headersTimeoutMs: 500, requestTimeoutMs: 1_000 },
    },
    routes: {
      m: { targets: ['primary/model-a', 'backup/model-b'] },
      solo: { targets: ['primary/model-a'] },
      emb: { targets: ['primary/embed-a'] },
    },
  });
  pool = new Pool(h.gateway.url, { connections: CONCURRENCY });
  const originalError = console.error;
  console.error = (...args: unknown[]) => {
    if (args[0] === 'switchyard: internal error') internalErrors.push(args[1]);
    originalError(...args);
  };
});
afterAll(async () => {
  await pool.close();
  await h.close();
});

interface Answer {
  status: number;
  contentType: string;
  body: string;
}

async function sendHttp(c: HttpCase): Promise<Answer> {
  const res = await pool.request({
    method: c.method,
    path: c.path,
    headers: c.headers,
    ...(c.body !== undefined ? { body: c.body } : {}),
    headersTimeout: HANG_MS,
    bodyTimeout: HANG_MS,
  });
  const body = await res.body.text();
  return { status: res.statusCode, contentType: String(res.headers['content-type'] ?? ''), body };
}

/** Writes the bytes on a fresh socket and reads until the server closes it (or HANG_MS passes). */
function sendRaw(c: RawCase): Promise<Answer | 'closed'> {
  return new Promise((resolve, reject) => {
    const socket = connect(Number(new URL(h.gateway.url).port), '127.0.0.1');
    const chunks: Buffer[] = [];
    const guard = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer and no close within ${HANG_MS} ms`));
    }, HANG_MS);
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(guard);
      const text = Buffer.concat(chunks).toString('latin1');
      if (text === '') return resolve('closed');
      const [head = '', body = ''] = text.split('\r\n\r\n');
      resolve({
        status: Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? 0),
        contentType: /content-type: ([^\r\n]*)/i.exec(head)?.[1] ?? '',
        body,
      });
    });
    socket.write(c.bytes, () => socket.end());
  });
}

/** Why the answer is wrong, or undefined when it is fine. */
function problem(c: FuzzCase, answer: Answer | 'closed'): string | undefined {
  if (answer === 'closed') return c.kind === 'raw' ? undefined : 'connection closed without an answer';
  const { status, contentType, body } = answer;
  if (status < 200 || status >= 500) return `status ${status}`;
  if (status < 300) {
    if (c.kind === 'raw') return `${status} for a request that is not valid HTTP`;
    if (contentType.startsWith('text/event-stream'))
      return body.includes('data: ') ? undefined : 'empty stream';
  }
  if (!contentType.startsWith('application/json')) return `content-type "${contentType}"`;
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return 'a body that is not JSON';
  }
  if (status >= 300) {
    const error = (parsed as { error?: Record<string, unknown> }).error;
    const shaped =
      typeof error?.message === 'string' &&
      typeof error.type === 'string' &&
      (error.param === null || typeof error.param === 'string') &&
      (error.code === null || typeof error.code === 'string');
    if (!shaped) return 'an error that is not OpenAI-shaped';
  }
  return undefined;
}

const describeCase = (index: number, c: FuzzCase): string => {
  const input =
    c.kind === 'raw'
      ? c.bytes.toString('latin1')
      : `${c.method} ${c.path} ${JSON.stringify(c.headers)} ${c.body ?? ''}`;
  const shown = input.length > 600 ? `${input.slice(0, 600)}… (${input.length} characters)` : input;
  return `seed ${SEED}, case ${index} (${c.kind}: ${c.what}): ${JSON.stringify(shown)}`;
};

describe('inbound API fuzz', () => {
  it(`answers ${CASES} hostile requests with OpenAI-shaped 4xx (2xx when valid), never 5xx, a hang or a crash`, async () => {
    const failures: string[] = [];
    const statuses = new Map<number, number>();
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < CASES && failures.length < 5) {
        const index = next++;
        const c = fuzzCase(SEED, index);
        let answer: Answer | 'closed';
        try {
          answer = c.kind === 'raw' ? await sendRaw(c) : await sendHttp(c);
        } catch (error) {
          failures.push(`${describeCase(index, c)} → ${(error as Error).message}`);
          continue;
        }
        if (answer !== 'closed') statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
        const wrong = problem(c, answer);
        if (wrong) {
          const got = answer === 'closed' ? '' : ` ${answer.body.slice(0, 300)}`;
          failures.push(`${describeCase(index, c)} → ${wrong}${got}`);
        }
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    const reproduce = `reproduce with FUZZ_SEED=${SEED} FUZZ_CASES=${CASES} npx vitest run test/inbound-fuzz.test.ts`;
    expect(failures, `${failures.join('\n\n')}\n${reproduce}`).toEqual([]);
    expect(internalErrors).toEqual([]);
    // Both kinds of answer were exercised, or the fuzz is not testing much.
    expect([...statuses.keys()].some((s) => s >= 200 && s < 300)).toBe(true);
    expect([...statuses.keys()].filter((s) => s >= 400).length).toBeGreaterThan(4);

    const health = await raw(`${h.gateway.url}/healthz`, { method: 'GET' });
    expect(health.status).toBe(200);
    const status = (await raw(`${h.gateway.url}/v1/switchyard/status`, { method: 'GET' })).json() as {
      targets: { id: string; state: string; consecutiveFailures: number; errorRate: number }[];
    };
    for (const t of status.targets) {
      expect(t, `the breaker of ${t.id}`).toMatchObject({
        state: 'closed',
        consecutiveFailures: 0,
        errorRate: 0,
      });
    }
  }, 120_000);
});
