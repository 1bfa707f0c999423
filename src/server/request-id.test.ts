import { describe, expect, it } from 'vitest';
import { newRequestId } from './request-id.js';

describe('request ids (UUID version 7)', () => {
  it('is a UUID of version 7 and the RFC 9562 variant, its time in the first 48 bits', () => {
    const at = Date.UTC(2026, 11, 2, 3, 4, 5, 678);
    const id = newRequestId(at);
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(parseInt(id.slice(0, 8) + id.slice(9, 13), 16)).toBe(at);
  });

  it('orders by time, and ids made in the same millisecond still differ', () => {
    const earlier = newRequestId(1_700_000_000_000);
    const later = newRequestId(1_700_000_000_001);
    expect(earlier < later).toBe(true);
    const same = new Set(Array.from({ length: 1000 }, () => newRequestId(1_700_000_000_000)));
    expect(same.size).toBe(1000);
  });
});
