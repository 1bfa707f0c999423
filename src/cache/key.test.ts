import { describe, expect, it } from 'vitest';
import type { ChatRequest } from '../core/chat.js';
import { cacheControl, cacheKey, canonicalJson, isDeterministic, planCache } from './key.js';
import { routeCacheSchema } from './schema.js';

const base: ChatRequest = {
  model: 'm',
  temperature: 0,
  messages: [{ role: 'user', content: 'hi' }],
};
const key = (r: ChatRequest, scope = 'key:a', route = 'm'): string => cacheKey(route, scope, r);
const settings = routeCacheSchema.parse({});

describe('canonical JSON', () => {
  it('does not depend on key order at any depth', () => {
    expect(canonicalJson({ b: 1, a: { y: [1, { d: 2, c: 3 }], x: null } })).toBe(
      canonicalJson({ a: { x: null, y: [1, { c: 3, d: 2 }] }, b: 1 }),
    );
    expect(canonicalJson({ b: 1, a: 2 })).toBe('{"a":2,"b":1}');
  });

  it('keeps array order and drops undefined members as JSON does', () => {
    expect(canonicalJson([2, 1])).not.toBe(canonicalJson([1, 2]));
    expect(canonicalJson({ a: undefined, b: 1 })).toBe('{"b":1}');
  });
});

describe('the cache key', () => {
  it('is a sha256 hex digest, the same for the same request in any key order', () => {
    const k = key(base);
    expect(k).toMatch(/^[0-9a-f]{64}$/);
    const reordered = { messages: [{ content: 'hi', role: 'user' }], temperature: 0, model: 'm' };
    expect(key(reordered as ChatRequest)).toBe(k);
  });

  it('ignores volatile fields: stream, stream_options, user, metadata, store, top-level nulls', () => {
    const k = key(base);
    expect(key({ ...base, stream: true, stream_options: { include_usage: true } })).toBe(k);
    expect(key({ ...base, user: 'u-1', metadata: { a: 'b' }, store: true })).toBe(k);
    expect(key({ ...base, seed: null, max_tokens: null })).toBe(k);
  });

  it('changes with everything that changes the answer', () => {
    const k = key(base);
    const variants: Partial<ChatRequest>[] = [
      { messages: [{ role: 'user', content: 'hi!' }] },
      { messages: [{ role: 'system', content: 'hi' }] },
      {
        messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'https://x/y.png' } }] }],
      },
      {
        messages: [
          { role: 'user', content: 'hi' },
          {
            role: 'assistant',
            tool_calls: [{ id: 'c1', type: 'function', function: { name: 'f', arguments: '{}' } }],
          },
          { role: 'tool', tool_call_id: 'c1', content: 'r' },
        ],
      },
      { tools: [{ type: 'function', function: { name: 'f' } }] },
      { tool_choice: 'required' },
      { response_format: { type: 'json_object' } },
      { temperature: 0.5 },
      { top_p: 0.9 },
      { seed: 1 },
      { max_tokens: 10 },
      { max_completion_tokens: 10 },
      { stop: ['x'] },
      { n: 2 },
      { logprobs: true },
      { reasoning_effort: 'high' },
      { some_unknown_field: 1 },
    ];
    const keys = variants.map((v) => key({ ...base, ...v }));
    for (const variant of keys) expect(variant).not.toBe(k);
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('changes with the route and the scope', () => {
    expect(key(base, 'key:a', 'other')).not.toBe(key(base));
    expect(key(base, 'key:b')).not.toBe(key(base, 'key:a'));
    expect(key(base, '*')).not.toBe(key(base, 'key:a'));
  });

  it('uses the route name, not the model field as sent', () => {
    expect(key({ ...base, model: 'alias' }, 'key:a', 'm')).toBe(key(base));
  });
});

describe('the plan', () => {
  it('caches deterministic requests: temperature 0, or a seed', () => {
    expect(isDeterministic(base)).toBe(true);
    expect(isDeterministic({ ...base, temperature: 1, seed: 7 })).toBe(true);
    expect(isDeterministic({ ...base, temperature: undefined })).toBe(false);
    expect(isDeterministic({ ...base, temperature: 0.2 })).toBe(false);
    expect(planCache(settings, base, undefined)).toEqual({ outcome: 'miss', lookup: true, store: true });
  });

  it('bypasses a non-deterministic request unless the route opts in', () => {
    const warm = { ...base, temperature: 0.7 };
    expect(planCache(settings, warm, undefined)).toMatchObject({
      outcome: 'bypass',
      lookup: false,
      store: false,
      reason: 'non-deterministic',
    });
    const optIn = routeCacheSchema.parse({ nonDeterministic: true });
    expect(planCache(optIn, warm, undefined)).toMatchObject({ outcome: 'miss', lookup: true, store: true });
  });

  it('honours Cache-Control: no-cache skips the lookup but stores, no-store does neither', () => {
    expect(planCache(settings, base, 'no-cache')).toMatchObject({ lookup: false, store: true });
    expect(planCache(settings, base, 'max-age=0, No-Store')).toMatchObject({
      outcome: 'bypass',
      lookup: false,
      store: false,
      reason: 'no-store',
    });
    expect(cacheControl(['no-cache', 'no-store'])).toEqual({ noCache: true, noStore: true });
    expect(cacheControl('max-age=60')).toEqual({ noCache: false, noStore: false });
  });
});
