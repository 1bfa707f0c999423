/**
 * GET /status: the status page, one self-contained HTML document (status-page-html.ts) with no data in
 * it, served to anyone; it asks for a gateway key when the gateway has keys, keeps it in the tab's
 * sessionStorage, and polls GET /status.json with it.
 *
 * GET /status.json: the page's data. Open when the gateway has no keys (it then listens on loopback) or
 * with `status.public`; otherwise it takes a gateway key, and a key limited to some models sees only
 * those routes, their targets and the incidents touching them (as /v1/switchyard/status). 404 for both
 * when `status.enabled` is false.
 */
import { routeNotFound } from '../core/errors.js';
import type { Target } from '../config/types.js';
import type { RequestContext } from './app.js';

const COMMON_HEADERS = {
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cross-origin-resource-policy': 'same-origin',
};

/**
 * The page (HTML, CSS and script, some 0.16 MB of heap once imported), loaded on the first GET /status:
 * a gateway nobody looks at does not hold it (docs/PERFORMANCE.md).
 */
let page: Promise<typeof import('./status-page-html.js')> | undefined;
const loadPage = (): Promise<typeof import('./status-page-html.js')> =>
  (page ??= import('./status-page-html.js').catch((error: unknown) => {
    page = undefined;
    throw error;
  }));

export async function handleStatusPage(ctx: RequestContext): Promise<void> {
  if (!ctx.deps.liveStats) throw routeNotFound('GET', '/status');
  const { STATUS_PAGE_CSP, STATUS_PAGE_HTML } = await loadPage();
  ctx.res
    .writeHead(200, {
      ...COMMON_HEADERS,
      'content-type': 'text/html; charset=utf-8',
      'content-length': Buffer.byteLength(STATUS_PAGE_HTML),
      'content-security-policy': STATUS_PAGE_CSP,
      'cache-control': 'no-cache',
    })
    .end(STATUS_PAGE_HTML);
}

export function handleStatusJson(ctx: RequestContext): void {
  const { liveStats, config, engine } = ctx.deps;
  if (!liveStats) throw routeNotFound('GET', '/status.json');
  const key = config.status.public ? undefined : ctx.auth.authenticate(ctx.req.headers);
  const visible = (route: string) => !key?.models || key.models.has(route);
  const snapshot = liveStats.snapshot(visible);
  const targets = new Map<string, Target>();
  for (const route of config.routes.values()) {
    if (visible(route.name)) for (const t of route.targets) targets.set(t.id, t);
  }
  const health = new Map(engine.health.status([...targets.values()]).map((s) => [s.id, s]));
  const body = {
    object: 'switchyard.live_status',
    ...(key ? { key: key.name } : {}),
    breakers: config.breakers.enabled,
    ...snapshot,
    routes: snapshot.routes.map((route) => ({
      ...route,
      targets: route.targets.map((t) => ({ ...t, health: health.get(t.id) ?? null })),
    })),
  };
  const text = JSON.stringify(body);
  ctx.res
    .writeHead(200, {
      ...COMMON_HEADERS,
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(text),
      'cache-control': 'no-store',
    })
    .end(text);
}
