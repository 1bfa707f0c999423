/**
 * The request path, protocol-independent: admin routes, then each protocol in turn; rejections are
 * answered at once, generations get a behaviour and a fault drawn, then timing and faults applied.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ADMIN_PREFIX, handleAdmin, type AdminControls } from './admin.js';
import type { BehaviorBook } from './behavior.js';
import { Exchange } from './exchange.js';
import type {
  PlainResponse,
  ProtocolContext,
  ProtocolModule,
  ProtocolRequest,
  RouteResult,
} from './protocols/types.js';
import { receivedKey } from './echo-key.js';
import { runGeneration } from './reply.js';
import type { StatsBook } from './stats.js';
import type { KeyBook } from './keys.js';

const MAX_BODY_BYTES = 32 * 1024 * 1024;

export interface RequestPathDeps {
  book: BehaviorBook;
  stats: StatsBook;
  /** Per-key faults and counts (absent: none). */
  keys?: KeyBook;
  protocols: readonly ProtocolModule[];
  context: ProtocolContext;
  admin: AdminControls;
  isClosing: () => boolean;
  /** Sees every provider request as it arrived (the journal behind `Simulator.requests()`). */
  journal?: (request: ProtocolRequest) => void;
}

/** Reads the whole body; resolves undefined if the request dies or exceeds the limit. */
function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        resolve(undefined);
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', () => resolve(undefined));
    req.on('close', () => resolve(undefined));
  });
}

interface Routed {
  result: RouteResult;
  /** The protocol that claimed the path (its faults apply), or undefined for an unknown path. */
  protocol?: ProtocolModule;
}

function route(deps: RequestPathDeps, request: ProtocolRequest): Routed {
  for (const protocol of deps.protocols) {
    const result = protocol.handle(request, deps.context);
    if (result !== undefined) return { result, protocol };
  }
  const notFound = deps.protocols
    .find((p) => p.notFound !== undefined)
    ?.notFound?.(request.method, request.path);
  const response: PlainResponse = notFound ?? {
    status: 404,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ error: { message: `Invalid URL (${request.method} ${request.path})` } }),
  };
  return { result: { type: 'respond', response, outcome: 'rejected' } };
}

export function createRequestHandler(
  deps: RequestPathDeps,
): (req: IncomingMessage, res: ServerResponse) => void {
  const serve = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    req.socket.setNoDelay(true);
    const url = new URL(req.url ?? '/', 'http://simulator');
    const method = req.method ?? 'GET';
    if (url.pathname.startsWith(ADMIN_PREFIX)) {
      const body = (await readBody(req)) ?? Buffer.alloc(0);
      return handleAdmin(deps.admin, { method, path: url.pathname, query: url.searchParams, body }, res);
    }
    const record = deps.stats.start();
    const exchange = new Exchange(req, res, record, deps.isClosing);
    const body = await readBody(req);
    if (body === undefined || !exchange.alive) return;
    const request: ProtocolRequest = {
      method,
      path: url.pathname,
      query: url.searchParams,
      headers: req.headers,
      body,
    };
    deps.journal?.(request);
    const { result, protocol } = route(deps, request);
    if (result.model !== undefined) record.attachModel(result.model);
    if (result.type === 'respond' || protocol === undefined) {
      record.outcome(result.type === 'respond' ? result.outcome : 'rejected');
      if (result.type === 'respond') exchange.send(result.response);
      return;
    }
    const key = receivedKey(req.headers, url.searchParams);
    const decision = deps.book.decide(result.model);
    const keyFault = deps.keys?.onRequest(key);
    await runGeneration({
      exchange,
      faults: protocol.faults,
      decision: keyFault ? { ...decision, fault: keyFault } : decision,
      model: result.model,
      answer: result.answer,
      receivedKey: key,
    });
  };
  return (req, res) => {
    serve(req, res).catch((error: unknown) => {
      console.error('simulator: request failed', error);
      if (!res.headersSent) {
        res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { message: 'simulator internal error', type: 'server_error' } }));
      } else res.destroy();
    });
  };
}
