/**
 * Redaction of captured prompts and completions (store.capture), run by the recorder off the request
 * path: configured secrets first (the secret scrubber: whole, partial and masked), then the common
 * patterns (`redactCommon`: e-mail addresses, card-like numbers) and the configured ones, then the cut
 * to `maxChars` (the request path copied a margin more, so that nothing is cut before it is redacted).
 */
import type { StoreCaptureSettings } from './capture-schema.js';

export const REDACTED = '[redacted]';
const CUT = '…';

/** Addresses and card-like numbers (13 to 19 digits, single spaces or dashes between). */
export const COMMON_PATTERNS: readonly RegExp[] = [
  /[\w.+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+/g,
  /\b\d(?:[ -]?\d){12,18}\b/g,
];

export function captureRedactor(
  settings: StoreCaptureSettings,
  scrub: (text: string) => string,
): (text: string) => string {
  const patterns = [
    ...(settings.redactCommon ? COMMON_PATTERNS : []),
    ...settings.redact.map((source) => new RegExp(source, 'giu')),
  ];
  const { maxChars } = settings;
  return (text) => {
    let out = scrub(text);
    for (const p of patterns) out = out.replace(p, REDACTED);
    // PostgreSQL refuses NUL in text: one bad record would block its batch.
    out = out.replaceAll('\u0000', '?');
    return out.length > maxChars ? out.slice(0, maxChars) + CUT : out;
  };
}
