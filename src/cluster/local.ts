/**
 * A local multi-instance setup on loopback, for people to try (`npm run cluster`) and for the
 * multi-instance test (test/cluster.test.ts): two simulated providers (in this process), a private
 * `redis-server` child (no persistence, its own free port: the machine's Redis is never touched), N
 * gateway processes (`node dist/cli.js start --config FILE`, `state.driver: redis`) and HAProxy in
 * front (round-robin, `/readyz` health checks), each a child of this process on free ports, all
 * stopped by `close()`. Needs `dist/` (npm run build), `redis-server` and `haproxy` on the PATH or at
 * their Debian paths.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { startSimulator, type Simulator } from '../simulator/index.js';

export const PRIMARY_KEY = 'sk-cluster-primary-0001';
export const BACKUP_KEY = 'sk-cluster-backup-0002';

export interface LocalClusterOptions {
  instances?: number;
  /** Extra raw config merged into every instance's config (e.g. `breakers`). */
  config?: Record<string, unknown>;
  /** Extra routes (the default: `m` = primary/model-a then backup/model-b). */
  routes?: Record<string, unknown>;
  /** Prices per provider (`primary`, `backup`) and model, USD per million tokens (costs, budgets). */
  prices?: Partial<Record<'primary' | 'backup', Record<string, { input: number; output: number }>>>;
  /** Where the gateways' output goes (default: kept in memory, see `output`). */
  onOutput?: (instance: number, text: string) => void;
  /** The gateways' log level (default warn). */
  logLevel?: string;
}

export interface LocalRedis {
  url: string;
  port: number;
  stop(): Promise<void>;
  start(): Promise<void>;
  /** SIGSTOP / SIGCONT: connections stay open and commands go unanswered (a hung Redis). */
  pause(): void;
  resume(): void;
}

export interface LocalCluster {
  /** The load balancer: the OpenAI base URL is `${url}/v1`. */
  url: string;
  /** Each gateway instance's own URL. */
  instances: string[];
  primary: Simulator;
  backup: Simulator;
  redis: LocalRedis;
  /** The key prefix in Redis. */
  prefix: string;
  /** Everything each instance printed (when no `onOutput`). */
  output: string[];
  close(): Promise<void>;
}

const root = new URL('../..', import.meta.url).pathname;

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

function binary(name: string): string {
  for (const dir of ['/usr/sbin', '/usr/bin', '/usr/local/bin', '/usr/local/sbin'])
    if (existsSync(join(dir, name))) return join(dir, name);
  return name;
}

/** Resolves once `pattern` appears in the child's output; rejects if it exits first or after `ms`. */
function waitForOutput(child: ChildProcess, pattern: RegExp, ms = 15_000): Promise<void> {
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`no ${pattern} after ${ms} ms:\n${out}`)), ms);
    const onData = (chunk: Buffer): void => {
      out += chunk.toString();
      if (pattern.test(out)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`exited with ${code} before ${pattern}:\n${out}`));
    });
  });
}

async function stopChild(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 3_000);
  await exited;
  clearTimeout(timer);
}

/** A private redis-server child on a free port (no persistence), for tests and `npm run cluster`. */
export async function startLocalRedis(): Promise<LocalRedis> {
  const port = await freePort();
  let child: ChildProcess | undefined;
  const redis: LocalRedis = {
    url: `redis://127.0.0.1:${port}`,
    port,
    async start() {
      const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'];
      child = spawn(binary('redis-server'), args, { stdio: ['ignore', 'pipe', 'pipe'] });
      await waitForOutput(child, /Ready to accept connections/);
    },
    async stop() {
      await stopChild(child);
      child = undefined;
    },
    pause() {
      child?.kill('SIGSTOP');
    },
    resume() {
      child?.kill('SIGCONT');
    },
  };
  await redis.start();
  return redis;
}

function haproxyConfig(port: number, backends: number[]): string {
  return [
    'global',
    '  maxconn 2000',
    'defaults',
    '  mode http',
    '  timeout connect 2s',
    '  timeout client 60s',
    '  timeout server 60s',
    '  retries 2',
    '  option redispatch',
    'frontend gateway',
    `  bind 127.0.0.1:${port}`,
    '  default_backend switchyard',
    'backend switchyard',
    '  balance roundrobin',
    '  option httpchk GET /readyz',
    ...backends.map((p, i) => `  server g${i + 1} 127.0.0.1:${p} check inter 500 fall 2 rise 1`),
    '',
  ].join('\n');
}

function instanceConfig(
  port: number,
  urls: { primary: string; backup: string; redis: string },
  prefix: string,
  options: LocalClusterOptions,
): Record<string, unknown> {
  return {
    server: { host: '127.0.0.1', port },
    log: { level: options.logLevel ?? 'warn' },
    store: { enabled: false },
    defaults: {
      timeouts: { firstTokenMs: 5_000, stallMs: 5_000, requestMs: 20_000 },
      retry: { backoffBaseMs: 20, backoffCapMs: 100 },
    },
    providers: {
      primary: {
        type: 'openai-compatible',
        baseUrl: `${urls.primary}/v1`,
        apiKey: PRIMARY_KEY,
        prices: options.prices?.primary ?? {},
      },
      backup: {
        type: 'openai-compatible',
        baseUrl: `${urls.backup}/v1`,
        apiKey: BACKUP_KEY,
        prices: options.prices?.backup ?? {},
      },
    },
    routes: { m: { targets: ['primary/model-a', 'backup/model-b'] }, ...options.routes },
    state: { driver: 'redis', url: urls.redis, prefix },
    ...options.config,
  };
}

export async function startLocalCluster(options: LocalClusterOptions = {}): Promise<LocalCluster> {
  const cli = join(root, 'dist', 'cli.js');
  if (!existsSync(cli)) throw new Error(`${cli} is missing: run npm run build first`);
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-cluster-'));
  const prefix = `sycluster:${process.pid}`;
  const children: ChildProcess[] = [];
  const output: string[] = [];
  const primary = await startSimulator({ apiKey: PRIMARY_KEY });
  const backup = await startSimulator({ apiKey: BACKUP_KEY });
  let redis: LocalRedis | undefined;
  const close = async (): Promise<void> => {
    await Promise.all(children.map(stopChild));
    await redis?.stop();
    await Promise.all([primary.close(), backup.close()]);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    redis = await startLocalRedis();
    const ports = await Promise.all(Array.from({ length: options.instances ?? 3 }, freePort));
    const urls = { primary: primary.url, backup: backup.url, redis: redis.url };
    await Promise.all(
      ports.map(async (port, i) => {
        const file = join(dir, `instance-${i + 1}.json`);
        writeFileSync(file, JSON.stringify(instanceConfig(port, urls, prefix, options), null, 2));
        const env: NodeJS.ProcessEnv = { ...process.env, FORCE_COLOR: '0' };
        delete env.SWITCHYARD_CONFIG;
        const child = spawn(process.execPath, [cli, 'start', '--config', file], { env, cwd: dir });
        children.push(child);
        output[i] = '';
        const onData = (chunk: Buffer): void => {
          if (options.onOutput) options.onOutput(i + 1, chunk.toString());
          else output[i] = (output[i]! + chunk.toString()).slice(-64 * 1024);
        };
        child.stdout.on('data', onData);
        child.stderr.on('data', onData);
        await waitUntilServing(`http://127.0.0.1:${port}`, child);
      }),
    );
    const lbPort = await freePort();
    const cfg = join(dir, 'haproxy.cfg');
    writeFileSync(cfg, haproxyConfig(lbPort, ports));
    const haproxy = spawn(binary('haproxy'), ['-f', cfg, '-db'], { stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(haproxy);
    const url = `http://127.0.0.1:${lbPort}`;
    await waitUntilServing(url, haproxy);
    return {
      url,
      instances: ports.map((p) => `http://127.0.0.1:${p}`),
      primary,
      backup,
      redis,
      prefix,
      output,
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}

/** `url` answers /readyz 200 (an instance; the balancer once its checks found the instances up). */
async function waitUntilServing(url: string, child: ChildProcess): Promise<void> {
  let exited = false;
  child.once('exit', () => (exited = true));
  const deadline = performance.now() + 15_000;
  while (performance.now() < deadline && !exited) {
    try {
      const res = await request(`${url}/readyz`);
      await res.body.dump();
      if (res.statusCode === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${child.spawnfile} ${exited ? 'exited' : 'did not become ready'} (${url})`);
}
