/**
 * The local event source mapping (local/stack/dynamo-stream-source.ts) against DynamoDB
 * Local's real stream: the event shape, partial batch responses, bisecting, retries
 * exhausted and records too old going to the failure queue, and the checkpoint a stopped
 * or killed mapping resumes from. Each test has its own table, so its own stream.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { DescribeTableCommand, type DynamoDBClient, PutItemCommand } from "@aws-sdk/client-dynamodb";
import { DynamoDBStreamsClient } from "@aws-sdk/client-dynamodb-streams";
import type { DynamoDBRecord, DynamoDBStreamEvent } from "aws-lambda";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, inject, it } from "vitest";
import { DynamoStreamSource, type DynamoStreamSourceOptions } from "#local/stack/dynamo-stream-source.ts";
import { FileCheckpointStore } from "#local/stack/stream-checkpoints.ts";
import { LocalFailureQueue } from "#local/stack/stream-failure-queue.ts";
import type { StreamMappingSettings } from "#local/stack/stream-mapping-settings.ts";
import { createLocalDynamoClient, createTestTables, type TestTables } from "#test/support/dynamo-tables.ts";

const SETTINGS: StreamMappingSettings = {
  startingPosition: "TRIM_HORIZON",
  batchSize: 100,
  maximumBatchingWindowInSeconds: 0,
  functionResponseTypes: ["ReportBatchItemFailures"],
  bisectBatchOnFunctionError: true,
  maximumRetryAttempts: 2,
  maximumRecordAgeInSeconds: -1,
};

let dynamo: DynamoDBClient;
let streams: DynamoDBStreamsClient;
let tables: TestTables;
let streamArn: string;
let stateDir: string;
const sources: DynamoStreamSource[] = [];

beforeAll(() => {
  const endpoint = inject("dynamoEndpoint");
  dynamo = createLocalDynamoClient(endpoint);
  streams = new DynamoDBStreamsClient({
    endpoint,
    region: "us-east-1",
    credentials: { accessKeyId: "local", secretAccessKey: "local" },
  });
});

afterAll(() => {
  dynamo?.destroy();
  streams?.destroy();
});

beforeEach(async () => {
  tables = await createTestTables(dynamo, "stream-source");
  const { Table } = await dynamo.send(new DescribeTableCommand({ TableName: tables.auditTable }));
  streamArn = Table?.LatestStreamArn ?? "";
  stateDir = await mkdtemp(path.join(tmpdir(), "stream-source-"));
});

afterEach(async () => {
  await Promise.all(sources.splice(0).map((source) => source.stop(100)));
  await tables?.drop();
  await rm(stateDir, { recursive: true, force: true });
});

/** Items `n` (zero-padded) in order; each carries a number and some bytes. */
const putItems = async (from: number, count: number): Promise<void> => {
  for (let n = from; n < from + count; n += 1) {
    await dynamo.send(
      new PutItemCommand({
        TableName: tables.auditTable,
        Item: {
          pk: { S: "T" },
          sk: { S: String(n).padStart(4, "0") },
          n: { N: String(n) },
          bytes: { B: new Uint8Array([n % 256, 1, 2]) },
        },
      }),
    );
  }
};

const itemOf = (record: DynamoDBRecord): string => record.dynamodb?.NewImage?.sk?.S ?? "?";
const item = (n: number): string => String(n).padStart(4, "0");
const items = (from: number, count: number): string[] =>
  Array.from({ length: count }, (_, i) => item(from + i));

type Invoke = DynamoStreamSourceOptions["invoke"];

const startSource = (
  invoke: Invoke,
  options: Partial<Omit<DynamoStreamSourceOptions, "settings">> & {
    settings?: Partial<StreamMappingSettings>;
  } = {},
): { source: DynamoStreamSource; failures: LocalFailureQueue } => {
  const failures = new LocalFailureQueue();
  const source = new DynamoStreamSource({
    client: streams,
    streamArn,
    failures,
    pollIntervalMs: 20,
    discoveryIntervalMs: 100,
    retryDelayMs: () => 10,
    ...options,
    invoke,
    settings: { ...SETTINGS, ...options.settings },
  });
  sources.push(source);
  source.start();
  return { source, failures };
};

/** An invoke that records each batch (item names) and answers with `answer`. */
const recorder = (answer: (batch: string[], call: number) => unknown = () => undefined) => {
  const batches: string[][] = [];
  /** Sequence number of each item delivered. */
  const sequenceOf = new Map<string, string>();
  const invoke: Invoke = async (event: DynamoDBStreamEvent) => {
    const batch = event.Records.map(itemOf);
    for (const record of event.Records) sequenceOf.set(itemOf(record), record.dynamodb?.SequenceNumber ?? "");
    batches.push(batch);
    const result = answer(batch, batches.length);
    if (result instanceof Error) throw result;
    return result;
  };
  return { batches, sequenceOf, invoke };
};

/** `batchItemFailures` naming the records of `batch` (by item) that `failed` picks. */
const failuresOf = (event: DynamoDBStreamEvent, failed: (item: string) => boolean) => ({
  batchItemFailures: event.Records.filter((r) => failed(itemOf(r))).map((r) => ({
    itemIdentifier: r.dynamodb?.SequenceNumber ?? "",
  })),
});

describe("DynamoStreamSource (the local event source mapping)", () => {
  it("delivers the stream's INSERTs in order, in batches of at most batchSize, shaped as Lambda sends them", async () => {
    // Prepare
    await putItems(1, 7);
    const events: DynamoDBStreamEvent[] = [];

    // Act
    const { source } = startSource(
      async (event) => {
        events.push(event);
      },
      { settings: { batchSize: 3 } },
    );
    await source.waitUntilIdle();

    // Assess
    const records = events.flatMap((event) => event.Records);
    expect(records.map(itemOf)).toEqual(items(1, 7));
    expect(events.every((event) => event.Records.length <= 3)).toBe(true);
    const sequence = records.map((r) => BigInt(r.dynamodb?.SequenceNumber ?? "0"));
    expect(sequence).toEqual([...sequence].sort((a, b) => (a < b ? -1 : 1)));
    const first = records[0];
    expect(first).toMatchObject({
      eventName: "INSERT",
      eventSource: "aws:dynamodb",
      eventVersion: "1.1",
      eventSourceARN: streamArn,
      dynamodb: {
        Keys: { pk: { S: "T" }, sk: { S: "0001" } },
        NewImage: { pk: { S: "T" }, sk: { S: "0001" }, n: { N: "1" }, bytes: { B: "AQEC" } },
        StreamViewType: "NEW_IMAGE",
      },
    });
    expect(typeof first?.eventID).toBe("string");
    expect(Number.isInteger(first?.dynamodb?.ApproximateCreationDateTime)).toBe(true);
    expect(Math.abs((first?.dynamodb?.ApproximateCreationDateTime ?? 0) - Date.now() / 1000)).toBeLessThan(
      120,
    );
    expect(source.status().stats).toMatchObject({
      recordsDelivered: 7,
      functionErrors: 0,
      partialFailures: 0,
    });
  });

  it("retries a partially failed batch from its lowest failed sequence number, not before", async () => {
    // Prepare: items 3 and 5 fail once.
    await putItems(1, 6);
    const failedOnce = new Set<string>();
    const batches: string[][] = [];

    // Act
    const { source, failures } = startSource(async (event) => {
      batches.push(event.Records.map(itemOf));
      return failuresOf(event, (name) => {
        if (!["0003", "0005"].includes(name) || failedOnce.has(name)) return false;
        failedOnce.add(name);
        return true;
      });
    });
    await source.waitUntilIdle();

    // Assess
    expect(batches).toEqual([items(1, 6), items(3, 4)]);
    expect(failures.messages()).toEqual([]);
    expect(source.status().stats).toMatchObject({ partialFailures: 1, recordsDelivered: 6 });
  });

  it("fails the whole batch on an itemIdentifier that is empty or not in the batch", async () => {
    // Prepare
    await putItems(1, 3);
    const { batches, invoke } = recorder((_, call) =>
      call === 1
        ? { batchItemFailures: [{ itemIdentifier: "" }] }
        : call === 2
          ? { batchItemFailures: [{ itemIdentifier: "999999999999999999999" }] }
          : undefined,
    );

    // Act
    const { source } = startSource(invoke);
    await source.waitUntilIdle();

    // Assess
    expect(batches).toEqual([items(1, 3), items(1, 3), items(1, 3)]);
  });

  it("bisects a batch the function fails on, isolates the record that makes it fail, and sends it to the failure queue after its retries", async () => {
    // Prepare: the function throws on any batch holding item 3.
    await putItems(1, 4);
    const { batches, sequenceOf, invoke } = recorder((batch) =>
      batch.includes("0003") ? new Error("poisoned by 0003") : undefined,
    );

    // Act
    const { source, failures } = startSource(invoke);
    await source.waitUntilIdle();

    // Assess: [1-4] ✗ → [1,2] ✓, [3,4] ✗ → [3] ✗ ✗ ✗ (2 retries) → failure queue, [4] ✓
    expect(batches).toEqual([items(1, 4), items(1, 2), items(3, 2), ["0003"], ["0003"], ["0003"], ["0004"]]);
    const messages = failures.messages();
    expect(messages).toHaveLength(1);
    const poison = sequenceOf.get("0003");
    expect(poison).toMatch(/^\d+$/);
    expect(messages[0]).toMatchObject({
      requestContext: { condition: "RetryAttemptsExhausted", approximateInvokeCount: 3 },
      responseContext: { statusCode: 200, functionError: "Unhandled" },
      version: "1.0",
      DDBStreamBatchInfo: { batchSize: 1, startSequenceNumber: poison, endSequenceNumber: poison, streamArn },
    });
    expect(source.status().stats).toMatchObject({ bisections: 2, recordsDelivered: 3, recordsDiscarded: 1 });
  });

  it("after its retries, sends the records still reported failed to the failure queue and reads on", async () => {
    // Prepare: item 2 always fails.
    await putItems(1, 4);
    const delivered: string[][] = [];
    const sequenceOf = new Map<string, string>();

    // Act
    const { source, failures } = startSource(async (event) => {
      delivered.push(event.Records.map(itemOf));
      for (const r of event.Records) sequenceOf.set(itemOf(r), r.dynamodb?.SequenceNumber ?? "");
      return failuresOf(event, (name) => name === "0002");
    });
    await source.waitUntilIdle();
    await putItems(5, 1);
    await source.waitUntilIdle();

    // Assess: 1 + 2 retries, each from item 2; then the suffix [2..4] is discarded as one.
    expect(delivered).toEqual([items(1, 4), items(2, 3), items(2, 3), ["0005"]]);
    const messages = failures.messages();
    expect(messages).toHaveLength(1);
    expect(messages[0]?.requestContext).toMatchObject({
      condition: "RetryAttemptsExhausted",
      approximateInvokeCount: 3,
    });
    expect(messages[0]?.responseContext.functionError).toBeUndefined();
    expect(messages[0]?.DDBStreamBatchInfo).toMatchObject({
      batchSize: 3,
      startSequenceNumber: sequenceOf.get("0002"),
      endSequenceNumber: sequenceOf.get("0004"),
    });
  });

  it("sends records older than maximumRecordAgeInSeconds to the failure queue without invoking", async () => {
    // Prepare: the mapping's clock is two hours ahead.
    await putItems(1, 2);
    const { batches, invoke } = recorder();

    // Act
    const { source, failures } = startSource(invoke, {
      settings: { maximumRecordAgeInSeconds: 3_600 },
      now: () => Date.now() + 2 * 3_600_000,
    });
    await source.waitUntilIdle();

    // Assess
    expect(batches).toEqual([]);
    expect(
      failures.messages().map((m) => [m.requestContext.condition, m.DDBStreamBatchInfo.batchSize]),
    ).toEqual([["RecordAgeExceeded", 2]]);
  });

  it("gathers records for up to maximumBatchingWindowInSeconds before invoking", async () => {
    // Prepare
    const { batches, invoke } = recorder();
    const { source } = startSource(invoke, { settings: { maximumBatchingWindowInSeconds: 2 } });
    await source.waitUntilIdle();

    // Act: three writes well within the window.
    await putItems(1, 1);
    await new Promise((resolve) => setTimeout(resolve, 150));
    await putItems(2, 2);
    await source.waitUntilIdle(10_000);

    // Assess
    expect(batches).toEqual([items(1, 3)]);
  });

  it("resumes after its checkpoint when started again, and delivers again a batch cut short by a kill", async () => {
    // Prepare
    const checkpoints = path.join(stateDir, "checkpoint.json");
    await putItems(1, 3);
    const first = recorder();
    const a = startSource(first.invoke, { checkpoints: new FileCheckpointStore(checkpoints) });
    await a.source.waitUntilIdle();
    await a.source.stop();

    // Act 1: a new mapping on the same checkpoint sees only what is new.
    await putItems(4, 2);
    let release: () => void = () => {};
    const hung: string[][] = [];
    const b = startSource(
      async (event) => {
        hung.push(event.Records.map(itemOf));
        await new Promise<void>((resolve) => {
          release = resolve;
        });
      },
      { checkpoints: new FileCheckpointStore(checkpoints) },
    );
    for (let poll = 0; poll < 200 && hung.length === 0; poll += 1) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    // Killed mid-batch: abandoned without an answer.
    await b.source.stop(50);
    release();
    const third = recorder();
    const c = startSource(third.invoke, { checkpoints: new FileCheckpointStore(checkpoints) });
    await c.source.waitUntilIdle();

    // Assess
    expect(first.batches.flat()).toEqual(items(1, 3));
    expect(hung).toEqual([items(4, 2)]);
    expect(third.batches.flat()).toEqual(items(4, 2));
  });
});
