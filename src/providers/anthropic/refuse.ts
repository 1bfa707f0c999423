import { invalidRequest } from '../../core/errors.js';
import type { AttemptContext } from '../types.js';

/**
 * A parameter this target cannot honour: throws the 400 naming the parameter and the target, or,
 * when the route drops unsupported parameters, returns so the caller drops it.
 */
export function refuse(ctx: AttemptContext, param: string, what: string): void {
  if (ctx.dropUnsupported) {
    ctx.warn?.(`dropped ${param}: not supported by ${ctx.provider.id}/${ctx.model}`);
    return;
  }
  throw invalidRequest(
    `${what} is not supported by ${ctx.provider.id}/${ctx.model} (Anthropic Messages API). ` +
      `Remove \`${param}\`, or set dropUnsupportedParams on the route to drop it.`,
    param,
    'unsupported_parameter',
  );
}
