/**
 * Runs a scheduled function (the expiry sweep, the continuation): on its timer and on
 * `POST /<route>`, one run at a time per function (a tick while one runs is skipped). The
 * deployed schedules invoke the functions asynchronously with EventBridge Scheduler's event;
 * here the run is awaited so that `POST /<route>` can stream the function's progress
 * (forwarded from its container's diagnostics channel) and then its result.
 */
import { randomUUID } from "node:crypto";
import type { Invoker } from "./lambda/invoker.ts";
import { physicalName } from "./lambda/local-function.ts";
import { LOCAL_ACCOUNT, LOCAL_REGION } from "./lambda-context.ts";
import type { ScheduledEvent, SweepStreamLine } from "./sweep-messages.ts";

export type ScheduleResult = { ok: true; summary: unknown } | { ok: false; error: string };

export interface ScheduleRequest {
  /** The sweep's per-invocation dry run; the deployed schedules never set it. */
  dryRun: boolean;
  /** Receives progress (and `waiting`) lines as they happen. */
  onLine?: (line: SweepStreamLine) => void;
}

/**
 * The event a scheduled function receives: EventBridge Scheduler's shape, plus `dryRun` at
 * the top when asked for.
 */
export const scheduledEvent = (functionName: string, dryRun: boolean, now = Date.now()): ScheduledEvent => ({
  ...(dryRun ? { dryRun: true as const } : {}),
  version: "0",
  id: randomUUID(),
  "detail-type": "Scheduled Event",
  source: "aws.scheduler",
  account: LOCAL_ACCOUNT,
  time: new Date(now).toISOString().replace(/\.\d{3}Z$/, "Z"),
  region: LOCAL_REGION,
  resources: [`arn:aws:scheduler:${LOCAL_REGION}:${LOCAL_ACCOUNT}:schedule/default/${functionName}`],
  detail: {},
});

const describe = (error: unknown): string =>
  error instanceof Error ? `${error.name}: ${error.message}` : String(error);

export class ScheduleRunner {
  readonly #invoker: Invoker;
  #tail: Promise<unknown> = Promise.resolve();
  #running = 0;

  constructor(invoker: Invoker) {
    this.#invoker = invoker;
  }

  get name(): string {
    return this.#invoker.spec.name;
  }

  /** True while a run is in progress or waiting. */
  get busy(): boolean {
    return this.#running > 0;
  }

  /** Runs once after any running run; never rejects (a failure is a result). */
  run(request: ScheduleRequest): Promise<ScheduleResult> {
    if (this.#running > 0)
      request.onLine?.({ type: "waiting", reason: `another ${this.name} run is in progress` });
    this.#running += 1;
    const result = this.#tail.then(() => this.#runHere(request));
    this.#tail = result.finally(() => {
      this.#running -= 1;
    });
    return result;
  }

  async #runHere(request: ScheduleRequest): Promise<ScheduleResult> {
    try {
      const summary = await this.#invoker.invoke(
        scheduledEvent(physicalName(this.#invoker.spec), request.dryRun),
        { onChannelMessage: (_name, progress) => request.onLine?.({ type: "progress", progress }) },
      );
      return { ok: true, summary: summary ?? null };
    } catch (error) {
      return { ok: false, error: describe(error) };
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
 * Runs the function every `intervalMs` (skipping a tick while one still runs) and logs each
 * failed run, and (unless `logRuns` is false) each run that did or found something.
 *
 * @returns a function that stops the timer
 */
export const startScheduleTimer = (
  runner: ScheduleRunner,
  intervalMs: number,
  log: (line: string) => void,
  logRuns = true,
): (() => void) => {
  if (intervalMs <= 0) return () => {};
  const timer = setInterval(() => {
    if (runner.busy) return;
    void runner.run({ dryRun: false }).then((result) => {
      if (!result.ok) log(`[${runner.name}] failed: ${result.error}`);
      else if (logRuns && foundSomething(result.summary))
        log(`[${runner.name}] ${JSON.stringify(result.summary)}`);
    });
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
};
