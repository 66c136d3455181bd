/**
 * The bus function: consumes the `Cancel Requested` work queue (SQS, through a Lambda event
 * source mapping with `ReportBatchItemFailures`). Each message body is the EventBridge event
 * the rule delivered (detail schema: docs/events.md).
 *
 * Per message (bus/bus-verdict.ts): a final outcome or a rejection is done; a rate limit (or
 * the same request still running elsewhere) puts a delayed copy back on the queue and is
 * done, so rate limits never bring a request closer to the dead-letter queue; any other
 * operational failure is a batch item failure: the message returns after its visibility
 * timeout and is dead-lettered after the queue's maxReceiveCount receives. Idempotency keys
 * make every redelivery safe.
 *
 * Records are processed one after another: each one's logs then carry its own correlation id.
 */
import { BatchProcessor, EventType, processPartialResponse } from "@aws-lambda-powertools/batch";
import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import middy from "@middy/core";
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from "aws-lambda";
import { getBusWiring } from "#wiring/bus-wiring.ts";
import { getLogger } from "#wiring/observability.ts";
import { processMessage } from "./bus/process-message.ts";
import { NO_EARLY_TIMEOUT } from "./lambda-deadline.ts";

const logger = getLogger();

const handleBatch = async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> => {
  const wiring = getBusWiring();
  // One processor per invocation: its state (records, failures) is the invocation's. A module-level
  // one is shared by invocations that run at once in one process (the reliability tests, Lambda
  // managed instances) and mixes their batches.
  const processor = new BatchProcessor(EventType.SQS);
  let started = 0;
  const handleRecord = (record: SQSRecord, recordContext: Context) =>
    processMessage(wiring, record, recordContext, { firstOfBatch: started++ === 0 });
  return processPartialResponse(event, handleRecord, processor, { context, processInParallel: false });
};

export const handler = middy<SQSEvent, SQSBatchResponse>(NO_EARLY_TIMEOUT)
  .use(injectLambdaContext(logger))
  .handler(handleBatch);
