/**
 * Which shards of a DynamoDB stream the local mapping (local/stack/dynamo-stream-source.ts)
 * reads, and when: the stream's shards as DescribeStream lists them, each new one tracked with
 * its starting position (a new mapping at LATEST skips what is already there), and a child
 * shard read only once its parent is finished. One shard's reading loop is stream-shard-reader.ts.
 */
import {
  DescribeStreamCommand,
  type DynamoDBStreamsClient,
  type Shard,
} from "@aws-sdk/client-dynamodb-streams";
import type { StreamCheckpoint } from "./stream-checkpoints.ts";
import type { ShardRun } from "./stream-shard-reader.ts";

/** Every shard of the stream, all pages of DescribeStream. */
export const listShards = async (
  client: DynamoDBStreamsClient,
  streamArn: string,
  signal: AbortSignal,
): Promise<Shard[]> => {
  const shards: Shard[] = [];
  let start: string | undefined;
  do {
    const page = await client.send(
      new DescribeStreamCommand({ StreamArn: streamArn, ExclusiveStartShardId: start }),
      { abortSignal: signal },
    );
    shards.push(...(page.StreamDescription?.Shards ?? []));
    start = page.StreamDescription?.LastEvaluatedShardId;
  } while (start !== undefined);
  return shards;
};

/**
 * Adds the listed shards not tracked yet to `runs`, and to `state` (a shard finished before
 * stays finished). `latest`: a new mapping's first listing at LATEST.
 */
export const trackNewShards = (
  shards: readonly Shard[],
  runs: Map<string, ShardRun>,
  state: StreamCheckpoint,
  latest: boolean,
): void => {
  for (const shard of shards) {
    const shardId = shard.ShardId;
    if (shardId === undefined || runs.has(shardId)) continue;
    const kept = state.shards[shardId];
    const closed = shard.SequenceNumberRange?.EndingSequenceNumber !== undefined;
    // A new mapping at LATEST skips what is already there: closed shards entirely.
    const finished = kept?.finished === true || (latest && closed && kept === undefined);
    runs.set(shardId, {
      shardId,
      parentShardId: shard.ParentShardId,
      status: finished ? "finished" : "waiting",
      latest: latest && !closed && kept === undefined,
      emptyPolls: 0,
      inFlight: false,
      buffered: 0,
    });
    state.shards[shardId] ??= finished ? { finished: true } : {};
  }
};

/** The waiting shards that may be read now: their parent is finished, or no longer listed. */
export const shardsReadyToRead = (runs: ReadonlyMap<string, ShardRun>): ShardRun[] =>
  [...runs.values()].filter((run) => {
    if (run.status !== "waiting") return false;
    const parent = run.parentShardId === undefined ? undefined : runs.get(run.parentShardId);
    // A parent no longer listed was trimmed: nothing of it is left to read first.
    return parent === undefined || parent.status === "finished";
  });
