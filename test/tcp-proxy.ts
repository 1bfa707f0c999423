/**
 * A TCP proxy the test controls, put between the gateway and a real server (PostgreSQL on
 * 127.0.0.1:5432) so that an outage can be made without touching the server, which others use:
 * `refuse()` stops listening and resets every connection (ECONNREFUSED / ECONNRESET), `hang()` keeps
 * every connection open but passes nothing either way (new ones are accepted and never answered),
 * `cutAfterCommit()` lets the next `COMMIT` through and resets the client before the server's reply
 * reaches it (the commit happened; the client cannot know). `restore()` passes traffic again.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';

interface Pair {
  client: Socket;
  upstream?: Socket;
  /** The server's next reply is swallowed and the client reset (the COMMIT went through). */
  cutReply: boolean;
}

export class TcpProxy {
  port = 0;
  /** COMMITs let through whose reply was cut. */
  cuts = 0;
  private mode: 'pass' | 'hang' | 'refuse' = 'pass';
  private armedCut = false;
  private readonly pairs = new Set<Pair>();
  private server: Server;

  private constructor(private readonly target: { host: string; port: number }) {
    this.server = this.makeServer();
  }

  static async start(target: { host: string; port: number }): Promise<TcpProxy> {
    const proxy = new TcpProxy(target);
    await proxy.listen(0);
    return proxy;
  }

  refuse(): void {
    this.mode = 'refuse';
    this.server.close();
    this.resetAll();
  }

  hang(): void {
    this.mode = 'hang';
  }

  cutAfterCommit(): void {
    this.armedCut = true;
  }

  async restore(): Promise<void> {
    const wasRefusing = this.mode === 'refuse';
    const wasHanging = this.mode === 'hang';
    this.mode = 'pass';
    // A connection that was silent has lost bytes in both directions: it cannot carry on.
    if (wasHanging) this.resetAll();
    if (wasRefusing) {
      this.server = this.makeServer();
      await this.listen(this.port);
    }
  }

  async close(): Promise<void> {
    this.resetAll();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private listen(port: number): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, '127.0.0.1', () => {
        this.server.off('error', reject);
        this.port = (this.server.address() as { port: number }).port;
        resolve();
      });
    });
  }

  private resetAll(): void {
    for (const pair of this.pairs) {
      pair.client.resetAndDestroy();
      pair.upstream?.destroy();
    }
    this.pairs.clear();
  }

  private makeServer(): Server {
    return createServer((client) => this.accept(client));
  }

  private accept(client: Socket): void {
    const pair: Pair = { client, cutReply: false };
    this.pairs.add(pair);
    client.on('error', () => undefined);
    client.on('close', () => {
      this.pairs.delete(pair);
      pair.upstream?.destroy();
    });
    // Accepted, never answered.
    if (this.mode === 'hang') return;
    const upstream = connect(this.target);
    pair.upstream = upstream;
    upstream.on('error', () => client.destroy());
    upstream.on('close', () => client.destroy());
    client.on('data', (chunk: Buffer) => {
      if (this.mode !== 'pass') return;
      if (this.armedCut && chunk.includes('COMMIT')) {
        this.armedCut = false;
        pair.cutReply = true;
      }
      upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      if (this.mode !== 'pass') return;
      if (pair.cutReply) {
        this.cuts++;
        client.resetAndDestroy();
        upstream.destroy();
        return;
      }
      client.write(chunk);
    });
  }
}
