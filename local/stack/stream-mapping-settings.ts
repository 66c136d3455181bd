/**
 * The settings of the local DynamoDB stream mapping (local/stack/dynamo-stream-source.ts), the
 * manifest's own, and the waits Lambda does not document, chosen here.
 */

/**
 * The stream settings of a Lambda event source mapping, as the function manifest declares them
 * for `aws.lambda.EventSourceMapping` (`maximumRetryAttempts` and `maximumRecordAgeInSeconds`
 * -1: until the records expire).
 */
export type { StreamMappingSettings } from "#manifest/manifest-types.ts";

/** Lambda does not document its pause between retries: 0.5 s doubling to 10 s here. */
export const defaultRetryDelay = (retry: number): number => Math.min(10_000, 500 * 2 ** (retry - 1));

/** Lambda polls each shard four times a second. */
export const DEFAULT_POLL_INTERVAL_MS = 250;
