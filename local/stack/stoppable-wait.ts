/**
 * The local DynamoDB stream mapping's waits (local/stack/dynamo-stream-source.ts: polls,
 * batching windows, pauses between retries): each ends at once, rejecting with the stop's
 * reason, when the mapping stops, so a stop never waits out a 10 s retry pause.
 */

/** The reason a wait or request ends when the mapping stops (not worth a log line). */
export class StoppedError extends Error {
  override readonly name = "StoppedError";
}

/** Waits `ms`, or rejects at once when `signal` aborts. */
export const waitUnlessStopped = (ms: number, signal: AbortSignal): Promise<void> =>
  new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    signal.addEventListener("abort", onAbort, { once: true });
  });
