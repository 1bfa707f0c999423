/**
 * One SQLite thread (the executor in sqlite-thread.ts) and the calls waiting on it: how the request
 * store and the key store reach their databases. A call is a message `{ id, op, arg }`; the answer
 * comes back with the same id. If the thread stops (an error, its exit), every call waiting fails and
 * later calls fail at once.
 */
import { Worker } from 'node:worker_threads';
import { SQLITE_THREAD_SOURCE } from './sqlite-thread.js';

interface Pending {
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
}

export class SqliteThread {
  private readonly worker: Worker;
  readonly #pending = new Map<number, Pending>();
  #nextId = 1;
  /** Why the thread stopped, once it has. */
  stopped: Error | undefined;

  /** `what` names the thread in the error its stop gives (e.g. "the key store's"). */
  constructor(path: string, what: string) {
    this.worker = new Worker(SQLITE_THREAD_SOURCE, {
      eval: true,
      workerData: { path, requireFrom: import.meta.url },
    });
    // A gateway that forgets to close its store must still be able to exit.
    this.worker.unref();
    this.worker.on('message', (m: { id: number; result?: unknown; error?: string }) => {
      const p = this.#pending.get(m.id);
      if (!p) return;
      this.#pending.delete(m.id);
      if (m.error !== undefined) p.reject(new Error(`SQLite: ${m.error}`));
      else p.resolve(m.result);
    });
    const stop = (error: Error): void => {
      this.stopped ??= error;
      for (const p of this.#pending.values()) p.reject(error);
      this.#pending.clear();
    };
    this.worker.on('error', stop);
    this.worker.on('exit', (code) => stop(new Error(`${what} SQLite thread stopped (exit code ${code})`)));
  }

  call(op: string, arg: unknown): Promise<unknown> {
    if (this.stopped) return Promise.reject(this.stopped);
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.worker.postMessage({ id, op, arg });
    });
  }

  /** Closes the database (its last writes checkpointed), then ends the thread, whatever the close said. */
  async close(): Promise<void> {
    try {
      await this.call('close', null);
    } finally {
      await this.worker.terminate();
    }
  }
}
