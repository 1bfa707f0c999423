/**
 * GET /metrics: the Prometheus text exposition. When gateway keys are configured it takes a key that
 * may use every model (a key scoped to some models would see the others' traffic: 403), unless
 * `metrics.public` opens it to any caller (a scraper on a private network). 404 when metrics are off.
 */
import { forbidden, routeNotFound } from '../core/errors.js';
import type { RequestContext } from './app.js';

export async function handleMetrics(ctx: RequestContext): Promise<void> {
  const { metrics, config } = ctx.deps;
  if (!metrics) throw routeNotFound('GET', '/metrics');
  if (!config.metrics.public) {
    const key = ctx.auth.authenticate(ctx.req.headers);
    if (key?.models) {
      throw forbidden(`The key "${key.name}" is limited to some models and may not read /metrics.`);
    }
  }
  const text = await metrics.text();
  ctx.res.writeHead(200, { 'content-type': metrics.contentType, 'cache-control': 'no-store' }).end(text);
}
