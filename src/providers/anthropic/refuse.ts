import { refuseParameter } from '../refuse.js';
import type { AttemptContext } from '../types.js';

/** A parameter the Anthropic Messages API cannot honour: a 400, or dropped on routes that drop (see refuseParameter). */
export function refuse(ctx: AttemptContext, param: string, what: string): void {
  refuseParameter(ctx, param, what, 'Anthropic Messages API');
}
