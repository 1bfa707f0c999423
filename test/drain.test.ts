/**
 * The drain from inside (Gateway.drain, as embedders and tests call it) and `Connection: close` on
 * streams, over real sockets between gateway and simulators. The CLI's signals: test/shutdown.test.ts.
 */
import { connect, type Socket } from 'node:net';
import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from './harness.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const routes = {
  solo: { targets: ['primary/model-a'] },
  short: { targets: ['primary/model-short'] },
  hedged: { targets: ['primary/model-a', 'backup/model-b'], hedge: { delayMs: 50 } },
};

function chatBody(model: string, stream: boolean): string {
  return JSON.stringify({ model, stream, messages: [{ role: 'user', content: 'Hi' }] });
}

/** One raw HTTP/1.1 exchange: what came back, and when the server closed the socket. */
interface Raw {
  socket: Socket;
  text(): string;
  /** Resolves when `pattern` has arrived. */
  until(pattern: RegExp): Promise<void>;
  /** Resolves with performance.now() when the server closed the connection. */
  closed: Promise<number>;
}

async function raw(url: string, head: string, body = ''): Promise<Raw> {
  const socket = connect(Number(new URL(url).port), '127.0.0.1');
  await new Promise((r) => socket.once('connect', r));
  let text = '';
  const waiters: { pattern: RegExp; resolve: () => void }[] = [];
  socket.on('data', (chunk: Buffer) => {
    text += chunk.toString();
    for (const w of waiters) if (w.pattern.test(text)) w.resolve();
  });
  const closed = new Promise<number>((resolve) => socket.once('close', () => resolve(performance.now())));
  const length = body
    ? `content-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n`
    : '';
  socket.write(`${head}\r\nhost: gateway\r\n${length}\r\n${body}`);
  return {
    socket,
    text: () => text,
    until: (pattern) =>
      new Promise((resolve) => (pattern.test(text) ? resolve() : waiters.push({ pattern, resolve }))),
    closed,
  };
}

const postStream = (url: string, model: string, extra = ''): Promise<Raw> =>
  raw(url, `POST /v1/chat/completions HTTP/1.1${extra}`, chatBody(model, true));

const within = <T>(promise: Promise<T>, ms: number): Promise<T | 'timed out'> =>
  Promise.race([promise, new Promise<'timed out'>((r) => setTimeout(() => r('timed out'), ms))]);

describe('Connection: close on a streaming request', () => {
  it('the server answers connection: close and closes the socket after [DONE]', async () => {
    h = await startHarness({ routes, primary: { defaultBehavior: { replyTokens: 5 } } });
    const closing = await postStream(h.gateway.url, 'solo', '\r\nconnection: close');
    expect(await within(closing.closed, 3_000)).not.toBe('timed out'); // not the 65 s keep-alive
    expect(closing.text().toLowerCase()).toContain('\r\nconnection: close\r\n');
    expect(closing.text()).toContain('data: [DONE]');

    const keepAlive = await postStream(h.gateway.url, 'solo');
    await keepAlive.until(/\r\n0\r\n\r\n$/); // the last chunk of the chunked body
    expect(keepAlive.text().toLowerCase()).toContain('\r\nconnection: keep-alive\r\n');
    expect(keepAlive.socket.destroyed).toBe(false);
    keepAlive.socket.destroy();
  });
});

describe('Gateway.drain', () => {
  it('closes idle connections at once, and a stream’s connection after it has ended', async () => {
    h = await startHarness({
      routes,
      primary: {
        defaultBehavior: { replyTokens: 30, tokensPerSecond: 10 }, // ~3 s
        models: { 'model-short': { replyTokens: 3, tokensPerSecond: 10 } },
      },
    });
    const { gateway } = h;
    const idle = await raw(gateway.url, 'GET /healthz HTTP/1.1');
    await idle.until(/\{"status":"ok"\}$/);
    const short = await postStream(gateway.url, 'short');
    const long = await postStream(gateway.url, 'solo');
    await Promise.all([short.until(/data: \{/), long.until(/data: \{/)]);

    const drained = gateway.drain({ drainMs: 10_000 });
    const idleClosed = await within(idle.closed, 1_000);
    expect(idleClosed).not.toBe('timed out');
    expect(gateway.inFlight).toBe(2); // both streams go on
    const [shortClosed, longDone] = await Promise.all([
      short.closed,
      long.until(/data: \[DONE\]\n\n\r\n0\r\n\r\n$/).then(() => performance.now()),
    ]);
    expect(short.text()).toMatch(/data: \[DONE\]\n\n\r\n0\r\n\r\n$/);
    expect(shortClosed).toBeLessThan(longDone); // closed after its stream, not at the drain's end
    expect(await drained).toMatchObject({ finished: 2, cut: 0, abandoned: 0 });
  });

  it('answers requests still waiting at the drain time with a 503 and charges no target', async () => {
    h = await startHarness({
      routes,
      config: {
        defaults: { timeouts: { firstTokenMs: 10_000, requestMs: 20_000 } },
        // A wait past the slow-call threshold is evidence on its own (in-flight age, see
        // first-token-waits.ts); the drain comes well before it, so only the shutdown could count.
        breakers: { slowCallMs: 5_000, slowCallFloorMs: 5_000 },
      },
      primary: { defaultBehavior: { ttftMs: 10_000 } },
      backup: { defaultBehavior: { ttftMs: 10_000 } },
    });
    const { gateway, primary, backup } = h;
    const send = (model: string, stream: boolean) =>
      request(`${gateway.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: chatBody(model, stream),
      });
    const answers = [send('solo', false), send('solo', true), send('hedged', true)];
    // Every attempt is waiting on its first token: the hedge too.
    while (primary.stats().requests < 3 || backup.stats().requests < 1) {
      await new Promise((r) => setTimeout(r, 20));
    }
    await new Promise((r) => setTimeout(r, 200));

    expect(await gateway.drain({ drainMs: 100 })).toMatchObject({ finished: 0, cut: 3 });
    for (const res of await Promise.all(answers)) {
      expect(res.statusCode).toBe(503);
      expect(res.headers.connection).toBe('close');
      expect(await res.body.json()).toEqual({
        error: {
          message: expect.stringContaining('shutting down'),
          type: 'server_error',
          param: null,
          code: 'server_shutting_down',
        },
      });
    }
    const targets = [...gateway.config.routes.get('hedged')!.targets];
    for (const status of gateway.engine.health.status(targets)) {
      expect(status).toMatchObject({ state: 'closed', callsInWindow: 0, consecutiveFailures: 0 });
    }
  });
});
