/**
 * The bus function's queue for handler tests: the local SQS (local/stack/sqs) on its own
 * port with the work queue and its dead-letter queue as deployed (the function manifest),
 * and the event source mapping's steps done one batch at a time, so a test decides when
 * a batch is delivered and when time passes for the queue.
 */
import { subscribe, unsubscribe } from "node:diagnostics_channel";
import type { Context, EventBridgeEvent, SQSEvent, SQSRecord } from "aws-lambda";
import { BUS_MESSAGE_CHANNEL, type BusMessageReport } from "#handlers/bus/process-message.ts";
import type { LocalQueue } from "#local/stack/sqs/local-queue.ts";
import type { LocalSqs } from "#local/stack/sqs/local-sqs.ts";
import {
  type BatchSettlement,
  type InvocationResult,
  settleBatch,
  sqsEventOf,
} from "#local/stack/sqs/sqs-event-source.ts";
import { type RunningSqsServer, startSqsServer } from "#local/stack/sqs/sqs-server.ts";
import { FUNCTIONS } from "#manifest/function-manifest.ts";
import { lambdaContext } from "./lambda-events.ts";

export const WORK_QUEUE = "cancel-requested";
export const WORK_DEAD_LETTER_QUEUE = "cancel-requested-failures";

export type BusHandler = (event: SQSEvent, context: Context) => Promise<unknown>;

/** One batch as the event source mapping delivered it, and what came of it. */
export interface BusDelivery {
  records: SQSRecord[];
  /** The handler's answer, or what it threw. */
  result: InvocationResult;
  settlement: BatchSettlement;
  /** Each message's verdict, in the order the handler reached them. */
  verdicts: BusMessageReport[];
}

export interface BusQueue {
  sqs: LocalSqs;
  queue: LocalQueue;
  deadLetters: LocalQueue;
  /** `SQS_ENDPOINT`, `CANCEL_REQUESTED_QUEUE_URL` and `CANCEL_REQUESTED_FAILURES_URL` for the service's configuration. */
  env: Record<string, string>;
  /** Puts events on the work queue as the `Cancel Requested` rule does (the whole event as the body). */
  put(...events: EventBridgeEvent<"Cancel Requested", unknown>[]): string[];
  /** Receives up to `maxMessages` visible messages, invokes the handler with them, deletes what it handled. */
  deliverBatch(
    handler: BusHandler,
    options?: { context?: Context; maxMessages?: number },
  ): Promise<BusDelivery>;
  /** Moves the queue's clock on (visibility timeouts, delays); the service's clock is not touched. */
  advance(ms: number): void;
  close(): Promise<void>;
}

export const startBusQueue = async (): Promise<BusQueue> => {
  let offsetMs = 0;
  const server: RunningSqsServer = await startSqsServer({
    now: () => Date.now() + offsetMs,
    queues: [
      {
        name: WORK_QUEUE,
        settings: { visibilityTimeoutSeconds: FUNCTIONS.CancelRequested.trigger.visibilityTimeoutSeconds },
        deadLetter: {
          queue: WORK_DEAD_LETTER_QUEUE,
          maxReceiveCount: FUNCTIONS.CancelRequested.trigger.maxReceiveCount,
        },
      },
    ],
  });
  const queue = server.sqs.byName(WORK_QUEUE);
  return {
    sqs: server.sqs,
    queue,
    deadLetters: server.sqs.byName(WORK_DEAD_LETTER_QUEUE),
    env: {
      SQS_ENDPOINT: server.endpoint,
      CANCEL_REQUESTED_QUEUE_URL: queue.url,
      CANCEL_REQUESTED_FAILURES_URL: server.sqs.byName(WORK_DEAD_LETTER_QUEUE).url,
    },
    put: (...events) => events.map((event) => queue.send({ body: JSON.stringify(event) }).messageId),
    deliverBatch: async (handler, options = {}) => {
      const messages = await queue.receive({
        maxMessages: options.maxMessages ?? FUNCTIONS.CancelRequested.trigger.mapping.batchSize,
      });
      const ids = new Set(messages.map((m) => m.messageId));
      const verdicts: BusMessageReport[] = [];
      const collect = (message: unknown): void => {
        const report = message as BusMessageReport;
        if (ids.has(report.messageId)) verdicts.push(report);
      };
      const event = sqsEventOf(queue, messages);
      subscribe(BUS_MESSAGE_CHANNEL, collect);
      let result: InvocationResult;
      try {
        result = {
          ok: true,
          value: await handler(event, options.context ?? lambdaContext({ remainingMs: 60_000 })),
        };
      } catch (error) {
        result = { ok: false, error };
      } finally {
        unsubscribe(BUS_MESSAGE_CHANNEL, collect);
      }
      return { records: event.Records, result, settlement: settleBatch(queue, messages, result), verdicts };
    },
    advance: (ms) => {
      offsetMs += ms;
    },
    close: () => server.close(),
  };
};
