import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { ChatChunkEncoder } from './sse-encoder.js';
import { SseResponseSink } from './stream-sink.js';

let server: Server | undefined;
afterEach(() => new Promise<void>((done) => (server ? server.close(() => done()) : done())));

/** Runs `handle` on a real response over loopback and returns what it observed, and the body. */
async function serve(
  handle: (sink: SseResponseSink, corked: () => number) => unknown,
): Promise<[unknown, string]> {
  let observed: unknown;
  server = createServer((_req, res) => {
    const sink = new SseResponseSink(res, new ChatChunkEncoder('id', 'm', 0, false), () => ({}), 30_000);
    observed = handle(sink, () => res.socket?.writableCorked ?? -1);
  });
  await new Promise<void>((done) => server!.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  const res = await request(`http://127.0.0.1:${port}/`);
  return [observed, await res.body.text()];
}

const meta = { target: 'p/m', attempts: 1, trace: [] };
const text = (t: string) => ({ type: 'text' as const, choice: 0, text: t });

describe('SseResponseSink', () => {
  it('node:http holds a tick’s writes corked; flush() sends the first token at once', async () => {
    const [corked, body] = await serve((sink, corked) => {
      sink.open(meta);
      sink.part(text('first'));
      const beforeFlush = corked();
      sink.flush();
      const afterFlush = corked();
      sink.part(text(' second'));
      const laterWrite = corked();
      sink.end();
      return { beforeFlush, afterFlush, laterWrite };
    });
    // Without flush the first token would wait, corked, for whatever else this tick relays.
    expect(corked).toEqual({ beforeFlush: 1, afterFlush: 0, laterWrite: 1 });
    expect(body).toMatch(/"content":"first"[\s\S]*"content":" second"[\s\S]*data: \[DONE\]\n\n$/);
  });
});
