/**
 * Starts the local DynamoDB stream mapping (local/stack/dynamo-stream-source.ts) on a table of
 * DynamoDB Local: finds the table's stream, and keeps the checkpoint and the failure queue
 * under the stack's state directory (`<stateDir>/outbox/`) or in memory. Used by `npm start`,
 * the outbox tests and the bench.
 */
import { DescribeTableCommand, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBStreamsClient } from "@aws-sdk/client-dynamodb-streams";
import { DynamoStreamSource, type DynamoStreamSourceOptions } from "./dynamo-stream-source.ts";
import { FileCheckpointStore, MemoryCheckpointStore } from "./stream-checkpoints.ts";
import { LocalFailureQueue } from "./stream-failure-queue.ts";

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
