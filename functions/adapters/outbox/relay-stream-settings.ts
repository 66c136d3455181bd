/**
 * How the audit table's stream feeds the outbox relay: the Lambda event source mapping's
 * settings (named as `aws.lambda.EventSourceMapping` takes them) and the relay function's
 * size. One source for the deployed mapping (infra/outbox.ts), the local emulation of it
 * (local/stack/dynamo-stream-source.ts) and the infra check. Why these values:
 * docs/decisions/0002-outbox-relay.md.
 */
export const OUTBOX_STREAM_MAPPING = {
  /**
   * Where a new mapping starts: the oldest record the stream still holds (24 h), so a
   * mapping created after the stream, or re-created, publishes again (duplicates, which
   * consumers drop by `eventId`) rather than skipping what was committed meanwhile.
   */
  startingPosition: "TRIM_HORIZON",
  /** Records per invocation; each announcing one is one PutEvents call. */
  batchSize: 100,
  /** Invoke as soon as records are there: lag matters more than invocation count here. */
  maximumBatchingWindowInSeconds: 0,
  /** The relay reports the first failed record and those after it; the mapping retries from there. */
  functionResponseTypes: ["ReportBatchItemFailures"],
  /** A crash or timeout (not a reported failure) splits the batch, isolating the record that causes it. */
  bisectBatchOnFunctionError: true,
  /**
   * Each retry follows an invocation that kept trying the bus for up to ~50 s, so 20 ride
   * out a bus outage of about a quarter of an hour; an unreadable record (a bug) reaches the
   * failure queue after 20 quick ones.
   */
  maximumRetryAttempts: 20,
  /** Older than an hour: to the failure queue, leaving 23 h of the stream's 24 h to replay it. */
  maximumRecordAgeInSeconds: 3_600,
} as const;

/** The relay function: small, and long enough to wait out a short bus outage within one invocation. */
export const OUTBOX_RELAY_FUNCTION = { memoryMb: 256, timeoutSeconds: 60 } as const;
