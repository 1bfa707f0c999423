/**
 * The admin API of virtual keys (docs/keys.md), under /v1/switchyard/keys:
 *   POST   /v1/switchyard/keys              create; the answer carries the secret, once
 *   GET    /v1/switchyard/keys              list (no secrets: id, name, prefix, scopes, limits, …)
 *   GET    /v1/switchyard/keys/{id}         one key, with its usage in the current windows
 *   PATCH  /v1/switchyard/keys/{id}         scopes, limits, metadata, expiry
 *   DELETE /v1/switchyard/keys/{id}         revoke (also POST …/{id}/revoke)
 *   POST   /v1/switchyard/keys/{id}/rotate  a new secret; the old one works for `graceSeconds` more
 * Admin keys only (config `admin.keys`, SWITCHYARD_ADMIN_KEY); none configured: every path is 404.
 */
import { ApiError, invalidRequest, methodNotAllowed, routeNotFound } from '../core/errors.js';
import type { UpdateKeyBody } from '../keys/admin-body.js';
import type { KeyService } from '../keys/service.js';
import { toGatewayKey } from '../keys/registry.js';
import { hashSecret, newKeyId, newSecret, visiblePrefix } from '../keys/secret.js';
import { DuplicateKeyName, type VirtualKeyRecord } from '../keys/types.js';
import type { RequestContext } from './app.js';
import { authenticateAdmin } from './auth.js';
import { readJsonBody } from './body.js';
import { sendJson } from './respond.js';

/**
 * The bodies' schemas (zod) are loaded on the first admin call: a gateway that never manages keys
 * never loads the schema library (docs/PERFORMANCE.md, "Config validated on its own thread").
 */
const adminBodies = (): Promise<typeof import('../keys/admin-body.js')> => import('../keys/admin-body.js');

const PATH = /^\/v1\/switchyard\/keys(?:\/(key_[0-9a-f]{16})(?:\/(rotate|revoke))?)?\/?$/;
const NO_STORE = { 'cache-control': 'no-store' };

type Action = (
  ctx: RequestContext,
  keys: Required<Pick<KeyService, 'registry' | 'store'>> & KeyService,
) => Promise<void>;

/** The handler for a keys path, or undefined when `path` is not one. */
export function keysHandler(
  path: string,
  method: string,
): ((ctx: RequestContext) => Promise<void>) | undefined {
  if (!path.startsWith('/v1/switchyard/keys')) return undefined;
  const m = PATH.exec(path);
  return async (ctx) => {
    const keys = ctx.deps.keys;
    // No admin key configured: the admin API does not exist.
    if (!keys?.registry || !keys.store || !m) throw routeNotFound(method, path);
    const [, id, action] = m;
    const allowed = action ? ['POST'] : id ? ['GET', 'PATCH', 'DELETE'] : ['GET', 'POST'];
    if (!allowed.includes(method)) throw methodNotAllowed(method, path, allowed);
    authenticateAdmin(ctx.req.headers, keys.adminKeys);
    const service = keys as Parameters<Action>[1];
    if (!id) return method === 'GET' ? list(ctx, service) : create(ctx, service);
    const record = service.registry.get(id);
    if (!record) throw keyNotFound(id);
    if (action === 'rotate') return rotate(ctx, service, record);
    if (action === 'revoke' || method === 'DELETE') return revoke(ctx, service, record);
    if (method === 'PATCH') return update(ctx, service, record);
    return show(ctx, service, record);
  };
}

/** A body that may be absent (rotate): none is `{}`. */
async function optionalBody(ctx: RequestContext): Promise<unknown> {
  const { headers } = ctx.req;
  if ((headers['content-length'] ?? '0') === '0' && headers['transfer-encoding'] === undefined) return {};
  return readJsonBody(ctx.req, ctx.deps.config.server);
}

const keyNotFound = (id: string): ApiError =>
  new ApiError({
    status: 404,
    type: 'invalid_request_error',
    code: 'key_not_found',
    message: `No key with id '${id}'.`,
  });

const storeUnavailable = (error: unknown): ApiError =>
  new ApiError({
    status: 503,
    type: 'server_error',
    code: 'key_store_unavailable',
    message: `The key store cannot be written right now (${error instanceof Error ? error.message.slice(0, 200) : 'failed'}); nothing was changed.`,
    headers: { 'retry-after': '1' },
  });

/** A record as the admin API shows it: never a secret, never a hash. */
export function keyView(r: VirtualKeyRecord, now: number): Record<string, unknown> {
  const iso = (ms: number | undefined): string | null =>
    ms === undefined ? null : new Date(ms).toISOString();
  const rotating = r.previousUntil !== undefined && now < r.previousUntil;
  return {
    object: 'switchyard.key',
    id: r.id,
    name: r.name,
    prefix: r.prefix,
    status:
      r.revokedAt !== undefined
        ? 'revoked'
        : r.expiresAt !== undefined && now >= r.expiresAt
          ? 'expired'
          : 'active',
    models: r.models ?? null,
    routing: r.routing ?? null,
    limits: r.limits ?? null,
    debug: r.debug ?? true,
    metadata: r.metadata,
    expiresAt: iso(r.expiresAt),
    createdAt: iso(r.createdAt),
    updatedAt: iso(r.updatedAt),
    revokedAt: iso(r.revokedAt),
    rotation: rotating ? { previousPrefix: r.previousPrefix ?? null, until: iso(r.previousUntil) } : null,
  };
}

/** `lastUsedAt`: when this instance last accepted the key (each instance knows only its own). */
function withLastUsed(
  view: Record<string, unknown>,
  service: Parameters<Action>[1],
  id: string,
): Record<string, unknown> {
  const at = service.registry.lastUsedAt(id);
  return { ...view, lastUsedAt: at === undefined ? null : new Date(at).toISOString() };
}

async function write(
  service: Parameters<Action>[1],
  record: VirtualKeyRecord,
  insert = false,
): Promise<void> {
  try {
    await (insert ? service.store.insert(record) : service.store.update(record));
  } catch (error) {
    if (error instanceof DuplicateKeyName) {
      throw new ApiError({
        status: 409,
        type: 'invalid_request_error',
        code: 'key_name_taken',
        param: 'name',
        message: `A key named "${record.name}" exists (names are never reused: usage is recorded by name).`,
      });
    }
    throw storeUnavailable(error);
  }
  service.registry.apply(record);
}

function checkScopes(ctx: RequestContext, body: UpdateKeyBody): void {
  for (const model of body.models ?? []) {
    if (!ctx.deps.config.routes.has(model))
      throw invalidRequest(`Unknown model '${model}' in 'models'.`, 'models');
  }
}

/** Applies the scope fields given (null clears one) to `r`. */
function applyScopes(r: VirtualKeyRecord, body: UpdateKeyBody): VirtualKeyRecord {
  const next: VirtualKeyRecord = { ...r };
  const set = <K extends 'models' | 'routing' | 'limits'>(
    k: K,
    v: VirtualKeyRecord[K] | null | undefined,
  ): void => {
    if (v === undefined) return;
    if (v === null) delete next[k];
    else next[k] = v;
  };
  set('models', body.models);
  set('routing', body.routing);
  set('limits', body.limits);
  if (body.debug !== undefined) next.debug = body.debug;
  if (body.metadata !== undefined) next.metadata = body.metadata;
  if (body.expiresAt === null) delete next.expiresAt;
  else if (body.expiresAt !== undefined) next.expiresAt = Date.parse(body.expiresAt);
  return next;
}

async function create(ctx: RequestContext, service: Parameters<Action>[1]): Promise<void> {
  const { parseBody, createKeyBody } = await adminBodies();
  const body = parseBody(createKeyBody, await readJsonBody(ctx.req, ctx.deps.config.server));
  checkScopes(ctx, body);
  if (ctx.deps.config.keys.some((k) => k.name === body.name)) {
    throw new ApiError({
      status: 409,
      type: 'invalid_request_error',
      code: 'key_name_taken',
      param: 'name',
      message: `A config key is named "${body.name}".`,
    });
  }
  const now = service.wallNow();
  const secret = newSecret();
  const record = applyScopes(
    {
      id: newKeyId(),
      name: body.name,
      prefix: visiblePrefix(secret),
      hash: hashSecret(secret),
      metadata: {},
      createdAt: now,
      updatedAt: now,
    },
    body,
  );
  await write(service, record, true);
  sendJson(ctx.res, 201, { ...keyView(record, now), secret }, NO_STORE);
}

async function list(ctx: RequestContext, service: Parameters<Action>[1]): Promise<void> {
  const now = service.wallNow();
  const data = service.registry.records().map((r) => withLastUsed(keyView(r, now), service, r.id));
  sendJson(ctx.res, 200, { object: 'list', data }, NO_STORE);
}

async function show(
  ctx: RequestContext,
  service: Parameters<Action>[1],
  record: VirtualKeyRecord,
): Promise<void> {
  const usage = await service.limiter.usage(toGatewayKey(record)).catch(() => null);
  sendJson(
    ctx.res,
    200,
    { ...withLastUsed(keyView(record, service.wallNow()), service, record.id), usage },
    NO_STORE,
  );
}

async function update(
  ctx: RequestContext,
  service: Parameters<Action>[1],
  record: VirtualKeyRecord,
): Promise<void> {
  const { parseBody, updateKeyBody } = await adminBodies();
  const body = parseBody(updateKeyBody, await readJsonBody(ctx.req, ctx.deps.config.server));
  checkScopes(ctx, body);
  const now = service.wallNow();
  const next = { ...applyScopes(record, body), updatedAt: now };
  await write(service, next);
  sendJson(ctx.res, 200, keyView(next, now), NO_STORE);
}

async function revoke(
  ctx: RequestContext,
  service: Parameters<Action>[1],
  record: VirtualKeyRecord,
): Promise<void> {
  const now = service.wallNow();
  const next = record.revokedAt !== undefined ? record : { ...record, revokedAt: now, updatedAt: now };
  if (next !== record) await write(service, next);
  sendJson(ctx.res, 200, keyView(next, now), NO_STORE);
}

async function rotate(
  ctx: RequestContext,
  service: Parameters<Action>[1],
  record: VirtualKeyRecord,
): Promise<void> {
  if (record.revokedAt !== undefined)
    throw invalidRequest(`The key '${record.id}' is revoked.`, null, 'key_revoked');
  const { parseBody, rotateKeyBody } = await adminBodies();
  const { graceSeconds } = parseBody(rotateKeyBody, await optionalBody(ctx));
  const now = service.wallNow();
  const secret = newSecret();
  const next: VirtualKeyRecord = {
    ...record,
    hash: hashSecret(secret),
    prefix: visiblePrefix(secret),
    previousHash: record.hash,
    previousPrefix: record.prefix,
    previousUntil: now + graceSeconds * 1000,
    updatedAt: now,
  };
  await write(service, next);
  sendJson(ctx.res, 200, { ...keyView(next, now), secret }, NO_STORE);
}
