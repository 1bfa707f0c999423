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
  handle: (sink: SseResponseSink, corked: () => number, writes: () => number) => unknown,
): Promise<[unknown, string]> {
  let observed: unknown;
  server = createServer((_req, res) => {
    const sink = new SseResponseSink(res, new ChatChunkEncoder('id', 'm', 0, false), () => ({}), 30_000);
    let writes = 0;
    const write = res.write.bind(res) as (chunk: string) => boolean;
    res.write = ((chunk: string) => (writes++, write(chunk))) as typeof res.write;
    observed = handle(
      sink,
      () => res.socket?.writableCorked ?? -1,
      () => writes,
    );
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
    const [corked, body] = await serve((sink, corked, writes) => {
      sink.open(meta);
      sink.part(text('first'));
      const beforeFlush = { corked: corked(), writes: writes() };
      sink.flush();
      const afterFlush = { corked: corked(), writes: writes() };
      sink.part(text(' second'));
      const laterPart = { corked: corked(), writes: writes() };
      sink.end();
      return { beforeFlush, afterFlush, laterPart };
    });
    // Without flush the first token would wait, corked, for whatever else this tick relays.
    expect(corked).toEqual({
      beforeFlush: { corked: 0, writes: 0 },
      afterFlush: { corked: 0, writes: 1 },
      laterPart: { corked: 0, writes: 1 }, // in a microtask, or with the end
    });
    expect(body).toMatch(/"content":"first"[\s\S]*"content":" second"[\s\S]*data: \[DONE\]\n\n$/);
  });

  it('writes what one upstream read brought in one write, in a microtask', async () => {
    const [writes, body] = await serve((sink, _corked, writes) => {
      sink.open(meta);
      sink.part(text('a'));
      sink.flush();
      for (const t of ['b', 'c', 'd']) sink.part(text(t));
      const beforeMicrotask = writes();
      sink.drained(); // the relay asks after every event: no write of its own
      return new Promise((done) =>
        queueMicrotask(() => {
          const afterMicrotask = writes();
          for (const t of ['e', 'f']) sink.part(text(t));
          sink.end(); // takes what is pending with it
          done({ beforeMicrotask, afterMicrotask, atEnd: writes() });
        }),
      );
    });
    expect(await writes).toEqual({ beforeMicrotask: 1, afterMicrotask: 2, atEnd: 2 });
    const contents = [...body.matchAll(/"content":"(\w)"/g)].map((m) => m[1]).join('');
    expect(contents).toBe('abcdef');
    expect(body).toMatch(/data: \[DONE\]\n\n$/);
  });
});
