/**
 * The operational log (pino): JSON lines with a fixed shape, credential headers and key fields redacted
 * by path, and every configured secret (a provider's key, a gateway key's secret) scrubbed from any
 * line, here from an upstream error that echoes the key and reaches the log through a failing listener.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { resolveConfig } from '../src/config/load.js';
import { echoMessage } from '../src/simulator/echo-key.js';
import { createLogger } from '../src/telemetry/logger.js';
import { SecretScrubber } from '../src/core/secret-scrubber.js';
import { BACKUP_KEY, PRIMARY_KEY, startHarness, userMessage, type Harness } from './harness.js';

const GATEWAY_KEY = 'sk-gw-app-Qw7Er8Ty9Ui0Op';

/** A pino destination that keeps each line. */
function capture(): { lines: string[]; records: () => Record<string, unknown>[]; write(s: string): void } {
  const lines: string[] = [];
  return {
    lines,
    write: (s: string) => void lines.push(s),
    records: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

/** Every 8-character piece of a secret (what the scrubber promises never leaves). */
function fragments(secret: string): string[] {
  const out: string[] = [];
  for (let i = 0; i + 8 <= secret.length; i++) out.push(secret.slice(i, i + 8));
  return out;
}

function expectNoSecrets(text: string): void {
  for (const secret of [PRIMARY_KEY, BACKUP_KEY, GATEWAY_KEY])
    for (const piece of fragments(secret)) expect(text).not.toContain(piece);
}

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe('the operational log', () => {
  it('request records and a failing listener: the shape, and no secret even when an upstream echoes it', async () => {
    const out = capture();
    h = await startHarness({
      apiKey: GATEWAY_KEY,
      config: { server: { requestLog: true }, keys: [{ name: 'app', key: GATEWAY_KEY }] },
      gateway: { logDestination: out },
    });
    // A listener that fails with upstream text carrying both secrets (as an error wrapping an upstream
    // body would): the bus logs it, and the log must not carry them.
    h.gateway.events.subscribe('attempt.ended', () => {
      throw new Error(`upstream said: ${echoMessage(PRIMARY_KEY)} (client key ${GATEWAY_KEY})`);
    });
    h.primary.setBehavior('model-a', { fault: { kind: 'echo-key', form: 'text', status: 503 } });
    const answer = await h.client.chat.completions.create({ model: 'm', messages: userMessage() });
    expect(answer.choices[0]!.message.content).toBeTruthy();
    await expect.poll(() => out.records().some((r) => r.msg === 'request')).toBe(true);

    const all = out.lines.join('');
    expectNoSecrets(all);
    expect(all).toContain('[redacted]');

    const failures = out.records().filter((r) => r.msg === 'an event listener failed');
    expect(failures.length).toBeGreaterThan(0);
    expect(failures[0]).toMatchObject({ level: 'error', service: 'switchyard', event: 'attempt.ended' });
    expect((failures[0]!.err as { message: string }).message).toContain('upstream said: Incorrect API key');

    const request = out.records().find((r) => r.msg === 'request')!;
    expect(request).toMatchObject({
      level: 'info',
      service: 'switchyard',
      msg: 'request',
      key: 'app',
      model: 'm',
      endpoint: 'chat',
      stream: false,
      status: 200,
      target: 'backup/model-b',
      attempts: 3,
    });
    expect(request.requestId).toEqual(expect.any(String));
    expect(Number.isNaN(Date.parse(request.time as string))).toBe(false);
    expect(request.trace).toEqual(
      expect.arrayContaining([expect.objectContaining({ target: 'backup/model-b' })]),
    );
  });

  it('redacts credential headers and key fields by path, whatever their value', () => {
    const out = capture();
    const log = createLogger({ level: 'info', destination: out });
    log.info(
      {
        headers: {
          authorization: 'Bearer not-in-any-config-1',
          'x-api-key': 'not-in-any-config-2',
          'api-key': 'not-in-any-config-3',
          cookie: 'session=not-in-any-config-4',
          'content-type': 'application/json',
        },
        upstream: { apiKey: 'not-in-any-config-5', request: { headers: { authorization: 'Basic x' } } },
        key: 'app',
      },
      'a record with credentials',
    );
    const [record] = out.records();
    expect(out.lines[0]).not.toMatch(/not-in-any-config|Basic x/);
    expect(record).toMatchObject({
      headers: {
        authorization: '[redacted]',
        'x-api-key': '[redacted]',
        'api-key': '[redacted]',
        cookie: '[redacted]',
        'content-type': 'application/json',
      },
      upstream: { apiKey: '[redacted]', request: { headers: { authorization: '[redacted]' } } },
      // A gateway key's configured name is not a secret.
      key: 'app',
    });
  });

  it('scrubs configured secrets from every line, whole, cut or masked; honours the level', () => {
    const out = capture();
    const log = createLogger({
      level: 'warn',
      destination: out,
      scrubber: new SecretScrubber([PRIMARY_KEY]),
    });
    log.info({ note: PRIMARY_KEY }, 'below the level: not written');
    log.warn({ err: new Error(echoMessage(PRIMARY_KEY)) }, `upstream text ${PRIMARY_KEY.slice(0, 12)}…`);
    expect(out.lines).toHaveLength(1);
    expectNoSecrets(out.lines[0]!);
    expect(out.records()[0]).toMatchObject({ level: 'warn', service: 'switchyard' });
  });

  it('pretty lines for people: time, level when not info, message, fields', () => {
    const out = capture();
    const log = createLogger({ level: 'info', format: 'pretty', destination: out });
    log.warn({ component: 'breaker', target: 'p/m', reason: null, routes: ['a', 'b'] }, 'breaker opened');
    expect(out.lines[0]).toMatch(
      /^\d\d:\d\d:\d\d WARN switchyard: breaker opened component=breaker target=p\/m routes=a,b\n$/,
    );
  });

  it('log.level and SWITCHYARD_LOG_LEVEL (which wins); a wrong level is a config error', () => {
    const base = { providers: { p: { type: 'openai', apiKey: 'x' } }, routes: { m: { targets: ['p/m'] } } };
    expect(resolveConfig(base, { env: {} }).log).toEqual({ level: 'info', format: 'json' });
    expect(resolveConfig({ ...base, log: { level: 'debug' } }, { env: {} }).log.level).toBe('debug');
    const env = { SWITCHYARD_LOG_LEVEL: 'warn' };
    expect(resolveConfig({ ...base, log: { level: 'debug', format: 'pretty' } }, { env }).log).toEqual({
      level: 'warn',
      format: 'pretty',
    });
    expect(() => resolveConfig(base, { env: { SWITCHYARD_LOG_LEVEL: 'loud' } })).toThrow(/log\.level/);
  });
});
