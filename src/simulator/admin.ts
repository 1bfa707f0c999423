/**
 * The simulator's own admin API (not part of any provider's API), JSON in and out:
 *   GET  /_sim/stats[?model=M]           → SimulatorStats
 *   POST /_sim/behavior {model, behavior} → merges a behaviour ('*' = all models)
 *   POST /_sim/schedule {model, phases}   → starts a fault schedule now
 *   POST /_sim/key-fault {key, fault}     → a fault for requests made with one key (null lifts it)
 *   POST /_sim/reset                      → behaviours, schedules, key faults and stats back to start
 */
import type { ServerResponse } from 'node:http';
import {
  behaviorRequestSchema,
  describeIssues,
  keyFaultRequestSchema,
  scheduleRequestSchema,
} from './schema.js';
import type { Simulator } from './types.js';

export const ADMIN_PREFIX = '/_sim/';

export type AdminControls = Pick<Simulator, 'setBehavior' | 'schedule' | 'reset' | 'stats'> &
  Partial<Pick<Simulator, 'setKeyFault'>>;

function reply(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': String(Buffer.byteLength(text)),
  });
  res.end(text);
}

function parse(raw: Buffer): unknown {
  if (raw.length === 0) return {};
  try {
    return JSON.parse(raw.toString('utf8'));
  } catch {
    return undefined;
  }
}

export function handleAdmin(
  controls: AdminControls,
  request: { method: string; path: string; query: URLSearchParams; body: Buffer },
  res: ServerResponse,
): void {
  const { method, path } = request;
  const route = `${method} ${path}`;
  if (route === 'GET /_sim/stats') {
    return reply(res, 200, controls.stats(request.query.get('model') ?? undefined));
  }
  if (route === 'POST /_sim/reset') {
    controls.reset();
    return reply(res, 200, { ok: true });
  }
  const body = parse(request.body);
  if (body === undefined) return reply(res, 400, { error: 'body is not valid JSON' });
  if (route === 'POST /_sim/behavior') {
    const parsed = behaviorRequestSchema.safeParse(body);
    if (!parsed.success) return reply(res, 400, { error: describeIssues(parsed.error) });
    controls.setBehavior(parsed.data.model, parsed.data.behavior);
    return reply(res, 200, { ok: true });
  }
  if (route === 'POST /_sim/schedule') {
    const parsed = scheduleRequestSchema.safeParse(body);
    if (!parsed.success) return reply(res, 400, { error: describeIssues(parsed.error) });
    controls.schedule(parsed.data.model, parsed.data.phases);
    return reply(res, 200, { ok: true });
  }
  if (route === 'POST /_sim/key-fault' && controls.setKeyFault) {
    const parsed = keyFaultRequestSchema.safeParse(body);
    if (!parsed.success) return reply(res, 400, { error: describeIssues(parsed.error) });
    try {
      controls.setKeyFault(parsed.data.key, parsed.data.fault);
    } catch (error) {
      return reply(res, 400, { error: (error as Error).message });
    }
    return reply(res, 200, { ok: true });
  }
  return reply(res, 404, { error: `unknown admin endpoint: ${route}` });
}
