/**
 * Inbound API fuzz cases, from a seeded PRNG: the same seed always gives the same cases, so a failure
 * is reproduced with its seed and case number (FUZZ_SEED, see inbound-fuzz.test.ts).
 */
import { mulberry32 } from '../src/resilience/random.js';

/** The project's seeded PRNG (deterministic; never Math.random in tests that must reproduce). */
export const prng = mulberry32;

export interface HttpCase {
  kind: 'http';
  what: string;
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'OPTIONS';
  path: string;
  headers: Record<string, string>;
  body?: string;
}

export interface RawCase {
  kind: 'raw';
  what: string;
  bytes: Buffer;
}

export type FuzzCase = HttpCase | RawCase;

type Rand = () => number;
const pick = <T>(r: Rand, items: readonly T[]): T => items[Math.floor(r() * items.length)]!;
const int = (r: Rand, max: number): number => Math.floor(r() * max);

const nested = (levels: number): string => '['.repeat(levels) + '1' + ']'.repeat(levels);

/** Values of every JSON type, including the awkward ones. */
function oddValue(r: Rand): unknown {
  return pick<() => unknown>(r, [
    () => null,
    () => true,
    () => 0,
    () => -1,
    () => 1e308,
    () => 0.5,
    () => '',
    () => 'x',
    () => '\u0000\ud800 \u202e',
    () => 'y'.repeat(int(r, 5_000)),
    () => [],
    () => [null],
    () => ({}),
    () => ({ type: 'text' }),
    () => JSON.parse('{"__proto__":{"polluted":true},"constructor":1}') as unknown,
    () => JSON.parse(nested(1 + int(r, 200))) as unknown,
  ])();
}

const validChat = (r: Rand): Record<string, unknown> => ({
  model: pick(r, ['m', 'solo']),
  messages: [{ role: 'user', content: 'Hello there' }],
  ...(r() < 0.3 ? { stream: true } : {}),
  ...(r() < 0.2 ? { max_tokens: 1 + int(r, 20), temperature: r() * 2 } : {}),
  ...(r() < 0.2
    ? {
        tools: [
          { type: 'function', function: { name: 'f', parameters: { type: 'object', properties: {} } } },
        ],
      }
    : {}),
});

const validEmbeddings = (r: Rand): Record<string, unknown> => ({
  model: pick(r, ['emb', 'm']),
  input: pick<unknown>(r, ['hello', ['a', 'b'], [1, 2, 3]]),
});

/** Paths into a chat body where a wrong value can go (created on the way when missing). */
const CHAT_FIELDS = [
  'model',
  'messages',
  'messages.0',
  'messages.0.role',
  'messages.0.content',
  'messages.0.content.0',
  'messages.0.tool_calls',
  'messages.0.tool_calls.0.function',
  'messages.0.thinking_blocks',
  'stream',
  'stream_options',
  'temperature',
  'top_p',
  'max_tokens',
  'n',
  'stop',
  'seed',
  'tools',
  'tools.0',
  'tools.0.function.name',
  'tools.0.function.parameters',
  'tool_choice',
  'response_format',
  'response_format.json_schema',
  'logit_bias',
  'user',
  'metadata',
];
const EMBEDDINGS_FIELDS = ['model', 'input', 'input.0', 'encoding_format', 'dimensions', 'user'];

function setPath(body: Record<string, unknown>, path: string, value: unknown): void {
  const keys = path.split('.');
  let at: Record<string, unknown> = body;
  for (const key of keys.slice(0, -1)) {
    const next = at[key];
    if (typeof next !== 'object' || next === null) at[key] = {};
    at = at[key] as Record<string, unknown>;
  }
  at[keys.at(-1)!] = value;
}

const json = (chat: boolean): HttpCase => ({
  kind: 'http',
  what: chat ? 'chat' : 'embeddings',
  method: 'POST',
  path: chat ? '/v1/chat/completions' : '/v1/embeddings',
  headers: { 'content-type': 'application/json' },
});

function mutated(r: Rand): HttpCase {
  const chat = r() < 0.7;
  const body = chat ? validChat(r) : validEmbeddings(r);
  const field = pick(r, chat ? CHAT_FIELDS : EMBEDDINGS_FIELDS);
  setPath(body, field, oddValue(r));
  return { ...json(chat), what: `wrong type at ${field}`, body: JSON.stringify(body) };
}

function broken(r: Rand): HttpCase {
  const chat = r() < 0.7;
  const text = JSON.stringify(chat ? validChat(r) : validEmbeddings(r));
  const at = int(r, text.length);
  const how = pick(r, ['truncated', 'garbage', 'doubled', 'empty', 'bom', 'nested', 'huge']);
  const body = {
    truncated: text.slice(0, at),
    garbage:
      text.slice(0, at) + pick(r, ['\u0000', '}', ']]', '"', '\\', 'NaN', ',,', '\ud800']) + text.slice(at),
    doubled: text + text,
    empty: pick(r, ['', ' ', '\n', 'null', '[]', '"x"', '1']),
    bom: `\ufeff${text}`,
    nested: `${text.slice(0, -1)},"x":${nested(10 + int(r, 20_000))}}`,
    huge: `${text.slice(0, -1)},"user":"${'z'.repeat(int(r, 120_000))}"}`,
  }[how]!;
  return { ...json(chat), what: `${how} JSON`, body };
}

function oddRequest(r: Rand): HttpCase {
  const method = pick(r, ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const);
  const path = pick(r, [
    '/v1/chat/completions',
    '/v1/chat/completions/',
    '/v1/embeddings?x=1',
    '/v1/models',
    '/v1/switchyard/status',
    '/healthz',
    '/readyz',
    '/',
    '/v1',
    '/v1/chat',
    '/v1/completions',
    '/v1/../healthz',
    '//v1/models',
    '/v1/models/%00',
    `/v1/${'a'.repeat(int(r, 4_000))}`,
    '/__proto__',
    '/v1/chat/completions?stream=true#x',
  ]);
  const contentType = pick(r, [
    'application/json',
    'application/json; charset=utf-8',
    'text/plain',
    'text/html',
    'multipart/form-data; boundary=x',
    'application/x-www-form-urlencoded',
    'application/vnd.api+json',
    '',
  ]);
  const withBody = method !== 'GET' && method !== 'OPTIONS';
  return {
    kind: 'http',
    what: 'odd method, path or content type',
    method,
    path,
    headers: {
      ...(contentType ? { 'content-type': contentType } : {}),
      ...(r() < 0.3 ? { 'x-switchyard-timeout-ms': pick(r, ['0', '-1', 'abc', '1e9', '99999999999']) } : {}),
      ...(r() < 0.3 ? { 'x-switchyard-debug': 'trace' } : {}),
      ...(r() < 0.2 ? { authorization: pick(r, ['Bearer', 'Bearer  ', 'Basic abc', 'Bearer x y']) } : {}),
    },
    ...(withBody ? { body: JSON.stringify(r() < 0.5 ? validChat(r) : validEmbeddings(r)) } : {}),
  };
}

function rawCase(r: Rand): RawCase {
  const what = pick(r, [
    'garbage',
    'bad request line',
    'oversized headers',
    'bad header',
    'bad chunked',
    'short body',
  ]);
  const body = '{"model":"m","messages":[{"role":"user","content":"hi"}]}';
  const bytes = {
    garbage: Buffer.from(Array.from({ length: 1 + int(r, 300) }, () => int(r, 256))),
    'bad request line': Buffer.from(
      pick(r, [
        'GET\r\n\r\n',
        'GET / HTTP/9.9\r\n\r\n',
        ' / HTTP/1.1\r\n\r\n',
        'POST /v1/chat/completions HTTP/1.1 extra\r\n\r\n',
      ]),
    ),
    'oversized headers': Buffer.from(
      `GET /healthz HTTP/1.1\r\nhost: x\r\nx-big: ${'a'.repeat(20_000 + int(r, 50_000))}\r\n\r\n`,
    ),
    'bad header': Buffer.from(
      pick(r, [
        'GET /healthz HTTP/1.1\r\nhost x\r\n\r\n',
        'GET /healthz HTTP/1.1\r\nho\u0000st: x\r\n\r\n',
        'POST /v1/embeddings HTTP/1.1\r\ncontent-length: 5\r\ncontent-length: 7\r\n\r\nhello',
        'POST /v1/embeddings HTTP/1.1\r\ncontent-length: -1\r\n\r\n',
      ]),
    ),
    'bad chunked': Buffer.from(
      `POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\n\r\n${pick(r, ['zz', 'fffffffffffffffff', '5\r\nabc'])}\r\n\r\n`,
    ),
    'short body': Buffer.from(
      `POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: ${body.length + 10}\r\n\r\n${body}`,
    ),
  }[what]!;
  return { kind: 'raw', what, bytes };
}

/** The `index`-th case of `seed`'s sequence, reproducible on its own. */
export function fuzzCase(seed: number, index: number): FuzzCase {
  const r = prng(seed * 1_000_003 + index);
  const roll = r();
  if (roll < 0.15) return { ...json(true), what: 'valid chat', body: JSON.stringify(validChat(r)) };
  if (roll < 0.2)
    return { ...json(false), what: 'valid embeddings', body: JSON.stringify(validEmbeddings(r)) };
  if (roll < 0.55) return mutated(r);
  if (roll < 0.8) return broken(r);
  if (roll < 0.95) return oddRequest(r);
  return rawCase(r);
}
