/**
 * Structured logs and CloudWatch EMF metrics (AWS Lambda Powertools). Every log line is
 * JSON with the correlation id and the cold-start flag (added by the handlers'
 * middleware); anything that looks like a credential is redacted by key before it is
 * written, so a careless `logger.info(..., { headers })` cannot leak one.
 */
import { Logger } from "@aws-lambda-powertools/logger";
import { Metrics, MetricUnit } from "@aws-lambda-powertools/metrics";
import type { UpstreamName } from "#core/errors.ts";
import type { OperationalProblem, OutcomeType } from "#core/outcome.ts";
import type { Trigger, UpstreamPriority } from "#core/ports.ts";
import {
  type DimensionsOf,
  EMITTED_METRICS,
  METRICS_NAMESPACE,
  type MetricName,
  SERVICE_NAME,
} from "./metric-catalogue.ts";

export { EMITTED_METRICS, type MetricName } from "./metric-catalogue.ts";

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
    serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? SERVICE_NAME,
    jsonReplacerFn: redactCredentials,
  });

/**
 * One logger and one metrics writer per process. On Lambda a process serves one
 * function; under `npm start` the three handlers share them, as they share the container.
 */
export const createMetrics = (): Metrics =>
  new Metrics({
    namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? METRICS_NAMESPACE,
    serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? SERVICE_NAME,
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

/**
 * Writes one data point of a metric of the catalogue (metric-catalogue.ts), with exactly the
 * dimensions the catalogue gives it: the alarms and the dashboard are built from the same
 * list, so a metric emitted here is one they can find. Every metric goes through here.
 */
export const emitMetric = <N extends MetricName>(
  metrics: Metrics,
  name: N,
  dimensions: DimensionsOf<N>,
  value: number,
): void => {
  const writer = writerOf(metrics);
  const names = Object.keys(dimensions as Record<string, string>);
  if (names.length > 0) writer.addDimensions(dimensions as Record<string, string>);
  writer.addMetric(name, MetricUnit[EMITTED_METRICS[name].unit], value);
};

export const recordOutcome = (metrics: Metrics, trigger: Trigger, outcome: OutcomeType | "REPLAYED"): void =>
  emitMetric(metrics, "Cancellations", { trigger, outcome }, 1);

/** One upstream call ended (answered or thrown), after this long. */
export const recordUpstreamCall = (metrics: Metrics, upstream: UpstreamName, latencyMs: number): void =>
  emitMetric(metrics, "UpstreamCallLatency", { upstream }, latencyMs);

/** One HTTP attempt to an upstream ended, after this long. */
export const recordUpstreamAttempt = (metrics: Metrics, upstream: UpstreamName, latencyMs: number): void =>
  emitMetric(metrics, "UpstreamAttemptLatency", { upstream }, latencyMs);

/** An upstream attempt is tried again. */
export const recordRetry = (metrics: Metrics, upstream: UpstreamName): void =>
  emitMetric(metrics, "UpstreamRetries", { upstream }, 1);

/** An operational failure met by a trigger: what an operator must look at (never an outcome). */
export const recordOperationalFailure = (
  metrics: Metrics,
  trigger: Trigger,
  problem: OperationalProblem,
): void => emitMetric(metrics, "OperationalFailures", { trigger, problem }, 1);

/**
 * One continuation run: what it looked at and finished, and how many cancellations are
 * open and STUCK now (gauges: the STUCK alarm keeps firing while one stays STUCK).
 */
export const recordContinuation = (
  metrics: Metrics,
  run: { checked: number; finished: number },
  open: { open: number; stuck: number },
): void => {
  emitMetric(metrics, "ContinuationChecked", {}, run.checked);
  emitMetric(metrics, "ContinuationFinished", {}, run.finished);
  emitMetric(metrics, "CancellationsOpen", {}, open.open);
  emitMetric(metrics, "CancellationsStuck", {}, open.stuck);
};

/**
 * One bulk driver run: items sent, jobs finished, and the jobs still active and stuck (gauges:
 * the stuck alarm keeps firing while one stays stuck).
 */
export const recordBulkDriver = (
  metrics: Metrics,
  run: { sent: number; finished: number; active: number; stuck: readonly unknown[] },
): void => {
  emitMetric(metrics, "BulkItemsSent", {}, run.sent);
  emitMetric(metrics, "BulkJobsFinished", {}, run.finished);
  emitMetric(metrics, "BulkJobsActive", {}, run.active);
  emitMetric(metrics, "BulkJobsStuck", {}, run.stuck.length);
};

/** A request took a slot of the shared upstream budget. */
export const recordBudgetTaken = (
  metrics: Metrics,
  upstream: UpstreamName,
  priority: UpstreamPriority,
): void => emitMetric(metrics, "UpstreamBudgetTaken", { upstream, priority }, 1);

/** The shared upstream budget (or the upstream's announced limit) refused a request. */
export const recordBudgetRefused = (
  metrics: Metrics,
  upstream: UpstreamName,
  priority: UpstreamPriority,
): void => emitMetric(metrics, "UpstreamBudgetRefused", { upstream, priority }, 1);

/** An upstream answered 429: the shared budget and the upstream disagree, or something else uses the same client. */
export const recordUpstreamRateLimited = (metrics: Metrics, upstream: UpstreamName): void =>
  emitMetric(metrics, "UpstreamRateLimited", { upstream }, 1);

/** One outcome event the outbox relay put on the bus, and how long after its commit. */
export const recordOutboxPublished = (metrics: Metrics, lagMs: number): void => {
  emitMetric(metrics, "OutboxPublished", {}, 1);
  emitMetric(metrics, "OutboxLagMs", {}, Math.max(0, lagMs));
};

/** An outcome event too large for PutEvents, published shortened. */
export const recordOutboxEventShortened = (metrics: Metrics): void =>
  emitMetric(metrics, "OutboxEventsShortened", {}, 1);

/** One failed attempt of the outbox relay to publish an event (it is retried). */
export const recordOutboxPublishFailure = (metrics: Metrics): void =>
  emitMetric(metrics, "OutboxPublishFailures", {}, 1);

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
