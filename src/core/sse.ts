/**
 * The one Server-Sent Events parser (WHATWG "event stream interpretation"). Bytes in, events out.
 * Comments (`: keep-alive`) and blank keep-alive lines produce no event: they are not output and must
 * never count as progress.
 */

export interface SseEvent {
  /** The `event:` field; `message` when absent. */
  event: string;
  data: string;
  id?: string;
}

export class SseParser {
  private readonly decoder = new TextDecoder('utf-8');
  private buffer = '';
  private eventType = '';
  private data: string[] = [];
  private lastId: string | undefined;
  private sawCarriageReturn = false;

  constructor(private readonly onEvent: (event: SseEvent) => void) {}

  push(chunk: Uint8Array | string): void {
    let text = typeof chunk === 'string' ? chunk : this.decoder.decode(chunk, { stream: true });
    if (this.sawCarriageReturn && text.startsWith('\n')) text = text.slice(1);
    this.sawCarriageReturn = false;
    this.buffer += text;
    let start = 0;
    for (;;) {
      const lf = this.buffer.indexOf('\n', start);
      const cr = this.buffer.indexOf('\r', start);
      let end: number;
      let next: number;
      if (cr !== -1 && (lf === -1 || cr < lf)) {
        end = cr;
        if (cr + 1 === this.buffer.length) {
          // A CR at the end of the buffer may be the first half of CRLF.
          this.sawCarriageReturn = true;
          next = cr + 1;
        } else {
          next = this.buffer[cr + 1] === '\n' ? cr + 2 : cr + 1;
        }
      } else if (lf !== -1) {
        end = lf;
        next = lf + 1;
      } else {
        break;
      }
      this.line(this.buffer.slice(start, end));
      start = next;
    }
    this.buffer = start === 0 ? this.buffer : this.buffer.slice(start);
  }

  /** Ends the stream: an event still unterminated by a blank line is discarded, as the spec says. */
  end(): { pendingBytes: boolean } {
    const tail = this.decoder.decode();
    const pendingBytes = (this.buffer + tail).length > 0 || this.data.length > 0;
    this.buffer = '';
    this.data = [];
    this.eventType = '';
    return { pendingBytes };
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
    const event: SseEvent = { event: this.eventType || 'message', data: this.data.join('\n') };
    if (this.lastId !== undefined) event.id = this.lastId;
    this.data = [];
    this.eventType = '';
    this.onEvent(event);
  }
}
