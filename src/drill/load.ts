/**
 * The drill's built-in client: a steady open-loop load of streaming chat requests through the
 * gateway (request i is sent at t0 + i/rps whether or not earlier ones have finished, so a slow
 * gateway cannot slow the load down and hide its own latency). Each request is measured from the
 * client's side: time to the first content delta, end, status, whether the stream ended cleanly with
 * `[DONE]`, which target served it and which targets the gateway tried (its debug trace).
 * Bounded: the last request is sent at the end of the duration and each has a hard timeout.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { Agent, request } from 'undici';
import { SseParser, type SseEvent } from '../core/sse.js';

export interface RequestRecord {
  id: number;
  /** When the request was sent, ms from the start of the load. */
  startMs: number;
  /** How late the send was against the open-loop schedule (client-side event-loop lag). */
  lagMs: number;
  /** From send to the first content delta, when one came. */
  ttftMs?: number;
  /** From send to the end of the response. */
  durationMs: number;
  status: number;
  /** 200, at least one content delta, no error event, and `[DONE]` at the end. */
  ok: boolean;
  /** Why a request failed, from the client's point of view. */
  error?: string;
  /** `x-switchyard-target`. */
  target?: string;
  /** `x-switchyard-attempts`. */
  attempts?: number;
  /** Targets the gateway made an upstream attempt on (from `x-switchyard-trace`). */
  tried: string[];
}

export interface LoadOptions {
  /** The gateway's base URL, e.g. http://127.0.0.1:4000. */
  url: string;
  model: string;
  /** The route's targets in order (to read the trace). */
  routeTargets?: readonly string[];
  rps: number;
  durationMs: number;
  /** Hard limit per request. Default 20 s. */
  requestTimeoutMs?: number;
}

/**
 * Targets a request attempted, read from the trace (`target action result [ms]; …`) of a route whose
 * targets are `routeTargets`. Finished attempts have an `attempt` entry, the one streaming when the
 * headers went out `attempt streaming`, hedges a `hedge` entry; an attempt that lost the race to a
 * hedge has no entry yet (it was cancelled as the stream committed): it is the first target of the
 * route that was neither skipped nor hedged to.
 */
export function triedTargets(trace: string | undefined, routeTargets: readonly string[] = []): string[] {
  if (!trace) return [];
  const tried = new Set<string>();
  const skipped = new Set<string>();
  const hedgedTo = new Set<string>();
  for (const entry of trace.split('; ')) {
    const [target, action] = entry.split(' ');
    if (!target) continue;
    if (action === 'attempt') tried.add(target);
    if (action === 'skip') skipped.add(target);
    if (action === 'hedge') {
      tried.add(target);
      hedgedTo.add(target);
    }
  }
  if (hedgedTo.size > 0) {
    const first = routeTargets.find((t) => !hedgedTo.has(t) && (!skipped.has(t) || tried.has(t)));
    if (first) tried.add(first);
  }
  return routeTargets.length ? routeTargets.filter((t) => tried.has(t)) : [...tried];
}

function header(headers: Record<string, string | string[] | undefined>, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

interface StreamVerdict {
  ttftAt?: number;
  done: boolean;
  error?: string;
}

/** Reads an OpenAI SSE stream: first content delta, error events, the `[DONE]` terminator. */
async function readStream(body: AsyncIterable<Uint8Array>): Promise<StreamVerdict> {
  const verdict: StreamVerdict = { done: false };
  const onEvent = (event: SseEvent): void => {
    if (event.data === '[DONE]') {
      verdict.done = true;
      return;
    }
    let chunk: { error?: { message?: string }; choices?: { delta?: { content?: string } }[] };
    try {
      chunk = JSON.parse(event.data) as typeof chunk;
    } catch {
      verdict.error ??= 'malformed chunk';
      return;
    }
    if (chunk.error) verdict.error ??= `error event: ${chunk.error.message ?? 'unknown'}`;
    const content = chunk.choices?.[0]?.delta?.content;
    if (content && verdict.ttftAt === undefined) verdict.ttftAt = performance.now();
  };
  const parser = new SseParser(onEvent);
  for await (const bytes of body) parser.push(bytes);
  parser.end();
  return verdict;
}

async function oneRequest(
  options: LoadOptions & { agent: Agent },
  id: number,
  t0: number,
  scheduledMs: number,
): Promise<RequestRecord> {
  const sent = performance.now();
  const base = { id, startMs: sent - t0, lagMs: Math.max(0, sent - t0 - scheduledMs), tried: [] as string[] };
  try {
    const res = await request(`${options.url}/v1/chat/completions`, {
      method: 'POST',
      dispatcher: options.agent,
      signal: AbortSignal.timeout(options.requestTimeoutMs ?? 20_000),
      headers: {
        'content-type': 'application/json',
        authorization: 'Bearer drill-client',
        'x-switchyard-debug': 'trace',
      },
      body: JSON.stringify({
        model: options.model,
        stream: true,
        messages: [{ role: 'user', content: `Drill request ${id}: say something.` }],
      }),
    });
    const target = header(res.headers, 'x-switchyard-target');
    const attempts = Number(header(res.headers, 'x-switchyard-attempts') ?? NaN);
    const meta = {
      ...(target ? { target } : {}),
      ...(Number.isFinite(attempts) ? { attempts } : {}),
      tried: triedTargets(header(res.headers, 'x-switchyard-trace'), options.routeTargets),
    };
    if (res.statusCode !== 200) {
      const text = await res.body.text();
      let message = text.slice(0, 200);
      try {
        message = (JSON.parse(text) as { error?: { message?: string } }).error?.message ?? message;
      } catch {
        // not JSON: keep the text
      }
      const durationMs = performance.now() - sent;
      return {
        ...base,
        ...meta,
        status: res.statusCode,
        ok: false,
        durationMs,
        error: `${res.statusCode}: ${message}`,
      };
    }
    const verdict = await readStream(res.body);
    const durationMs = performance.now() - sent;
    const error =
      verdict.error ??
      (verdict.ttftAt === undefined
        ? 'no content'
        : verdict.done
          ? undefined
          : 'stream ended without [DONE]');
    return {
      ...base,
      ...meta,
      status: 200,
      ok: error === undefined,
      durationMs,
      ...(verdict.ttftAt !== undefined ? { ttftMs: verdict.ttftAt - sent } : {}),
      ...(error ? { error } : {}),
    };
  } catch (e) {
    const message = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
    return { ...base, status: 0, ok: false, durationMs: performance.now() - sent, error: message };
  }
}

/**
 * Runs the load and resolves with one record per request, in send order, once every request has
 * finished. `onStart` is called with the load's time origin (performance.now()) before the first send.
 */
export async function runLoad(
  options: LoadOptions,
  onStart?: (t0: number) => void,
): Promise<RequestRecord[]> {
  const agent = new Agent({ connections: 1_024, pipelining: 1, keepAliveTimeout: 10_000 });
  const intervalMs = 1_000 / options.rps;
  const count = Math.max(1, Math.floor((options.durationMs / 1_000) * options.rps));
  const pending: Promise<RequestRecord>[] = [];
  const t0 = performance.now();
  onStart?.(t0);
  try {
    for (let i = 0; i < count; i++) {
      const scheduledMs = i * intervalMs;
      const waitMs = t0 + scheduledMs - performance.now();
      if (waitMs > 0) await sleep(waitMs);
      pending.push(oneRequest({ ...options, agent }, i, t0, scheduledMs));
    }
    return await Promise.all(pending);
  } finally {
    await agent.close();
  }
}
