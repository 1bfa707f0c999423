import { describe, expect, it } from 'vitest';
import { FRAGMENT_LENGTH, SecretScrubber, WORD_RUN_LENGTH } from './secret-scrubber.js';

const KEY = 'sk-live-SECRET-KEY-123';
const OTHER = 'AIzaSyD-other-provider-key-9f8e7d';

/** One-case letters and separators: a piece that could be an ordinary word. */
const wordLike = (piece: string): boolean => /^(?:[a-z_\-. ]+|[A-Z_\-. ]+)$/.test(piece);

/** Every FRAGMENT_LENGTH-character piece of the secret still in the text that does not look like a word. */
function leaks(text: string, secret: string): string[] {
  const out: string[] = [];
  for (let i = 0; i + FRAGMENT_LENGTH <= secret.length; i++) {
    const piece = secret.slice(i, i + FRAGMENT_LENGTH);
    if (text.includes(piece) && !wordLike(piece)) out.push(piece);
  }
  return out;
}

const scrubber = new SecretScrubber([KEY, OTHER]);

describe('SecretScrubber', () => {
  it('redacts whole secrets, every one of them', () => {
    expect(scrubber.scrub(`Incorrect API key provided: ${KEY}.`)).toBe(
      'Incorrect API key provided: [redacted].',
    );
    expect(scrubber.scrub(`a=${KEY} b=${OTHER}`)).toBe('a=[redacted] b=[redacted]');
    expect(scrubber.scrub(`${KEY}${KEY}`)).toBe('[redacted]');
  });

  it('leaves no piece of a secret cut at any length, at the end of the text or before more text', () => {
    for (let k = 1; k <= KEY.length; k++) {
      const prefix = KEY.slice(0, k);
      const atEnd = scrubber.scrub(`the key was ${prefix}`);
      expect(leaks(atEnd, KEY)).toEqual([]);
      // A cut of 4 characters or more at the end of the text is gone entirely; from 8 when it looks
      // like a word, as "sk-live" does.
      if (k >= 8 || (k >= 4 && !wordLike(prefix))) expect(atEnd).toBe('the key was [redacted]');
      expect(leaks(scrubber.scrub(`key (${prefix}) rejected`), KEY)).toEqual([]);
      // A cut excerpt (ending with …) quoted inside a longer message.
      if (k >= 8 || (k >= 4 && !wordLike(prefix)))
        expect(scrubber.scrub(`failed (${prefix}…) twice`)).toBe('failed ([redacted]…) twice');
    }
  });

  it('redacts every fragment of 12 characters or more, and of 8 unless it looks like a word', () => {
    for (let i = 0; i < KEY.length; i++) {
      for (let j = i + FRAGMENT_LENGTH; j <= KEY.length; j++) {
        const piece = KEY.slice(i, j);
        const out = scrubber.scrub(`before ${piece} after`);
        const words = [...Array(piece.length - FRAGMENT_LENGTH + 1).keys()].every((k) =>
          wordLike(piece.slice(k, k + FRAGMENT_LENGTH)),
        );
        if (piece.length >= WORD_RUN_LENGTH || !words) expect(out).toBe('before [redacted] after');
        else expect(out).toBe(`before ${piece} after`);
      }
    }
  });

  it('does not redact words that a secret made of words happens to contain', () => {
    const wordy = new SecretScrubber(['sk-thinking-sim-key-0001', 'sk-context-sim-key-0001']);
    const text = "Invalid value for 'messages[1].thinking_blocks': context-window:200<306";
    expect(wordy.scrub(text)).toBe(text);
    const team = new SecretScrubber(['team-alpha-key-2026']);
    expect(team.scrub('Please ask your team')).toBe('Please ask your team');
    expect(team.scrub('Please ask your team-alph')).toBe('Please ask your [redacted]');
    expect(wordy.scrub('key sk-thinking-sim-key-0001 and sk-context-sim (cut)')).toBe(
      'key [redacted] and [redacted] (cut)',
    );
  });

  it('redacts masked forms: a fragment, mask characters, the end of the same secret', () => {
    for (const masked of [
      'sk-live-SECR...-123',
      'sk-l…-123',
      'sk-live-****-123',
      'sk-livexxxxxxxx123',
      'SECR***KEY-123',
    ]) {
      expect(scrubber.scrub(`key ${masked} is invalid`)).toBe('key [redacted] is invalid');
    }
    const proj = 'sk-proj-Abc123Def456Ghi789abcd';
    const openai = new SecretScrubber([proj]);
    expect(openai.scrub('Incorrect API key provided: sk-proj-********abcd. You can find…')).toBe(
      'Incorrect API key provided: [redacted]. You can find…',
    );
  });

  it('does not take a mask between pieces of two different secrets for a masked secret', () => {
    // "sk-l" begins KEY, "f8e7d" ends OTHER: not one secret's masked form.
    expect(scrubber.scrub('x sk-l...f8e7d y')).toBe('x sk-l...f8e7d y');
  });

  it('matches short secrets only whole, as a word of their own', () => {
    const short = new SecretScrubber(['abc12', 'x']);
    expect(short.scrub('key abc12 and abc123 and xabc12')).toBe('key [redacted] and abc123 and xabc12');
    expect(short.scrub('x marks the spot')).toBe('x marks the spot');
  });

  it('leaves ordinary text alone', () => {
    const text =
      'Rate limit reached for gpt-4o in organization org-123 on tokens per min (TPM): Limit 30000, ' +
      'Used 29000, Requested 2000. Please try again in 2s. Visit https://platform.openai.com/account/rate-limits ' +
      'to learn more... The server is overloaded or not ready yet. Prompt is too long: 207791 tokens > 200000.';
    expect(scrubber.scrub(text)).toBe(text);
    expect(SecretScrubber.none.scrub(text)).toBe(text);
  });

  it('finds a key at the end of a long body', () => {
    const body = 'x'.repeat(200_000) + ' ' + 'word. '.repeat(50_000) + KEY;
    const out = scrubber.scrub(body);
    expect(out.endsWith(' [redacted]')).toBe(true);
    expect(out.length).toBe(body.length - KEY.length + '[redacted]'.length);
  });
});
