/** One line about a route's routing block, for `switchyard check`. */
import type { RouteRouting } from './schema.js';

export function describeRouting(r: RouteRouting): string {
  const parts: string[] = [r.policy];
  if (r.policy === 'weighted' && r.weights)
    parts.push(
      Object.entries(r.weights)
        .map(([id, w]) => `${id}=${w}`)
        .join(' '),
    );
  if (r.policy === 'least-latency') parts.push(`exploration ${r.exploration}, τ ${r.decayMs} ms`);
  if (r.policy === 'balanced') {
    const b = r.balanced;
    parts.push(`weights cost ${b.cost}, ttft ${b.ttft}, throughput ${b.throughput}, errors ${b.errors}`);
  }
  if (r.tierFloor !== undefined) parts.push(`tier floor ${r.tierFloor}`);
  const cap = (c: { dailyUsd?: number | undefined; monthlyUsd?: number | undefined }): string =>
    [
      c.dailyUsd !== undefined ? `$${c.dailyUsd}/day` : '',
      c.monthlyUsd !== undefined ? `$${c.monthlyUsd}/month` : '',
    ]
      .filter(Boolean)
      .join(' ');
  if (r.cap) parts.push(`cap ${cap(r.cap)}`);
  for (const [id, c] of Object.entries(r.targetCaps ?? {})) parts.push(`${id} cap ${cap(c)}`);
  return parts.join('; ');
}
