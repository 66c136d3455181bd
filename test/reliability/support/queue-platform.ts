/**
 * What SQS and Lambda's event source mapping do around the bus function, for the
 * reliability cases: the `Cancel Requested` events are put on the kit's work queue (the
 * local SQS of local/stack/sqs, with its redrive policy), and the local event source mapping
 * (`SqsEventSource`, the one `npm start` uses) drains it into the exported handler, in this
 * process so the cases can spy on the kit's container. A message the handler fails returns
 * after the visibility timeout and is dead-lettered after maxReceiveCount receives; one it
 * puts back for later (rate-limited, or the same request still running) returns after its
 * delay as a new message. An invocation that outlives its budget is abandoned, as Lambda
 * times it out; nothing here can stop it, so a case either expects none or makes sure its
 * abandoned invocations never continue (a simulated crash).
 *
 * The run ends when the queue is empty: every event settled (its verdict reported by the
 * handler on BUS_MESSAGE_CHANNEL) or dead-lettered. Nothing is dropped.
 */
import { subscribe, unsubscribe } from "node:diagnostics_channel";
import type { EventBridgeEvent, SQSEvent } from "aws-lambda";
import { DEAD_LETTER_ATTRIBUTES } from "#adapters/queue/sqs-dead-letter.ts";
import { BUS_MESSAGE_CHANNEL, type BusMessageReport } from "#handlers/bus/process-message.ts";
import { SqsEventSource } from "#local/stack/sqs/sqs-event-source.ts";
import type { HandlerKit } from "#test/support/handler-kit.ts";
import { lambdaContext } from "#test/support/lambda-events.ts";

export interface QueuePlatformOptions {
  /** Invocations running at once (the mapping's maximum concurrency). */
  maximumConcurrency: number;
  /** Messages per invocation. Default 10. */
  batchSize?: number;
  /** Each invocation's Lambda budget (`getRemainingTimeInMillis` at start). */
  budgetMs: number;
  /** When an invocation that has not answered is abandoned (a Lambda timeout). Default `budgetMs`. */
  abandonAfterMs?: number;
  /**
   * The queue's visibility timeout for this run, shortened from the deployed 360 s but, as
   * AWS requires of a Lambda event source, longer than an invocation may run: a message must
   * not be handed to a second invocation while the first still holds it.
   */
  visibilityTimeoutSeconds: number;
  /** Gives up (and fails the case) when the queue is not empty after this long. Default 10 min. */
  drainTimeoutMs?: number;
}

export interface Settled {
  result: { outcome: string; replayed: boolean };
  /** Times the event was handed to the handler, the settling one included. */
  deliveries: number;
}

export interface DeadLetter {
  eventId: string;
  /** Receives before it was moved (the queue's maxReceiveCount), from the function's `receives` attribute. */
  deliveries: number;
  /** The last failure of the event. */
  error: string | undefined;
}

export interface QueueReport {
  settled: Map<string, Settled>;
  deadLetters: DeadLetter[];
  /** Times each event was handed to the handler (every receive of every copy). */
  deliveries: Map<string, number>;
  invocations: number;
  /** Failures of single events by error name (a batch failing as a whole counts each of its events once). */
  failures: Map<string, number>;
  /** The error names of each event's failed deliveries, in order. */
  errorsOf: Map<string, string[]>;
  /** Each event's verdicts, in order. */
  verdictsOf: Map<string, BusMessageReport["verdict"][]>;
  /** The first error of each name, to show what went wrong. */
  examples: Map<string, unknown>;
  /** Wall time of every invocation, ms, in the order they ended. */
  durations: number[];
}

/** What a Lambda timeout looks like to the platform. */
export class InvocationTimeoutError extends Error {
  override name = "InvocationTimeoutError";
}

/** The `q` quantile (0–1) of `values`, 0 when empty. */
export const quantile = (values: readonly number[], q: number): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
};

/** Failures by name other than `expected`, each with its first example. */
export const unexpectedFailures = (report: QueueReport, expected: readonly string[]): string[] =>
  [...report.failures.entries()]
    .filter(([name]) => !expected.includes(name))
    .map(([name, count]) => {
      const example = report.examples.get(name);
      return `${name} ×${count}: ${example instanceof Error ? example.stack : String(example)}`;
    });

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

const eventIdOf = (body: string): string => {
  try {
    return String((JSON.parse(body) as { id?: unknown }).id);
  } catch {
    return "(unreadable)";
  }
};

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Puts every event on the kit's work queue and drains it through the bus handler; resolves when the queue is empty. */
export const deliverThroughQueue = async (
  kit: HandlerKit,
  events: readonly EventBridgeEvent<"Cancel Requested", unknown>[],
  options: QueuePlatformOptions,
): Promise<QueueReport> => {
  const { queue, deadLetters } = kit.busQueue;
  const abandonAfterMs = options.abandonAfterMs ?? options.budgetMs;
  if (options.visibilityTimeoutSeconds * 1000 <= abandonAfterMs) {
    throw new RangeError(
      `visibilityTimeoutSeconds (${options.visibilityTimeoutSeconds} s) must exceed an invocation's ${abandonAfterMs} ms`,
    );
  }
  queue.configure({ visibilityTimeoutSeconds: options.visibilityTimeoutSeconds });
  const report: QueueReport = {
    settled: new Map(),
    deadLetters: [],
    deliveries: new Map(),
    invocations: 0,
    failures: new Map(),
    errorsOf: new Map(),
    verdictsOf: new Map(),
    examples: new Map(),
    durations: [],
  };
  const failed = (eventId: string, name: string, example: unknown): void => {
    report.failures.set(name, (report.failures.get(name) ?? 0) + 1);
    report.errorsOf.set(eventId, [...(report.errorsOf.get(eventId) ?? []), name]);
    if (!report.examples.has(name)) report.examples.set(name, example);
  };
  const onReport = (message: unknown): void => {
    const { eventId, verdict, thrown } = message as BusMessageReport;
    if (eventId === undefined) return;
    report.verdictsOf.set(eventId, [...(report.verdictsOf.get(eventId) ?? []), verdict]);
    if (verdict.kind === "settled") {
      report.settled.set(eventId, {
        result: { outcome: verdict.outcome, replayed: verdict.replayed },
        deliveries: report.deliveries.get(eventId) ?? 0,
      });
    } else if (verdict.kind === "failed") {
      failed(eventId, thrown ?? "RetryLaterError", verdict.reason);
    }
  };
  let running = 0;
  const source = new SqsEventSource({
    queue,
    settings: {
      batchSize: options.batchSize ?? 10,
      maximumConcurrency: options.maximumConcurrency,
      maximumBatchingWindowSeconds: 0,
    },
    invoke: async (event: SQSEvent) => {
      running += 1;
      report.invocations += 1;
      const ids = event.Records.map((record) => eventIdOf(record.body));
      for (const id of ids) report.deliveries.set(id, (report.deliveries.get(id) ?? 0) + 1);
      const reportedBefore = new Map(ids.map((id) => [id, report.verdictsOf.get(id)?.length ?? 0]));
      const startedAt = Date.now();
      try {
        const context = lambdaContext({ remainingMs: options.budgetMs });
        return await withinBudget(
          kit.handlers.bus(event, context),
          options.abandonAfterMs ?? options.budgetMs,
        );
      } catch (error) {
        // A timeout or a crash: the events the handler never reported failed with it.
        const name = error instanceof Error ? error.name : typeof error;
        for (const id of ids) {
          if ((report.verdictsOf.get(id)?.length ?? 0) === reportedBefore.get(id)) failed(id, name, error);
        }
        throw error;
      } finally {
        report.durations.push(Date.now() - startedAt);
        running -= 1;
      }
    },
  });

  subscribe(BUS_MESSAGE_CHANNEL, onReport);
  try {
    kit.busQueue.put(...events);
    source.start();
    const deadline = Date.now() + (options.drainTimeoutMs ?? 600_000);
    for (;;) {
      const counts = queue.counts();
      if (counts.visible + counts.inFlight + counts.delayed === 0 && running === 0) break;
      if (Date.now() > deadline) throw new Error(`the queue did not drain: ${JSON.stringify(counts)}`);
      await sleep(25);
    }
  } finally {
    await source.stop();
    unsubscribe(BUS_MESSAGE_CHANNEL, onReport);
  }
  for (const message of deadLetters.messages()) {
    const eventId = eventIdOf(message.body);
    // The function moves a message on its last receive itself, saying how many receives it had;
    // one the queue moved (an invocation that died) counts its own.
    const receives = Number(message.attributes[DEAD_LETTER_ATTRIBUTES.receives]?.StringValue);
    report.deadLetters.push({
      eventId,
      deliveries: Number.isFinite(receives) ? receives : message.receiveCount,
      error: report.errorsOf.get(eventId)?.at(-1),
    });
    deadLetters.remove(message.messageId);
  }
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
