/**
 * What the bulk driver needs on top of the shared container: the work queue its items go to
 * (the `Cancel Requested` queue, drained by the bus function) through an SQS client of its
 * own, and its pacing. The driver runs in the continuation function (every minute); built
 * once per container, on its first run.
 */
import { SQSClient } from "@aws-sdk/client-sqs";
import { SqsBulkWorkQueue } from "#adapters/queue/bulk-item-queue.ts";
import type { DriverDependencies } from "#core/bulk-driver.ts";
import { type BulkPacing, DEFAULT_BULK_PACING } from "#core/bulk-ports.ts";
import { ConfigurationError } from "#core/errors.ts";
import type { Container } from "./container.ts";

const wirings = new WeakMap<Container, DriverDependencies>();

/**
 * @throws ConfigurationError naming CANCEL_REQUESTED_QUEUE_URL when the function was not given it
 */
export const buildBulkDriverWiring = (
  container: Container,
  overrides: { sqs?: SQSClient; pacing?: Partial<BulkPacing> } = {},
): DriverDependencies => {
  const { config } = container;
  const queueUrl = config.cancelRequestedQueueUrl;
  if (!queueUrl) {
    throw new ConfigurationError(
      "Invalid configuration: CANCEL_REQUESTED_QUEUE_URL is missing (the bulk driver sends a job's items to that work queue)",
    );
  }
  const client =
    overrides.sqs ??
    new SQSClient({ ...(config.sqsEndpoint ? { endpoint: config.sqsEndpoint } : {}), maxAttempts: 3 });
  return {
    bulk: container.bulk,
    work: new SqsBulkWorkQueue({ client, queueUrl }),
    clock: container.deps.clock,
    ids: container.deps.ids,
    budget: config.budget,
    pacing: { ...DEFAULT_BULK_PACING, ...overrides.pacing },
    cancellations: container.deps.cancellations,
  };
};

/** The bulk driver's dependencies for this Lambda instance's container. */
export const getBulkDriverWiring = (container: Container): DriverDependencies => {
  let wiring = wirings.get(container);
  if (!wiring) {
    wiring = buildBulkDriverWiring(container);
    wirings.set(container, wiring);
  }
  return wiring;
};

/** Makes `wiring` the one used with `container` (tests build theirs with a local SQS client). */
export const setBulkDriverWiring = (container: Container, wiring: DriverDependencies): void => {
  wirings.set(container, wiring);
};
