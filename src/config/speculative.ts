/**
 * Speculative modes of a route (opt-in, off unless the route has the section): `race` sends each
 * request to two targets at once and keeps the first token; `consensus` asks several targets the same
 * non-streaming question and answers with the majority. Their schemas and their cross-checks against
 * the route's targets live here, apart from the rest of the route. See docs/speculative.md.
 */
import { z } from 'zod';

const positiveMs = z.number().int().positive();
const targetId = z.string().regex(/^[^/\s]+\/\S+$/, 'a target is "provider/model"');

/** Race: the first token of two (or three) targets asked at once wins. */
export const raceSchema = z
  .object({
    /**
     * The targets that race, by `provider/model` (each must be one of the route's targets). Absent: the
     * route's first two healthy targets.
     */
    targets: z.array(targetId).min(2).max(3).optional(),
  })
  .strict();

/** How two answers are compared: what makes them the same vote. */
export const CONSENSUS_COMPARATORS = ['exact', 'normalized', 'json', 'label'] as const;

/** Consensus: the majority answer of several targets (non-streaming requests only). */
export const consensusSchema = z
  .object({
    /** How many targets are asked: the route's first N healthy targets. Ignored when `targets` is set. */
    votes: z.number().int().min(2).max(7).default(3),
    /** The targets asked, by `provider/model` (each must be one of the route's targets). */
    targets: z.array(targetId).min(2).max(7).optional(),
    /** `exact`, `normalized` (trim, collapse whitespace), `json` (canonical JSON), `label` (first line). */
    compare: z.enum(CONSENSUS_COMPARATORS).default('normalized'),
    /** `normalized` and `label` also ignore letter case. */
    caseFold: z.boolean().default(false),
    /** Answers needed for a decision (failed votes do not count); default: a majority of `votes` (or of `targets`). */
    quorum: z.number().int().min(1).max(7).optional(),
    /** `all`: wait for every vote (within the deadline); `majority`: answer once a majority is certain. */
    wait: z.enum(['all', 'majority']).default('all'),
    /** Votes not in by then are cancelled and left out; without it the request's deadline ends it (504). */
    timeoutMs: positiveMs.optional(),
    /** No answer has more than half the votes: `fail` (502), `first` or `primary` break the tie. */
    noMajority: z.enum(['fail', 'first', 'primary']).default('fail'),
    /** Fewer answers than the quorum: `fail` (502), or `fallback` to the route's normal failover. */
    belowQuorum: z.enum(['fail', 'fallback']).default('fail'),
  })
  .strict();

/** The route fields this module adds to the route schema. */
export const speculativeRouteFields = {
  race: raceSchema.optional(),
  consensus: consensusSchema.optional(),
};

export type RaceSettings = z.output<typeof raceSchema>;
export type ConsensusSettings = z.output<typeof consensusSchema>;

/** The speculative part of a resolved route. */
export interface SpeculativeRoute {
  race?: RaceSettings;
  consensus?: ConsensusSettings;
}

/**
 * Checks a route's speculative sections against its targets and the rest of the route, pushing
 * problems that name the exact key; returns the fields for the resolved route.
 */
export function resolveSpeculative(
  name: string,
  route: SpeculativeRoute & { hedge?: unknown },
  targets: readonly { id: string }[],
  problems: string[],
): SpeculativeRoute {
  const targetIds = targets.map((t) => t.id);
  const { race, consensus } = route;
  const at = `routes.${name}`;
  const modes = [race && 'race', consensus && 'consensus', route.hedge !== undefined && 'hedge'].filter(
    Boolean,
  );
  if (modes.length > 1) problems.push(`${at}: ${modes.join(' and ')} cannot be combined on one route`);
  const checkNamed = (key: string, named: readonly string[] | undefined): void => {
    const seen = new Set<string>();
    named?.forEach((id, i) => {
      if (!targetIds.includes(id))
        problems.push(`${at}.${key}.targets[${i}]: "${id}" is not a target of the route`);
      if (seen.has(id)) problems.push(`${at}.${key}.targets[${i}]: "${id}" is listed twice`);
      seen.add(id);
    });
  };
  if (race) {
    checkNamed('race', race.targets);
    if (!race.targets && targetIds.length < 2) problems.push(`${at}.race: a race needs at least two targets`);
  }
  if (consensus) {
    checkNamed('consensus', consensus.targets);
    const asked = consensus.targets?.length ?? consensus.votes;
    if (!consensus.targets && targetIds.length < consensus.votes)
      problems.push(
        `${at}.consensus.votes: ${consensus.votes} votes need as many targets (the route has ${targetIds.length})`,
      );
    if (consensus.quorum !== undefined && consensus.quorum > asked)
      problems.push(`${at}.consensus.quorum: ${consensus.quorum} is more than the ${asked} targets asked`);
  }
  return { ...(race ? { race } : {}), ...(consensus ? { consensus } : {}) };
}
