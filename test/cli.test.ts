/**
 * The README's `npm start`: the built CLI (`dist/cli.js`, which `npm test` builds first) started the
 * way package.json starts it, as a child process. It runs the live demo, keeps serving, answers over
 * HTTP, and stops on SIGTERM.
 */
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';

const root = new URL('..', import.meta.url).pathname;
const pkg = JSON.parse(readFileSync(`${root}package.json`, 'utf8')) as { scripts: Record<string, string> };

let child: ChildProcessWithoutNullStreams | undefined;
afterEach(() => {
  child?.kill('SIGKILL');
  child = undefined;
});

/** Resolves with everything printed once `pattern` appears; rejects if the process exits first. */
function waitFor(proc: ChildProcessWithoutNullStreams, pattern: RegExp): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    const onData = (chunk: Buffer): void => {
      out += chunk.toString();
      if (pattern.test(out)) resolve(out);
    };
    proc.stdout.on('data', onData);
    proc.stderr.on('data', onData);
    proc.once('exit', (code) => reject(new Error(`exited with ${code} before ${pattern}:\n${out}`)));
  });
}

describe('npm start', () => {
  it('runs the demo on embedded defaults, keeps serving, and stops on SIGTERM', async () => {
    // package.json's start script, with port 0 so that it cannot collide with anything on this machine.
    const args = pkg.scripts.start!.replace(/^node /, '').split(' ');
    expect(args).toEqual(['dist/cli.js', 'start', '--demo']);
    child = spawn(process.execPath, [...args, '--port', '0'], {
      cwd: root,
      // A config in the environment does not override --demo.
      env: { ...process.env, SWITCHYARD_CONFIG: '/nonexistent/switchyard.yaml', FORCE_COLOR: '0' },
    });
    const out = await waitFor(child, /an incident, scripted .*\n/);
    expect(out).toMatch(/The gateway keeps serving\./);
    expect(out).toMatch(/during the outage/);
    const url = /listening on (http:\/\/[^\s]+)\/v1/.exec(out)![1]!;
    const res = await request(`${url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Hello' }] }),
    });
    expect(res.statusCode).toBe(200);
    expect(((await res.body.json()) as { object: string }).object).toBe('chat.completion');
    // It says where to look, and each place it names answers with what the demo just did.
    const named = (what: string): string => new RegExp(`${what} +(.+)`).exec(out)![1]!;
    expect(named('status page')).toBe(`open ${url}/status in a browser`);
    expect(named('Prometheus metrics')).toBe(`curl ${url}/metrics`);
    const page = await request(`${url}/status`);
    expect(page.statusCode).toBe(200);
    expect(await page.body.text()).toContain('<html');
    const metrics = await (await request(`${url}/metrics`)).body.text();
    expect(metrics).toMatch(/switchyard_failovers_total\{[^}]*route="gpt-4o-mini"/);
    expect(named('aggregates')).toContain(`switchyard stats --url ${url}`);
    const stats = await request(`${url}/v1/switchyard/stats?window=15m&by=route`);
    expect(stats.statusCode).toBe(200);
    expect(await stats.body.text()).toContain('gpt-4o-mini');
    const exited = new Promise<number | null>((r) => child!.once('exit', r));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  }, 60_000);

  it('refuses --demo together with --config', () => {
    const run = spawnSync(process.execPath, ['dist/cli.js', 'start', '--demo', '--config', 'x.yaml'], {
      cwd: root,
      encoding: 'utf8',
    });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('--demo and --config: give one or the other');
  });
});
