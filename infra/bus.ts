import { CANCEL_REQUESTED_CONSUMER } from "../functions/adapters/queue/cancel-requested-queue.ts";
import { tablePermissions } from "./permissions.ts";
import { allowRuleToSend, deadLetterQueue, workQueue } from "./queues.ts";
import { type Secrets, upstreamSecretLinks } from "./secrets.ts";
import { commonEnvironment, lambdaDefaults } from "./settings.ts";
import type { Storage } from "./storage.ts";

/** The detail-type other services put on the bus to ask for a cancel. */
export const CANCEL_REQUESTED = "Cancel Requested";

/**
 * The event bus, and the `Cancel Requested` work: the rule delivers each event to an SQS work
 * queue, and an event source mapping drains it into the bus function at a bounded concurrency
 * (docs/decisions/0004-bus-buffering.md). Failure handling has two layers:
 * - delivery: the rule target's retry policy, then its own dead-letter queue (`deliveryDlq`);
 * - processing: a message that fails is returned after the visibility timeout and moved to
 *   `failures` after `maxReceiveCount` receives. Rate-limited requests never fail: the
 *   function puts a delayed copy back on the queue instead.
 */
export function createBus(deps: { storage: Storage; secrets: Secrets }) {
  const { storage, secrets } = deps;
  const consumer = CANCEL_REQUESTED_CONSUMER;
  const bus = new sst.aws.Bus("CancellationBus");

  const deliveryDlq = deadLetterQueue("CancelRequestedDlq");
  const failures = deadLetterQueue("CancelRequestedFailures");
  const queue = workQueue("CancelRequestedQueue", {
    visibilityTimeoutSeconds: consumer.visibilityTimeoutSeconds,
    deadLetter: { arn: failures.arn, maxReceiveCount: consumer.maxReceiveCount },
  });

  const handler = new sst.aws.Function("CancelRequested", {
    ...lambdaDefaults(),
    handler: "functions/handlers/cancel-requested.handler",
    description: "Drains the Cancel Requested queue: cancels, and puts rate-limited requests back for later",
    memory: "512 MB",
    timeout: `${consumer.functionTimeoutSeconds} seconds`,
    link: upstreamSecretLinks(secrets),
    environment: {
      ...commonEnvironment({
        idempotencyTable: storage.idempotency.name,
        auditTable: storage.audit.name,
        eventBusName: bus.name,
      }),
      CANCEL_REQUESTED_QUEUE_URL: queue.url,
    },
    permissions: [
      ...tablePermissions(storage, {
        idempotency: ["PutItem", "UpdateItem", "GetItem"],
        audit: ["PutItem"],
      }),
      // The event source mapping polls with the function's role; SendMessage puts rate-limited requests back.
      {
        actions: ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:SendMessage"],
        resources: [queue.arn],
      },
    ],
  });

  const mapping = new aws.lambda.EventSourceMapping("CancelRequestedQueueMapping", {
    eventSourceArn: queue.arn,
    functionName: handler.arn,
    batchSize: consumer.batchSize,
    maximumBatchingWindowInSeconds: consumer.maximumBatchingWindowSeconds,
    functionResponseTypes: ["ReportBatchItemFailures"],
    scalingConfig: { maximumConcurrency: consumer.maximumConcurrency },
  });

  const rule = new aws.cloudwatch.EventRule("CancelRequestedRule", {
    eventBusName: bus.name,
    description: "Cancel Requested events to the bus function's work queue",
    eventPattern: JSON.stringify({ "detail-type": [CANCEL_REQUESTED] }),
  });
  const target = new aws.cloudwatch.EventTarget("CancelRequestedTarget", {
    rule: rule.name,
    eventBusName: bus.name,
    arn: queue.arn,
    retryPolicy: { maximumRetryAttempts: 10, maximumEventAgeInSeconds: 3600 },
    deadLetterConfig: { arn: deliveryDlq.arn },
  });

  // The rule (not a role) sends to both queues: each allows that rule and nothing else.
  allowRuleToSend("CancelRequestedQueuePolicy", queue, rule.arn);
  allowRuleToSend("CancelRequestedDlqPolicy", deliveryDlq, rule.arn);

  return { bus, handler, queue, mapping, rule, target, deliveryDlq, failures };
}

export type Bus = ReturnType<typeof createBus>;
