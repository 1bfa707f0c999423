/** A local webhook receiver (node:http on loopback) that records what it gets and answers as scripted. */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ScriptedAnswer {
  status?: number;
  headers?: Record<string, string>;
  /** Never answer (until the receiver closes). */
  hang?: boolean;
}

export interface WebhookReceiver {
  url: string;
  /** Every request's parsed JSON body, in arrival order (hung ones too). */
  bodies: Record<string, unknown>[];
  /** Each request's headers, in the same order. */
  headers: Record<string, string | string[] | undefined>[];
  /** How the next requests are answered, first to last; then 200. */
  script: ScriptedAnswer[];
  /** Requests received but not answered yet (hanging). */
  readonly hanging: number;
  /** Resolves when at least `n` requests have arrived. */
  received(n: number): Promise<void>;
  close(): Promise<void>;
}

export async function startWebhookReceiver(path = '/hook'): Promise<WebhookReceiver> {
  const bodies: Record<string, unknown>[] = [];
  const headers: WebhookReceiver['headers'] = [];
  const script: ScriptedAnswer[] = [];
  const hung = new Set<ServerResponse>();
  const waiters: { n: number; resolve: () => void }[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      headers.push(req.headers);
      bodies.push(JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>);
      for (const w of waiters.filter((w) => bodies.length >= w.n)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
      const answer = req.url === path ? (script.shift() ?? {}) : { status: 404 };
      if (answer.hang) {
        hung.add(res);
        res.on('close', () => hung.delete(res));
        return;
      }
      res.writeHead(answer.status ?? 200, { 'content-type': 'text/plain', ...answer.headers });
      res.end(answer.status && answer.status >= 400 ? 'error' : 'ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}${path}`,
    bodies,
    headers,
    script,
    get hanging() {
      return hung.size;
    },
    received: (n) =>
      bodies.length >= n ? Promise.resolve() : new Promise<void>((resolve) => waiters.push({ n, resolve })),
    async close() {
      for (const res of hung) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
