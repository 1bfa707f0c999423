/**
 * UpstreamBody over real loopback HTTP (node:http servers that misbehave on purpose): caps, excerpts,
 * backpressure, cancellation at every phase, and the connection slot given back once on every path.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { UpstreamRequestSpec } from '../providers/types.js';
import { UpstreamCancel, UpstreamClient, UpstreamError } from './client.js';
import { readCapped, readErrorExcerpt } from './read-body.js';

type Route = (req: IncomingMessage, res: ServerResponse) => void;
const routes = new Map<string, Route>();
/** The connection of the last request the server took: an abort by the gateway destroys it. */
let lastSocket: Socket | undefined;
const cutOff = (): boolean => lastSocket?.destroyed === true;
let server: Server;
let base: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    lastSocket = req.socket;
    req.resume();
    req.on('end', () => routes.get(req.url ?? '')!(req, res));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const KB = 1024;

function route(path: string, handler: Route): UpstreamRequestSpec {
  routes.set(path, handler);
  return { method: 'POST', url: `${base}${path}`, headers: {}, body: '{}' };
}

const options = (signal = new UpstreamCancel()) => ({
  signal,
  headersTimeoutMs: 2_000,
  connectTimeoutMs: 1_000,
});

/** Writes `total` bytes of `x` in 16 KiB writes, honouring backpressure; counts what was written. */
function pour(res: ServerResponse, total: number, written: { bytes: number }): void {
  const chunk = Buffer.alloc(16 * KB, 'x');
  const more = (): void => {
    while (written.bytes < total) {
      written.bytes += chunk.length;
      if (!res.write(chunk)) {
        res.once('drain', more);
        return;
      }
    }
    res.end();
  };
  more();
}

async function slotsFree(client: UpstreamClient): Promise<void> {
  await expect.poll(() => client.usage().every((u) => u.active === 0 && u.queued === 0)).toBe(true);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('UpstreamBody', () => {
  it('reads a chunked body whole, and refuses one past the cap mid-body (the request is aborted)', async () => {
    const client = new UpstreamClient({ connectionsPerOrigin: 1 });
    const spec = route('/chunked', (_req, res) => {
      res.write('a'.repeat(10 * KB));
      setTimeout(() => res.end('b'.repeat(10 * KB)), 10);
    });
    const whole = await client.send(spec, options());
    expect(await readCapped(whole, 20 * KB)).toBe('a'.repeat(10 * KB) + 'b'.repeat(10 * KB));
    const capped = await client.send(spec, options());
    expect(await readCapped(capped, 15 * KB)).toBeUndefined();
    await expect.poll(cutOff).toBe(true);
    await slotsFree(client);
    // The slot came back: the next request is served at once.
    const again = await client.send(spec, options());
    expect((await readCapped(again, 20 * KB))?.length).toBe(20 * KB);
    await client.close();
  });

  it('refuses a Content-Length over the cap before reading, and keeps only the declared length', async () => {
    const client = new UpstreamClient({ connectionsPerOrigin: 1 });
    const big = route('/declared', (_req, res) => {
      res.writeHead(200, { 'content-length': String(4 * 1024 * KB) });
      res.write('x'.repeat(KB));
    });
    const response = await client.send(big, options());
    expect(await readCapped(response, 1024 * KB)).toBeUndefined();
    await expect.poll(cutOff).toBe(true);
    await slotsFree(client);
    // More bytes than declared: the answer is the declared length, the rest never reaches the reader.
    const past = route('/past-length', (req) => {
      req.socket.write('HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\nhello, and more bytes');
      req.socket.end();
    });
    expect(await readCapped(await client.send(past, options()), 1024)).toBe('hello');
    await slotsFree(client);
    await client.close();
  });

  it('reads the first 64 KiB of an error answer and drops the rest', async () => {
    const client = new UpstreamClient({ connectionsPerOrigin: 1 });
    const written = { bytes: 0 };
    const spec = route('/error-flood', (_req, res) => {
      res.writeHead(500, { 'content-type': 'text/plain' });
      pour(res, 64 * 1024 * KB, written);
    });
    const response = await client.send(spec, options());
    expect(response.status).toBe(500);
    const excerpt = await readErrorExcerpt(response.body);
    expect(excerpt).toBe('x'.repeat(64 * KB));
    await slotsFree(client);
    expect(written.bytes).toBeLessThan(32 * 1024 * KB);
    const short = route('/error-short', (_req, res) => {
      res.writeHead(429, { 'retry-after': '2' });
      res.end('slow down');
    });
    const limited = await client.send(short, options());
    expect(limited.headers['retry-after']).toBe('2');
    expect(await readErrorExcerpt(limited.body)).toBe('slow down');
    await client.close();
  });

  it('streams with backpressure: while the reader waits, no chunk comes and the server is held back', async () => {
    const client = new UpstreamClient({ connectionsPerOrigin: 1 });
    const written = { bytes: 0 };
    const total = 64 * 1024 * KB;
    const spec = route('/stream', (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      pour(res, total, written);
    });
    const response = await client.send(spec, options());
    let read = 0;
    let waiting = false;
    let duringWait = 0;
    let writtenAfterWait = 0;
    await response.body.stream((chunk) => {
      if (waiting) duringWait++;
      read += chunk.length;
      if (read < 1024 * KB || writtenAfterWait) return undefined;
      waiting = true;
      return sleep(400).then(() => {
        writtenAfterWait = written.bytes;
        waiting = false;
      });
    });
    expect(duringWait).toBe(0);
    expect(read).toBe(total);
    // Held back by the socket buffers only (a few MB); unpaused, undici reads ~30 MB in that time.
    expect(writtenAfterWait).toBeLessThan(total / 4);
    await slotsFree(client);
    await client.close();
  });

  it('a stream reader that says stop, or throws, aborts the request and gives the slot back', async () => {
    const client = new UpstreamClient({ connectionsPerOrigin: 1 });
    const spec = route('/endless', (_req, res) => {
      res.writeHead(200);
      const timer = setInterval(() => res.write('data: x\n\n'), 5);
      res.on('close', () => clearInterval(timer));
    });
    let chunks = 0;
    await (await client.send(spec, options())).body.stream(() => (++chunks < 3 ? undefined : false));
    expect(chunks).toBe(3);
    await expect.poll(cutOff).toBe(true);
    await slotsFree(client);
    const thrown = (await client.send(spec, options())).body.stream(() => {
      throw new Error('decoder broke');
    });
    await expect(thrown).rejects.toThrow('decoder broke');
    await expect.poll(cutOff).toBe(true);
    await slotsFree(client);
    await client.close();
  });

  it('cancels while waiting for headers, while queued, and mid-body; the slot comes back each time', async () => {
    const client = new UpstreamClient({ connectionsPerOrigin: 1, queueTimeoutMs: 5_000 });
    const silent = route('/silent', () => undefined);
    const cancel = new UpstreamCancel();
    const pending = client.send(silent, options(cancel));
    const queuedCancel = new UpstreamCancel();
    const queued = client.send(silent, options(queuedCancel));
    await sleep(50);
    expect(client.usage()[0]).toMatchObject({ active: 1, queued: 1 });
    queuedCancel.cancel();
    const queuedError = await queued.catch((e: unknown) => e);
    expect((queuedError as UpstreamError).failure).toMatchObject({ reason: 'aborted', breaker: false });
    cancel.cancel();
    const error = await pending.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UpstreamError);
    expect((error as UpstreamError).failure).toMatchObject({ reason: 'aborted', breaker: false });
    await slotsFree(client);

    const trickle = route('/trickle', (_req, res) => {
      res.writeHead(200);
      res.write('first');
      res.on('close', () => undefined);
    });
    const midCancel = new UpstreamCancel();
    const response = await client.send(trickle, options(midCancel));
    const reading = response.body.text(1024);
    await sleep(20);
    midCancel.cancel();
    await expect(reading).rejects.toMatchObject({ code: 'UND_ERR_ABORTED' });
    await slotsFree(client);
    // An already cancelled request never reaches the provider.
    const gone = new UpstreamCancel();
    gone.cancel();
    const refused = await client.send(trickle, options(gone)).catch((e: unknown) => e);
    expect((refused as UpstreamError).failure.reason).toBe('aborted');
    await slotsFree(client);
    await client.close();
  });

  it('a body cut halfway rejects its reader, and fails before headers as a connection error', async () => {
    const client = new UpstreamClient({ connectionsPerOrigin: 1 });
    const cut = route('/cut', (req, res) => {
      res.writeHead(200, { 'content-length': '100' });
      res.write('x'.repeat(40));
      setTimeout(() => req.socket.destroy(), 10);
    });
    const response = await client.send(cut, options());
    await expect(response.body.text(1024)).rejects.toBeInstanceOf(Error);
    await slotsFree(client);
    const streamed = await client.send(cut, options());
    let got = 0;
    await expect(streamed.body.stream((chunk) => void (got += chunk.length))).rejects.toBeInstanceOf(Error);
    expect(got).toBe(40);
    await slotsFree(client);
    const hangUp = route('/hang-up', (req) => req.socket.destroy());
    const error = await client.send(hangUp, options()).catch((e: unknown) => e);
    expect((error as UpstreamError).failure.reason).toBe('connection_error');
    await slotsFree(client);
    await client.close();
  });

  it('a gateway closing mid-body fails the reader and gives the slot back', async () => {
    const client = new UpstreamClient({ connectionsPerOrigin: 1 });
    const spec = route('/slow', (_req, res) => {
      res.writeHead(200);
      res.write('part');
    });
    const response = await client.send(spec, options());
    const reading = response.body.text(1024);
    await client.close();
    await expect(reading).rejects.toBeInstanceOf(Error);
    expect(client.usage()[0]).toMatchObject({ active: 0, queued: 0 });
  });
});
