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

  it("drops the stream's leading byte-order mark, even split across chunks, and no other", () => {
    const bytes = new TextEncoder().encode('\ufeffdata: a\n\n\ufeffdata: b\n\n');
    expect(bytes.slice(0, 3)).toEqual(new Uint8Array([0xef, 0xbb, 0xbf]));
    expect(parse(bytes.slice(0, 2), bytes.slice(2))).toEqual([
      { event: 'message', data: 'a' },
      // Past the start a BOM is part of the line: here its field name, which is not `data`.
    ]);
    expect(parse(new TextEncoder().encode('data: \ufeffa\n\n'))).toEqual([
      { event: 'message', data: '\ufeffa' },
    ]);
  });

  it('turns invalid UTF-8 into U+FFFD and keeps going', () => {
    const bytes = new Uint8Array([
      ...new TextEncoder().encode('data: a'),
      0xff,
      0xc3,
      ...new TextEncoder().encode('\n\ndata: b\n\n'),
    ]);
    expect(parse(bytes)).toEqual([
      { event: 'message', data: 'a\ufffd\ufffd' },
      { event: 'message', data: 'b' },
    ]);
  });

  it('does not dispatch an event that never got its blank line, and reports it at the end', () => {
    const events: SseEvent[] = [];
    const parser = new SseParser((e) => events.push(e));
    parser.push('data: {"partial":');
    expect(events).toEqual([]);
    expect(parser.end().pendingBytes).toBe(true);
  });
});

describe('SseParser bounds', () => {
  function bounded(maxEventChars: number): {
    parser: SseParser;
    events: SseEvent[];
    overflows: string[];
  } {
    const events: SseEvent[] = [];
    const overflows: string[] = [];
    const parser = new SseParser((e) => events.push(e), {
      maxEventChars,
      onOverflow: (kind) => overflows.push(kind),
    });
    return { parser, events, overflows };
  }

  it('passes an event whose line is as large as the bound', () => {
    const { parser, events, overflows } = bounded(1_000);
    const value = 'x'.repeat(1_000 - 'data: '.length);
    parser.push(`data: ${value.slice(0, 400)}`);
    parser.push(`${value.slice(400)}\n\n`);
    expect(overflows).toEqual([]);
    expect(events).toEqual([{ event: 'message', data: value }]);
  });

  it('reports one endless line once, emits nothing and ignores what follows', () => {
    const { parser, events, overflows } = bounded(1_000);
    parser.push('data: ');
    for (let i = 0; i < 500; i++) parser.push('abcdefgh');
    parser.push('\n\ndata: late\n\n');
    expect(overflows).toEqual(['line']);
    expect(events).toEqual([]);
    expect(parser.end().pendingBytes).toBe(false);
  });

  it('counts a line that ends inside a chunk against the bound too', () => {
    const { parser, events, overflows } = bounded(100);
    parser.push(`data: ${'y'.repeat(200)}\n\n`);
    expect(overflows).toEqual(['line']);
    expect(events).toEqual([]);
  });

  it('reports data lines that never meet a blank line', () => {
    const { parser, events, overflows } = bounded(1_000);
    for (let i = 0; i < 200; i++) parser.push('data: 0123456789\n');
    expect(overflows).toEqual(['event']);
    expect(events).toEqual([]);
  });

  it('bounds each event, not the stream', () => {
    const { parser, events, overflows } = bounded(100);
    for (let i = 0; i < 1_000; i++) parser.push(`data: ${'z'.repeat(50)}\n\n`);
    expect(overflows).toEqual([]);
    expect(events).toHaveLength(1_000);
  });

  // Linear in the input: a 4 MB line in 64-byte chunks is 65,536 pushes. Rescanning the buffer on
  // each push (the parser before the bounds) takes ~10^11 steps here, minutes, not this test's 10 s.
  it('takes many tiny chunks of one long line to the bound without rescanning', () => {
    const { parser, events, overflows } = bounded(4 * 1024 * 1024);
    const chunk = new TextEncoder().encode('a'.repeat(64));
    parser.push('data: ');
    let pushes = 0;
    while (overflows.length === 0 && pushes < 100_000) {
      parser.push(chunk);
      pushes++;
    }
    expect(overflows).toEqual(['line']);
    expect(pushes).toBe(65_536);
    expect(events).toEqual([]);
  }, 10_000);

  it('handles many lines in one chunk with CR and LF endings alike', () => {
    const { parser, events } = bounded(1_000);
    const body = Array.from({ length: 2_000 }, (_, i) => `data: ${i}${i % 2 ? '\r\n\r\n' : '\n\n'}`).join('');
    parser.push(body);
    expect(events).toHaveLength(2_000);
    expect(events[1_999]).toEqual({ event: 'message', data: '1999' });
  });
});
