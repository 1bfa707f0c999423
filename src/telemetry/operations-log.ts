/**
 * What the operational log says about the gateway's health as it changes: breakers opening and
 * closing, cooldowns, health probes failing and recovering. Rare events (per target, not per request),
 * so logging them costs nothing on the request path.
 */
import type { EventBus } from '../core/events.js';
import type { Logger } from './logger.js';

export function logOperations(events: EventBus, log: Logger): () => void {
  /** Each target's last probe result: a failing probe is logged when it starts failing, not every time. */
  const probing = new Map<string, boolean>();
  const stops = [
    events.subscribe('breaker.transition', (e) => {
      const record = { component: 'breaker', target: e.target, from: e.from, to: e.to, reason: e.reason };
      if (e.to === 'open') log.warn(record, 'breaker opened');
      else log.info(record, e.to === 'closed' ? 'breaker closed' : 'breaker half-open');
    }),
    events.subscribe('cooldown.set', (e) =>
      log.info(
        {
          component: 'cooldown',
          target: e.target,
          ms: e.ms,
          reason: e.reason,
          ...(e.key ? { key: e.key } : {}),
        },
        e.key ? 'provider key cooling down' : 'target cooling down',
      ),
    ),
    events.subscribe('health.probe', (e) => {
      const record = {
        component: 'health',
        target: e.target,
        ok: e.ok,
        reason: e.reason,
        ms: Math.round(e.ms),
      };
      const before = probing.get(e.target);
      probing.set(e.target, e.ok);
      if (!e.ok && before !== false) log.warn(record, 'health probe failed');
      else if (e.ok && before === false) log.info(record, 'health probe recovered');
      else log.debug(record, 'health probe');
    }),
  ];
  return () => {
    for (const stop of stops) stop();
  };
}
