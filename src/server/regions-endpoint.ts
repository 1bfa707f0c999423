/**
 * POST /v1/switchyard/regions/{name}/drain and /undrain: takes a region's targets out of routing (or
 * puts them back) at runtime; GET /v1/switchyard/regions lists the drained ones. When gateway keys are
 * configured it takes a key that may use every model (as /metrics); the status endpoint shows drains
 * too. In memory; with `state.driver: redis` shared by every instance (src/state/shared-drains.ts).
 */
import { forbidden, methodNotAllowed, routeNotFound } from '../core/errors.js';
import type { RequestContext } from './app.js';
import { sendJson } from './respond.js';

const PATH = /^\/v1\/switchyard\/regions(?:\/([^/]{1,64})\/(drain|undrain))?\/?$/;

/** The handler for a regions path, or undefined when `path` is not one. */
export function regionsHandler(path: string, method: string): ((ctx: RequestContext) => void) | undefined {
  const m = PATH.exec(path);
  if (!m) return undefined;
  const [, name, action] = m;
  const allowed = action ? 'POST' : 'GET';
  if (method !== allowed) throw methodNotAllowed(method, path, [allowed]);
  return (ctx) => {
    const key = ctx.auth.authenticate(ctx.req.headers);
    if (key?.models) {
      throw forbidden(`The key "${key.name}" is limited to some models and may not drain regions.`);
    }
    const router = ctx.deps.engine.router;
    if (!router) throw routeNotFound(method, path);
    let region: string | undefined;
    if (name !== undefined) {
      region = decodeURIComponent(name);
      if (action === 'drain') router.drain(region);
      else router.undrain(region);
    }
    sendJson(ctx.res, 200, {
      object: 'switchyard.regions',
      ...(region !== undefined ? { region, action } : {}),
      drained: router.drainedRegions(),
    });
  };
}
