/**
 * A Lambda event source mapping for a DynamoDB stream, emulated against DynamoDB Local's
 * stream (DescribeStream, GetShardIterator, GetRecords), for `npm start` and the tests: the
 * outbox relay runs here exactly as it runs on AWS, with the same settings
 * (the outbox relay's entry in functions/manifest/function-manifest.ts).
 *
 * What it does as Lambda documents it, and where:
 *
 * - shards read in order, one batch in flight per shard, a child only once its parent is
 *   closed and drained; TRIM_HORIZON or LATEST for a new mapping, a shard that appears later
 *   read from its start (stream-shard-lineage.ts);
 * - batches of at most `batchSize`, gathered for up to `maximumBatchingWindowInSeconds`
 *   (stream-shard-reader.ts), in the `DynamoDBStreamEvent` shape Lambda sends (stream-records.ts);
 * - `ReportBatchItemFailures`: checkpoint before the lowest failed sequence number and retry
 *   from it; an empty or unknown `itemIdentifier` fails the whole batch (stream-batch-response.ts);
 * - a function error (a throw, a timeout) with `bisectBatchOnFunctionError` splits the batch
 *   in two, not using the retry quota; after `maximumRetryAttempts` retries, or for records
 *   older than `maximumRecordAgeInSeconds`, an invocation record goes to the on-failure
 *   destination and the mapping moves past them (stream-batch-delivery.ts);
 * - the checkpoint is kept (stream-checkpoints.ts) and written only after an invocation
 *   answered, so a mapping stopped or killed mid-batch delivers that batch again.
 *
 * Where it differs, and why: Lambda does not document how long it waits between retries
 * (here `retryDelayMs`, by default 0.5 s doubling to 10 s); it polls each shard four times
 * a second (here every `pollIntervalMs`, default 250 ms: stream-mapping-settings.ts); a retry
 * counter belongs to the batch as read, halves of a bisected batch keep it. Invocations go
 * through `invoke`, so the caller decides how a function container serves them.
 *
 * This file holds the mapping itself: starting, stopping, its status, when shards are listed
 * and read, the checkpoint. Starting one on a table: start-dynamo-stream-source.ts; its
 * waits: stoppable-wait.ts.
 */
import type { _Record, DynamoDBStreamsClient } from "@aws-sdk/client-dynamodb-streams";
import type { DynamoDBStreamEvent } from "aws-lambda";
import { FUNCTIONS } from "#manifest/function-manifest.ts";
import { StoppedError, waitUnlessStopped } from "./stoppable-wait.ts";
import { StreamBatchDelivery, type StreamSourceStats } from "./stream-batch-delivery.ts";
import { type CheckpointStore, MemoryCheckpointStore, type StreamCheckpoint } from "./stream-checkpoints.ts";
import { type FailureDestination, LocalFailureQueue } from "./stream-failure-queue.ts";
import {
  DEFAULT_POLL_INTERVAL_MS,
  defaultRetryDelay,
  type StreamMappingSettings,
} from "./stream-mapping-settings.ts";
import { listShards, shardsReadyToRead, trackNewShards } from "./stream-shard-lineage.ts";
import { errorName, type ShardRun, type ShardStatus, StreamShardReader } from "./stream-shard-reader.ts";

export interface DynamoStreamSourceOptions {
  client: DynamoDBStreamsClient;
  streamArn: string;
  /** The function, invoked synchronously; a rejection is a function error. */
  invoke: (event: DynamoDBStreamEvent) => Promise<unknown>;
  /** Default: the outbox relay's mapping. */
  settings?: StreamMappingSettings;
  checkpoints?: CheckpointStore;
  failures?: FailureDestination;
  /** Named in failure records. */
  functionArn?: string;
  pollIntervalMs?: number;
  /** How often the shards are listed again (a closed shard also lists them at once). Default 1 s. */
  discoveryIntervalMs?: number;
  /** Wait before retry number `retry` (1, 2, …). */
  retryDelayMs?: (retry: number) => number;
  now?: () => number;
  log?: (line: string) => void;
}

export interface StreamSourceStatus {
  streamArn: string;
  running: boolean;
  shards: {
    shardId: string;
    parentShardId?: string;
    status: ShardStatus;
    checkpoint?: string;
    inFlight: boolean;
    buffered: number;
  }[];
  stats: StreamSourceStats;
}

export class DynamoStreamSource {
  readonly #client: DynamoDBStreamsClient;
  readonly #streamArn: string;
  readonly #settings: StreamMappingSettings;
  readonly #checkpoints: CheckpointStore;
  readonly #discoveryIntervalMs: number;
  readonly #log: (line: string) => void;
  readonly #delivery: StreamBatchDelivery;
  readonly #reader: StreamShardReader;

  readonly #runs = new Map<string, ShardRun>();
  readonly #loops = new Set<Promise<void>>();
  #state: StreamCheckpoint;
  /** No checkpoint was kept for this stream: the starting position applies. */
  readonly #fresh: boolean;
  #running = false;
  #stopping = new AbortController();
  #discovery: Promise<void> | undefined;
  #discoveries = 0;
  #wakeDiscovery: (() => void) | undefined;

  constructor(options: DynamoStreamSourceOptions) {
    this.#client = options.client;
    this.#streamArn = options.streamArn;
    this.#settings = options.settings ?? FUNCTIONS.OutboxRelay.trigger.mapping;
    this.#checkpoints = options.checkpoints ?? new MemoryCheckpointStore();
    this.#discoveryIntervalMs = options.discoveryIntervalMs ?? 1_000;
    this.#log = options.log ?? (() => {});
    const now = options.now ?? Date.now;
    const isRunning = (): boolean => this.#running;
    const sleep = (ms: number): Promise<void> => waitUnlessStopped(ms, this.#stopping.signal);
    this.#delivery = new StreamBatchDelivery({
      streamArn: this.#streamArn,
      functionArn: options.functionArn ?? "arn:aws:lambda:us-east-1:000000000000:function:local",
      settings: this.#settings,
      invoke: options.invoke,
      failures: options.failures ?? new LocalFailureQueue(),
      retryDelayMs: options.retryDelayMs ?? defaultRetryDelay,
      now,
      log: this.#log,
      isRunning,
      sleep,
      checkpoint: (shardId, record) => this.#checkpoint(shardId, record),
    });
    this.#reader = new StreamShardReader({
      client: this.#client,
      streamArn: this.#streamArn,
      settings: this.#settings,
      pollIntervalMs: options.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS,
      now,
      log: this.#log,
      isRunning,
      stopSignal: () => this.#stopping.signal,
      sleep,
      checkpointOf: (shardId) => this.#state.shards[shardId]?.sequenceNumber,
      finish: (run) => this.#finish(run),
      deliver: (shardId, batch) => this.#delivery.deliver(shardId, batch),
    });
    const kept = this.#checkpoints.load(this.#streamArn);
    this.#fresh = kept === undefined;
    this.#state = kept ?? { streamArn: this.#streamArn, shards: {} };
    if (this.#settings.batchSize < 1) throw new RangeError("batchSize must be at least 1");
  }

  get streamArn(): string {
    return this.#streamArn;
  }

  /** Starts polling. */
  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#stopping = new AbortController();
    this.#discovery = this.#discoverForever();
  }

  /**
   * Stops polling. An invocation in flight may finish within `graceMs` (its answer is then
   * checkpointed); after that it is abandoned, unrecorded, and delivered again next time.
   */
  async stop(graceMs = 10_000): Promise<void> {
    if (!this.#running) return;
    this.#running = false;
    this.#stopping.abort(new StoppedError("stream source stopped"));
    this.#wakeDiscovery?.();
    const everything = Promise.allSettled([this.#discovery, ...this.#loops]);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([everything, new Promise((resolve) => (timer = setTimeout(resolve, graceMs)))]);
    clearTimeout(timer);
  }

  status(): StreamSourceStatus {
    return {
      streamArn: this.#streamArn,
      running: this.#running,
      shards: [...this.#runs.values()].map((run) => ({
        shardId: run.shardId,
        ...(run.parentShardId !== undefined && { parentShardId: run.parentShardId }),
        status: run.status,
        ...(this.#state.shards[run.shardId]?.sequenceNumber !== undefined && {
          checkpoint: this.#state.shards[run.shardId]?.sequenceNumber,
        }),
        inFlight: run.inFlight,
        buffered: run.buffered,
      })),
      stats: { ...this.#delivery.stats },
    };
  }

  /**
   * Resolves once everything written before the call has been handled: the shards were
   * listed again, and each readable shard then found nothing new with nothing in flight.
   *
   * @throws Error with the source's status when that takes longer than `timeoutMs`
   */
  async waitUntilIdle(timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const discoveries = this.#discoveries;
    this.#wakeDiscovery?.();
    while (this.#discoveries <= discoveries) {
      if (Date.now() > deadline) throw new Error(`stream source not idle: ${JSON.stringify(this.status())}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const marks = new Map([...this.#runs.values()].map((run) => [run.shardId, run.emptyPolls]));
    const idle = (run: ShardRun): boolean =>
      run.status === "finished" ||
      (run.status === "reading" &&
        !run.inFlight &&
        run.buffered === 0 &&
        run.emptyPolls > (marks.get(run.shardId) ?? -1));
    while (![...this.#runs.values()].every((run) => run.status !== "waiting" && idle(run))) {
      if (Date.now() > deadline) throw new Error(`stream source not idle: ${JSON.stringify(this.status())}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  // ---- shards -------------------------------------------------------------------------

  async #discoverForever(): Promise<void> {
    while (this.#running) {
      try {
        await this.#discover();
      } catch (error) {
        if (this.#running) this.#log(`[outbox] could not list the stream's shards: ${errorName(error)}`);
      }
      this.#discoveries += 1;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, this.#discoveryIntervalMs);
        this.#wakeDiscovery = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.#wakeDiscovery = undefined;
    }
  }

  async #discover(): Promise<void> {
    const firstListing = this.#runs.size === 0 && this.#discoveries === 0;
    const shards = await listShards(this.#client, this.#streamArn, this.#stopping.signal);
    const latest = this.#fresh && firstListing && this.#settings.startingPosition === "LATEST";
    trackNewShards(shards, this.#runs, this.#state, latest);
    if (this.#fresh && firstListing) this.#checkpoints.save(this.#state);
    for (const run of shardsReadyToRead(this.#runs)) {
      run.status = "reading";
      const loop = this.#reader.read(run).catch((error: unknown) => {
        if (!(error instanceof StoppedError))
          this.#log(`[outbox] shard ${run.shardId} stopped: ${String(error)}`);
        if (run.status === "reading") run.status = "waiting";
      });
      this.#loops.add(loop);
      void loop.finally(() => this.#loops.delete(loop));
    }
  }

  #finish(run: ShardRun): void {
    run.status = "finished";
    const kept = this.#state.shards[run.shardId] ?? {};
    this.#state.shards[run.shardId] = { ...kept, finished: true };
    this.#checkpoints.save(this.#state);
    this.#wakeDiscovery?.();
  }

  #checkpoint(shardId: string, record: _Record | undefined): void {
    const sequenceNumber = record?.dynamodb?.SequenceNumber;
    if (sequenceNumber === undefined) return;
    this.#state.shards[shardId] = { ...this.#state.shards[shardId], sequenceNumber };
    this.#checkpoints.save(this.#state);
  }
}
