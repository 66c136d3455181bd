/**
 * One batch's way through the local DynamoDB stream mapping (local/stack/dynamo-stream-source.ts):
 * the invocation, a partial failure retried from the lowest failed record, a function error
 * bisected, retries bounded by `maximumRetryAttempts`, records past `maximumRecordAgeInSeconds`
 * and batches out of retries sent to the on-failure destination as Lambda's invocation record.
 * The shard loop that gathers the batches is stream-shard-reader.ts; how an answer is read,
 * stream-batch-response.ts. The counters kept here are the mapping's `stats`.
 */
import { randomUUID } from "node:crypto";
import type { _Record } from "@aws-sdk/client-dynamodb-streams";
import type { DynamoDBStreamEvent } from "aws-lambda";
import { type InvokeOutcome, readBatchResponse } from "./stream-batch-response.ts";
import type {
  FailureDestination,
  StreamFailureCondition,
  StreamFailureRecord,
} from "./stream-failure-queue.ts";
import type { StreamMappingSettings } from "./stream-mapping-settings.ts";
import { toLambdaRecord } from "./stream-records.ts";
import { errorName } from "./stream-shard-reader.ts";

export interface StreamSourceStats {
  invocations: number;
  functionErrors: number;
  partialFailures: number;
  /** Records delivered in a batch that succeeded (a record delivered again counts again). */
  recordsDelivered: number;
  recordsDiscarded: number;
  bisections: number;
}

/** What delivery needs of the mapping it works for. */
export interface BatchDeliveryOptions {
  streamArn: string;
  /** Named in failure records. */
  functionArn: string;
  settings: StreamMappingSettings;
  /** The function, invoked synchronously; a rejection is a function error. */
  invoke: (event: DynamoDBStreamEvent) => Promise<unknown>;
  failures: FailureDestination;
  /** Wait before retry number `retry` (1, 2, …). */
  retryDelayMs: (retry: number) => number;
  now: () => number;
  log: (line: string) => void;
  /** False once the mapping stops: a batch not yet answered is then left to be read again. */
  isRunning: () => boolean;
  /** Waits, or rejects at once when the mapping stops. */
  sleep: (ms: number) => Promise<void>;
  /** Records the shard's position after `record` (kept, as the mapping's checkpoint). */
  checkpoint: (shardId: string, record: _Record | undefined) => void;
}

/** ISO time to the second, as Lambda writes `approximateArrivalOf…Record`. */
const isoSeconds = (date: Date | undefined): string =>
  (date ?? new Date(0)).toISOString().replace(/\.\d{3}Z$/, "Z");

export class StreamBatchDelivery {
  readonly #options: BatchDeliveryOptions;
  readonly stats: StreamSourceStats = {
    invocations: 0,
    functionErrors: 0,
    partialFailures: 0,
    recordsDelivered: 0,
    recordsDiscarded: 0,
    bisections: 0,
  };

  constructor(options: BatchDeliveryOptions) {
    this.#options = options;
  }

  /**
   * Delivers one batch until it succeeded or was given up on (checkpointed either way),
   * or the source stopped (not checkpointed: delivered again next time).
   */
  async deliver(shardId: string, batch: _Record[], retriesSoFar = 0): Promise<void> {
    let pending = batch;
    let retries = retriesSoFar;
    let invocations = 0;
    while (pending.length > 0) {
      if (!this.#options.isRunning()) return;
      pending = await this.#discardExpired(shardId, pending, invocations);
      if (pending.length === 0) return;
      invocations += 1;
      const outcome = await this.#invokeOnce(pending);
      if (outcome.kind === "success") {
        this.stats.recordsDelivered += pending.length;
        this.#options.checkpoint(shardId, pending.at(-1));
        return;
      }
      if (outcome.kind === "partial") {
        this.stats.partialFailures += 1;
        this.stats.recordsDelivered += outcome.fromIndex;
        if (outcome.fromIndex > 0) this.#options.checkpoint(shardId, pending[outcome.fromIndex - 1]);
        pending = pending.slice(outcome.fromIndex);
      } else if (outcome.kind === "function-error") {
        this.stats.functionErrors += 1;
        this.#options.log(
          `[outbox] shard ${shardId}: the function failed on ${pending.length} record(s): ${errorName(outcome.error)}`,
        );
        if (this.#options.settings.bisectBatchOnFunctionError && pending.length > 1) {
          this.stats.bisections += 1;
          const half = Math.ceil(pending.length / 2);
          await this.deliver(shardId, pending.slice(0, half), retries);
          await this.deliver(shardId, pending.slice(half), retries);
          return;
        }
      } else {
        this.#options.log(
          `[outbox] shard ${shardId}: invalid batch response (${outcome.reason}); whole batch retried`,
        );
      }
      retries += 1;
      const { maximumRetryAttempts } = this.#options.settings;
      if (maximumRetryAttempts >= 0 && retries > maximumRetryAttempts) {
        await this.#discard(
          shardId,
          pending,
          "RetryAttemptsExhausted",
          invocations,
          outcome.kind === "function-error",
        );
        return;
      }
      try {
        await this.#options.sleep(this.#options.retryDelayMs(retries));
      } catch {
        return;
      }
    }
  }

  /** Sends records older than the maximum age to the failure queue; returns the rest. */
  async #discardExpired(shardId: string, records: _Record[], invocations: number): Promise<_Record[]> {
    const maxAgeS = this.#options.settings.maximumRecordAgeInSeconds;
    if (maxAgeS < 0) return records;
    const now = this.#options.now();
    const live = records.findIndex((record) => {
      const created = record.dynamodb?.ApproximateCreationDateTime?.getTime();
      return created === undefined || now - created <= maxAgeS * 1000;
    });
    const expired = live === -1 ? records.length : live;
    if (expired === 0) return records;
    await this.#discard(shardId, records.slice(0, expired), "RecordAgeExceeded", invocations, false);
    return records.slice(expired);
  }

  async #discard(
    shardId: string,
    records: _Record[],
    condition: StreamFailureCondition,
    invocations: number,
    functionError: boolean,
  ): Promise<void> {
    const first = records[0]?.dynamodb;
    const last = records.at(-1)?.dynamodb;
    const record: StreamFailureRecord = {
      requestContext: {
        requestId: randomUUID(),
        functionArn: this.#options.functionArn,
        condition,
        approximateInvokeCount: invocations,
      },
      responseContext: {
        statusCode: 200,
        executedVersion: "$LATEST",
        ...(functionError && { functionError: "Unhandled" as const }),
      },
      version: "1.0",
      timestamp: new Date(this.#options.now()).toISOString(),
      DDBStreamBatchInfo: {
        shardId,
        startSequenceNumber: first?.SequenceNumber ?? "",
        endSequenceNumber: last?.SequenceNumber ?? "",
        approximateArrivalOfFirstRecord: isoSeconds(first?.ApproximateCreationDateTime),
        approximateArrivalOfLastRecord: isoSeconds(last?.ApproximateCreationDateTime),
        batchSize: records.length,
        streamArn: this.#options.streamArn,
      },
    };
    await this.#options.failures.send(record);
    this.stats.recordsDiscarded += records.length;
    this.#options.log(
      `[outbox] ${records.length} record(s) of shard ${shardId} sent to the failure queue (${condition}): ` +
        `${record.DDBStreamBatchInfo.startSequenceNumber}…${record.DDBStreamBatchInfo.endSequenceNumber}`,
    );
    this.#options.checkpoint(shardId, records.at(-1));
  }

  async #invokeOnce(records: _Record[]): Promise<InvokeOutcome> {
    this.stats.invocations += 1;
    const event: DynamoDBStreamEvent = {
      Records: records.map((record) => toLambdaRecord(record, this.#options.streamArn)),
    };
    let response: unknown;
    try {
      response = await this.#options.invoke(event);
    } catch (error) {
      return { kind: "function-error", error };
    }
    if (!this.#options.settings.functionResponseTypes.includes("ReportBatchItemFailures"))
      return { kind: "success" };
    return readBatchResponse(response, records);
  }
}
