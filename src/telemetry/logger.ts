/**
 * The gateway's operational log (pino): start, drain, internal errors, failing listeners, breaker and
 * health changes, span export trouble, and the request log's records when `server.requestLog` is on.
 * JSON lines on stdout, written asynchronously into a bounded buffer (a slow reader loses lines, never
 * slows a request).
 *
 * Nothing secret leaves: pino's `redact` replaces credential headers (authorization, x-api-key,
 * api-key, cookie, …) and key-like fields wherever an object carries them, and every line passes through
 * the configuration's secret scrubber (src/core/secret-scrubber.ts), so a provider's key or a gateway
 * key's secret echoed in an upstream error never appears, whole, cut or masked. Gateway keys are named
 * by their configured `name` (the `key` field), which is not redacted.
 */
import { pino, type DestinationStream, type Logger as PinoLogger } from 'pino';
import type { SecretScrubber } from '../core/secret-scrubber.js';

export type Logger = PinoLogger;
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
export const LOG_FORMATS = ['json', 'pretty'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

export interface LoggerOptions {
  level: LogLevel;
  /** `json` (default): one JSON object per line. `pretty`: `HH:MM:SS level message key=value` for people. */
  format?: LogFormat;
  /** Redacts every configured secret from each line. */
  scrubber?: SecretScrubber;
  /** Where lines go; stdout by default. */
  destination?: DestinationStream;
}

const REDACTED = '[redacted]';
/** Headers whose values are credentials. */
const SECRET_HEADERS = [
  'authorization',
  'proxy-authorization',
  'x-api-key',
  'api-key',
  'x-goog-api-key',
  'cookie',
  'set-cookie',
];
/** Fields that hold a credential (never `key`: that is a gateway key's configured name). */
const SECRET_FIELDS = ['apiKey', 'api_key', 'password', 'secret', 'token', 'accessToken', 'access_token'];

/** pino's `redact` paths: the fields at the top and two levels down, headers objects at three. */
export const REDACT_PATHS = [
  ...SECRET_FIELDS.flatMap((f) => [f, `*.${f}`, `*.*.${f}`]),
  ...SECRET_HEADERS.flatMap((h) => [`headers["${h}"]`, `*.headers["${h}"]`, `*.*.headers["${h}"]`]),
];

/** Bytes of log lines buffered for stdout at most; past it, lines are dropped. */
const MAX_BUFFERED_BYTES = 16 * 1024 * 1024;

export function createLogger(options: LoggerOptions): Logger {
  const scrubber = options.scrubber;
  const pretty = options.format === 'pretty';
  // Lines for people are written at once, in order with what else the process prints (the demo).
  let destination =
    options.destination ?? pino.destination({ dest: 1, sync: pretty, maxLength: MAX_BUFFERED_BYTES });
  if (pretty) destination = prettyDestination(destination);
  return pino(
    {
      level: options.level,
      base: { service: 'switchyard' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: REDACT_PATHS, censor: REDACTED },
      ...(scrubber && !scrubber.empty
        ? { hooks: { streamWrite: (line: string) => scrubber.scrub(line) } }
        : {}),
    },
    destination,
  );
}

/** A logger that writes nothing (tests and code running without a gateway). */
export const silentLogger: Logger = pino({ level: 'silent' });

/** Writes what is buffered; call before process.exit. */
export function flushLogs(log: Logger, withinMs = 1_000): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, withinMs);
    timer.unref();
    log.flush(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/**
 * Lines for people (the demo): the time, the level, the message and the other fields as key=value. It
 * formats the gateway's own JSON lines, already redacted and scrubbed.
 */
function prettyDestination(inner: DestinationStream): DestinationStream {
  const OMIT = new Set(['time', 'level', 'msg', 'service', 'pid', 'hostname']);
  const pretty: DestinationStream & { flush?: (cb: (err?: Error) => void) => void } = {
    write(line: string) {
      let record: Record<string, unknown>;
      try {
        record = JSON.parse(line) as Record<string, unknown>;
      } catch {
        inner.write(line);
        return;
      }
      const time = typeof record.time === 'string' ? record.time.slice(11, 19) : '';
      const fields = Object.entries(record)
        .filter(([k, v]) => !OMIT.has(k) && v !== null && v !== undefined)
        .map(([k, v]) => `${k}=${readable(v)}`);
      const level = String(record.level);
      const head = `${time} ${level === 'info' ? '' : `${level.toUpperCase()} `}switchyard: ${String(record.msg ?? '')}`;
      inner.write(`${[head, ...fields].join(' ')}\n`);
    },
  };
  const flushable = inner as { flush?: (cb: (err?: Error) => void) => void };
  if (typeof flushable.flush === 'function') pretty.flush = (cb) => flushable.flush!(cb);
  return pretty;
}

const readable = (v: unknown): string =>
  typeof v === 'string'
    ? v
    : Array.isArray(v) && v.every((x) => typeof x === 'string')
      ? v.join(',')
      : JSON.stringify(v);
