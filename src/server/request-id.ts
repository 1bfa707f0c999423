/**
 * The gateway's request ids: UUID version 7 (RFC 9562, section 5.7), the Unix time in milliseconds in
 * the first 48 bits, then random bits. Unique like a random UUID, but ordered by time, so that the
 * request store's index on request ids takes each new id at its end instead of at a random place:
 * the insert costs about what the time index's does (a random UUID doubled the store's write cost,
 * docs/PERFORMANCE.md). A client's own `x-request-id` is used as it comes (any order).
 */
import { randomUUID } from 'node:crypto';

/** The time part of the last millisecond an id was made in (most requests share one with others). */
let lastMs = -1;
let lastPrefix = '';

export function newRequestId(nowMs: number = Date.now()): string {
  const ms = Math.floor(nowMs);
  if (ms !== lastMs) {
    // In two 24-bit halves: small integers, which V8 writes in hex itself; the 48-bit time as one
    // number takes its runtime's slower conversion of a double (a new millisecond every request or two).
    const high = Math.floor(ms / 0x1000000);
    const time = hex6(high) + hex6(ms - high * 0x1000000);
    lastMs = ms;
    lastPrefix = `${time.slice(0, 8)}-${time.slice(8, 12)}-7`;
  }
  // A version 4 UUID supplies the random bits and the variant: xxxxxxxx-xxxx-4xxx-Vxxx-xxxxxxxxxxxx.
  return lastPrefix + randomUUID().slice(15);
}

const hex6 = (n: number): string => n.toString(16).padStart(6, '0');
