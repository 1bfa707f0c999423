import { describe, expect, it, vi } from 'vitest';
import { Cancel } from './cancel.js';

describe('Cancel', () => {
  it('runs each listener once, in order, with the reason set', () => {
    const cancel = new Cancel();
    const seen: string[] = [];
    cancel.signal.addEventListener('abort', () => seen.push(`a:${String(cancel.signal.reason)}`));
    cancel.signal.addEventListener('abort', () => seen.push('b'), { once: true });
    expect(cancel.signal.aborted).toBe(false);
    cancel.abort('why');
    cancel.abort('again');
    expect(seen).toEqual(['a:why', 'b']);
    expect(cancel.signal.aborted).toBe(true);
    expect(cancel.signal.reason).toBe('why');
  });

  it('gives an AbortError as reason when aborted without one, as AbortController does', () => {
    const cancel = new Cancel();
    cancel.abort();
    expect(cancel.reason).toBeInstanceOf(DOMException);
    expect((cancel.reason as DOMException).name).toBe('AbortError');
    expect(new AbortController().signal.reason).toBeUndefined();
  });

  it('does not run removed listeners, listeners added after the abort, or one listener twice', () => {
    const cancel = new Cancel();
    const removed = vi.fn();
    const twice = vi.fn();
    cancel.addEventListener('abort', removed);
    cancel.addEventListener('abort', twice);
    cancel.addEventListener('abort', twice);
    cancel.removeEventListener('abort', removed);
    cancel.abort();
    const late = vi.fn();
    cancel.addEventListener('abort', late);
    expect(removed).not.toHaveBeenCalled();
    expect(twice).toHaveBeenCalledTimes(1);
    expect(late).not.toHaveBeenCalled();
  });

  it('a throwing listener stops neither the others nor the caller; its error surfaces apart', () => {
    const cancel = new Cancel();
    const after = vi.fn();
    const deferred: (() => void)[] = [];
    const queue = vi.spyOn(globalThis, 'queueMicrotask').mockImplementation((fn) => void deferred.push(fn));
    try {
      cancel.addEventListener('abort', () => {
        throw new Error('listener bug');
      });
      cancel.addEventListener('abort', after);
      expect(() => cancel.abort()).not.toThrow();
    } finally {
      queue.mockRestore();
    }
    expect(after).toHaveBeenCalledTimes(1);
    expect(deferred).toHaveLength(1);
    expect(() => deferred[0]!()).toThrow('listener bug');
  });
});
