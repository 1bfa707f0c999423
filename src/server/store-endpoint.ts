/**
 * The request store's query API (docs/observability.md#request-store):
 *   GET /v1/switchyard/requests — recent requests, newest first, filtered by key, route, target,
 *                                 status and time (never their captured prompt and completion);
 *   GET /v1/switchyard/requests/{id} — one request, with its captured prompt and completion if any;
 *   GET /v1/switchyard/stats    — aggregates over a window per route, target, model or key.
 * Protected as /metrics is: with gateway keys configured it takes a key allowed every model (a key
 * limited to some models would see the others' traffic: 403). 404 when the store is off; 503 while
 * the store is being opened or cannot be read.
 */
import { ApiError, forbidden, methodNotAllowed, routeNotFound } from '../core/errors.js';
import { parseRecentQuery, parseStatsQuery } from '../store/query-params.js';
import type { StoreRecorder } from '../store/recorder.js';
import { requestJson } from '../store/request-view.js';
import type { RequestStore, StoredRequest } from '../store/types.js';
import type { RequestContext } from './app.js';
import { sendJson } from './respond.js';

const storeUnavailable = (detail: string): ApiError =>
  new ApiError({
    status: 503,
    message: `The request store cannot be read right now (${detail}); try again shortly.`,
    type: 'server_error',
    code: 'store_unavailable',
  });

function access(
  ctx: RequestContext,
  path: string,
): { store: RequestStore; recorder: StoreRecorder; params: URLSearchParams } {
  const recorder = ctx.deps.requestStore;
  if (!recorder) throw routeNotFound('GET', path);
  const key = ctx.auth.authenticate(ctx.req.headers);
  if (key?.models) {
    throw forbidden(`The key "${key.name}" is limited to some models and may not read ${path}.`);
  }
  const params = new URL(ctx.req.url ?? '/', 'http://gateway').searchParams;
  const store = recorder.store;
  if (!store) throw storeUnavailable('it is not open yet');
  return { store, recorder, params };
}

async function read<T>(work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (error) {
    throw storeUnavailable(error instanceof Error ? error.message.slice(0, 200) : 'query failed');
  }
}

const view = (r: StoredRequest) => ({ ...r, time: new Date(r.time).toISOString() });

export async function handleRecentRequests(ctx: RequestContext): Promise<void> {
  const { store, params } = access(ctx, '/v1/switchyard/requests');
  const filter = parseRecentQuery(params);
  const records = await read(store.recent(filter));
  sendJson(ctx.res, 200, { object: 'list', data: records.map(view) }, { 'cache-control': 'no-store' });
}

const ONE_REQUEST = /^\/v1\/switchyard\/requests\/([\w.:-]{1,128})\/?$/;

/** GET /v1/switchyard/requests/{id}: the handler when `path` names one request, else undefined. */
export function storedRequestHandler(
  path: string,
  method: string,
): ((ctx: RequestContext) => Promise<void>) | undefined {
  const m = ONE_REQUEST.exec(path);
  if (!m) return undefined;
  if (method !== 'GET') throw methodNotAllowed(method, path, ['GET']);
  const requestId = m[1]!;
  return async (ctx) => {
    const { store } = access(ctx, '/v1/switchyard/requests/{id}');
    const record = await read(store.get(requestId));
    if (!record) {
      throw new ApiError({
        status: 404,
        message: `No stored request has the id \`${requestId}\` (not recorded yet, or pruned).`,
        type: 'invalid_request_error',
        code: 'request_not_found',
      });
    }
    sendJson(ctx.res, 200, requestJson(record), { 'cache-control': 'no-store' });
  };
}

export async function handleStats(ctx: RequestContext): Promise<void> {
  const { store, recorder, params } = access(ctx, '/v1/switchyard/stats');
  const query = parseStatsQuery(params, recorder.wallNow());
  const groups = await read(store.stats(query));
  sendJson(
    ctx.res,
    200,
    {
      object: 'switchyard.stats',
      since: new Date(query.since).toISOString(),
      until: new Date(query.until).toISOString(),
      by: query.by,
      ...(query.route !== undefined ? { route: query.route } : {}),
      ...(query.key !== undefined ? { key: query.key } : {}),
      ...(query.bucketMs !== undefined ? { bucketMs: query.bucketMs } : {}),
      data: groups,
    },
    { 'cache-control': 'no-store' },
  );
}
