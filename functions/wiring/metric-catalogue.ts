/**
 * Every CloudWatch metric the service emits (EMF, through `emitMetric` in observability.ts),
 * with its unit and its dimensions and their possible values: the one list the alarms and
 * the dashboard (infra/) are built from and checked against. A metric that is not here
 * cannot be emitted (the type of `emitMetric` refuses it), and an alarm on a metric that is
 * not here fails `npm run check:infra`.
 *
 * Pure data, importing only the upstream registry (pure data too), so infra/ (bundled into
 * the SST program) can read it: an upstream added to the registry gets its dimension values,
 * its alarms and its dashboard widgets with no edit here.
 *
 * Upstream calls are measured at two levels, named alike: `UpstreamCall*` once per logical
 * call as its caller sees it, `UpstreamAttempt*` once per HTTP request sent.
 */
import { UPSTREAM_NAMES } from "../adapters/upstreams/upstream-registry.ts";

/** The name every function reports to Powertools (logs and metrics), and infra/ deploys as such. */
export const SERVICE_NAME = "cancellation-service";
export const METRICS_NAMESPACE = "CancellationService";

/** Powertools adds this dimension to every metric (its `serviceName`). */
export const SERVICE_DIMENSION = { service: SERVICE_NAME } as const;

export const TRIGGERS = ["http", "bus", "schedule", "bulk"] as const;
export const UPSTREAMS = UPSTREAM_NAMES;
export const PRIORITIES = ["interactive", "background"] as const;
export const PROBLEMS = [
  "unavailable",
  "rate-limited",
  "credentials-refused",
  "contract-violation",
  "internal",
] as const;
export const OUTCOMES = [
  "CANCELLED",
  "ALREADY_CANCELLED",
  "PENDING",
  "NOT_CANCELLABLE",
  "NOT_FOUND",
  "FORBIDDEN",
  "REFUND_REQUIRED",
  "FAILED",
  "REJECTED",
  // A completed key answered again: counted so that traffic is visible, not as a new cancel.
  "REPLAYED",
] as const;

export type MetricUnitName = "Count" | "Milliseconds";

export interface MetricSpec {
  unit: MetricUnitName;
  /** Dimension name → every value it takes (besides `service`, which every metric has). */
  dimensions: Readonly<Record<string, readonly string[]>>;
  /** What it counts or measures, for the dashboard and docs/runbook.md. */
  description: string;
}

export const EMITTED_METRICS = {
  Cancellations: {
    unit: "Count",
    dimensions: { trigger: TRIGGERS, outcome: OUTCOMES },
    description: "one per cancel answered, by trigger and outcome",
  },
  UpstreamCallLatency: {
    unit: "Milliseconds",
    dimensions: { upstream: UPSTREAMS },
    description:
      "one per upstream call, answered or failed: its retries, waits for budget slots and Retry-After, and its credentials (token request, 401 renewal) included",
  },
  UpstreamAttemptLatency: {
    unit: "Milliseconds",
    dimensions: { upstream: UPSTREAMS },
    description:
      "one per HTTP attempt sent to an upstream (retries and token requests included): from sending it to its answer read, or to its failure",
  },
  UpstreamRetries: {
    unit: "Count",
    dimensions: { upstream: UPSTREAMS },
    description: "one per upstream attempt retried",
  },
  OperationalFailures: {
    unit: "Count",
    dimensions: { trigger: TRIGGERS, problem: PROBLEMS },
    description: "one per operational failure (never stored as an outcome), by what an operator must look at",
  },
  CancellationsStuck: {
    unit: "Count",
    dimensions: {},
    description:
      "cancellations open longer than the limit (STUCK) right now, counted by each continuation run (a gauge)",
  },
  CancellationsOpen: {
    unit: "Count",
    dimensions: {},
    description: "cancellations not final, counted by each continuation run (a gauge)",
  },
  ContinuationChecked: {
    unit: "Count",
    dimensions: {},
    description: "open cancellations the continuation looked at",
  },
  ContinuationFinished: {
    unit: "Count",
    dimensions: {},
    description: "open cancellations the continuation brought to a final outcome",
  },
  BulkItemsSent: {
    unit: "Count",
    dimensions: {},
    description: "bulk job items the driver (the continuation function) sent to the work queue",
  },
  BulkJobsFinished: {
    unit: "Count",
    dimensions: {},
    description: "bulk jobs that reached DONE or STOPPED",
  },
  BulkJobsActive: {
    unit: "Count",
    dimensions: {},
    description: "bulk jobs not final the driver looked at in its run (a gauge)",
  },
  BulkJobsStuck: {
    unit: "Count",
    dimensions: {},
    description:
      "bulk jobs not final whose fan-out and counts have not moved for an hour, counted by each driver run (a gauge)",
  },
  UpstreamBudgetTaken: {
    unit: "Count",
    dimensions: { upstream: UPSTREAMS, priority: PRIORITIES },
    description: "attempts the shared upstream budget let through",
  },
  UpstreamBudgetRefused: {
    unit: "Count",
    dimensions: { upstream: UPSTREAMS, priority: PRIORITIES },
    description: "attempts the shared upstream budget refused (answered 429 by this service)",
  },
  UpstreamRateLimited: {
    unit: "Count",
    dimensions: { upstream: UPSTREAMS },
    description: "429s answered by an upstream",
  },
  OutboxPublished: {
    unit: "Count",
    dimensions: {},
    description: "outcome events the relay put on the bus",
  },
  OutboxPublishFailures: {
    unit: "Count",
    dimensions: {},
    description: "outcome events the relay failed to put on the bus",
  },
  OutboxEventsShortened: {
    unit: "Count",
    dimensions: {},
    description:
      "outcome events too large for PutEvents, published shortened (the full record stays in the audit table)",
  },
  OutboxLagMs: {
    unit: "Milliseconds",
    dimensions: {},
    description: "time from an outcome's commit to its event on the bus",
  },
} as const satisfies Record<string, MetricSpec>;

export type MetricName = keyof typeof EMITTED_METRICS;

/** The dimensions one data point of `N` carries: each of its dimension names, with one of its values. */
export type DimensionsOf<N extends MetricName> = {
  [K in keyof (typeof EMITTED_METRICS)[N]["dimensions"]]: (typeof EMITTED_METRICS)[N]["dimensions"][K] extends readonly (infer V)[]
    ? V
    : never;
};
