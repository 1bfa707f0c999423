/**
 * Issue 11: a streaming client that stops reading. Backpressure pauses the upstream read, and the time
 * the gateway waits for the client is not upstream stall time: it used to fire the stall timer and
 * blame the provider (five such clients opened a healthy target's breaker). A client that reads nothing
 * for server.clientStallMs is cut on its own, its upstream cancelled, logged as 499.
 */
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RequestRecord } from '../src/telemetry/request-log.js';
import { startHarness, userMessage, type Harness } from './harness.js';

const CLIENT_STALL_MS = 3_000;
const records: RequestRecord[] = [];
let h: Harness;
beforeAll(async () => {
  h = await startHarness({
    config: {
      server: { port: 0, clientStallMs: CLIENT_STALL_MS },
      breakers: { consecutiveFailures: 3 },
      defaults: { timeouts: { firstTokenMs: 10_000, stallMs: 2_000, requestMs: 30_000 } },
    },
    // A long stream: 200 tokens of 80 KB each (16 MB), far more than the socket buffers hold.
    primary: {
      defaultBehavior: {
        replyTokens: 200,
        replyText: Array.from({ length: 200 }, () => 'x'.repeat(80_000)).join(' '),
      },
    },
    logger: { log: (r) => records.push(r) },
  });
});
afterAll(() => h.close());

interface StalledClient {
  socket: Socket;
  /** performance.now() when it stopped reading. */
  pausedAt: number;
}

/** A raw client that sends a streaming request, reads the first bytes, then reads nothing more. */
function stalledClient(): Promise<StalledClient> {
  const port = Number(new URL(h.gateway.url).port);
  const body = JSON.stringify({ model: 'solo', messages: userMessage(), stream: true });
  return new Promise((resolve) => {
    const socket: Socket = connect(port, '127.0.0.1');
    socket.on('error', () => undefined);
    socket.once('data', () => {
      socket.pause();
      resolve({ socket, pausedAt: performance.now() });
    });
    socket.write(
      `POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    );
  });
}

/** Reads what is left until the connection closes; how much, and whether the stream ended properly. */
function readRest(socket: Socket): Promise<{ bytes: number; done: boolean }> {
  return new Promise((resolve) => {
    let bytes = 0;
    let tail = '';
    const guard = setTimeout(() => socket.destroy(), 5_000);
    socket.on('data', (c: Buffer) => {
      bytes += c.length;
      tail = (tail + c.toString('latin1')).slice(-64);
    });
    socket.once('close', () => {
      clearTimeout(guard);
      resolve({ bytes, done: tail.includes('[DONE]') });
    });
    socket.resume();
  });
}

describe('a streaming client that stops reading', () => {
  it('is cut after server.clientStallMs, and never counts against the target', async () => {
    const clients = await Promise.all(Array.from({ length: 5 }, () => stalledClient()));
    const pausedAt = Math.min(...clients.map((c) => c.pausedAt));
    const stalled = (): RequestRecord[] => records.filter((r) => r.model === 'solo' && r.stream);
    while (stalled().length < 5 && performance.now() - pausedAt < CLIENT_STALL_MS + 10_000) {
      await new Promise((r) => setTimeout(r, 50));
    }
    const cutAfterMs = performance.now() - pausedAt;
    expect(stalled().map((r) => r.status)).toEqual([499, 499, 499, 499, 499]);
    expect(cutAfterMs).toBeGreaterThan(CLIENT_STALL_MS * 0.8);
    for (const r of stalled()) expect(r.trace.map((t) => t.result)).toEqual(['aborted']);
    // The gateway closed the connections: what the clients read now ends short, without [DONE].
    for (const rest of await Promise.all(clients.map((c) => readRest(c.socket)))) {
      expect(rest.done).toBe(false);
      expect(rest.bytes).toBeLessThan(16_000_000);
    }

    const status = (await h.client.get('/switchyard/status')) as {
      targets: { id: string; state: string; consecutiveFailures: number; errorRate: number }[];
    };
    expect(status.targets.find((t) => t.id === 'primary/model-a')).toMatchObject({
      state: 'closed',
      consecutiveFailures: 0,
      errorRate: 0,
    });
    h.primary.setBehavior('default', {});
    const ok = await h.client.chat.completions
      .create({ model: 'solo', messages: userMessage(), max_tokens: 5 })
      .withResponse();
    expect(ok.response.headers.get('x-switchyard-target')).toBe('primary/model-a');
  }, 40_000);
});
