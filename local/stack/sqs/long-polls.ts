/**
 * The receives waiting on one local SQS queue (local-queue.ts): a long poll sleeps until the
 * queue changes (a send, a delete, a visibility change, a close), until its deadline or the
 * next message's visibility, or until its caller aborts, then looks again.
 */
export class LongPolls {
  readonly #waiters = new Set<() => void>();

  /** Wakes every waiting receive (something changed). */
  wakeAll(): void {
    for (const wake of this.#waiters) wake();
    this.#waiters.clear();
  }

  /** Resolves after `ms` (at least 1), at the next `wakeAll`, or when `signal` aborts. */
  wait(ms: number, signal: AbortSignal | undefined): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.#waiters.delete(done);
        signal?.removeEventListener("abort", done);
        resolve();
      };
      const timer = setTimeout(done, Math.max(1, ms));
      this.#waiters.add(done);
      signal?.addEventListener("abort", done, { once: true });
    });
  }
}
