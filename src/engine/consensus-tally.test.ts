import { describe, expect, it } from 'vitest';
import type { ChatCompletion } from '../core/chat.js';
import { consensusSchema, type ConsensusSettings } from '../config/speculative.js';
import {
  answerText,
  canonicalJson,
  COMPARATORS,
  majorityCertain,
  tally,
  voteKey,
  type Vote,
} from './consensus-tally.js';

const settings = (over: Partial<ConsensusSettings> = {}): ConsensusSettings => ({
  ...consensusSchema.parse({}),
  ...over,
});

/** Votes from keys, in arrival order; rank = position in `ranks` (default: arrival order). */
const votes = (keys: string[], ranks = keys.map((_, i) => i)): Vote<string>[] =>
  keys.map((key, i) => ({ key, rank: ranks[i]!, arrival: i, value: `${key}@${ranks[i]}` }));

const completion = (message: ChatCompletion['choices'][0]['message']): ChatCompletion => ({
  id: 'c',
  object: 'chat.completion',
  created: 0,
  model: 'm',
  choices: [{ index: 0, message, finish_reason: 'stop', logprobs: null }],
});

describe('comparators', () => {
  it('normalized: trims and collapses whitespace; folds case only when asked', () => {
    const n = COMPARATORS.normalized;
    expect(n('  The answer\n is\t42 ', { caseFold: false })).toBe('The answer is 42');
    expect(n('The Answer', { caseFold: false })).not.toBe(n('the answer', { caseFold: false }));
    expect(n('The Answer', { caseFold: true })).toBe(n('the answer', { caseFold: true }));
  });

  it('json: equal values with other key order or spacing are one vote; non-JSON falls back to text', () => {
    const j = COMPARATORS.json;
    const opts = { caseFold: false };
    expect(j('{"a":1,"b":[1,{"y":2,"x":1}]}', opts)).toBe(j('{ "b": [1, {"x": 1, "y": 2}], "a": 1 }', opts));
    expect(j('```json\n{"a":1}\n```', opts)).toBe(j('{"a": 1}', opts));
    expect(j('{"a":1}', opts)).not.toBe(j('{"a":2}', opts));
    expect(j('not json', opts)).toBe('text:not json');
    expect(canonicalJson({ b: 1, a: [null, 'x'] })).toBe('{"a":[null,"x"],"b":1}');
  });

  it('label: the first non-empty line, without quotes, emphasis or trailing punctuation', () => {
    const l = COMPARATORS.label;
    expect(l('\n**Positive.**\nBecause the review says so.', { caseFold: true })).toBe('positive');
    expect(l('"positive"', { caseFold: true })).toBe('positive');
    expect(l('Negative', { caseFold: true })).not.toBe('positive');
  });

  it('answers made of tool calls compare by name and arguments, whatever their order', () => {
    const call = (args: string): ChatCompletion =>
      completion({
        role: 'assistant',
        content: null,
        tool_calls: [{ id: 'x', type: 'function', function: { name: 'f', arguments: args } }],
      });
    const s = settings();
    expect(voteKey(call('{"a":1,"b":2}'), s)).toBe(voteKey(call('{"b":2,"a":1}'), s));
    expect(voteKey(call('{"a":1}'), s)).not.toBe(voteKey(call('{"a":2}'), s));
    expect(answerText(completion({ role: 'assistant', content: 'hi' }))).toBe('hi');
  });
});

describe('tally', () => {
  it('two of three agreeing is a majority; the answer is the highest-placed target of the group', () => {
    const d = tally(votes(['x', 'y', 'x'], [2, 1, 0]), settings(), 3);
    expect(d).toMatchObject({ kind: 'answer', agreeing: 2, answered: 3, how: 'majority' });
    expect(d.kind === 'answer' && d.vote.value).toBe('x@0');
  });

  it('a tie follows the noMajority policy', () => {
    const tie = votes(['y', 'x'], [1, 0]);
    expect(tally(tie, settings({ noMajority: 'fail' }), 3)).toEqual({
      kind: 'no-majority',
      agreeing: 1,
      answered: 2,
    });
    const first = tally(tie, settings({ noMajority: 'first' }), 3);
    expect(first.kind === 'answer' && first.vote.value).toBe('y@1');
    const primary = tally(tie, settings({ noMajority: 'primary' }), 3);
    expect(primary).toMatchObject({ kind: 'answer', how: 'primary', agreeing: 1, answered: 2 });
    expect(primary.kind === 'answer' && primary.vote.value).toBe('x@0');
  });

  it('a plurality that is not more than half is no majority', () => {
    expect(tally(votes(['x', 'x', 'y', 'z']), settings({ votes: 4 }), 4).kind).toBe('no-majority');
  });

  it('fewer answers than the quorum decide nothing', () => {
    expect(tally(votes(['x']), settings(), 3)).toEqual({ kind: 'below-quorum', answered: 1, quorum: 2 });
    expect(tally(votes(['x', 'x']), settings({ quorum: 3 }), 3).kind).toBe('below-quorum');
    expect(tally(votes(['x']), settings({ quorum: 1 }), 3).kind).toBe('answer');
  });
});

describe('majorityCertain', () => {
  it('is certain only when the votes still out cannot change the outcome', () => {
    expect(majorityCertain(votes(['x', 'x']), 1, settings(), 3)).toBe(true);
    expect(majorityCertain(votes(['x', 'y']), 1, settings(), 3)).toBe(false);
    expect(majorityCertain(votes(['x', 'x']), 2, settings({ votes: 4 }), 4)).toBe(false);
    expect(majorityCertain(votes(['x', 'x', 'x']), 2, settings({ votes: 5 }), 5)).toBe(true);
    // The quorum still has to be met.
    expect(majorityCertain(votes(['x', 'x']), 1, settings({ quorum: 3 }), 3)).toBe(false);
  });
});
