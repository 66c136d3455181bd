/**
 * The settings of the local DynamoDB stream mapping (local/stack/dynamo-stream-source.ts), as
 * Lambda names them, and the waits Lambda does not document, chosen here.
 */

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

/** Lambda does not document its pause between retries: 0.5 s doubling to 10 s here. */
export const defaultRetryDelay = (retry: number): number => Math.min(10_000, 500 * 2 ** (retry - 1));

/** Lambda polls each shard four times a second. */
export const DEFAULT_POLL_INTERVAL_MS = 250;
