/**
 * Consensus, the pure part: what makes two answers the same vote (comparators), and which answer the
 * votes choose. No I/O; consensus.ts runs the votes. See docs/speculative.md.
 */
import type { ChatCompletion } from '../core/chat.js';
import type { ConsensusSettings } from '../config/speculative.js';

/** Turns an answer's text into the key votes are grouped by. */
export type Comparator = (text: string, opts: { caseFold: boolean }) => string;

const collapse = (text: string): string => text.normalize('NFC').trim().replace(/\s+/g, ' ');
const fold = (text: string, caseFold: boolean): string => (caseFold ? text.toLowerCase() : text);

/** The built-in comparators, by the name `consensus.compare` takes. */
export const COMPARATORS: Record<ConsensusSettings['compare'], Comparator> = {
  exact: (text) => text,
  normalized: (text, { caseFold }) => fold(collapse(text), caseFold),
  json: (text, opts) => {
    const parsed = parseJson(text);
    return parsed.ok ? `json:${canonicalJson(parsed.value)}` : `text:${COMPARATORS.normalized(text, opts)}`;
  },
  label: (text, { caseFold }) => {
    const line = text.split(/\r?\n/).find((l) => l.trim() !== '') ?? '';
    const bare = collapse(line)
      .replace(/^["'`*_]+|["'`*_]+$/g, '')
      .replace(/[.!;:,]+$/, '')
      .trim();
    return fold(bare, caseFold);
  },
};

/** JSON with object keys sorted at every level, no whitespace: equal values, equal text. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) =>
      a < b ? -1 : a > b ? 1 : 0,
    );
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** Parses an answer as JSON, allowing one surrounding Markdown code fence (```json … ```). */
function parseJson(text: string): { ok: true; value: unknown } | { ok: false } {
  const fenced = /^\s*```[a-zA-Z]*\s*\n([\s\S]*?)\n\s*```\s*$/.exec(text);
  try {
    return { ok: true, value: JSON.parse(fenced ? fenced[1]! : text) as unknown };
  } catch {
    return { ok: false };
  }
}

/**
 * What a completion says, for comparison: choice 0's text; an answer made of tool calls is its calls
 * (name and arguments) as canonical JSON, so that the same call with reordered arguments is the same vote.
 */
export function answerText(completion: ChatCompletion): string {
  const message = completion.choices[0]?.message;
  if (!message) return '';
  if (message.tool_calls?.length) {
    const calls = message.tool_calls.map((c) => {
      const args = parseJson(c.function.arguments);
      return { name: c.function.name, arguments: args.ok ? args.value : c.function.arguments };
    });
    return `tool_calls:${canonicalJson(calls)}`;
  }
  return message.content ?? message.refusal ?? '';
}

export function voteKey(completion: ChatCompletion, settings: ConsensusSettings): string {
  const text = answerText(completion);
  if (text.startsWith('tool_calls:')) return text;
  return COMPARATORS[settings.compare](text, { caseFold: settings.caseFold });
}

/** One answer received. */
export interface Vote<V = unknown> {
  key: string;
  /** Position of its target among those asked (0 = the primary). */
  rank: number;
  /** Order of arrival (0 = first). */
  arrival: number;
  value: V;
}

export type Decision<V> =
  | {
      kind: 'answer';
      vote: Vote<V>;
      agreeing: number;
      answered: number;
      /** `majority`, or the `noMajority` policy that broke the tie (`first`, `primary`). */
      how: 'majority' | 'first' | 'primary';
    }
  | { kind: 'no-majority'; agreeing: number; answered: number }
  | { kind: 'below-quorum'; answered: number; quorum: number };

/** Answers needed for a decision: `quorum`, or a majority of the targets asked. */
export function quorumOf(settings: ConsensusSettings, asked: number): number {
  return settings.quorum ?? Math.floor(asked / 2) + 1;
}

/** Votes grouped by key, each group in arrival order, the largest first (ties: earliest arrival). */
function groups<V>(votes: readonly Vote<V>[]): Vote<V>[][] {
  const byKey = new Map<string, Vote<V>[]>();
  for (const v of [...votes].sort((a, b) => a.arrival - b.arrival)) {
    const group = byKey.get(v.key);
    if (group) group.push(v);
    else byKey.set(v.key, [v]);
  }
  return [...byKey.values()].sort((a, b) => b.length - a.length || a[0]!.arrival - b[0]!.arrival);
}

/** The group's answer: the one from the highest-placed target among those that agree. */
const representative = <V>(group: Vote<V>[]): Vote<V> => group.reduce((a, b) => (b.rank < a.rank ? b : a));

/**
 * The decision over the answers in: the answer more than half of them share; without one, the
 * `noMajority` policy among the largest groups (`first`: the group answered first; `primary`: the
 * group with the highest-placed target); fewer answers than the quorum decide nothing.
 */
export function tally<V>(votes: readonly Vote<V>[], settings: ConsensusSettings, asked: number): Decision<V> {
  const answered = votes.length;
  const quorum = quorumOf(settings, asked);
  if (answered < quorum || answered === 0) return { kind: 'below-quorum', answered, quorum };
  const all = groups(votes);
  const agreeing = all[0]!.length;
  const leaders = all.filter((g) => g.length === agreeing);
  if (leaders.length === 1 && agreeing * 2 > answered)
    return { kind: 'answer', vote: representative(leaders[0]!), agreeing, answered, how: 'majority' };
  if (settings.noMajority === 'fail') return { kind: 'no-majority', agreeing, answered };
  const chosen =
    settings.noMajority === 'first'
      ? leaders[0]!
      : leaders.reduce((a, b) => (representative(b).rank < representative(a).rank ? b : a));
  return { kind: 'answer', vote: representative(chosen), agreeing, answered, how: settings.noMajority };
}

/**
 * Whether the votes still to come can no longer change the majority: one answer already has more than
 * half of every answer that could arrive, and the quorum is met.
 */
export function majorityCertain(
  votes: readonly Vote[],
  pending: number,
  settings: ConsensusSettings,
  asked: number,
): boolean {
  if (votes.length < quorumOf(settings, asked) || votes.length === 0) return false;
  return groups(votes)[0]!.length * 2 > votes.length + pending;
}
