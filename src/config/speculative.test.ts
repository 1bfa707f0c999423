import { describe, expect, it } from 'vitest';
import { resolveConfig, ConfigError } from './load.js';

const config = (route: Record<string, unknown>): Record<string, unknown> => ({
  providers: {
    a: { type: 'openai-compatible', baseUrl: 'http://127.0.0.1:1/v1', apiKey: 'sk-a-0000000000' },
    b: { type: 'openai-compatible', baseUrl: 'http://127.0.0.1:2/v1', apiKey: 'sk-b-0000000000' },
  },
  routes: { r: { targets: ['a/x', 'b/y', 'a/z'], ...route } },
});

function problems(route: Record<string, unknown>): string[] {
  try {
    resolveConfig(config(route), { env: {} });
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

describe('speculative route settings', () => {
  it('resolves race and consensus with their defaults', () => {
    const race = resolveConfig(config({ race: {} }), { env: {} }).routes.get('r')!;
    expect(race.race).toEqual({});
    const vote = resolveConfig(config({ consensus: {} }), { env: {} }).routes.get('r')!;
    expect(vote.consensus).toEqual({
      votes: 3,
      compare: 'normalized',
      caseFold: false,
      wait: 'all',
      noMajority: 'fail',
      belowQuorum: 'fail',
    });
    expect(resolveConfig(config({}), { env: {} }).routes.get('r')!.race).toBeUndefined();
  });

  it('names the exact key of each mistake', () => {
    expect(problems({ race: {}, hedge: {} })).toEqual([
      'routes.r: race and hedge cannot be combined on one route',
    ]);
    expect(problems({ race: {}, consensus: {} })).toEqual([
      'routes.r: race and consensus cannot be combined on one route',
    ]);
    expect(problems({ race: { targets: ['a/x', 'b/nope'] } })).toEqual([
      'routes.r.race.targets[1]: "b/nope" is not a target of the route',
    ]);
    expect(problems({ consensus: { targets: ['a/x', 'a/x'] } })).toEqual([
      'routes.r.consensus.targets[1]: "a/x" is listed twice',
    ]);
    expect(problems({ consensus: { votes: 4 } })).toEqual([
      'routes.r.consensus.votes: 4 votes need as many targets (the route has 3)',
    ]);
    expect(problems({ consensus: { quorum: 4 } })).toEqual([
      'routes.r.consensus.quorum: 4 is more than the 3 targets asked',
    ]);
    expect(problems({ consensus: { compare: 'fuzzy' } })[0]).toMatch(/^routes\.r\.consensus\.compare/);
    expect(problems({ race: { targets: ['a/x'] } })[0]).toMatch(/^routes\.r\.race\.targets/);
  });
});
