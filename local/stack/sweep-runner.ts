/**
 * Runs the expiry sweep handler: on the timer and on `POST /sweep`, one at a time (the
 * deployed sweep never overlaps itself either, and one run at a time keeps the progress
 * read from the handler's diagnostics channel unambiguous).
 */
import { randomUUID } from "node:crypto";
import { subscribe, unsubscribe } from "node:diagnostics_channel";
import { invokeWithBudget, LOCAL_FUNCTIONS } from "./lambda-context.ts";
import type { ScheduledSweepEvent, SweepHandler } from "./service-env.ts";
import { SWEEP_PROGRESS_CHANNEL, type SweepStreamLine } from "./sweep-messages.ts";

export type SweepResult = { ok: true; summary: unknown } | { ok: false; error: string };

export interface SweepRequest {
  dryRun: boolean;
  /** Receives progress (and `waiting`) lines as they happen. */
  onLine?: (line: SweepStreamLine) => void;
}

/**
 * The event the sweep receives: the EventBridge Scheduler shape, plus `dryRun` at the top
 * (the sweep handler's per-invocation dry run; the deployed schedule never sets it).
 */
export const scheduledSweepEvent = (dryRun: boolean, now = Date.now()): ScheduledSweepEvent => ({
  ...(dryRun ? { dryRun: true as const } : {}),
  version: "0",
  id: randomUUID(),
  "detail-type": "Scheduled Event",
  source: "aws.scheduler",
  account: "000000000000",
  time: new Date(now).toISOString().replace(/\.\d{3}Z$/, "Z"),
  region: "us-east-1",
  resources: [
    `arn:aws:scheduler:us-east-1:000000000000:schedule/default/${LOCAL_FUNCTIONS.sweep.functionName}`,
  ],
  detail: {},
});

const describe = (error: unknown): string =>
  error instanceof Error ? `${error.name}: ${error.message}` : String(error);

export class SweepRunner {
  readonly #handler: SweepHandler;
  #tail: Promise<unknown> = Promise.resolve();
  #running = 0;

  constructor(handler: SweepHandler) {
    this.#handler = handler;
  }

  /** True while a sweep runs or waits. */
  get busy(): boolean {
    return this.#running > 0;
  }

  /** Runs one sweep after any running one; never rejects (a failure is a result). */
  run(request: SweepRequest): Promise<SweepResult> {
    if (this.#running > 0) request.onLine?.({ type: "waiting", reason: "another sweep is running" });
    this.#running += 1;
    const result = this.#tail.then(() => this.#runHere(request));
    this.#tail = result.finally(() => {
      this.#running -= 1;
    });
    return result;
  }

  async #runHere(request: SweepRequest): Promise<SweepResult> {
    const onProgress = (progress: unknown): void => request.onLine?.({ type: "progress", progress });
    subscribe(SWEEP_PROGRESS_CHANNEL, onProgress);
    try {
      const summary = await invokeWithBudget("sweep", (context) =>
        this.#handler(scheduledSweepEvent(request.dryRun), context),
      );
      return { ok: true, summary: summary ?? null };
    } catch (error) {
      return { ok: false, error: describe(error) };
    } finally {
      unsubscribe(SWEEP_PROGRESS_CHANNEL, onProgress);
    }
  }
}

/** True when a summary holds a non-zero count (durations aside) or an error text. */
export const foundSomething = (summary: unknown): boolean => {
  if (typeof summary !== "object" || summary === null) return false;
  return Object.entries(summary).some(([key, value]) => {
    if (typeof value === "number") return value !== 0 && !/duration|Ms$/i.test(key);
    if (typeof value === "string") return /error/i.test(key);
    return foundSomething(value);
  });
};

/**
 * Runs the sweep every `intervalMs` (skipping a tick while one still runs) and logs each
 * run that did or found something.
 *
 * @returns a function that stops the timer
 */
export const startSweepTimer = (
  runner: SweepRunner,
  intervalMs: number,
  log: (line: string) => void,
): (() => void) => {
  if (intervalMs <= 0) return () => {};
  const timer = setInterval(() => {
    if (runner.busy) return;
    void runner.run({ dryRun: false }).then((result) => {
      if (!result.ok) log(`[sweep] failed: ${result.error}`);
      else if (foundSomething(result.summary)) log(`[sweep] ${JSON.stringify(result.summary)}`);
    });
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
};
