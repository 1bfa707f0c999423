import { sinkName } from '../alerts/settings.js';
import type { ResolvedConfig } from './types.js';
import { describeRouting } from '../routing/describe.js';

const money = (n: number): string => `$${n.toFixed(2)}`;

/** A human-readable summary of the resolved config, as printed by `switchyard check`. */
export function describeConfig(config: ResolvedConfig): string {
  const lines: string[] = [];
  const { server } = config;
  lines.push(`server: ${server.host}:${server.port}, body limit ${server.bodyLimitBytes} bytes`);
  lines.push(
    config.keys.length
      ? `keys: ${config.keys.map((k) => k.name + (k.models ? ` (${[...k.models].join(', ')})` : '')).join(', ')}`
      : 'keys: none (loopback only, any key accepted)',
  );
  lines.push('', 'providers:');
  for (const p of config.providers.values()) {
    lines.push(
      `  ${p.id}: ${p.protocol} ${p.baseUrl}${p.keyPool ? ` (${p.keyPool.keys.length} keys, ${p.keyPool.selection})` : p.apiKey ? ' (key set)' : ' (no key)'}`,
    );
  }
  lines.push('', 'routes:');
  for (const route of config.routes.values()) {
    const t = route.timeouts;
    const r = route.retry;
    lines.push(`  ${route.name}`);
    route.targets.forEach((target, i) => {
      const price = target.price
        ? `  ${money(target.price.input)}/${money(target.price.output)} per 1M tokens`
        : '';
      const context = target.contextWindow ? `  context ${target.contextWindow} tokens` : '';
      lines.push(`    ${i + 1}. ${target.id}${price}${context}`);
    });
    lines.push(
      `    attempts ≤ ${r.maxAttempts}, retries/target ≤ ${r.maxRetriesPerTarget}, max wait ${r.maxRetryWaitMs} ms; ` +
        `timeouts: connect ${t.connectMs}, first token ${t.firstTokenMs}, stall ${t.stallMs}, request ${t.requestMs} ms`,
    );
    if (route.routing) lines.push(`    routing: ${describeRouting(route.routing)}`);
    if (route.continuation) {
      const how = route.targets.map((x) => `${x.id} ${x.provider.options.continuation ?? 'none'}`).join(', ');
      lines.push(`    cut streams continued, ≤ ${route.continuation.maxPerRequest} per request: ${how}`);
    }
    if (route.cache) {
      const { ttlMs, scope, nonDeterministic } = route.cache;
      const which = nonDeterministic ? 'every request' : 'deterministic requests';
      lines.push(`    response cache: ${which}, ttl ${ttlMs} ms, per ${scope}`);
    }
  }
  // Alerts: sinks by name and type only (a webhook URL is a secret).
  const { alerts, slos } = config;
  if (alerts.sinks.length) {
    const sinks = alerts.sinks.map((k, i) => `${sinkName(k, i)} (${k.type})`).join(', ');
    lines.push('', `alerts: ${sinks}`);
    for (const slo of slos) {
      const what = slo.latency ? `${slo.latency.measure} ≤ ${slo.latency.thresholdMs} ms` : 'success';
      lines.push(
        `  slo ${slo.name}: ${+(slo.objective * 100).toFixed(6)} % ${what}, route ${slo.route}${slo.key ? `, key ${slo.key}` : ''}`,
      );
    }
  }
  return lines.join('\n');
}
