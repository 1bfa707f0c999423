/**
 * The routing blocks of the config (docs/routing.md): a route's `routing` section (its policy and what
 * the policy reads: weights, cost caps, tier floor, balanced weights) and a key's `routing` section
 * (tier floor, preferred region, per-request overrides, cost caps). Kept apart from the rest of the
 * schema so that the route schema only names them.
 */
import { z } from 'zod';

export const POLICIES = ['priority', 'weighted', 'least-latency', 'lowest-cost', 'balanced'] as const;
export type PolicyName = (typeof POLICIES)[number];

/** USD per UTC day and per UTC month; either may be absent. */
export const costCapSchema = z
  .object({
    dailyUsd: z.number().positive().optional(),
    monthlyUsd: z.number().positive().optional(),
  })
  .strict();

/** How much each part of the balanced score counts (0 leaves it out). */
export const balancedWeightsSchema = z
  .object({
    cost: z.number().min(0).default(1),
    ttft: z.number().min(0).default(1),
    throughput: z.number().min(0).default(0.5),
    errors: z.number().min(0).default(1),
  })
  .strict();

export const routeRoutingSchema = z
  .object({
    /** How healthy targets are ordered within a tier; `priority` (config order) by default. */
    policy: z.enum(POLICIES).default('priority'),
    /** `weighted`: share per target id (`provider/model`); targets not named get 0 (failover only). */
    weights: z.record(z.string(), z.number().int().min(0).max(1_000_000)).optional(),
    /** `least-latency`: share of requests (0..0.2) that go first to the target chosen least lately. */
    exploration: z.number().min(0).max(0.2).default(0.02),
    /** `least-latency`/`balanced`: half-life of the latency averages, ms. */
    decayMs: z.number().int().positive().default(10_000),
    /** `lowest-cost`/`balanced`: output tokens assumed when a request gives no max_tokens. */
    expectedOutputTokens: z.number().int().positive().default(500),
    balanced: balancedWeightsSchema.prefault({}),
    /** The worst tier this route's requests accept (1 = premium only); targets past it are never tried. */
    tierFloor: z.number().int().min(1).max(9).optional(),
    /** Spend cap of the whole route: when reached, its requests are refused (429). */
    cap: costCapSchema.optional(),
    /** Spend caps per target id: a target past its cap is skipped and traffic moves on. */
    targetCaps: z.record(z.string(), costCapSchema).optional(),
  })
  .strict();

export const keyRoutingSchema = z
  .object({
    /** The worst tier this key's requests accept. */
    tierFloor: z.number().int().min(1).max(9).optional(),
    /** Targets in this region go first (within a tier). */
    region: z.string().min(1).optional(),
    /** May pin or skip targets per request (x-switchyard-pin, x-switchyard-skip). */
    overrides: z.boolean().default(false),
    /** Spend cap of this key: when reached, its requests are refused (429). */
    cap: costCapSchema.optional(),
  })
  .strict();

export type CostCap = z.output<typeof costCapSchema>;
export type BalancedWeights = z.output<typeof balancedWeightsSchema>;
export type RouteRouting = z.output<typeof routeRoutingSchema>;
export type KeyRouting = z.output<typeof keyRoutingSchema>;
