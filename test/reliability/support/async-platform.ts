/**
 * What EventBridge and Lambda do around an asynchronous invocation, reduced to what the
 * reliability cases need: an invocation that throws (or outlives its budget, as a
 * crashed or frozen function does) is delivered again, up to `maxDeliveries` in all, and
 * then dead-lettered. Nothing is dropped: every event ends settled or dead-lettered.
 */
import type { Context } from "aws-lambda";
import { lambdaContext } from "#test/support/lambda-events.ts";

export interface PlatformOptions {
  /** Deliveries in all, the first included. Lambda's async invocation: 3 (1 + 2 retries). */
  maxDeliveries: number;
  /** Invocations running at once. */
  inFlight: number;
  /** Each invocation's Lambda budget (`getRemainingTimeInMillis` at start). */
  budgetMs: number;
  /**
   * When an invocation that has not answered counts as timed out and is abandoned (as a
   * crashed or frozen function is). Default `budgetMs`. Nothing here can kill it, so an
   * abandoned invocation may still act later: a case either expects none (and fails on a
   * timeout) or makes sure its abandoned invocations never continue (a simulated crash).
   */
  abandonAfterMs?: number;
  /** Wait before a redelivery (the platform's backoff, shortened). Default 20 ms. */
  redeliveryDelayMs?: number;
}

export interface Settled<R> {
  result: R;
  deliveries: number;
}

export interface DeadLetter {
  eventId: string;
  deliveries: number;
  /** The last delivery's error. */
  error: unknown;
}

export interface PlatformReport<R> {
  settled: Map<string, Settled<R>>;
  deadLetters: DeadLetter[];
  /** Deliveries per event id. */
  deliveries: Map<string, number>;
  invocations: number;
  /** Invocations that threw or timed out, by error name. */
  failures: Map<string, number>;
  /** The error names of each event's failed deliveries, in order. */
  errorsOf: Map<string, string[]>;
  /** The first error of each name, to show what went wrong. */
  examples: Map<string, unknown>;
  /** Wall time of every invocation, ms, in the order they ended. */
  durations: number[];
}

/** The `q` quantile (0–1) of `values`, 0 when empty. */
export const quantile = (values: readonly number[], q: number): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
};

/** Failures by name other than `expected`, each with its first example's stack. */
export const unexpectedFailures = (report: PlatformReport<unknown>, expected: readonly string[]): string[] =>
  [...report.examples.entries()]
    .filter(([name]) => !expected.includes(name))
    .map(
      ([name, error]) =>
        `${name} ×${report.failures.get(name)}: ${error instanceof Error ? error.stack : String(error)}`,
    );

/** What a Lambda timeout looks like to the platform. */
export class InvocationTimeoutError extends Error {
  override name = "InvocationTimeoutError";
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

const withinBudget = async <R>(invocation: Promise<R>, budgetMs: number): Promise<R> => {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new InvocationTimeoutError(`no answer within ${budgetMs} ms`)), budgetMs);
  });
  try {
    return await Promise.race([invocation, timeout]);
  } finally {
    clearTimeout(timer);
  }
};

/**
 * Delivers every event through `invoke` as the platform would, and reports how each ended.
 * Events are started in order; at most `inFlight` invocations run at once.
 */
export const deliverAsync = async <E extends { id: string }, R>(
  events: readonly E[],
  invoke: (event: E, context: Context) => Promise<R>,
  options: PlatformOptions,
): Promise<PlatformReport<R>> => {
  const report: PlatformReport<R> = {
    settled: new Map(),
    deadLetters: [],
    deliveries: new Map(),
    invocations: 0,
    failures: new Map(),
    errorsOf: new Map(),
    examples: new Map(),
    durations: [],
  };
  const queue = [...events];
  const deliverOne = async (event: E): Promise<void> => {
    for (;;) {
      const delivery = (report.deliveries.get(event.id) ?? 0) + 1;
      report.deliveries.set(event.id, delivery);
      report.invocations += 1;
      const startedAt = Date.now();
      try {
        const context = lambdaContext({ remainingMs: options.budgetMs });
        const result = await withinBudget(invoke(event, context), options.abandonAfterMs ?? options.budgetMs);
        report.durations.push(Date.now() - startedAt);
        report.settled.set(event.id, { result, deliveries: delivery });
        return;
      } catch (error) {
        report.durations.push(Date.now() - startedAt);
        const name = error instanceof Error ? error.name : typeof error;
        report.failures.set(name, (report.failures.get(name) ?? 0) + 1);
        report.errorsOf.set(event.id, [...(report.errorsOf.get(event.id) ?? []), name]);
        if (!report.examples.has(name)) report.examples.set(name, error);
        if (delivery >= options.maxDeliveries) {
          report.deadLetters.push({ eventId: event.id, deliveries: delivery, error });
          return;
        }
        await sleep(options.redeliveryDelayMs ?? 20);
      }
    }
  };
  const worker = async (): Promise<void> => {
    for (let event = queue.shift(); event !== undefined; event = queue.shift()) await deliverOne(event);
  };
  await Promise.all(Array.from({ length: Math.max(1, options.inFlight) }, worker));
  return report;
};

/** Runs `task` over `items`, at most `limit` at once; results in input order. */
export const mapLimit = async <T, R>(
  items: readonly T[],
  limit: number,
  task: (item: T, index: number) => Promise<R>,
): Promise<R[]> => {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      results[index] = await task(items[index] as T, index);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return results;
};
