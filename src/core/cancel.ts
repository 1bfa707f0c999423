/**
 * A request's cancellation: what the engine uses of an AbortController and its AbortSignal (`aborted`,
 * `reason`, abort listeners), without what they cost per request: an AbortSignal is an EventTarget
 * (a Map of listener records, an Event object per dispatch) and aborting without a reason makes a
 * DOMException. One of these per request, and per racer on routes that hedge or race.
 * docs/PERFORMANCE.md has the measurement.
 *
 * The engine takes any `CancelSignal`, so an AbortSignal still works where one is at hand (tests).
 */
export interface CancelSignal {
  readonly aborted: boolean;
  /** Why it was aborted (a symbol or an error the engine recognises); undefined until then. */
  readonly reason: unknown;
  addEventListener(type: 'abort', listener: () => void, options?: { once?: boolean }): void;
  removeEventListener(type: 'abort', listener: () => void): void;
}

/** The side that aborts. An AbortController is one too. */
export interface CancelController {
  readonly signal: CancelSignal;
  abort(reason?: unknown): void;
}

/** Controller and signal in one object. Listeners run once, in the order added, when it aborts. */
export class Cancel implements CancelController, CancelSignal {
  aborted = false;
  reason: unknown = undefined;
  #listeners: (() => void)[] | undefined;

  get signal(): CancelSignal {
    return this;
  }

  abort(reason?: unknown): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason ?? abortError();
    const listeners = this.#listeners;
    this.#listeners = undefined;
    if (!listeners) return;
    for (const listener of listeners) {
      try {
        listener();
      } catch (error) {
        // As an EventTarget does: a throwing listener neither stops the others nor the caller; the
        // error surfaces as an uncaught exception.
        queueMicrotask(() => {
          throw error;
        });
      }
    }
  }

  /** As on an AbortSignal: a listener added after the abort never runs; adding one twice adds it once. */
  addEventListener(_type: 'abort', listener: () => void): void {
    if (this.aborted) return;
    const listeners = (this.#listeners ??= []);
    if (!listeners.includes(listener)) listeners.push(listener);
  }

  removeEventListener(_type: 'abort', listener: () => void): void {
    const listeners = this.#listeners;
    const at = listeners ? listeners.indexOf(listener) : -1;
    if (at !== -1) listeners!.splice(at, 1);
  }
}

/** The reason of an abort without one, as AbortController gives it. */
function abortError(): Error {
  return new DOMException('This operation was aborted', 'AbortError');
}
