/**
 * SLOs and alerts, a subscriber of the gateway's events (docs/observability.md#slos-and-alerts):
 *
 *   events ──► event alerts ─┐
 *   request.ended ► SLO windows ─(timer)► burn-rate alerts ─┤
 *                                              AlertManager (dedup, resolve, rate limits)
 *                                                  └► one DeliveryQueue per sink (retries, bounded) ─► webhooks
 *
 * Nothing on the request path waits for it: listeners update counters and state, the evaluation runs
 * on an unref'd timer, and deliveries are asynchronous. Without sinks it is not started at all.
 */
import { Agent } from 'undici';
import { secretScrubberFor } from '../config/secrets.js';
import type { ResolvedConfig } from '../config/types.js';
import type { SecretScrubber } from '../core/secret-scrubber.js';
import type { Clock, Random } from '../core/clock.js';
import type { EventBus } from '../core/events.js';
import type { AlertNotification } from './alert.js';
import { DeliveryQueue, type DeliveryStats, type SinkEndpoint } from './delivery.js';
import { subscribeEventAlerts } from './event-alerts.js';
import { slackMessage, webhookBody } from './format.js';
import { AlertManager, unref, type ManagerStats } from './manager.js';
import type { SinkConfig } from './schema.js';
import { sinkName } from './settings.js';
import { SloAlerts } from './slo-alerts.js';

export interface Alerting {
  /** Evaluates the SLOs and resolves quiet alerts now (the timer does it every `evaluateEveryMs`). */
  evaluate(): void;
  stats(): ManagerStats & { sinks: Record<string, DeliveryStats & { queued: number }> };
  /** Stops listening, then gives queued messages up to `flushMs` to go out. */
  stop(flushMs?: number): Promise<void>;
}

export interface AlertingOptions {
  config: ResolvedConfig;
  events: EventBus;
  clock: Clock;
  wallNow: () => number;
  random: Random;
  /** The gateway's own URL, for the status page link when `alerts.statusPageUrl` is not set. */
  gatewayUrl: string;
  log?: (line: string) => void;
}

function endpoint(sink: SinkConfig, index: number, scrubber: SecretScrubber): SinkEndpoint {
  const name = sinkName(sink, index);
  if (sink.type === 'slack')
    return {
      name,
      url: sink.url,
      headers: {},
      render: (n) => scrubber.scrub(JSON.stringify(slackMessage(n))),
    };
  return {
    name,
    url: sink.url,
    headers: sink.headers,
    render: (n) => scrubber.scrub(JSON.stringify(webhookBody(n))),
  };
}

/**
 * Starts alerting when the configuration has sinks; otherwise nothing listens and nothing runs.
 * Messages hold names from the configuration and codes from the error catalogue, never a provider's
 * text; they still go through the configuration's secret scrubber, as everything that leaves does.
 */
export function startAlerting(opts: AlertingOptions): Alerting | undefined {
  const { config, events, clock } = opts;
  const settings = config.alerts;
  if (!settings.sinks.length) return undefined;
  const log = opts.log ?? ((line: string) => console.error(line));
  const scrubber = secretScrubberFor(config);
  const dispatcher = new Agent({ connections: 4, keepAliveTimeout: 10_000 });
  const queues = settings.sinks.map(
    (sink, i) =>
      new DeliveryQueue({
        sink: endpoint(sink, i, scrubber),
        settings: settings.delivery,
        clock,
        wallNow: opts.wallNow,
        random: opts.random,
        dispatcher,
        log,
      }),
  );
  const manager = new AlertManager({
    clock,
    wallNow: opts.wallNow,
    limits: settings.rateLimit,
    statusPageUrl: settings.statusPageUrl ?? `${opts.gatewayUrl}/status`,
    send: (n: AlertNotification) => {
      for (const q of queues) q.enqueue(n);
    },
  });
  const unsubscribe = subscribeEventAlerts({ config, settings, events, manager });
  const slos = new SloAlerts({ slos: config.slos, settings, clock, events, manager });
  const evaluate = (): void => {
    slos.evaluate();
    manager.tick();
  };
  let stopped = false;
  let timer = clock.setTimeout(function tick() {
    if (stopped) return;
    try {
      evaluate();
    } catch (error) {
      log(`switchyard: alert evaluation failed: ${(error as Error).name}`);
    }
    timer = clock.setTimeout(tick, settings.evaluateEveryMs);
    unref(timer);
  }, settings.evaluateEveryMs);
  unref(timer);

  return {
    evaluate,
    stats: () => ({
      ...manager.stats,
      sinks: Object.fromEntries(
        queues.map((q, i) => [sinkName(settings.sinks[i]!, i), { ...q.stats, queued: q.queued }]),
      ),
    }),
    async stop(flushMs = 2_000) {
      if (stopped) return;
      stopped = true;
      clock.clearTimeout(timer);
      unsubscribe();
      slos.stop();
      manager.stop();
      await Promise.all(queues.map((q) => q.close(flushMs)));
      await dispatcher.destroy();
    },
  };
}
