import { describe, expect, it } from 'vitest';
import { SecretScrubber } from '../core/secret-scrubber.js';
import { storeCaptureSchema } from './capture-schema.js';
import { captureRedactor } from './redact.js';

const SECRET = 'sk-live-Zq81mXw0PpLk';
const scrubber = new SecretScrubber([SECRET]);
const redactor = (over: object) => captureRedactor(storeCaptureSchema.parse(over), (t) => scrubber.scrub(t));

describe('captureRedactor', () => {
  it('redacts secrets, then the common patterns, then the configured ones (case-insensitive)', () => {
    const r = redactor({ redact: ['ticket-\\d+'] });
    expect(r(`key ${SECRET} to a.b+c@d-e.co.uk, card 5500-0000-0000-0004, TICKET-42, 2026-01-01`)).toBe(
      'key [redacted] to [redacted], card [redacted], [redacted], 2026-01-01',
    );
  });

  it('leaves addresses and card numbers alone with redactCommon: false (secrets never)', () => {
    const r = redactor({ redactCommon: false });
    expect(r(`a@b.io 4111111111111111 ${SECRET}`)).toBe('a@b.io 4111111111111111 [redacted]');
  });

  it('cuts after redacting: a secret or an address across the bound goes whole, never half', () => {
    const r = redactor({ maxChars: 20 });
    expect(r(`${'x'.repeat(15)} ${SECRET} tail`)).toBe(`${'x'.repeat(15)} [red…`);
    expect(r(`${'x'.repeat(15)} someone@example.com`)).toBe(`${'x'.repeat(15)} [red…`);
    expect(r('short')).toBe('short');
  });

  it('replaces NUL (PostgreSQL refuses it) and keeps newlines', () => {
    expect(redactor({})('a\u0000b\nc')).toBe('a?b\nc');
  });
});
