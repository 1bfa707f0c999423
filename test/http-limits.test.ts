/**
 * Issue 11: what node:http refuses before any handler runs is answered in OpenAI's error shape (it was
 * a bare 400 with an empty body), and the limits on slow and greedy clients are configurable.
 */
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from './harness.js';

let h: Harness;
let port: number;
beforeAll(async () => {
  h = await startHarness({
    config: {
      server: {
        port: 0,
        headersTimeoutMs: 300,
        requestTimeoutMs: 600,
        maxHeaderBytes: 4096,
        maxConnections: 3,
      },
    },
  });
  port = Number(new URL(h.gateway.url).port);
});
afterAll(() => h.close());

interface Answer {
  status: number;
  head: string;
  body: string;
}

/** Sends `parts` (strings, or pauses in ms) on a raw socket and reads everything until the server closes. */
function exchange(parts: (string | number)[]): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    const guard = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer within 5 s; got ${JSON.stringify(Buffer.concat(chunks).toString())}`));
    }, 5_000);
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(guard);
      const text = Buffer.concat(chunks).toString('utf8');
      const [head = '', body = ''] = text.split('\r\n\r\n');
      resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? 0), head, body });
    });
    void (async () => {
      for (const part of parts) {
        if (typeof part === 'number') await new Promise((r) => setTimeout(r, part));
        else if (!socket.destroyed) socket.write(part);
      }
    })();
  });
}

const openAiError = (answer: Answer, code: string): void => {
  expect(answer.head).toMatch(/content-type: application\/json/i);
  expect(JSON.parse(answer.body)).toEqual({
    error: { message: expect.any(String), type: 'invalid_request_error', param: null, code },
  });
};

describe('requests node:http refuses', () => {
  it('431 for headers over server.maxHeaderBytes', async () => {
    const answer = await exchange([`GET /healthz HTTP/1.1\r\nhost: x\r\nx-big: ${'a'.repeat(5000)}\r\n\r\n`]);
    expect(answer.status).toBe(431);
    openAiError(answer, 'request_header_fields_too_large');
  });

  it('408 when the headers do not arrive within server.headersTimeoutMs', async () => {
    const started = performance.now();
    const answer = await exchange(['GET /healthz HTTP/1.1\r\nhost: x\r\n']);
    expect(answer.status).toBe(408);
    openAiError(answer, 'request_timeout');
    expect(performance.now() - started).toBeLessThan(3_000);
  });

  it('408 when the body does not arrive within server.requestTimeoutMs', async () => {
    const answer = await exchange([
      'POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{"model":',
    ]);
    expect(answer.status).toBe(408);
    openAiError(answer, 'request_timeout');
  });

  it('an idle keep-alive connection is not cut by the headers timeout', async () => {
    const get = 'GET /healthz HTTP/1.1\r\nhost: x\r\n\r\n';
    const answer = await exchange([get, 800, `${get.slice(0, -2)}connection: close\r\n\r\n`]);
    expect(answer.head).toMatch(/^HTTP\/1\.1 200/);
    expect(answer.body).toMatch(/HTTP\/1\.1 200/);
  });

  it('400 for what is not HTTP', async () => {
    const answer = await exchange(['HELLO THERE\r\n\r\n']);
    expect(answer.status).toBe(400);
    openAiError(answer, 'bad_request');
  });

  it('closes connections past server.maxConnections at once, and serves the others', async () => {
    const open: Socket[] = [];
    try {
      for (let i = 0; i < 3; i++) {
        const s = connect(port, '127.0.0.1');
        await new Promise((r) => s.once('connect', r));
        open.push(s);
      }
      await new Promise((r) => setTimeout(r, 50));
      const extra = await exchange(['GET /healthz HTTP/1.1\r\nhost: x\r\n\r\n']);
      expect(extra.status).toBe(0);
      open[0]!.write('GET /healthz HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n');
      const served = await new Promise<string>((resolve) => {
        let text = '';
        open[0]!.on('data', (c: Buffer) => (text += c.toString()));
        open[0]!.on('close', () => resolve(text));
      });
      expect(served).toMatch(/^HTTP\/1\.1 200/);
    } finally {
      for (const s of open) s.destroy();
    }
  });
});
