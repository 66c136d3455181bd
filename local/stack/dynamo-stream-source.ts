/**
 * A Lambda event source mapping for a DynamoDB stream, emulated against DynamoDB Local's
 * stream (DescribeStream, GetShardIterator, GetRecords), for `npm start` and the tests: the
 * outbox relay runs here exactly as it runs on AWS, with the same settings
 * (the outbox relay's entry in functions/manifest/function-manifest.ts).
 *
 * What it does as Lambda documents it:
 *
 * - shards: every shard is read in order, one batch in flight per shard; a child shard is
 *   read only once its parent is read to its end (closed and drained);
 * - starting position TRIM_HORIZON or LATEST for a new mapping; a shard that appears later
 *   is read from its start;
 * - batches of at most `batchSize`, gathered for up to `maximumBatchingWindowInSeconds`;
 *   the function gets the `DynamoDBStreamEvent` shape Lambda sends (stream-records.ts);
 * - with `ReportBatchItemFailures`, a response's `batchItemFailures` checkpoint before the
 *   lowest failed sequence number and retry from it; an empty or unknown `itemIdentifier`
 *   fails the whole batch;
 * - a function error (a throw, a timeout) with `bisectBatchOnFunctionError` splits the
 *   batch in two, each half retried on its own; splitting does not use the retry quota;
 * - after `maximumRetryAttempts` retries, or for records older than
 *   `maximumRecordAgeInSeconds`, an invocation record describing them goes to the
 *   on-failure destination and the mapping moves past them;
 * - the checkpoint is kept (stream-checkpoints.ts) and written only after an invocation
 *   answered, so a mapping stopped or killed mid-batch delivers that batch again.
 *
 * Where it differs, and why: Lambda does not document how long it waits between retries
 * (here `retryDelayMs`, by default 0.5 s doubling to 10 s); it polls each shard four times
 * a second (here every `pollIntervalMs`, default 250 ms); a retry counter belongs to the
 * batch as read, halves of a bisected batch keep it. Invocations go through `invoke`, so
 * the caller decides how a function container serves them.
 */
import { randomUUID } from "node:crypto";
import { DescribeTableCommand, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import {
  type _Record,
  DescribeStreamCommand,
  DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type Shard,
  type ShardIteratorType,
} from "@aws-sdk/client-dynamodb-streams";
import type { DynamoDBStreamEvent } from "aws-lambda";
import { FUNCTIONS } from "#manifest/function-manifest.ts";
import {
  type CheckpointStore,
  FileCheckpointStore,
  MemoryCheckpointStore,
  type StreamCheckpoint,
} from "./stream-checkpoints.ts";
import {
  type FailureDestination,
  LocalFailureQueue,
  type StreamFailureCondition,
  type StreamFailureRecord,
} from "./stream-failure-queue.ts";
import { toLambdaRecord } from "./stream-records.ts";

/** The stream settings of a Lambda event source mapping, as `aws.lambda.EventSourceMapping` names them. */
export interface StreamMappingSettings {
  startingPosition: "TRIM_HORIZON" | "LATEST";
  batchSize: number;
  maximumBatchingWindowInSeconds: number;
  functionResponseTypes: readonly "ReportBatchItemFailures"[];
  bisectBatchOnFunctionError: boolean;
  /** -1: until the records expire. */
  maximumRetryAttempts: number;
  /** -1: until the records expire. */
  maximumRecordAgeInSeconds: number;
}

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

type ShardStatus = "waiting" | "reading" | "finished";

interface ShardRun {
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

export interface StreamSourceStats {
  invocations: number;
  functionErrors: number;
  partialFailures: number;
  /** Records delivered in a batch that succeeded (a record delivered again counts again). */
  recordsDelivered: number;
  recordsDiscarded: number;
  bisections: number;
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

/** What one invocation's answer means for the batch. */
type InvokeOutcome =
  | { kind: "success" }
  | { kind: "partial"; fromIndex: number }
  | { kind: "invalid-response"; reason: string }
  | { kind: "function-error"; error: unknown };

class StoppedError extends Error {
  override readonly name = "StoppedError";
}

const nameOf = (error: unknown): string => (error instanceof Error ? error.name : String(error));

const defaultRetryDelay = (retry: number): number => Math.min(10_000, 500 * 2 ** (retry - 1));

/** ISO time to the second, as Lambda writes `approximateArrivalOf…Record`. */
const isoSeconds = (date: Date | undefined): string =>
  (date ?? new Date(0)).toISOString().replace(/\.\d{3}Z$/, "Z");

export class DynamoStreamSource {
  readonly #client: DynamoDBStreamsClient;
  readonly #streamArn: string;
  readonly #invoke: (event: DynamoDBStreamEvent) => Promise<unknown>;
  readonly #settings: StreamMappingSettings;
  readonly #checkpoints: CheckpointStore;
  readonly #failures: FailureDestination;
  readonly #functionArn: string;
  readonly #pollIntervalMs: number;
  readonly #discoveryIntervalMs: number;
  readonly #retryDelayMs: (retry: number) => number;
  readonly #now: () => number;
  readonly #log: (line: string) => void;

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
  readonly #stats: StreamSourceStats = {
    invocations: 0,
    functionErrors: 0,
    partialFailures: 0,
    recordsDelivered: 0,
    recordsDiscarded: 0,
    bisections: 0,
  };

  constructor(options: DynamoStreamSourceOptions) {
    this.#client = options.client;
    this.#streamArn = options.streamArn;
    this.#invoke = options.invoke;
    this.#settings = options.settings ?? FUNCTIONS.OutboxRelay.trigger.mapping;
    this.#checkpoints = options.checkpoints ?? new MemoryCheckpointStore();
    this.#failures = options.failures ?? new LocalFailureQueue();
    this.#functionArn = options.functionArn ?? "arn:aws:lambda:us-east-1:000000000000:function:local";
    this.#pollIntervalMs = options.pollIntervalMs ?? 250;
    this.#discoveryIntervalMs = options.discoveryIntervalMs ?? 1_000;
    this.#retryDelayMs = options.retryDelayMs ?? defaultRetryDelay;
    this.#now = options.now ?? Date.now;
    this.#log = options.log ?? (() => {});
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
      stats: { ...this.#stats },
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
        if (this.#running) this.#log(`[outbox] could not list the stream's shards: ${nameOf(error)}`);
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

  async #listShards(): Promise<Shard[]> {
    const shards: Shard[] = [];
    let start: string | undefined;
    do {
      const page = await this.#client.send(
        new DescribeStreamCommand({ StreamArn: this.#streamArn, ExclusiveStartShardId: start }),
        { abortSignal: this.#stopping.signal },
      );
      shards.push(...(page.StreamDescription?.Shards ?? []));
      start = page.StreamDescription?.LastEvaluatedShardId;
    } while (start !== undefined);
    return shards;
  }

  async #discover(): Promise<void> {
    const firstListing = this.#runs.size === 0 && this.#discoveries === 0;
    for (const shard of await this.#listShards()) {
      const shardId = shard.ShardId;
      if (shardId === undefined || this.#runs.has(shardId)) continue;
      const kept = this.#state.shards[shardId];
      const closed = shard.SequenceNumberRange?.EndingSequenceNumber !== undefined;
      // A new mapping at LATEST skips what is already there: closed shards entirely.
      const latest = this.#fresh && firstListing && this.#settings.startingPosition === "LATEST";
      const finished = kept?.finished === true || (latest && closed && kept === undefined);
      this.#runs.set(shardId, {
        shardId,
        parentShardId: shard.ParentShardId,
        status: finished ? "finished" : "waiting",
        latest: latest && !closed && kept === undefined,
        emptyPolls: 0,
        inFlight: false,
        buffered: 0,
      });
      this.#state.shards[shardId] ??= finished ? { finished: true } : {};
    }
    if (this.#fresh && firstListing) this.#checkpoints.save(this.#state);
    for (const run of this.#runs.values()) {
      if (run.status !== "waiting") continue;
      const parent = run.parentShardId === undefined ? undefined : this.#runs.get(run.parentShardId);
      // A parent no longer listed was trimmed: nothing of it is left to read first.
      if (parent !== undefined && parent.status !== "finished") continue;
      run.status = "reading";
      const loop = this.#readShard(run).catch((error: unknown) => {
        if (!(error instanceof StoppedError))
          this.#log(`[outbox] shard ${run.shardId} stopped: ${String(error)}`);
        if (run.status === "reading") run.status = "waiting";
      });
      this.#loops.add(loop);
      void loop.finally(() => this.#loops.delete(loop));
    }
  }

  async #iterator(run: ShardRun, after: string | undefined): Promise<string | undefined> {
    const type: ShardIteratorType =
      after !== undefined ? "AFTER_SEQUENCE_NUMBER" : run.latest ? "LATEST" : "TRIM_HORIZON";
    const answer = await this.#client.send(
      new GetShardIteratorCommand({
        StreamArn: this.#streamArn,
        ShardId: run.shardId,
        ShardIteratorType: type,
        ...(after !== undefined && { SequenceNumber: after }),
      }),
      { abortSignal: this.#stopping.signal },
    );
    return answer.ShardIterator;
  }

  async #readShard(run: ShardRun): Promise<void> {
    const { batchSize } = this.#settings;
    const windowMs = this.#settings.maximumBatchingWindowInSeconds * 1000;
    let lastRead = this.#state.shards[run.shardId]?.sequenceNumber;
    let iterator = await this.#iterator(run, lastRead);
    const buffer: _Record[] = [];
    let ended = iterator === undefined;
    let gatheringSince: number | undefined;
    while (this.#running) {
      if (!ended && buffer.length < batchSize) {
        try {
          const page = await this.#client.send(
            new GetRecordsCommand({
              ShardIterator: iterator,
              Limit: Math.min(1_000, batchSize - buffer.length),
            }),
            { abortSignal: this.#stopping.signal },
          );
          const records = page.Records ?? [];
          buffer.push(...records);
          lastRead = records.at(-1)?.dynamodb?.SequenceNumber ?? lastRead;
          iterator = page.NextShardIterator;
          ended = iterator === undefined;
          if (records.length === 0 && buffer.length === 0 && !ended) run.emptyPolls += 1;
        } catch (error) {
          if (!this.#running) break;
          const name = nameOf(error);
          if (name === "ExpiredIteratorException") {
            iterator = await this.#iterator(run, lastRead);
            continue;
          }
          if (name === "TrimmedDataAccessException") {
            this.#log(
              `[outbox] shard ${run.shardId}: position trimmed from the stream; reading on from its oldest record`,
            );
            lastRead = undefined;
            iterator = await this.#iterator({ ...run, latest: false }, undefined);
            continue;
          }
          this.#log(`[outbox] shard ${run.shardId}: GetRecords failed (${name}); polling again`);
          await this.#sleep(this.#pollIntervalMs);
          continue;
        }
      }
      run.buffered = buffer.length;
      if (buffer.length === 0) {
        if (ended) {
          this.#finish(run);
          return;
        }
        await this.#sleep(this.#pollIntervalMs);
        continue;
      }
      if (buffer.length < batchSize && !ended && windowMs > 0) {
        gatheringSince ??= this.#now();
        const left = windowMs - (this.#now() - gatheringSince);
        if (left > 0) {
          await this.#sleep(Math.min(this.#pollIntervalMs, left));
          continue;
        }
      }
      gatheringSince = undefined;
      const batch = buffer.splice(0, batchSize);
      run.buffered = buffer.length;
      run.inFlight = true;
      try {
        await this.#deliver(run, batch, 0);
      } finally {
        run.inFlight = false;
      }
    }
  }

  #finish(run: ShardRun): void {
    run.status = "finished";
    const kept = this.#state.shards[run.shardId] ?? {};
    this.#state.shards[run.shardId] = { ...kept, finished: true };
    this.#checkpoints.save(this.#state);
    this.#wakeDiscovery?.();
  }

  #checkpoint(run: ShardRun, record: _Record | undefined): void {
    const sequenceNumber = record?.dynamodb?.SequenceNumber;
    if (sequenceNumber === undefined) return;
    this.#state.shards[run.shardId] = { ...this.#state.shards[run.shardId], sequenceNumber };
    this.#checkpoints.save(this.#state);
  }

  // ---- batches ------------------------------------------------------------------------

  /**
   * Delivers one batch until it succeeded or was given up on (checkpointed either way),
   * or the source stopped (not checkpointed: delivered again next time).
   */
  async #deliver(run: ShardRun, batch: _Record[], retriesSoFar: number): Promise<void> {
    let pending = batch;
    let retries = retriesSoFar;
    let invocations = 0;
    while (pending.length > 0) {
      if (!this.#running) return;
      pending = await this.#discardExpired(run, pending, invocations);
      if (pending.length === 0) return;
      invocations += 1;
      const outcome = await this.#invokeOnce(pending);
      if (outcome.kind === "success") {
        this.#stats.recordsDelivered += pending.length;
        this.#checkpoint(run, pending.at(-1));
        return;
      }
      if (outcome.kind === "partial") {
        this.#stats.partialFailures += 1;
        this.#stats.recordsDelivered += outcome.fromIndex;
        if (outcome.fromIndex > 0) this.#checkpoint(run, pending[outcome.fromIndex - 1]);
        pending = pending.slice(outcome.fromIndex);
      } else if (outcome.kind === "function-error") {
        this.#stats.functionErrors += 1;
        this.#log(
          `[outbox] shard ${run.shardId}: the function failed on ${pending.length} record(s): ${nameOf(outcome.error)}`,
        );
        if (this.#settings.bisectBatchOnFunctionError && pending.length > 1) {
          this.#stats.bisections += 1;
          const half = Math.ceil(pending.length / 2);
          await this.#deliver(run, pending.slice(0, half), retries);
          await this.#deliver(run, pending.slice(half), retries);
          return;
        }
      } else {
        this.#log(
          `[outbox] shard ${run.shardId}: invalid batch response (${outcome.reason}); whole batch retried`,
        );
      }
      retries += 1;
      const { maximumRetryAttempts } = this.#settings;
      if (maximumRetryAttempts >= 0 && retries > maximumRetryAttempts) {
        await this.#discard(
          run,
          pending,
          "RetryAttemptsExhausted",
          invocations,
          outcome.kind === "function-error",
        );
        return;
      }
      try {
        await this.#sleep(this.#retryDelayMs(retries));
      } catch {
        return;
      }
    }
  }

  /** Sends records older than the maximum age to the failure queue; returns the rest. */
  async #discardExpired(run: ShardRun, records: _Record[], invocations: number): Promise<_Record[]> {
    const maxAgeS = this.#settings.maximumRecordAgeInSeconds;
    if (maxAgeS < 0) return records;
    const now = this.#now();
    const live = records.findIndex((record) => {
      const created = record.dynamodb?.ApproximateCreationDateTime?.getTime();
      return created === undefined || now - created <= maxAgeS * 1000;
    });
    const expired = live === -1 ? records.length : live;
    if (expired === 0) return records;
    await this.#discard(run, records.slice(0, expired), "RecordAgeExceeded", invocations, false);
    return records.slice(expired);
  }

  async #discard(
    run: ShardRun,
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
        functionArn: this.#functionArn,
        condition,
        approximateInvokeCount: invocations,
      },
      responseContext: {
        statusCode: 200,
        executedVersion: "$LATEST",
        ...(functionError && { functionError: "Unhandled" as const }),
      },
      version: "1.0",
      timestamp: new Date(this.#now()).toISOString(),
      DDBStreamBatchInfo: {
        shardId: run.shardId,
        startSequenceNumber: first?.SequenceNumber ?? "",
        endSequenceNumber: last?.SequenceNumber ?? "",
        approximateArrivalOfFirstRecord: isoSeconds(first?.ApproximateCreationDateTime),
        approximateArrivalOfLastRecord: isoSeconds(last?.ApproximateCreationDateTime),
        batchSize: records.length,
        streamArn: this.#streamArn,
      },
    };
    await this.#failures.send(record);
    this.#stats.recordsDiscarded += records.length;
    this.#log(
      `[outbox] ${records.length} record(s) of shard ${run.shardId} sent to the failure queue (${condition}): ` +
        `${record.DDBStreamBatchInfo.startSequenceNumber}…${record.DDBStreamBatchInfo.endSequenceNumber}`,
    );
    this.#checkpoint(run, records.at(-1));
  }

  async #invokeOnce(records: _Record[]): Promise<InvokeOutcome> {
    this.#stats.invocations += 1;
    const event: DynamoDBStreamEvent = {
      Records: records.map((record) => toLambdaRecord(record, this.#streamArn)),
    };
    let response: unknown;
    try {
      response = await this.#invoke(event);
    } catch (error) {
      return { kind: "function-error", error };
    }
    if (!this.#settings.functionResponseTypes.includes("ReportBatchItemFailures")) return { kind: "success" };
    return readBatchResponse(response, records);
  }

  /** Waits, or rejects at once when the source stops. */
  #sleep(ms: number): Promise<void> {
    const signal = this.#stopping.signal;
    return new Promise((resolve, reject) => {
      if (signal.aborted) return reject(signal.reason);
      const timer = setTimeout(() => {
        signal.removeEventListener("abort", onAbort);
        resolve();
      }, ms);
      const onAbort = (): void => {
        clearTimeout(timer);
        reject(signal.reason);
      };
      signal.addEventListener("abort", onAbort, { once: true });
    });
  }
}

/**
 * What a `ReportBatchItemFailures` answer means. Success: no answer, no list, an empty
 * list. Retry from the lowest failed sequence number. A list item without a usable
 * `itemIdentifier` (empty, null, misnamed, not in the batch) fails the whole batch.
 */
export const readBatchResponse = (response: unknown, records: readonly _Record[]): InvokeOutcome => {
  if (response === undefined || response === null || typeof response !== "object") return { kind: "success" };
  const failures = (response as { batchItemFailures?: unknown }).batchItemFailures;
  if (failures === undefined || failures === null) return { kind: "success" };
  if (!Array.isArray(failures))
    return { kind: "invalid-response", reason: "batchItemFailures is not a list" };
  if (failures.length === 0) return { kind: "success" };
  const sequence = records.map((record) => record.dynamodb?.SequenceNumber);
  let lowest: number | undefined;
  for (const failure of failures) {
    const id = (failure as { itemIdentifier?: unknown } | null)?.itemIdentifier;
    if (typeof id !== "string" || id === "") {
      return { kind: "invalid-response", reason: "an itemIdentifier is empty or missing" };
    }
    const index = sequence.indexOf(id);
    if (index === -1) return { kind: "invalid-response", reason: `itemIdentifier ${id} is not in the batch` };
    lowest = lowest === undefined ? index : Math.min(lowest, index);
  }
  return { kind: "partial", fromIndex: lowest ?? 0 };
};

export interface StartStreamSourceOptions
  extends Omit<DynamoStreamSourceOptions, "client" | "streamArn" | "checkpoints" | "failures"> {
  /** DynamoDB Local. */
  endpoint: string;
  tableName: string;
  /** Checkpoint and failure queue files go to `<stateDir>/outbox/`; without it they are kept in memory. */
  stateDir?: string;
}

export interface RunningStreamSource {
  source: DynamoStreamSource;
  failureQueue: LocalFailureQueue;
  stop(graceMs?: number): Promise<void>;
}

/**
 * Finds the table's stream on DynamoDB Local and starts reading it.
 *
 * @throws Error when the table has no stream
 */
export const startDynamoStreamSource = async (
  options: StartStreamSourceOptions,
): Promise<RunningStreamSource> => {
  const { endpoint, tableName, stateDir, ...rest } = options;
  const aws = {
    endpoint,
    region: "us-east-1",
    credentials: { accessKeyId: "local", secretAccessKey: "local" },
  };
  const dynamo = new DynamoDBClient(aws);
  let streamArn: string | undefined;
  try {
    const { Table } = await dynamo.send(new DescribeTableCommand({ TableName: tableName }));
    streamArn = Table?.LatestStreamArn;
  } finally {
    dynamo.destroy();
  }
  if (!streamArn) throw new Error(`Table ${tableName} has no stream: the outbox relay needs one`);
  const client = new DynamoDBStreamsClient({ ...aws, maxAttempts: 2 });
  const failureQueue = new LocalFailureQueue(
    stateDir === undefined ? undefined : `${stateDir}/outbox/relay-failures.ndjson`,
  );
  const source = new DynamoStreamSource({
    ...rest,
    client,
    streamArn,
    checkpoints:
      stateDir === undefined
        ? new MemoryCheckpointStore()
        : new FileCheckpointStore(`${stateDir}/outbox/checkpoint.json`),
    failures: failureQueue,
  });
  source.start();
  return {
    source,
    failureQueue,
    stop: async (graceMs) => {
      await source.stop(graceMs);
      client.destroy();
    },
  };
};
