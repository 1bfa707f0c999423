/** The request store, assembled for the gateway: the backend opened lazily, the recorder, its metrics. */
import { Counter, Gauge, type Registry } from 'prom-client';
import type { Clock, Random } from '../core/clock.js';
import type { EventBus } from '../core/events.js';
import { secretScrubberFor } from '../config/secrets.js';
import type { ResolvedConfig } from '../config/types.js';
import { systemClock } from '../resilience/system-clock.js';
import type { WallClock } from '../resilience/wall-clock.js';
import { openRequestStore } from './open.js';
import { StoreRecorder, type RecorderCounters } from './recorder.js';

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
  });
}

/** The recorder's counters on /metrics, read at scrape time: what it wrote, dropped, failed, holds. */
export function registerStoreMetrics(registry: Registry, recorder: StoreRecorder): void {
  const counter = (name: string, help: string, field: keyof RecorderCounters): void => {
    new Counter({
      name,
      help,
      registers: [registry],
      collect() {
        this.reset();
        this.inc(recorder.counters[field]);
      },
    });
  };
  counter(
    'switchyard_store_records_written_total',
    'Request records written to the request store.',
    'written',
  );
  counter(
    'switchyard_store_records_dropped_total',
    'Request records the request store lost (queue full, or the store still failing at shutdown).',
    'dropped',
  );
  counter(
    'switchyard_store_failures_total',
    'Failed attempts to open the request store or write a batch to it.',
    'failures',
  );
  new Gauge({
    name: 'switchyard_store_queued_records',
    help: 'Request records waiting to be written to the request store.',
    registers: [registry],
    collect() {
      this.set(recorder.queued);
    },
  });
}
