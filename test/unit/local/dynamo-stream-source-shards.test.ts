/**
 * Shard lineage and starting positions of the local event source mapping, on a scripted
 * stream (DynamoDB Local rarely closes a shard, so parents and children are staged here).
 */
import {
  type _Record,
  DescribeStreamCommand,
  DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type Shard,
} from "@aws-sdk/client-dynamodb-streams";
import type { DynamoDBStreamEvent } from "aws-lambda";
import { mockClient } from "aws-sdk-client-mock";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { DynamoStreamSource } from "#local/stack/dynamo-stream-source.ts";
import { MemoryCheckpointStore } from "#local/stack/stream-checkpoints.ts";
import type { StreamMappingSettings } from "#local/stack/stream-mapping-settings.ts";

const STREAM = "arn:aws:dynamodb:us-east-1:000000000000:table/t/stream/2026-01-01T00:00:00.000";
const SETTINGS: StreamMappingSettings = {
  startingPosition: "TRIM_HORIZON",
  batchSize: 10,
  maximumBatchingWindowInSeconds: 0,
  functionResponseTypes: ["ReportBatchItemFailures"],
  bisectBatchOnFunctionError: true,
  maximumRetryAttempts: 2,
  maximumRecordAgeInSeconds: -1,
};

const client = new DynamoDBStreamsClient({
  region: "us-east-1",
  credentials: { accessKeyId: "t", secretAccessKey: "t" },
});
const streams = mockClient(client);

const record = (sequence: number): _Record => ({
  eventID: `e${sequence}`,
  eventName: "INSERT",
  eventVersion: "1.1",
  eventSource: "aws:dynamodb",
  awsRegion: "us-east-1",
  dynamodb: {
    ApproximateCreationDateTime: new Date(),
    Keys: { pk: { S: `k${sequence}` } },
    NewImage: { pk: { S: `k${sequence}` } },
    SequenceNumber: String(sequence).padStart(21, "0"),
    SizeBytes: 10,
    StreamViewType: "NEW_IMAGE",
  },
});

/**
 * A scripted stream: each shard's pages, the last page of a closed shard without a next
 * iterator. Every call is logged in order.
 */
const script = (shards: Shard[], pages: Record<string, _Record[][]>, closed: Set<string>) => {
  const calls: string[] = [];
  streams.on(DescribeStreamCommand).resolves({ StreamDescription: { StreamArn: STREAM, Shards: shards } });
  streams.on(GetShardIteratorCommand).callsFake((input) => {
    calls.push(`iterator ${input.ShardId} ${input.ShardIteratorType} ${input.SequenceNumber ?? ""}`.trim());
    return { ShardIterator: `${input.ShardId}#0` };
  });
  streams.on(GetRecordsCommand).callsFake((input) => {
    const [shardId = "", at = "0"] = String(input.ShardIterator).split("#");
    const index = Number(at);
    const list = pages[shardId] ?? [];
    calls.push(`records ${shardId} ${index}`);
    const last = index >= list.length - 1;
    return {
      Records: list[index] ?? [],
      ...(last && closed.has(shardId)
        ? {}
        : { NextShardIterator: `${shardId}#${Math.min(index + 1, list.length)}` }),
    };
  });
  return calls;
};

describe("DynamoStreamSource shards", () => {
  let source: DynamoStreamSource | undefined;
  let delivered: string[];
  const invoke = async (event: DynamoDBStreamEvent) => {
    delivered.push(...event.Records.map((r) => String(Number(r.dynamodb?.SequenceNumber))));
  };
  const start = (options: {
    settings?: Partial<StreamMappingSettings>;
    checkpoints?: MemoryCheckpointStore;
  }) => {
    source = new DynamoStreamSource({
      client,
      streamArn: STREAM,
      invoke,
      settings: { ...SETTINGS, ...options.settings },
      ...(options.checkpoints ? { checkpoints: options.checkpoints } : {}),
      pollIntervalMs: 5,
      discoveryIntervalMs: 20,
    });
    source.start();
    return source;
  };

  beforeEach(() => {
    streams.reset();
    delivered = [];
  });
  afterEach(async () => {
    await source?.stop(50);
  });

  it("reads a child shard only after its parent is read to its end", async () => {
    // Prepare: the child is listed first; the parent is closed.
    const calls = script(
      [
        { ShardId: "child", ParentShardId: "parent", SequenceNumberRange: { StartingSequenceNumber: "3" } },
        {
          ShardId: "parent",
          SequenceNumberRange: { StartingSequenceNumber: "1", EndingSequenceNumber: "2" },
        },
      ],
      { parent: [[record(1)], [record(2)], []], child: [[record(3)], []] },
      new Set(["parent"]),
    );

    // Act
    await start({}).waitUntilIdle(5_000);

    // Assess
    expect(delivered).toEqual(["1", "2", "3"]);
    const parentDone = calls.lastIndexOf("records parent 2");
    const childStart = calls.indexOf("iterator child TRIM_HORIZON");
    expect(parentDone).toBeGreaterThan(-1);
    expect(childStart).toBeGreaterThan(parentDone);
    expect(source?.status().shards.find((s) => s.shardId === "parent")?.status).toBe("finished");
  });

  it("a new mapping at LATEST skips closed shards and starts open ones at their newest record", async () => {
    // Prepare
    const calls = script(
      [
        { ShardId: "old", SequenceNumberRange: { StartingSequenceNumber: "1", EndingSequenceNumber: "2" } },
        { ShardId: "open", ParentShardId: "old", SequenceNumberRange: { StartingSequenceNumber: "3" } },
      ],
      { old: [[record(1), record(2)]], open: [[]] },
      new Set(["old"]),
    );

    // Act
    await start({ settings: { startingPosition: "LATEST" } }).waitUntilIdle(5_000);

    // Assess
    expect(calls.filter((call) => call.startsWith("iterator"))).toEqual(["iterator open LATEST"]);
    expect(delivered).toEqual([]);
  });

  it("a mapping with a checkpoint resumes after it, whatever its starting position", async () => {
    // Prepare
    const checkpoints = new MemoryCheckpointStore();
    checkpoints.save({ streamArn: STREAM, shards: { s1: { sequenceNumber: "000000000000000000005" } } });
    const calls = script(
      [{ ShardId: "s1", SequenceNumberRange: { StartingSequenceNumber: "1" } }],
      { s1: [[]] },
      new Set(),
    );

    // Act
    await start({ settings: { startingPosition: "LATEST" }, checkpoints }).waitUntilIdle(5_000);

    // Assess
    expect(calls.filter((call) => call.startsWith("iterator"))).toEqual([
      "iterator s1 AFTER_SEQUENCE_NUMBER 000000000000000000005",
    ]);
  });
});
