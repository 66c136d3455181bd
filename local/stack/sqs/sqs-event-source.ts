/**
 * A Lambda event source mapping for a local queue, as Lambda runs one for SQS: pollers
 * long-poll the queue for up to `batchSize` messages (waiting up to the batching window for
 * a fuller batch), invoke the function synchronously with the `SQSEvent` Lambda builds, and
 * then delete the messages the function handled. At most `maximumConcurrency` invocations
 * run at once (the mapping's `ScalingConfig.MaximumConcurrency`).
 *
 * After the invocation (ReportBatchItemFailures, as AWS documents it):
 * - the function threw or timed out: nothing is deleted; every message returns after its
 *   visibility timeout;
 * - it returned nothing, `{}`, or an empty/null `batchItemFailures`: all are deleted;
 * - it listed failures by `itemIdentifier` (message id): all the others are deleted;
 * - the answer is invalid (an identifier empty, null or not in the batch): the whole
 *   batch counts as failed.
 *
 * Not modelled: Lambda scaling its pollers up gradually, and backing off after errors.
 */
import type { SQSEvent, SQSMessageAttributes, SQSRecord } from "aws-lambda";
import type { LocalQueue } from "./local-queue.ts";
import { LOCAL_REGION } from "./local-sqs.ts";
import type { ReceivedMessage } from "./sqs-messages.ts";

export interface EventSourceSettings {
  batchSize: number;
  maximumConcurrency: number;
  maximumBatchingWindowSeconds: number;
}

/** The invocation's end: its answer, or the error it failed with (a throw or a timeout). */
export type InvocationResult = { ok: true; value: unknown } | { ok: false; error: unknown };

export interface BatchSettlement {
  deleted: number;
  failed: number;
  /** The function failed or answered something invalid: nothing was deleted. */
  wholeBatchFailed: boolean;
}

/** The records Lambda builds from received messages. */
export const sqsEventOf = (queue: LocalQueue, messages: readonly ReceivedMessage[]): SQSEvent => ({
  Records: messages.map((message): SQSRecord => {
    const messageAttributes: SQSMessageAttributes = {};
    for (const [name, value] of Object.entries(message.attributes)) {
      messageAttributes[name] = {
        dataType: value.DataType,
        stringListValues: [],
        binaryListValues: [],
        ...(value.StringValue !== undefined ? { stringValue: value.StringValue } : {}),
        ...(value.BinaryValue !== undefined ? { binaryValue: value.BinaryValue } : {}),
      };
    }
    const { DeadLetterQueueSourceArn: _source, ...attributes } = message.systemAttributes;
    return {
      messageId: message.messageId,
      receiptHandle: message.receiptHandle,
      body: message.body,
      attributes,
      messageAttributes,
      md5OfBody: message.md5OfBody,
      ...(message.md5OfMessageAttributes ? { md5OfMessageAttributes: message.md5OfMessageAttributes } : {}),
      eventSource: "aws:sqs",
      eventSourceARN: queue.arn,
      awsRegion: LOCAL_REGION,
    };
  }),
});

/** The message ids the function reported as failed, or undefined when its answer is invalid. */
export const reportedFailures = (value: unknown, batch: ReadonlySet<string>): Set<string> | undefined => {
  if (value === undefined || value === null) return new Set();
  if (typeof value !== "object" || Array.isArray(value)) return undefined;
  const failures = (value as { batchItemFailures?: unknown }).batchItemFailures;
  if (failures === undefined || failures === null) return new Set();
  if (!Array.isArray(failures)) return undefined;
  const ids = new Set<string>();
  for (const failure of failures) {
    const id = (failure as { itemIdentifier?: unknown } | null)?.itemIdentifier;
    if (typeof id !== "string" || id === "" || !batch.has(id)) return undefined;
    ids.add(id);
  }
  return ids;
};

/** Deletes what the invocation handled; leaves the rest to come back after its visibility timeout. */
export const settleBatch = (
  queue: LocalQueue,
  messages: readonly ReceivedMessage[],
  result: InvocationResult,
): BatchSettlement => {
  const failed = result.ok
    ? reportedFailures(result.value, new Set(messages.map((m) => m.messageId)))
    : undefined;
  if (failed === undefined) return { deleted: 0, failed: messages.length, wholeBatchFailed: true };
  let deleted = 0;
  for (const message of messages) {
    if (failed.has(message.messageId)) continue;
    queue.delete(message.receiptHandle);
    deleted += 1;
  }
  return { deleted, failed: failed.size, wholeBatchFailed: false };
};

export interface SqsEventSourceOptions {
  queue: LocalQueue;
  settings: EventSourceSettings;
  /** Invokes the function synchronously; rejects when it throws or times out. */
  invoke: (event: SQSEvent) => Promise<unknown>;
  /** A poller's own failure (a bug); it polls again after a second. */
  onError?: (error: unknown) => void;
  /** Called after each batch (counts for the simulation; the stack logs failed invocations). */
  onBatch?: (settlement: BatchSettlement, size: number, result: InvocationResult) => void;
}

/** Polls a queue and feeds its function, `maximumConcurrency` batches at a time. */
export class SqsEventSource {
  readonly #options: SqsEventSourceOptions;
  readonly #stop = new AbortController();
  readonly #lanes: Promise<void>[] = [];
  #invocations = 0;

  constructor(options: SqsEventSourceOptions) {
    const { batchSize, maximumConcurrency } = options.settings;
    if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 10) {
      throw new RangeError("batchSize must be 1 to 10 for a standard queue without a batching window over 0");
    }
    if (!Number.isInteger(maximumConcurrency) || maximumConcurrency < 1) {
      throw new RangeError("maximumConcurrency must be a positive integer");
    }
    this.#options = options;
  }

  /** Invocations made so far. */
  get invocations(): number {
    return this.#invocations;
  }

  start(): void {
    for (let lane = 0; lane < this.#options.settings.maximumConcurrency; lane++)
      this.#lanes.push(this.#poll());
  }

  /** Stops polling and waits for the invocations in flight to end. */
  async stop(): Promise<void> {
    this.#stop.abort();
    await Promise.allSettled(this.#lanes);
  }

  async #poll(): Promise<void> {
    const signal = this.#stop.signal;
    while (!signal.aborted) {
      try {
        await this.#pollOnce(signal);
      } catch (error) {
        // A poller never dies quietly: report it, wait a moment, poll again (Lambda's poller retries too).
        this.#options.onError?.(error);
        await new Promise((resolve) => setTimeout(resolve, 1_000));
      }
    }
  }

  async #pollOnce(signal: AbortSignal): Promise<void> {
    const { queue, settings, invoke, onBatch } = this.#options;
    const messages = await queue.receive({ maxMessages: settings.batchSize, waitTimeSeconds: 20, signal });
    if (messages.length === 0) return;
    const windowEnds = Date.now() + settings.maximumBatchingWindowSeconds * 1000;
    while (messages.length < settings.batchSize && Date.now() < windowEnds && !signal.aborted) {
      const more = await queue.receive({
        maxMessages: settings.batchSize - messages.length,
        waitTimeSeconds: Math.max(0, Math.min(20, Math.ceil((windowEnds - Date.now()) / 1000))),
        signal,
      });
      messages.push(...more);
    }
    this.#invocations += 1;
    let result: InvocationResult;
    try {
      result = { ok: true, value: await invoke(sqsEventOf(queue, messages)) };
    } catch (error) {
      result = { ok: false, error };
    }
    const settlement = settleBatch(queue, messages, result);
    onBatch?.(settlement, messages.length, result);
  }
}
