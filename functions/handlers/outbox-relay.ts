/**
 * DynamoDB Streams entry point of the outbox relay (the audit table's stream, through a
 * Lambda event source mapping with `ReportBatchItemFailures`): publishes the outcome event
 * each committed announcing audit record carries. Records are handled in order (Powertools
 * batch, sequential; up to 10 events of distinct targets share a PutEvents call); the failed
 * ones and everything after them come back as `batchItemFailures`, and the mapping retries
 * from the first of them. A whole batch that
 * failed is reported the same way rather than thrown: a throw (a crash, a timeout) is kept
 * for what bisecting can isolate.
 */
import { BatchProcessor, EventType, processPartialResponse } from "@aws-lambda-powertools/batch";
import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import middy from "@middy/core";
import type { Context, DynamoDBBatchResponse, DynamoDBStreamEvent } from "aws-lambda";
import { getLogger } from "#wiring/observability.ts";
import { getRelayContainer } from "#wiring/relay-container.ts";
import { NO_EARLY_TIMEOUT } from "./lambda-deadline.ts";

const logger = getLogger();

/** Time kept back for the attempt in flight and the answer: a quarter of the invocation, at most 10 s. */
const STOP_MARGIN_MS = 10_000;

/** Epoch ms after which the relay starts no publish attempt and ends no wait. */
export const relayDeadlineOf = (
  context: Pick<Context, "getRemainingTimeInMillis">,
  nowMs = Date.now(),
): number => {
  const remaining = context.getRemainingTimeInMillis();
  return nowMs + Math.max(0, remaining - Math.min(STOP_MARGIN_MS, remaining / 4));
};

const relayBatch = async (event: DynamoDBStreamEvent, context: Context): Promise<DynamoDBBatchResponse> => {
  const { relay } = getRelayContainer();
  // One processor per invocation: its state is per batch, and the local stack may run
  // batches of several shards in one process.
  const processor = new BatchProcessor(EventType.DynamoDBStreams, { logger });
  const response = await processPartialResponse(
    event,
    relay.batchHandler(event.Records, relayDeadlineOf(context)),
    processor,
    { context, processInParallel: false, throwOnFullBatchFailure: false },
  );
  if (response.batchItemFailures.length > 0) {
    logger.warn("outbox batch partly failed; the stream delivers it again from the first failure", {
      records: event.Records.length,
      failed: response.batchItemFailures.length,
      firstFailed: response.batchItemFailures[0]?.itemIdentifier,
      errors: processor.errors.map((error) => `${error.name}: ${error.message}`).slice(0, 3),
    });
  }
  return response;
};

export const handler = middy<DynamoDBStreamEvent, DynamoDBBatchResponse>(NO_EARLY_TIMEOUT)
  .use(injectLambdaContext(logger))
  .handler(relayBatch);
