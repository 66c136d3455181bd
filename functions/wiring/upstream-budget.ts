/**
 * The shared upstream budget as the composition root builds it: its ring store in the
 * idempotency table, its settings from the configuration, its metrics and logs.
 */
import type { Logger } from "@aws-lambda-powertools/logger";
import type { Metrics } from "@aws-lambda-powertools/metrics";
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoRingStore, type RingStore } from "#adapters/dynamo/budget-ring-store.ts";
import { SharedUpstreamBudget } from "#adapters/dynamo/upstream-budget.ts";
import type { ServiceConfig } from "./config.ts";
import { recordBudgetRefused, recordBudgetTaken, recordUpstreamRateLimited } from "./observability.ts";

export const buildUpstreamBudget = (
  config: ServiceConfig,
  deps: { dynamoDb: DynamoDBClient; logger: Logger; metrics: Metrics; store?: RingStore | undefined },
): SharedUpstreamBudget => {
  const { logger, metrics } = deps;
  return new SharedUpstreamBudget({
    ...config.budget,
    store: deps.store ?? new DynamoRingStore({ client: deps.dynamoDb, table: config.idempotencyTable }),
    onTaken: (event) => {
      recordBudgetTaken(metrics, event.upstream, event.priority);
      if (event.waitedMs > 0 || event.roundTrips > 1)
        logger.debug("upstream budget slot taken", { ...event });
    },
    onRefused: (event) => {
      recordBudgetRefused(metrics, event.upstream, event.priority);
      logger.info("upstream budget refused a request", { ...event });
    },
    onUpstreamRateLimited: (upstream) => {
      recordUpstreamRateLimited(metrics, upstream);
      logger.warn("upstream answered 429", { upstream });
    },
    onRecreated: (event) => logger.warn("upstream budget ring written anew", { ...event }),
  });
};
