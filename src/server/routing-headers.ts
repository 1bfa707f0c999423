/**
 * What a request asks of routing (docs/routing.md), from its headers and its key:
 *   x-switchyard-tier-floor: N   the worst tier it accepts (the strictest of route, key and header wins)
 *   x-switchyard-region: NAME    preferred region (else the key's `routing.region`)
 *   x-switchyard-pin: ID         only this target (`provider/model`)       } keys with routing.overrides,
 *   x-switchyard-skip: ID, ID    never these targets                       } or any caller without keys
 * Bad values are a 400 naming the header; overrides without permission a 403.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { forbidden, invalidRequest } from '../core/errors.js';
import type { GatewayKey, Route } from '../config/types.js';
import type { RequestRouting } from '../routing/router.js';

const TIER = 'x-switchyard-tier-floor';
const REGION = 'x-switchyard-region';
const PIN = 'x-switchyard-pin';
const SKIP = 'x-switchyard-skip';

const one = (headers: IncomingHttpHeaders, name: string): string | undefined => {
  const v = headers[name];
  return typeof v === 'string' && v.trim() ? v.trim() : undefined;
};

export function requestRouting(
  headers: IncomingHttpHeaders,
  key: GatewayKey | undefined,
  route: Route,
  openMode: boolean,
): RequestRouting | undefined {
  // The common case costs four header lookups: no routing settings and no routing header.
  if (
    route.routing?.tierFloor === undefined &&
    !key?.routing &&
    headers[TIER] === undefined &&
    headers[REGION] === undefined &&
    headers[PIN] === undefined &&
    headers[SKIP] === undefined
  )
    return undefined;
  const routing: RequestRouting = {};
  const floors: number[] = [];
  if (route.routing?.tierFloor !== undefined) floors.push(route.routing.tierFloor);
  if (key?.routing?.tierFloor !== undefined) floors.push(key.routing.tierFloor);
  const tier = one(headers, TIER);
  if (tier !== undefined) {
    if (!/^[1-9]$/.test(tier))
      throw invalidRequest(`${TIER} must be a tier from 1 to 9, got "${tier.slice(0, 20)}".`, TIER);
    floors.push(Number(tier));
  }
  if (floors.length) routing.tierFloor = Math.min(...floors);
  const region = one(headers, REGION) ?? key?.routing?.region;
  if (region !== undefined) {
    if (region.length > 64) throw invalidRequest(`${REGION} is too long.`, REGION);
    routing.region = region;
  }
  const pin = one(headers, PIN);
  const skip = one(headers, SKIP);
  if (pin !== undefined || skip !== undefined) {
    if (!openMode && !key?.routing?.overrides) {
      throw forbidden(
        `The key "${key?.name}" may not pin or skip targets (keys[].routing.overrides).`,
        'overrides_not_allowed',
      );
    }
    const ids = new Set(route.targets.map((t) => t.id));
    const check = (id: string, header: string): string => {
      if (!ids.has(id))
        throw invalidRequest(
          `${header}: "${id.slice(0, 100)}" is not a target of the model \`${route.name}\`.`,
          header,
        );
      return id;
    };
    if (pin !== undefined) routing.pin = check(pin, PIN);
    if (skip !== undefined) routing.skip = skip.split(',').map((s) => check(s.trim(), SKIP));
  }
  return Object.keys(routing).length ? routing : undefined;
}
