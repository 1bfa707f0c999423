import { invalidRequest } from '../core/errors.js';
import { targetId, type AttemptContext } from './types.js';

/**
 * A parameter this target cannot honour: throws the 400 naming the parameter and the target (`api`
 * says whose API lacks it), or, when the route drops unsupported parameters, records the drop for
 * `x-switchyard-warnings` and returns so the caller drops it.
 */
export function refuseParameter(ctx: AttemptContext, param: string, what: string, api: string): void {
  if (ctx.dropUnsupported) {
    ctx.warn?.(`dropped ${param}: not supported by ${targetId(ctx)}`);
    return;
  }
  throw invalidRequest(
    `${what} is not supported by ${targetId(ctx)} (${api}). ` +
      `Remove \`${param}\`, or set dropUnsupportedParams on the route to drop it.`,
    param,
    'unsupported_parameter',
  );
}
