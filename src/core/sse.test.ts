import { describe, expect, it } from 'vitest';
import { SseParser, type SseEvent } from './sse.js';

function parse(...chunks: (string | Uint8Array)[]): SseEvent[] {
  const events: SseEvent[] = [];
  const parser = new SseParser((e) => events.push(e));
  for (const c of chunks) parser.push(c);
  return events;
}

describe('SseParser', () => {
  it('parses data events and named events', () => {
    expect(parse('data: {"a":1}\n\nevent: error\ndata: {"b":2}\n\n')).toEqual([
      { event: 'message', data: '{"a":1}' },
      { event: 'error', data: '{"b":2}' },
    ]);
  });

  it('joins multi-line data and handles CRLF split across chunks', () => {
    expect(parse('data: a\r', '\ndata: b\r\n', '\r\n')).toEqual([{ event: 'message', data: 'a\nb' }]);
  });

  it('ignores comments and blank keep-alive lines', () => {
    expect(parse(': keep-alive\n\n', '\n\n', ': ping\n', 'data: x\n\n')).toEqual([
      { event: 'message', data: 'x' },
    ]);
  });

  it('reassembles UTF-8 characters split between chunks', () => {
    const bytes = new TextEncoder().encode('data: héllo\n\n');
    const split = bytes.indexOf(0xc3) + 1;
    expect(parse(bytes.slice(0, split), bytes.slice(split))).toEqual([{ event: 'message', data: 'héllo' }]);
  });

  it('does not dispatch an event that never got its blank line, and reports it at the end', () => {
    const events: SseEvent[] = [];
    const parser = new SseParser((e) => events.push(e));
    parser.push('data: {"partial":');
    expect(events).toEqual([]);
    expect(parser.end().pendingBytes).toBe(true);
  });
});
