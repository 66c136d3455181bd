import { tablePermissions } from "./permissions.ts";
import { deadLetterQueue } from "./queues.ts";
import type { Secrets } from "./secrets.ts";
import { commonEnvironment, lambdaDefaults } from "./settings.ts";
import type { Storage } from "./storage.ts";

/** The detail-type other services put on the bus to ask for a cancel. */
export const CANCEL_REQUESTED = "Cancel Requested";

/**
 * The event bus, and the `Cancel Requested` subscription. EventBridge invokes Lambda
 * asynchronously, so failure handling has two layers: the rule target's retry policy and DLQ
 * cover delivery; Lambda's own async retries and on-failure destination cover handler errors.
 */
export function createBus(deps: { storage: Storage; secrets: Secrets }) {
  const { storage, secrets } = deps;
  const bus = new sst.aws.Bus("CancellationBus");

  const deliveryDlq = deadLetterQueue("CancelRequestedDlq");
  const failures = deadLetterQueue("CancelRequestedFailures");

  const handler = new sst.aws.Function("CancelRequested", {
    ...lambdaDefaults(),
    handler: "functions/handlers/cancel-requested.handler",
    description: "Cancels on `Cancel Requested` events and publishes the outcome",
    memory: "512 MB",
    timeout: "60 seconds",
    link: [secrets.procureCore.link, secrets.a55.link],
    environment: commonEnvironment({
      idempotencyTable: storage.idempotency.name,
      auditTable: storage.audit.name,
      eventBusName: bus.name,
    }),
    permissions: [
      ...tablePermissions(storage, {
        idempotency: ["PutItem", "UpdateItem", "GetItem"],
        audit: ["PutItem"],
      }),
      // Lambda writes on-failure records with the function's own role.
      { actions: ["sqs:SendMessage"], resources: [failures.arn] },
    ],
    retries: 2,
    transform: {
      ...lambdaDefaults().transform,
      eventInvokeConfig: (args) => {
        args.maximumEventAgeInSeconds = 3600;
        args.destinationConfig = { onFailure: { destination: failures.arn } };
      },
    },
  });

  const subscription = bus.subscribe("CancelRequested", handler, {
    pattern: { detailType: [CANCEL_REQUESTED] },
    transform: {
      target: (args) => {
        args.retryPolicy = { maximumRetryAttempts: 10, maximumEventAgeInSeconds: 3600 };
        args.deadLetterConfig = { arn: deliveryDlq.arn };
      },
    },
  });

  // The rule (not a role) sends undeliverable events to the DLQ: the queue must allow it.
  new aws.sqs.QueuePolicy("CancelRequestedDlqPolicy", {
    queueUrl: deliveryDlq.url,
    policy: $jsonStringify({
      Version: "2012-10-17",
      Statement: [
        {
          Sid: "AllowCancelRequestedRule",
          Effect: "Allow",
          Principal: { Service: "events.amazonaws.com" },
          Action: "sqs:SendMessage",
          Resource: deliveryDlq.arn,
          Condition: { ArnEquals: { "aws:SourceArn": subscription.apply((s) => s.nodes.rule.arn) } },
        },
      ],
    }),
  });

  return { bus, handler, deliveryDlq, failures };
}

export type Bus = ReturnType<typeof createBus>;
