/**
 * Deploys lose nothing: the built CLI (`dist/cli.js start --config`) as a child process in front of a
 * simulated provider in this process, real sockets, real signals. See docs/operations.md.
 */
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';

const root = new URL('..', import.meta.url).pathname;
/** Child processes on a busy two-core machine take seconds to start; each test is a few seconds when idle. */
const SLOW_MACHINE_MS = 40_000;
const dir = mkdtempSync(join(tmpdir(), 'switchyard-shutdown-'));

/** The gateway and the simulator (a process of its own, so that this one only runs the clients). */
let children: ChildProcessWithoutNullStreams[] = [];
let blocker: Server | undefined;
const agent = new Agent({ connections: 100 });
afterEach(async () => {
  for (const child of children) child.kill('SIGKILL');
  children = [];
  await new Promise<void>((done) => (blocker ? blocker.close(() => done()) : done()));
  blocker = undefined;
});

/** Every line the child printed, and a wait for the first that matches. */
function output(proc: ChildProcessWithoutNullStreams): {
  text(): string;
  waitFor(p: RegExp): Promise<string>;
} {
  let out = '';
  const waiters: { pattern: RegExp; resolve: (s: string) => void }[] = [];
  const onData = (chunk: Buffer): void => {
    out += chunk.toString();
    for (const w of waiters) if (w.pattern.test(out)) w.resolve(out);
  };
  proc.stdout.on('data', onData);
  proc.stderr.on('data', onData);
  return {
    text: () => out,
    waitFor: (pattern) =>
      new Promise((resolve, reject) => {
        if (pattern.test(out)) return resolve(out);
        waiters.push({ pattern, resolve });
        proc.once('exit', (code) => reject(new Error(`exited with ${code} before ${pattern}:\n${out}`)));
      }),
  };
}

/** A gateway child in front of a simulator whose streams send `tokens` chunks at `perSecond`. */
async function startGatewayChild(drainMs: number, tokens: number, perSecond: number) {
  const simFile = join(dir, `sim-${tokens}-${perSecond}.json`);
  const behavior = { replyTokens: tokens, tokensPerSecond: perSecond };
  writeFileSync(simFile, JSON.stringify({ apiKey: 'sk-sim-0000', defaultBehavior: behavior }));
  const sim = await run(['simulate', '--port', '0', '--config', simFile], /listening on (http:\/\/\S+)/);
  const file = join(dir, `drain-${drainMs}.json`);
  writeFileSync(
    file,
    JSON.stringify({
      server: { port: 0, drainMs },
      providers: { sim: { type: 'openai-compatible', baseUrl: `${sim.url}/v1`, apiKey: 'sk-sim-0000' } },
      routes: { m: { targets: ['sim/model-a'] } },
    }),
  );
  return run(['start', '--config', file], /listening on (http:\/\/\S+)\/v1/);
}

/** `dist/cli.js …` as a child process, once it printed the URL it listens on. */
async function run(args: string[], listening: RegExp) {
  const proc = spawn(process.execPath, ['dist/cli.js', ...args], { cwd: root });
  children.push(proc);
  const out = output(proc);
  const exited = new Promise<number | null>((resolve) => proc.once('exit', resolve));
  const url = listening.exec(await out.waitFor(listening))![1]!;
  return { url, out, exited, proc };
}

interface StreamRun {
  /** Resolves once the first chunk has arrived (the stream is committed). */
  started: Promise<void>;
  /** The whole body, however the stream ended. */
  body: Promise<string>;
}

function stream(url: string): StreamRun {
  let started!: () => void;
  const startedP = new Promise<void>((r) => (started = r));
  const body = (async () => {
    const res = await request(`${url}/v1/chat/completions`, {
      method: 'POST',
      dispatcher: agent,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'm', stream: true, messages: [{ role: 'user', content: 'Hi' }] }),
    });
    let text = '';
    try {
      for await (const chunk of res.body) {
        text += String(chunk);
        started();
      }
    } catch {
      // A cut connection: what arrived is the answer.
    }
    return text;
  })();
  return { started: startedP, body };
}

async function complete(url: string): Promise<void> {
  const res = await request(`${url}/v1/chat/completions`, {
    method: 'POST',
    dispatcher: agent,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'm', max_tokens: 1, messages: [{ role: 'user', content: 'Hi' }] }),
  });
  expect(res.statusCode).toBe(200);
  await res.body.text();
}

/** Each SSE event whole (a `data:` line of JSON or `[DONE]`, then a blank line): nothing cut mid-chunk. */
function events(body: string): string[] {
  expect(body.endsWith('\n\n')).toBe(true);
  return body
    .slice(0, -2)
    .split('\n\n')
    .map((event) => {
      expect(event.startsWith('data: ')).toBe(true);
      const data = event.slice('data: '.length);
      if (data !== '[DONE]') JSON.parse(data);
      return data;
    });
}

/** A connection with half a request on it: busy, so the drain does not close it as idle. */
async function halfRequest(url: string, path: string): Promise<{ finish(): Promise<string> }> {
  const { port } = new URL(url);
  const socket: Socket = connect(Number(port), '127.0.0.1');
  await new Promise((r) => socket.once('connect', r));
  socket.write(`GET ${path} HTTP/1.1\r\nhost: x\r\n`);
  let text = '';
  socket.on('data', (c: Buffer) => (text += c.toString()));
  const ended = new Promise<string>((resolve) => socket.once('close', () => resolve(text)));
  return {
    finish() {
      socket.write('\r\n');
      return ended;
    },
  };
}

describe('SIGTERM drains the gateway', () => {
  it(
    'lets 50 streams in flight finish with [DONE], answers /readyz 503, refuses new connections, exits 0',
    async () => {
      const gw = await startGatewayChild(15_000, 60, 20); // streams of ~3 s
      const readyz = await halfRequest(gw.url, '/readyz');
      // A warm gateway starts the 50 within a fraction of the 3 s, even on a busy machine.
      for (let i = 0; i < 3; i++) await Promise.all(Array.from({ length: 5 }, () => complete(gw.url)));
      const runs = Array.from({ length: 50 }, () => stream(gw.url));
      await Promise.all(runs.map((r) => r.started));
      gw.proc.kill('SIGTERM');
      // All 50 on a machine with cores to spare; on a starved one the first may have ended already.
      const draining = Number(
        /draining (\d+) requests in flight/.exec(await gw.out.waitFor(/draining \d+/))![1],
      );
      expect(draining).toBeGreaterThan(0);

      const answer = await readyz.finish();
      expect(answer).toMatch(/^HTTP\/1\.1 503 /);
      expect(answer.toLowerCase()).toContain('connection: close');
      expect(answer).toContain('{"status":"draining"}');
      await expect(request(`${gw.url}/healthz`)).rejects.toMatchObject({ code: 'ECONNREFUSED' });

      const bodies = await Promise.all(runs.map((r) => r.body));
      for (const body of bodies) expect(events(body).at(-1)).toBe('[DONE]');
      expect(await gw.exited).toBe(0);
      // The streams in flight, and /readyz.
      expect(gw.out.text()).toMatch(
        new RegExp(`drained in \\d+ ms: ${draining + 1} finished, 0 cut; stopped`),
      );
    },
    SLOW_MACHINE_MS,
  );

  it(
    'ends the streams still running at the drain time with an error event, whole, and no [DONE]',
    async () => {
      // Streams of ~60 s (the cut ends them, however long the 50 take to start), a drain of 0.3 s.
      const gw = await startGatewayChild(300, 600, 10);
      const runs = Array.from({ length: 50 }, () => stream(gw.url));
      await Promise.all(runs.map((r) => r.started));
      gw.proc.kill('SIGTERM');
      const bodies = await Promise.all(runs.map((r) => r.body));
      for (const body of bodies) {
        const all = events(body);
        expect(all).not.toContain('[DONE]');
        expect(JSON.parse(all.at(-1)!)).toEqual({
          error: {
            message: expect.stringContaining('shutting down'),
            type: 'server_error',
            param: null,
            code: 'server_shutting_down',
          },
        });
      }
      expect(await gw.exited).toBe(0);
      expect(gw.out.text()).toMatch(/0 finished, 50 cut; stopped/);
    },
    SLOW_MACHINE_MS,
  );

  it(
    'stops at once on a second signal',
    async () => {
      const gw = await startGatewayChild(15_000, 1_000, 10); // streams of ~100 s
      const runs = Array.from({ length: 5 }, () => stream(gw.url));
      await Promise.all(runs.map((r) => r.started));
      gw.proc.kill('SIGTERM');
      await gw.out.waitFor(/draining 5 requests/);
      const signalled = performance.now();
      gw.proc.kill('SIGINT');
      expect(await gw.exited).toBe(1);
      expect(performance.now() - signalled).toBeLessThan(5_000); // not the 15 s drain
      expect(gw.out.text()).toContain('SIGINT again: stopping now, 5 requests cut');
      for (const body of await Promise.all(runs.map((r) => r.body))) expect(body).not.toContain('[DONE]');
    },
    SLOW_MACHINE_MS,
  );
});

describe('listen errors', () => {
  it(
    'a port in use is one line on stderr and exit 1, with a config and in the demo',
    async () => {
      blocker = createServer();
      await new Promise<void>((r) => blocker!.listen(0, '127.0.0.1', r));
      const { port } = blocker.address() as AddressInfo;
      const file = join(dir, 'in-use.json');
      writeFileSync(
        file,
        JSON.stringify({
          server: { port },
          providers: { sim: { type: 'openai-compatible', baseUrl: 'http://127.0.0.1:9/v1', apiKey: 'k' } },
          routes: { m: { targets: ['sim/model-a'] } },
        }),
      );
      const line = `switchyard: port ${port} on 127.0.0.1 is already in use (set server.port, SWITCHYARD_PORT or --port)\n`;
      for (const args of [
        ['start', '--config', file],
        ['start', '--demo', '--port', String(port)],
      ]) {
        const run = spawnSync(process.execPath, ['dist/cli.js', ...args], {
          cwd: root,
          encoding: 'utf8',
          timeout: 15_000,
        });
        expect(run.stderr).toBe(line);
        expect(run.status).toBe(1);
      }
    },
    SLOW_MACHINE_MS,
  );

  it('an address not on this machine is one line too', () => {
    const file = join(dir, 'not-here.json');
    writeFileSync(
      file,
      JSON.stringify({
        server: { port: 0, host: '192.0.2.1' }, // TEST-NET-1: never a local address
        providers: { sim: { type: 'openai-compatible', baseUrl: 'http://127.0.0.1:9/v1', apiKey: 'k' } },
        routes: { m: { targets: ['sim/model-a'] } },
        keys: [{ name: 'k', key: 'sk-gateway-key-1' }],
      }),
    );
    const run = spawnSync(process.execPath, ['dist/cli.js', 'start', '--config', file], {
      cwd: root,
      encoding: 'utf8',
      timeout: 15_000,
    });
    expect(run.stderr).toBe(
      'switchyard: cannot listen on 192.0.2.1: no such address on this machine (set server.host, SWITCHYARD_HOST or --host)\n',
    );
    expect(run.status).toBe(1);
  });
});
