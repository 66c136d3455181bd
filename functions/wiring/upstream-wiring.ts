/**
 * What every upstream client is built with, as the composition root builds it once per
 * container: the shared upstream budget (its rings in the idempotency table, its limits
 * from the configuration), one retry policy, and the exchange's reports turned into
 * metrics and logs (metric-catalogue.ts: `UpstreamCallLatency` per call,
 * `UpstreamAttemptLatency` per attempt, `UpstreamRetries`, and the budget's own).
 */
import type { Logger } from "@aws-lambda-powertools/logger";
import type { Metrics } from "@aws-lambda-powertools/metrics";
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoRingStore, type RingStore } from "#adapters/budget/budget-ring-store.ts";
import {
  SharedUpstreamBudget,
  type SharedUpstreamBudgetOptions,
} from "#adapters/budget/shared-upstream-budget.ts";
import type { ExchangeOptions } from "#adapters/http/exchange-types.ts";
import { createRetryPolicy, DEFAULT_RETRY_SETTINGS } from "#adapters/http/retry-policy.ts";
import type { ServiceConfig } from "./config.ts";
import {
  recordBudgetRefused,
  recordBudgetTaken,
  recordRetry,
  recordUpstreamAttempt,
  recordUpstreamCall,
  recordUpstreamRateLimited,
} from "./observability.ts";

export interface UpstreamWiring {
  /** The shared upstream budget every attempt of this container takes a slot from. */
  budget: SharedUpstreamBudget;
  /** What every upstream client is given: the budget, the retry policy, fetch, and the reports. */
  exchange: ExchangeOptions;
}

export interface UpstreamWiringDeps {
  dynamoDb: DynamoDBClient;
  logger: Logger;
  metrics: Metrics;
  fetch?: typeof fetch | undefined;
  /** Where the budget keeps its rings (benchmarks measuring the service without a limit). */
  store?: RingStore | undefined;
}

export const buildUpstreamWiring = (config: ServiceConfig, deps: UpstreamWiringDeps): UpstreamWiring => {
  const { logger, metrics } = deps;
  const budget = new SharedUpstreamBudget({
    ...config.budget,
    store: deps.store ?? new DynamoRingStore({ client: deps.dynamoDb, table: config.idempotencyTable }),
    ...budgetReports(metrics, logger),
  });
  return {
    budget,
    exchange: {
      budget,
      retryPolicy: createRetryPolicy({
        ...DEFAULT_RETRY_SETTINGS,
        maxAttempts: config.upstreamMaxAttempts,
        attemptTimeoutMs: config.upstreamTimeoutMs,
      }),
      fetch: deps.fetch,
      ...exchangeReports(metrics, logger),
    },
  };
};

/** The exchange's reports as metrics (per attempt, per retry, per call) and the retry's log line. */
export const exchangeReports = (
  metrics: Metrics,
  logger: Logger,
): Pick<ExchangeOptions, "onAttempt" | "onRetry" | "onCall"> => ({
  onAttempt: (event) => {
    recordUpstreamAttempt(metrics, event.upstream, event.latencyMs);
    if (event.unreadBodyBytes !== undefined)
      logger.error("upstream answer too large to read: taken as outside the contract", { ...event });
  },
  onRetry: (event) => {
    logger.warn("upstream call retried", { ...event });
    recordRetry(metrics, event.upstream);
  },
  onCall: (event) => recordUpstreamCall(metrics, event.upstream, event.latencyMs),
});

/** The budget's reports as metrics and logs. */
export const budgetReports = (
  metrics: Metrics,
  logger: Logger,
): Pick<SharedUpstreamBudgetOptions, "onTaken" | "onRefused" | "onUpstreamRateLimited" | "onRecreated"> => ({
  onTaken: (event) => {
    recordBudgetTaken(metrics, event.upstream, event.priority);
    if (event.waitedMs > 0 || event.roundTrips > 1) logger.debug("upstream budget slot taken", { ...event });
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
