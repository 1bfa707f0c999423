/**
 * `switchyard stats --request ID` as a user runs it: the built CLI (`dist/cli.js`, which `npm test`
 * builds first) as a child process, against a running gateway over loopback and against the gateway's
 * SQLite file directly. One request that failed over (with its captured prompt and completion) and one
 * stream are printed with their attempts, trace, timings and text; `--json` is the API's answer; an
 * unknown id is said plainly with exit code 1.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { BACKUP_KEY, PRIMARY_KEY, raw, startHarness, userMessage, type Harness } from './harness.js';

const root = new URL('..', import.meta.url).pathname;
const OPS = 'sk-gateway-ops-0001';
const TEAM = 'sk-gateway-team-0002';
const dir = mkdtempSync(join(tmpdir(), 'switchyard-stats-request-'));
const path = join(dir, 'requests.db');

let h: Harness;
let answer = '';
let streamed = '';

/** The built CLI as a child process (asynchronous: the gateway it asks runs in this process). */
function cli(...args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['dist/cli.js', 'stats', ...args], {
      cwd: root,
      env: { PATH: process.env.PATH ?? '' },
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, out, err }));
  });
}
const gateway = (): string[] => ['--url', h.gateway.url, '--key', OPS];

beforeAll(async () => {
  h = await startHarness({
    apiKey: OPS,
    config: {
      store: { path, capture: { prompts: true, completions: true } },
      keys: [
        { name: 'ops', key: OPS },
        { name: 'team', key: TEAM, models: ['solo'] },
      ],
    },
  });
  h.primary.setBehavior('model-a', { fault: { kind: 'status', status: 503 } as never });
  const reply = await h.client.chat.completions.create(
    { model: 'm', messages: userMessage('Which way to the station?') },
    { headers: { 'x-request-id': 'cli-failover' } },
  );
  answer = reply.choices[0]!.message.content!;
  h.primary.reset();
  const stream = await h.client.chat.completions.create(
    { model: 'm', messages: userMessage(), stream: true },
    { headers: { 'x-request-id': 'cli-stream' } },
  );
  for await (const chunk of stream) streamed += chunk.choices[0]?.delta?.content ?? '';
  const store = h.gateway.store!;
  await vi.waitFor(() => expect(store.queued + store.counters.written).toBe(2));
  expect(await store.flush()).toBe(true);
});
afterAll(async () => {
  await h?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('switchyard stats --request (the built CLI)', () => {
  it('prints a failed-over request: status, timings, tokens, each attempt, the trace, the captured text', async () => {
    const { code, out, err } = await cli('--request', 'cli-failover', ...gateway());
    expect(err).toBe('');
    expect(code).toBe(0);
    const lines = out.split('\n');
    expect(lines[0]).toBe('request cli-failover');
    expect(out).toMatch(/^ {2}time +\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/m);
    expect(out).toMatch(/^ {2}route +m \(chat\)$/m);
    expect(out).toMatch(/^ {2}key +ops$/m);
    expect(out).toMatch(/^ {2}status +200 ok$/m);
    expect(out).toMatch(/^ {2}target +backup\/model-b \(provider backup, model model-b\)$/m);
    expect(out).toMatch(/^ {2}attempts +3$/m);
    expect(out).toMatch(/^ {2}total +\d+ ms$/m);
    expect(out).toMatch(/^ {2}TTFT +-$/m);
    expect(out).toMatch(/^ {2}tokens +\d+ in \/ \d+ out$/m);
    expect(out).toMatch(/^ {2}fallback +primary\/model-a: upstream_503$/m);
    // Each attempt with its outcome class and the upstream's status; the one that answered last.
    const table = lines.slice(lines.indexOf('attempts') + 1, lines.indexOf('trace') - 1);
    expect(table[0]).toMatch(/^ {2}# +TARGET +OUTCOME +REASON +STATUS +TIME +TOKENS IN\/OUT +COST +KEY$/);
    expect(table.slice(1)).toHaveLength(3);
    expect(table[1]).toMatch(/^ {2}1 +primary\/model-a +retry +upstream_503 +503 +\d+ ms/);
    expect(table[2]).toMatch(/^ {2}2 +primary\/model-a +retry +upstream_503 +503 +\d+ ms/);
    expect(table[3]).toMatch(/^ {2}3 +backup\/model-b +ok +ok +- +\d+ ms +\d+\/\d+/);
    const trace = lines.slice(lines.indexOf('trace') + 1, lines.indexOf('prompt') - 1);
    expect(trace.filter((l) => / attempt /.test(l))).toEqual([
      expect.stringMatching(/^ {2}primary\/model-a attempt upstream_503 \d+ms$/),
      expect.stringMatching(/^ {2}primary\/model-a attempt upstream_503 \d+ms$/),
      expect.stringMatching(/^ {2}backup\/model-b attempt ok \d+ms$/),
    ]);
    expect(lines[lines.indexOf('prompt') + 1]).toBe('  user: Which way to the station?');
    expect(out.endsWith(`\ncompletion\n  ${answer.split('\n').join('\n  ')}\n`)).toBe(true);
    for (const secret of [OPS, TEAM, PRIMARY_KEY, BACKUP_KEY]) expect(out).not.toContain(secret);
  });

  it('shows a stream’s time to first token and the text its client received', async () => {
    const { code, out } = await cli('--request', 'cli-stream', ...gateway());
    expect(code).toBe(0);
    expect(out).toMatch(/^ {2}route +m \(chat, stream\)$/m);
    expect(out).toMatch(/^ {2}TTFT +\d+ ms$/m);
    expect(out).toMatch(/^ {2}target +primary\/model-a /m);
    expect(out).toContain(`\ncompletion\n  ${streamed}\n`);
  });

  it('--json prints the API’s answer as it is', async () => {
    const { code, out } = await cli('--request', 'cli-failover', '--json', ...gateway());
    expect(code).toBe(0);
    const api = await raw(`${h.gateway.url}/v1/switchyard/requests/cli-failover`, {
      method: 'GET',
      headers: { authorization: `Bearer ${OPS}` },
    });
    expect(JSON.parse(out)).toEqual(api.json());
    expect(JSON.parse(out)).toMatchObject({ object: 'switchyard.request', requestId: 'cli-failover' });
  });

  it('reads the SQLite file itself, no gateway needed: the same view and the same JSON', async () => {
    for (const id of ['cli-failover', 'cli-stream']) {
      const direct = await cli('--request', id, '--store', path);
      expect(direct.err).toBe('');
      expect(direct.code).toBe(0);
      expect(direct.out).toBe((await cli('--request', id, ...gateway())).out);
    }
    const json = await cli('--request', 'cli-failover', '--store', path, '--json');
    expect(JSON.parse(json.out)).toEqual(
      JSON.parse((await cli('--request', 'cli-failover', '--json', ...gateway())).out),
    );
  });

  it('says so when no request has the id, and exits 1; usage errors exit 2', async () => {
    const viaGateway = await cli('--request', 'no-such-request', ...gateway());
    expect(viaGateway.code).toBe(1);
    expect(viaGateway.out).toBe('');
    expect(viaGateway.err).toMatch(/answered 404: No stored request has the id `no-such-request`/);
    const viaStore = await cli('--request', 'no-such-request', '--store', path);
    expect(viaStore.code).toBe(1);
    expect(viaStore.err).toBe(
      'switchyard stats: no stored request has the id `no-such-request` (not recorded yet, or pruned)\n',
    );
    const refused = await cli('--request', 'cli-failover', '--url', h.gateway.url, '--key', TEAM);
    expect(refused.code).toBe(1);
    expect(refused.err).toMatch(/answered 403: The key "team" is limited/);
    const mixed = await cli('--request', 'cli-failover', '--by', 'target', ...gateway());
    expect(mixed.code).toBe(2);
    expect(mixed.err).toMatch(/--by cannot go with it/);
    const bad = await cli('--request', 'a/b', ...gateway());
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/--request: not a request id: "a\/b"/);
  });
});
