/**
 * The `flood` fault: a 200 answer that does not stop where it should (see `FloodFault` in types.ts).
 * Filler goes out in 64 KB pieces at the pace the client reads, so the simulator itself stays small
 * however much it sends.
 */
import type { Exchange } from './exchange.js';
import type { Answer, Headers } from './protocols/types.js';
import type { FloodFault } from './types.js';

const PIECE = 64 * 1024;
const SPACES = ' '.repeat(PIECE);
const LETTERS = 'a'.repeat(PIECE);
/** 64 lines of 1 KB: `data: aaa…` and a newline, never a blank line. */
const DATA_LINES = `data: ${'a'.repeat(1024 - 'data: \n'.length)}\n`.repeat(PIECE / 1024);

/** Writes `filler` until `bytes` have gone out (forever when undefined); false if the exchange died. */
async function pour(exchange: Exchange, filler: string, bytes: number | undefined): Promise<boolean> {
  let left = bytes ?? Infinity;
  while (left > 0) {
    const n = Math.min(PIECE, left);
    if (!(await exchange.write(n === PIECE ? filler : filler.slice(0, n)))) return false;
    left -= n;
  }
  return true;
}

function withoutLength(headers: Headers): Headers {
  const copy = { ...headers };
  delete copy['content-length'];
  return copy;
}

/** Non-streaming: the answer with whitespace after its opening brace (valid JSON when it ends). */
export async function floodJson(
  exchange: Exchange,
  answer: Answer & { kind: 'json' },
  fault: FloodFault,
): Promise<void> {
  exchange.sendHeaders(200, withoutLength(answer.headers));
  const body = answer.body;
  const open = body.startsWith('{') ? 1 : 0;
  if (!(await exchange.write(body.slice(0, open)))) return;
  if (await pour(exchange, SPACES, fault.bytes)) exchange.end(body.slice(open));
}

/** Streaming: one endless line, or endless `data:` lines without the blank line ending the event. */
export async function floodStream(exchange: Exchange, headers: Headers, fault: FloodFault): Promise<void> {
  exchange.sendHeaders(200, withoutLength(headers));
  if (fault.shape === 'data') {
    if (await pour(exchange, DATA_LINES, fault.bytes)) exchange.end();
    return;
  }
  if (!(await exchange.write('data: {"'))) return;
  if (await pour(exchange, LETTERS, fault.bytes)) exchange.end();
}
