/** The simulator's one Server-Sent Events encoder (WHATWG event-stream format). */

export interface SseEvent {
  event?: string;
  /** The payload; a multi-line payload becomes several `data:` lines. */
  data: string;
}

export function sseFrame({ event, data }: SseEvent): string {
  let frame = event === undefined ? '' : `event: ${event}\n`;
  for (const line of data.split(/\r\n|\r|\n/)) frame += `data: ${line}\n`;
  return `${frame}\n`;
}

/** A comment line, ignored by every SSE parser (`: keep-alive`). */
export function sseComment(text: string): string {
  return `: ${text}\n\n`;
}

export const SSE_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache',
  connection: 'keep-alive',
});
