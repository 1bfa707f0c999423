/**
 * Redacts configured secrets from text that leaves the gateway: whole, partial (a truncated prefix,
 * any fragment of FRAGMENT_LENGTH characters or more) and masked (`sk-live-SECR...-123`,
 * `sk-proj-********abcd`). Built once from every secret the configuration holds; `scrub` is linear in
 * the text (a rolling hash over fixed-length windows, then bounded checks around mask runs), whatever
 * the number of secrets.
 *
 * Lengths, chosen so that ordinary words are not redacted:
 * - any run of FRAGMENT_LENGTH (8) or more characters of a secret is redacted, wherever it appears,
 *   unless it looks like a word (letters of one case and separators, e.g. `thinking` in a key
 *   `sk-thinking-…`, which would otherwise redact `thinking_blocks`): such runs from WORD_RUN_LENGTH (12);
 * - a masked form is MASK_HEAD (4)+ characters of a secret, a run of mask characters (`*`, `.`, `…`,
 *   `x`), then MASK_TAIL (3)+ characters that end the same secret;
 * - 4 to 11 characters that begin a secret at the end of the text or before `…` (a cut) are redacted
 *   (from 8 when they look like a word);
 * - secrets shorter than 8 characters are redacted only whole, as a token of their own; secrets
 *   shorter than MIN_SECRET_LENGTH (4) are not redacted (they would match ordinary text).
 */
import type { OpenAIErrorBody } from './errors.js';

export const FRAGMENT_LENGTH = 8;
export const MIN_SECRET_LENGTH = 4;
const MASK_HEAD = 4;
const MASK_TAIL = 3;
const REDACTED = '[redacted]';
/** The characters of a mask run: `*`, `.`, `…`, `x`. */
const isMaskChar = (c: number): boolean => c === 42 || c === 46 || c === 0x2026 || c === 120;
const CUT_MARK = '…';
const TOKEN_CHAR = /[\w-]/;
/** Powers of the rolling hash's base are taken modulo 2^32 (Math.imul). */
const BASE = 31;
const BASE_POW = (BASE ** (FRAGMENT_LENGTH - 1)) | 0;

type Span = [start: number, end: number];
/** A run of overlapping secret windows; strong when one of them does not look like a word. */
interface Run {
  start: number;
  end: number;
  strong: boolean;
}

/**
 * Windows of one-case letters and separators ("thinking", "context-", "sk-proj-") could be ordinary
 * words: a run made only of such windows is redacted from WORD_RUN_LENGTH characters on. A window with
 * a digit, mixed case or another character (what random keys are made of) counts from 8.
 */
const WORD_LIKE = /^(?:[a-z_\-. ]+|[A-Z_\-. ]+)$/;
export const WORD_RUN_LENGTH = 12;
const keepRun = (run: Run): boolean => run.strong || run.end - run.start >= WORD_RUN_LENGTH;

function windowHash(text: string, start: number): number {
  let h = 0;
  for (let i = start; i < start + FRAGMENT_LENGTH; i++) h = (Math.imul(h, BASE) + text.charCodeAt(i)) | 0;
  return h;
}

/** The key a hash is looked up by: 30 bits, a small integer for V8 (no heap number per lookup). */
const hashKey = (h: number): number => h & 0x3fffffff;

/** Adds `id` to the list under `key`. */
function index(map: Map<string, number[]>, key: string, id: number): void {
  const ids = map.get(key);
  if (!ids) map.set(key, [id]);
  else if (!ids.includes(id)) ids.push(id);
}

export class SecretScrubber {
  static readonly none = new SecretScrubber([]);

  /** Long secrets (≥ FRAGMENT_LENGTH), by index. */
  private readonly secrets: string[] = [];
  private readonly shortSecrets: string[] = [];
  /** Every FRAGMENT_LENGTH-character window of every long secret → the secrets; the windows' hashes. */
  private readonly windows = new Map<string, number[]>();
  private readonly windowHashes = new Set<number>();
  /** Every MASK_HEAD-character window → the long secrets that contain it (for masked forms). */
  private readonly heads = new Map<string, number[]>();
  /** The last MASK_TAIL to FRAGMENT_LENGTH - 1 characters of each long secret → the secrets. */
  private readonly tails = new Map<string, number[]>();

  constructor(secrets: Iterable<string>) {
    for (const secret of new Set(secrets)) {
      if (secret.length >= FRAGMENT_LENGTH) this.addLong(secret);
      else if (secret.length >= MIN_SECRET_LENGTH) this.shortSecrets.push(secret);
    }
  }

  /** Whether there is anything to redact at all. */
  get empty(): boolean {
    return this.secrets.length === 0 && this.shortSecrets.length === 0;
  }

  scrub(text: string): string {
    if (this.empty || text.length < MIN_SECRET_LENGTH) return text;
    // One array per call, filled by each scan: text without a secret (nearly all of it) costs no more.
    const spans: Span[] = [];
    this.fragmentSpans(text, spans);
    this.maskedSpans(text, spans);
    this.cutSpans(text, spans);
    this.shortSpans(text, spans);
    return spans.length === 0 ? text : redact(text, spans);
  }

  /** The four fields of an OpenAI error body, each scrubbed (upstream text can reach every one). */
  scrubError(error: OpenAIErrorBody['error']): OpenAIErrorBody['error'] {
    const { message, type, param, code } = error;
    return {
      message: this.scrub(message),
      type: this.scrub(type),
      param: param === null ? null : this.scrub(param),
      code: code === null ? null : this.scrub(code),
    };
  }

  private addLong(secret: string): void {
    const id = this.secrets.push(secret) - 1;
    for (let i = 0; i + FRAGMENT_LENGTH <= secret.length; i++) {
      index(this.windows, secret.slice(i, i + FRAGMENT_LENGTH), id);
      this.windowHashes.add(hashKey(windowHash(secret, i)));
    }
    for (let i = 0; i + MASK_HEAD <= secret.length; i++)
      index(this.heads, secret.slice(i, i + MASK_HEAD), id);
    for (let k = MASK_TAIL; k < FRAGMENT_LENGTH; k++) index(this.tails, secret.slice(-k), id);
  }

  /** Runs of overlapping secret windows, found with a rolling hash and confirmed exactly. */
  private fragmentSpans(text: string, spans: Span[]): void {
    if (this.secrets.length === 0 || text.length < FRAGMENT_LENGTH) return;
    let runs: Run[] | undefined;
    let h = windowHash(text, 0);
    for (let i = 0; ; i++) {
      const window = this.windowHashes.has(hashKey(h)) ? text.slice(i, i + FRAGMENT_LENGTH) : '';
      if (window && this.windows.has(window)) {
        const last = runs?.at(-1);
        const strong = !WORD_LIKE.test(window);
        if (last && last.end >= i) {
          last.end = i + FRAGMENT_LENGTH;
          last.strong ||= strong;
        } else (runs ??= []).push({ start: i, end: i + FRAGMENT_LENGTH, strong });
      }
      if (i + FRAGMENT_LENGTH >= text.length) break;
      const out = Math.imul(text.charCodeAt(i), BASE_POW);
      h = (Math.imul(h - out, BASE) + text.charCodeAt(i + FRAGMENT_LENGTH)) | 0;
    }
    for (const run of runs ?? []) if (keepRun(run)) spans.push([run.start, run.end]);
  }

  /** A secret's fragment, mask characters, then the end of the same secret. */
  private maskedSpans(text: string, spans: Span[]): void {
    if (this.secrets.length === 0) return;
    // A scan by character, not matchAll: no iterator and no match array per run of mask characters.
    for (let maskStart = MASK_HEAD; maskStart < text.length; maskStart++) {
      if (!isMaskChar(text.charCodeAt(maskStart))) continue;
      let maskEnd = maskStart + 1;
      while (maskEnd < text.length && isMaskChar(text.charCodeAt(maskEnd))) maskEnd++;
      // A run that starts right after another mask character was seen from its start.
      const heads = isMaskChar(text.charCodeAt(maskStart - 1))
        ? undefined
        : this.heads.get(text.slice(maskStart - MASK_HEAD, maskStart));
      if (heads) {
        const tail = this.tailAt(text, maskEnd, heads);
        if (tail) spans.push([this.headStart(text, maskStart, tail.id), maskEnd + tail.length]);
      }
      maskStart = maskEnd;
    }
  }

  /**
   * The end of one of the `candidates` secrets at `at`: its last MASK_TAIL to FRAGMENT_LENGTH - 1
   * characters, or (a longer tail) a FRAGMENT_LENGTH window of it, which the fragment scan redacts
   * onwards. A few map lookups, whatever the number of secrets.
   */
  private tailAt(text: string, at: number, candidates: number[]): { id: number; length: number } | undefined {
    const windowIds = this.windows.get(text.slice(at, at + FRAGMENT_LENGTH));
    const id = windowIds?.find((i) => candidates.includes(i));
    if (id !== undefined) return { id, length: FRAGMENT_LENGTH };
    for (let k = FRAGMENT_LENGTH - 1; k >= MASK_TAIL; k--) {
      const id = this.tails.get(text.slice(at, at + k))?.find((i) => candidates.includes(i));
      if (id !== undefined) return { id, length: k };
    }
    return undefined;
  }

  /** Walks back over the secret's characters before a mask run (bounded by the secret's length). */
  private headStart(text: string, maskStart: number, id: number): number {
    let start = maskStart - MASK_HEAD;
    const floor = Math.max(0, maskStart - this.secrets[id]!.length);
    while (start > floor && this.heads.get(text.slice(start - 1, start - 1 + MASK_HEAD))?.includes(id))
      start--;
    return start;
  }

  /**
   * Text cut inside a secret: 4 to WORD_RUN_LENGTH - 1 characters that begin a secret, at the end of
   * the text or before `…` (the mark of a cut excerpt, which may be quoted inside a longer message).
   */
  private cutSpans(text: string, spans: Span[]): void {
    if (this.secrets.length === 0) return;
    this.cutSpanAt(text, text.length, spans);
    for (let at = text.indexOf(CUT_MARK); at !== -1; at = text.indexOf(CUT_MARK, at + 1))
      this.cutSpanAt(text, at, spans);
  }

  private cutSpanAt(text: string, cut: number, spans: Span[]): void {
    if (cut < MIN_SECRET_LENGTH) return;
    for (const id of this.heads.get(text.slice(cut - MIN_SECRET_LENGTH, cut)) ?? []) {
      const k = cutPrefixLength(text, cut, this.secrets[id]!);
      if (k > 0) {
        spans.push([cut - k, cut]);
        return;
      }
    }
  }

  /** Short secrets, whole and standing alone (not inside a longer word). */
  private shortSpans(text: string, spans: Span[]): void {
    for (const secret of this.shortSecrets) {
      for (let at = text.indexOf(secret); at !== -1; at = text.indexOf(secret, at + 1)) {
        const end = at + secret.length;
        const alone = !TOKEN_CHAR.test(text.charAt(at - 1)) && !TOKEN_CHAR.test(text.charAt(end));
        if (alone) spans.push([at, end]);
      }
    }
  }
}

/**
 * How many characters (4 to WORD_RUN_LENGTH - 1) before `cut` begin `secret`, or 0; fewer than 8 that
 * look like a word (`team` of a key `team-alpha-…` ending "ask your team") are not taken for a cut.
 */
function cutPrefixLength(text: string, cut: number, secret: string): number {
  for (let k = Math.min(WORD_RUN_LENGTH - 1, secret.length - 1, cut); k >= MIN_SECRET_LENGTH; k--) {
    const prefix = secret.slice(0, k);
    if (text.startsWith(prefix, cut - k)) return k >= FRAGMENT_LENGTH || !WORD_LIKE.test(prefix) ? k : 0;
  }
  return 0;
}

function redact(text: string, spans: Span[]): string {
  spans.sort((a, b) => a[0] - b[0]);
  let out = '';
  let pos = -1;
  for (const [start, end] of spans) {
    // Overlapping or adjacent spans are one redaction.
    if (start > pos) out += text.slice(Math.max(pos, 0), start) + REDACTED;
    pos = Math.max(pos, end);
  }
  return out + text.slice(pos);
}
