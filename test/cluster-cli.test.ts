/**
 * `switchyard cluster --instances 2` as a user runs it: the built `dist/cli.js` (build first), which
 * starts a private redis-server, two gateway processes and HAProxy; requests go through the balancer,
 * each instance reports Redis connected, and SIGINT stops everything (nothing left listening) with exit
 * code 0. test/cluster.test.ts covers what the cluster does; this covers the command.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { request } from 'undici';
import { afterAll, expect, it } from 'vitest';

const cli = new URL('../dist/cli.js', import.meta.url).pathname;
let child: ChildProcess | undefined;
let out = '';

afterAll(() => {
  if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

function waitFor(pattern: RegExp, ms: number): Promise<RegExpMatchArray> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${pattern} after ${ms} ms:\n${out}`)), ms);
    const check = (): void => {
      const match = out.match(pattern);
      if (!match) return;
      clearTimeout(timer);
      child!.stdout!.off('data', check);
      resolve(match);
    };
    child!.stdout!.on('data', check);
    child!.once('exit', (code) => reject(new Error(`exited with ${code}:\n${out}`)));
    check();
  });
}

async function refused(url: string): Promise<boolean> {
  try {
    const res = await request(url);
    await res.body.dump();
    return false;
  } catch (error) {
    return (error as { code?: string }).code === 'ECONNREFUSED';
  }
}

it('starts two instances behind the balancer, serves through it, and stops on SIGINT', async () => {
  if (!existsSync(cli)) throw new Error(`${cli} is missing: build first (npx tsc -p tsconfig.build.json)`);
  child = spawn(process.execPath, [cli, 'cluster', '--instances', '2'], {
    env: { ...process.env, FORCE_COLOR: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (chunk: Buffer) => (out = (out + chunk.toString()).slice(-256 * 1024)));
  child.stderr!.on('data', (chunk: Buffer) => (out = (out + chunk.toString()).slice(-256 * 1024)));
  await waitFor(/Ctrl-C stops everything/, 30_000);
  expect(out).toContain('2 gateway instances sharing state through Redis');
  const lb = out.match(/load balancer\s+(http:\/\/127\.0\.0\.1:\d+)\/v1/)![1]!;
  const instances = [
    ...out.matchAll(/instance \d+\s+(http:\/\/127\.0\.0\.1:\d+)\/v1\/switchyard\/state/g),
  ].map((m) => m[1]!);
  const redis = out.match(/Redis \(private\)\s+redis:\/\/127\.0\.0\.1:(\d+)/)![1]!;
  expect(instances).toHaveLength(2);

  for (let i = 0; i < 4; i++) {
    const res = await request(`${lb}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'Hello' }] }),
    });
    expect(res.statusCode).toBe(200);
    expect(res.headers['x-switchyard-target']).toBe('primary/model-a');
    await res.body.dump();
  }
  for (const url of instances) {
    const res = await request(`${url}/v1/switchyard/state`);
    expect(await res.body.json()).toMatchObject({ driver: 'redis', redis: { connected: true } });
  }

  const exited = new Promise<number | null>((resolve) => child!.once('exit', (code) => resolve(code)));
  child.kill('SIGINT');
  expect(await exited).toBe(0);
  expect(out).toContain('switchyard cluster: stopped');
  for (const url of [lb, ...instances]) expect(await refused(`${url}/readyz`)).toBe(true);
  expect(await refused(`http://127.0.0.1:${redis}/`)).toBe(true);
}, 60_000);

it('refuses a bad --instances with exit code 1', async () => {
  const bad = spawn(process.execPath, [cli, 'cluster', '--instances', '0'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  bad.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => bad.once('exit', resolve));
  expect(code).toBe(1);
  expect(err).toContain('--instances: expected 1-16, got "0"');
});
