/**
 * The one Server-Sent Events parser (WHATWG "event stream interpretation"). Bytes in, events out.
 * Comments (`: keep-alive`) and blank keep-alive lines produce no event: they are not output and must
 * never count as progress.
 *
 * What an upstream sends can be hostile, so the parser is linear in its input (each character is
 * scanned once: the unfinished line is kept as pieces, never rescanned) and bounded: the unfinished
 * line plus the data of the event being built may hold at most `maxEventChars` characters. Past the
 * bound the parser drops what it holds, reports the overflow once and ignores the rest of the input.
 */
import { StringDecoder } from 'node:string_decoder';

export interface SseEvent {
  /** The `event:` field; `message` when absent. */
  event: string;
  data: string;
  id?: string;
}

/** Which bound was crossed: one line without an end, or an event's `data:` lines without a blank line. */
export type SseOverflow = 'line' | 'event';

export interface SseParserOptions {
  /**
   * Largest event, in decoded characters (one per byte for ASCII): the unfinished line plus the
   * `data:` already gathered for the current event. Default `DEFAULT_MAX_SSE_EVENT_CHARS`.
   */
  maxEventChars?: number;
  /** Called once when the bound is crossed; the parser then ignores further input. */
  onOverflow?: (kind: SseOverflow) => void;
}

/**
 * 16 Mi characters. The largest real events are a Gemini image model's chunk with the image inline
 * (base64: a few MB), an OpenAI Responses `response.completed` carrying a whole long answer, and a
 * tool call's arguments sent in one piece; ordinary chunks are under a kilobyte.
 */
export const DEFAULT_MAX_SSE_EVENT_CHARS = 16 * 1024 * 1024;

const LF = 10;
const BOM = 0xfeff;

export class SseParser {
  /**
   * node:string_decoder, not TextDecoder: the same UTF-8 (a sequence split across chunks is joined,
   * invalid bytes become U+FFFD) about four times faster, since TextDecoder goes through ICU. Unlike
   * TextDecoder it keeps a leading byte-order mark, which the spec says to drop: `push` drops it.
   */
  private readonly decoder = new StringDecoder('utf8');
  private atStart = true;
  /** Pieces of the line not yet ended (usually none, or one). */
  private pending: string[] = [];
  private pendingChars = 0;
  private eventType = '';
  private data: string[] = [];
  /** Characters in `data`, counting the newlines that join them. */
  private dataChars = 0;
  private lastId: string | undefined;
  private sawCarriageReturn = false;
  private overflowed = false;
  private readonly maxChars: number;
  private readonly onOverflow: ((kind: SseOverflow) => void) | undefined;

  constructor(
    private readonly onEvent: (event: SseEvent) => void,
    options: SseParserOptions = {},
  ) {
    this.maxChars = options.maxEventChars ?? DEFAULT_MAX_SSE_EVENT_CHARS;
    this.onOverflow = options.onOverflow;
  }

  push(chunk: Uint8Array | string): void {
    if (this.overflowed) return;
    const text = typeof chunk === 'string' ? chunk : this.decoder.write(chunk);
    if (text.length === 0) return;
    let start = 0;
    if (this.atStart) {
      this.atStart = false;
      if (text.charCodeAt(0) === BOM) start = 1;
    }
    if (this.sawCarriageReturn) {
      this.sawCarriageReturn = false;
      if (text.charCodeAt(0) === LF) start = 1;
    }
    // The next CR and LF at or after `start`; each is searched again only once passed, so the text is
    // scanned once whatever the mix of line endings.
    let cr = text.indexOf('\r', start);
    let lf = text.indexOf('\n', start);
    while (cr !== -1 || lf !== -1) {
      const lineStart = start;
      let end: number;
      if (cr !== -1 && (lf === -1 || cr < lf)) {
        end = cr;
        if (cr + 1 === text.length) {
          // A CR at the end of the chunk may be the first half of CRLF.
          this.sawCarriageReturn = true;
          start = cr + 1;
        } else {
          start = text.charCodeAt(cr + 1) === LF ? cr + 2 : cr + 1;
        }
      } else {
        end = lf;
        start = lf + 1;
      }
      if (this.pendingChars + end - lineStart > this.maxChars) return this.overflow('line');
      const piece = text.slice(lineStart, end);
      this.line(this.pendingChars === 0 ? piece : this.takePending(piece));
      if (this.overflowed) return;
      if (cr !== -1 && cr < start) cr = text.indexOf('\r', start);
      if (lf !== -1 && lf < start) lf = text.indexOf('\n', start);
    }
    if (start < text.length) this.keep(start === 0 ? text : text.slice(start));
  }

  /** Ends the stream: an event still unterminated by a blank line is discarded, as the spec says. */
  end(): { pendingBytes: boolean } {
    const tail = this.decoder.end();
    const pendingBytes = this.pendingChars + tail.length > 0 || this.data.length > 0;
    this.pending = [];
    this.pendingChars = 0;
    this.clearEvent();
    return { pendingBytes };
  }

  /** Keeps the start of a line that has not ended yet. */
  private keep(piece: string): void {
    if (this.pendingChars + piece.length > this.maxChars) return this.overflow('line');
    this.pending.push(piece);
    this.pendingChars += piece.length;
  }

  /** The pending pieces and the last one, as one line; the pending list is emptied. */
  private takePending(last: string): string {
    this.pending.push(last);
    const line = this.pending.length === 2 ? this.pending[0]! + last : this.pending.join('');
    this.pending = [];
    this.pendingChars = 0;
    return line;
  }

  private overflow(kind: SseOverflow): void {
    this.overflowed = true;
    this.pending = [];
    this.pendingChars = 0;
    this.clearEvent();
    this.onOverflow?.(kind);
  }

  private clearEvent(): void {
    this.data = [];
    this.dataChars = 0;
    this.eventType = '';
  }

  private line(line: string): void {
    if (line === '') {
      this.dispatch();
      return;
    }
    if (line.charCodeAt(0) === 58 /* ':' */) return;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.charCodeAt(0) === 32 /* ' ' */) value = value.slice(1);
    switch (field) {
      case 'data':
        this.dataChars += value.length + (this.data.length > 0 ? 1 : 0);
        if (this.dataChars > this.maxChars) return this.overflow('event');
        this.data.push(value);
        break;
      case 'event':
        this.eventType = value;
        break;
      case 'id':
        if (!value.includes('\0')) this.lastId = value;
        break;
      default:
        break;
    }
  }

  private dispatch(): void {
    if (this.data.length === 0) {
      this.eventType = '';
      return;
    }
    const data = this.data.length === 1 ? this.data[0]! : this.data.join('\n');
    const event: SseEvent = { event: this.eventType || 'message', data };
    if (this.lastId !== undefined) event.id = this.lastId;
    this.clearEvent();
    this.onEvent(event);
  }
}
