/**
 * Structured logs and CloudWatch EMF metrics (AWS Lambda Powertools). Every log line is
 * JSON with the correlation id and the cold-start flag (added by the handlers'
 * middleware); anything that looks like a credential is redacted by key before it is
 * written, so a careless `logger.info(..., { headers })` cannot leak one.
 */
import { Logger } from "@aws-lambda-powertools/logger";
import { Metrics, MetricUnit } from "@aws-lambda-powertools/metrics";
import type { OutcomeType } from "#core/outcome.ts";

const SERVICE = "cancellation-service";
const SENSITIVE_KEY = /secret|token|signature|authorization|password|cookie|credential/i;
const NOT_SENSITIVE = new Set(["idempotencyKey", "tokenId", "retryable"]);

export const REDACTED = "[REDACTED]";

/** JSON replacer: blanks the value of every key that names a credential. */
export const redactCredentials = (key: string, value: unknown): unknown =>
  key && SENSITIVE_KEY.test(key) && !NOT_SENSITIVE.has(key) && value !== null && typeof value !== "object"
    ? REDACTED
    : value;

export const createLogger = (): Logger =>
  new Logger({
    serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? SERVICE,
    jsonReplacerFn: redactCredentials,
  });

/**
 * One logger and one metrics writer per process. On Lambda a process serves one
 * function; under `npm start` the three handlers share them, as they share the container.
 */
export const createMetrics = (): Metrics =>
  new Metrics({
    namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? "CancellationService",
    serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? SERVICE,
  });

/**
 * One single-metric writer per metrics object, reused: each `addMetric` writes one EMF
 * line with the dimensions just added and then clears them. (Building a writer per
 * metric with `singleMetric()` cost ~50 µs a time, a fifth of a cancel's CPU.)
 */
const writers = new WeakMap<Metrics, Metrics>();
const writerOf = (metrics: Metrics): Metrics => {
  let writer = writers.get(metrics);
  if (!writer) {
    writer = metrics.singleMetric();
    writers.set(metrics, writer);
  }
  return writer;
};

/** The few metrics the service emits, named in one place. */
export const recordOutcome = (metrics: Metrics, trigger: string, outcome: OutcomeType | "REPLAYED"): void => {
  const writer = writerOf(metrics);
  writer.addDimensions({ trigger, outcome });
  writer.addMetric("Cancellations", MetricUnit.Count, 1);
};

export const recordUpstreamCall = (
  metrics: Metrics,
  upstream: "procure-core" | "a55",
  latencyMs: number,
): void => {
  const writer = writerOf(metrics);
  writer.addDimension("upstream", upstream);
  writer.addMetric("UpstreamLatency", MetricUnit.Milliseconds, latencyMs);
};

export const recordRetry = (metrics: Metrics, upstream: "procure-core" | "a55"): void => {
  const writer = writerOf(metrics);
  writer.addDimension("upstream", upstream);
  writer.addMetric("UpstreamRetries", MetricUnit.Count, 1);
};

/** One outcome event the outbox relay put on the bus, and how long after its commit. */
export const recordOutboxPublished = (metrics: Metrics, lagMs: number): void => {
  const writer = writerOf(metrics);
  writer.addMetric("OutboxPublished", MetricUnit.Count, 1);
  writer.addMetric("OutboxLagMs", MetricUnit.Milliseconds, Math.max(0, lagMs));
};

/** One failed attempt of the outbox relay to publish an event (it is retried). */
export const recordOutboxPublishFailure = (metrics: Metrics): void => {
  writerOf(metrics).addMetric("OutboxPublishFailures", MetricUnit.Count, 1);
};

let processLogger: Logger | undefined;
let processMetrics: Metrics | undefined;

/** Created on first use, so the environment (LOG_LEVEL, POWERTOOLS_*) is read when the first handler loads. */
export const getLogger = (): Logger => {
  processLogger ??= createLogger();
  return processLogger;
};

export const getMetrics = (): Metrics => {
  processMetrics ??= createMetrics();
  return processMetrics;
};
