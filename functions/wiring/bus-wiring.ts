/**
 * What only the bus function needs on top of the shared container: its SQS client and the
 * work queue it puts rate-limited requests back on. Built once per container, on the bus
 * function's first message; the other functions never create an SQS client.
 */
import { SQSClient } from "@aws-sdk/client-sqs";
import { type RedeliveryQueue, SqsRedeliveryQueue } from "#adapters/queue/sqs-redelivery.ts";
import { ConfigurationError } from "#core/errors.ts";
import { type Container, getContainer } from "./container.ts";

export interface BusWiring {
  container: Container;
  redelivery: RedeliveryQueue;
}

const wirings = new WeakMap<Container, BusWiring>();

/**
 * @throws ConfigurationError naming CANCEL_REQUESTED_QUEUE_URL when the function was not given it
 */
export const buildBusWiring = (container: Container, sqs?: SQSClient): BusWiring => {
  const { config } = container;
  const queueUrl = config.cancelRequestedQueueUrl;
  if (!queueUrl) {
    throw new ConfigurationError(
      "Invalid configuration: CANCEL_REQUESTED_QUEUE_URL is missing (the bus function puts rate-limited requests back on its queue)",
    );
  }
  const client =
    sqs ?? new SQSClient({ ...(config.sqsEndpoint ? { endpoint: config.sqsEndpoint } : {}), maxAttempts: 3 });
  return { container, redelivery: new SqsRedeliveryQueue({ client, queueUrl }) };
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
