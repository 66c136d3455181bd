/**
 * What the bulk driver needs on top of the shared container: the work queue its items go to
 * (the `Cancel Requested` queue, drained by the bus function) through an SQS client of its
 * own, loaded with the SQS client on the first send (most runs find no job: the continuation's
 * cold start does not pay for them), and its pacing. The driver runs in the continuation
 * function (every minute); built once per container, on its first run.
 */
import type { SQSClient } from "@aws-sdk/client-sqs";
import type { DriverDependencies } from "#core/bulk-driver.ts";
import { type BulkPacing, type BulkWorkQueue, DEFAULT_BULK_PACING } from "#core/bulk-ports.ts";
import { ConfigurationError } from "#core/errors.ts";
import type { Container } from "./container.ts";
import { portOnFirstUse } from "./load-on-first-use.ts";

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
  const settings = { queueUrl, endpoint: config.sqsEndpoint, client: overrides.sqs };
  return {
    bulk: container.bulk,
    work: portOnFirstUse<BulkWorkQueue>(
      async () => (await import("./bulk-work-queue.ts")).bulkWorkQueue(settings),
      ["send"],
    ),
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
