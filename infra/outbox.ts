import {
  OUTBOX_RELAY_FUNCTION,
  OUTBOX_STREAM_MAPPING,
} from "../functions/adapters/outbox/relay-stream-settings.ts";
import type { Bus } from "./bus.ts";
import { publishPermission } from "./permissions.ts";
import { deadLetterQueue } from "./queues.ts";
import { isProduction, lambdaDefaults, METRICS_NAMESPACE, SERVICE_NAME } from "./settings.ts";
import type { Storage } from "./storage.ts";

/**
 * The transactional outbox's relay (docs/decisions/0002-outbox-relay.md): a Lambda on the
 * audit table's stream, through an event source mapping with partial batch responses,
 * bisecting on function errors, bounded retries and an on-failure queue. It is the only
 * function that may put events on the bus, and it may do nothing else: no table, no secret.
 */
export function createOutbox(deps: { storage: Storage; bus: Bus }) {
  const { storage, bus } = deps;
  // Lambda sends what it gives up on here (the records' place in the stream, not the records).
  const failures = deadLetterQueue("OutboxRelayFailures");
  const streamArn = storage.audit.nodes.table.streamArn;

  const handler = new sst.aws.Function("OutboxRelay", {
    ...lambdaDefaults(),
    handler: "functions/handlers/outbox-relay.handler",
    description: "Outbox relay: publishes the outcome events committed in the audit table to the bus",
    memory: `${OUTBOX_RELAY_FUNCTION.memoryMb} MB`,
    timeout: `${OUTBOX_RELAY_FUNCTION.timeoutSeconds} seconds`,
    environment: {
      EVENT_BUS_NAME: bus.bus.name,
      POWERTOOLS_SERVICE_NAME: SERVICE_NAME,
      POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
      LOG_LEVEL: isProduction() ? "INFO" : "DEBUG",
    },
    permissions: [
      publishPermission(bus.bus.arn),
      // What the event source mapping reads the stream with (it uses the function's role).
      {
        actions: [
          "dynamodb:DescribeStream",
          "dynamodb:GetRecords",
          "dynamodb:GetShardIterator",
          "dynamodb:ListStreams",
        ],
        resources: [streamArn],
      },
      // The mapping sends on-failure records with the function's role too.
      { actions: ["sqs:SendMessage"], resources: [failures.arn] },
    ],
  });

  const mapping = new aws.lambda.EventSourceMapping("OutboxRelayStream", {
    eventSourceArn: streamArn,
    functionName: handler.arn,
    ...OUTBOX_STREAM_MAPPING,
    functionResponseTypes: [...OUTBOX_STREAM_MAPPING.functionResponseTypes],
    destinationConfig: { onFailure: { destinationArn: failures.arn } },
  });

  return { handler, mapping, failures };
}
