/**
 * One shard's reading loop in the local DynamoDB stream mapping (local/stack/dynamo-stream-source.ts):
 * its shard iterator (renewed when it expires, restarted at the oldest record when its position
 * was trimmed), GetRecords polls, and batches of at most `batchSize` gathered for up to
 * `maximumBatchingWindowInSeconds`, one in flight at a time, handed to stream-batch-delivery.ts.
 * Which shards are read, and when, is the mapping's part.
 */
import {
  type _Record,
  type DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type ShardIteratorType,
} from "@aws-sdk/client-dynamodb-streams";
import type { StreamMappingSettings } from "./stream-mapping-settings.ts";

export type ShardStatus = "waiting" | "reading" | "finished";

/** A shard as the mapping tracks it. */
export interface ShardRun {
  shardId: string;
  parentShardId: string | undefined;
  status: ShardStatus;
  /** Start at LATEST (a new mapping with that starting position, open shard). */
  latest: boolean;
  /** GetRecords answers that found nothing new while nothing was buffered or in flight. */
  emptyPolls: number;
  inFlight: boolean;
  buffered: number;
}

/** What a shard's loop needs of the mapping it reads for. */
export interface ShardReaderOptions {
  client: DynamoDBStreamsClient;
  streamArn: string;
  settings: StreamMappingSettings;
  pollIntervalMs: number;
  now: () => number;
  log: (line: string) => void;
  /** False once the mapping stops. */
  isRunning: () => boolean;
  /** Aborted when the mapping stops (requests in flight are abandoned). */
  stopSignal: () => AbortSignal;
  /** Waits, or rejects at once when the mapping stops. */
  sleep: (ms: number) => Promise<void>;
  /** The sequence number the shard was checkpointed at, if any. */
  checkpointOf: (shardId: string) => string | undefined;
  /** The shard is closed and every record of it was handled. */
  finish: (run: ShardRun) => void;
  /** Delivers one batch until it is answered or given up on. */
  deliver: (shardId: string, batch: _Record[]) => Promise<void>;
}

/** The name an AWS error is known by (how the stream's errors are told apart). */
export const errorName = (error: unknown): string => (error instanceof Error ? error.name : String(error));

export class StreamShardReader {
  readonly #options: ShardReaderOptions;

  constructor(options: ShardReaderOptions) {
    this.#options = options;
  }

  async #iterator(run: ShardRun, after: string | undefined): Promise<string | undefined> {
    const type: ShardIteratorType =
      after !== undefined ? "AFTER_SEQUENCE_NUMBER" : run.latest ? "LATEST" : "TRIM_HORIZON";
    const answer = await this.#options.client.send(
      new GetShardIteratorCommand({
        StreamArn: this.#options.streamArn,
        ShardId: run.shardId,
        ShardIteratorType: type,
        ...(after !== undefined && { SequenceNumber: after }),
      }),
      { abortSignal: this.#options.stopSignal() },
    );
    return answer.ShardIterator;
  }

  async read(run: ShardRun): Promise<void> {
    const { batchSize } = this.#options.settings;
    const windowMs = this.#options.settings.maximumBatchingWindowInSeconds * 1000;
    let lastRead = this.#options.checkpointOf(run.shardId);
    let iterator = await this.#iterator(run, lastRead);
    const buffer: _Record[] = [];
    let ended = iterator === undefined;
    let gatheringSince: number | undefined;
    while (this.#options.isRunning()) {
      if (!ended && buffer.length < batchSize) {
        try {
          const page = await this.#options.client.send(
            new GetRecordsCommand({
              ShardIterator: iterator,
              Limit: Math.min(1_000, batchSize - buffer.length),
            }),
            { abortSignal: this.#options.stopSignal() },
          );
          const records = page.Records ?? [];
          buffer.push(...records);
          lastRead = records.at(-1)?.dynamodb?.SequenceNumber ?? lastRead;
          iterator = page.NextShardIterator;
          ended = iterator === undefined;
          if (records.length === 0 && buffer.length === 0 && !ended) run.emptyPolls += 1;
        } catch (error) {
          if (!this.#options.isRunning()) break;
          const name = errorName(error);
          if (name === "ExpiredIteratorException") {
            iterator = await this.#iterator(run, lastRead);
            continue;
          }
          if (name === "TrimmedDataAccessException") {
            this.#options.log(
              `[outbox] shard ${run.shardId}: position trimmed from the stream; reading on from its oldest record`,
            );
            lastRead = undefined;
            iterator = await this.#iterator({ ...run, latest: false }, undefined);
            continue;
          }
          this.#options.log(`[outbox] shard ${run.shardId}: GetRecords failed (${name}); polling again`);
          await this.#options.sleep(this.#options.pollIntervalMs);
          continue;
        }
      }
      run.buffered = buffer.length;
      if (buffer.length === 0) {
        if (ended) {
          this.#options.finish(run);
          return;
        }
        await this.#options.sleep(this.#options.pollIntervalMs);
        continue;
      }
      if (buffer.length < batchSize && !ended && windowMs > 0) {
        gatheringSince ??= this.#options.now();
        const left = windowMs - (this.#options.now() - gatheringSince);
        if (left > 0) {
          await this.#options.sleep(Math.min(this.#options.pollIntervalMs, left));
          continue;
        }
      }
      gatheringSince = undefined;
      const batch = buffer.splice(0, batchSize);
      run.buffered = buffer.length;
      run.inFlight = true;
      try {
        await this.#options.deliver(run.shardId, batch);
      } finally {
        run.inFlight = false;
      }
    }
  }
}
