/**
 * What only the bus function needs on top of the shared container: the work queue it puts
 * rate-limited requests back on, and the dead-letter queue it moves a message to, with its
 * error, on the message's last receive. Built once per container, on the bus function's
 * first message; the SQS client and the queues' adapters (sqs-queues.ts) are loaded on the
 * first send, as most batches send nothing; the other functions never create an SQS client.
 */
import type { SQSClient } from "@aws-sdk/client-sqs";
import type { DeadLetterQueue } from "#adapters/queue/sqs-dead-letter.ts";
import type { RedeliveryQueue } from "#adapters/queue/sqs-redelivery.ts";
import { ConfigurationError } from "#core/errors.ts";
import { CANCEL_REQUESTED_MAX_RECEIVES } from "#manifest/work-queue-receives.ts";
import { type Container, getContainer } from "./container.ts";
import { portOnFirstUse } from "./load-on-first-use.ts";
import type { SqsQueueSettings } from "./sqs-queues.ts";

export interface BusWiring {
  container: Container;
  redelivery: RedeliveryQueue;
  deadLetters: DeadLetterQueue;
  /** Receives after which the work queue dead-letters a message: the bus function's last receive is this one. */
  maxReceiveCount: number;
}

const wirings = new WeakMap<Container, BusWiring>();

/**
 * @throws ConfigurationError naming CANCEL_REQUESTED_QUEUE_URL or CANCEL_REQUESTED_FAILURES_URL when the function was not given it
 */
export const buildBusWiring = (container: Container, sqs?: SQSClient): BusWiring => {
  const { config } = container;
  const queueUrl = config.cancelRequestedQueueUrl;
  if (!queueUrl) {
    throw new ConfigurationError(
      "Invalid configuration: CANCEL_REQUESTED_QUEUE_URL is missing (the bus function puts rate-limited requests back on its queue)",
    );
  }
  const failuresUrl = config.cancelRequestedFailuresUrl;
  if (!failuresUrl) {
    throw new ConfigurationError(
      "Invalid configuration: CANCEL_REQUESTED_FAILURES_URL is missing (the bus function dead-letters a message with its error on its last receive)",
    );
  }
  const settings: SqsQueueSettings = { queueUrl, failuresUrl, endpoint: config.sqsEndpoint, client: sqs };
  return {
    container,
    redelivery: portOnFirstUse(
      async () => (await import("./sqs-queues.ts")).redeliveryQueue(settings),
      ["sendLater"],
    ),
    deadLetters: portOnFirstUse(
      async () => (await import("./sqs-queues.ts")).deadLetterQueue(settings),
      ["send"],
    ),
    maxReceiveCount: CANCEL_REQUESTED_MAX_RECEIVES,
  };
};

/** The bus wiring of this Lambda instance's container. */
export const getBusWiring = (): BusWiring => {
  const container = getContainer();
  let wiring = wirings.get(container);
  if (!wiring) {
    wiring = buildBusWiring(container);
    wirings.set(container, wiring);
  }
  return wiring;
};

/** Makes `wiring` the one used with its container (tests build theirs with a local SQS client). */
export const setBusWiring = (wiring: BusWiring): void => {
  wirings.set(wiring.container, wiring);
};
