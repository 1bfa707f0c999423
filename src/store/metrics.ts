/** The request store's metrics (prom-client): a module of its own, loaded only when metrics are on. */
import { Counter, Gauge, type Registry } from 'prom-client';
import type { RecorderCounters, StoreRecorder } from './recorder.js';

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
