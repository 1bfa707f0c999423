/**
 * The request store, assembled for the gateway: the backend opened lazily, the recorder. Its metrics are
 * in metrics.ts, imported only when metrics are on (prom-client is not loaded otherwise).
 */
import type { Clock, Random } from '../core/clock.js';
import type { EventBus } from '../core/events.js';
import { secretScrubberFor } from '../config/secrets.js';
import type { ResolvedConfig } from '../config/types.js';
import { systemClock } from '../resilience/system-clock.js';
import type { WallClock } from '../resilience/wall-clock.js';
import { openRequestStore } from './open.js';
import { StoreRecorder } from './recorder.js';
import { captureRedactor } from './redact.js';

export { StoreRecorder } from './recorder.js';
export type { RequestStore, StoredRequest, StatsGroup } from './types.js';

/**
 * Starts the recorder for `config.store`. Records are stamped with the clock's wall time when it has
 * one (a test's ManualClock), else the system's.
 */
export function startRequestStore(deps: {
  config: ResolvedConfig;
  events: EventBus;
  clock: Clock | WallClock;
  random: Random;
  log?: (line: string) => void;
}): StoreRecorder {
  const { clock } = deps;
  const log = deps.log ?? ((line: string) => console.error(line));
  const settings = deps.config.store;
  const scrubber = secretScrubberFor(deps.config);
  return new StoreRecorder({
    open: () => openRequestStore(settings, log),
    events: deps.events,
    clock,
    wallNow: 'wallNow' in clock ? () => clock.wallNow() : () => systemClock.wallNow(),
    random: deps.random,
    batch: settings.batch,
    retention: settings.retention,
    log,
    scrub: (text) => scrubber.scrub(text),
    redactCapture: captureRedactor(settings.capture, (text) => scrubber.scrub(text)),
  });
}
