/** Prometheus counters of keys and limits (docs/keys.md), read from the service when scraped. */
import { Counter, Gauge, type Registry } from 'prom-client';
import type { KeyService } from './service.js';

export function registerKeyMetrics(registry: Registry, keys: KeyService): void {
  new Counter({
    name: 'switchyard_key_limit_failures_total',
    help: 'Limit checks whose counters failed, by what was done (failMode open: served; closed: 503).',
    labelNames: ['mode'],
    registers: [registry],
    collect() {
      this.reset();
      this.inc({ mode: 'open' }, keys.limiter.failures.open);
      this.inc({ mode: 'closed' }, keys.limiter.failures.closed);
    },
  });
  const registry_ = keys.registry;
  if (!registry_) return;
  new Counter({
    name: 'switchyard_key_store_reload_failures_total',
    help: 'Reloads of the key store that failed (the keys read last stayed in force).',
    registers: [registry],
    collect() {
      this.reset();
      this.inc(registry_.counters.refreshFailures);
    },
  });
  new Gauge({
    name: 'switchyard_virtual_keys',
    help: 'Virtual keys this instance honours (not revoked).',
    registers: [registry],
    collect() {
      this.set(registry_.records().filter((r) => r.revokedAt === undefined).length);
    },
  });
}
