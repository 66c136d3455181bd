import {
  METRICS_NAMESPACE,
  type MetricName,
  PRIORITIES,
  SERVICE_DIMENSION,
  TRIGGERS,
  UPSTREAMS,
} from "../functions/wiring/metric-catalogue.ts";
import type { AlarmSources, Alarms } from "./alarms.ts";

/**
 * One CloudWatch dashboard for the service's day: cancels by trigger and outcome, refunds
 * required, upstream calls and attempts, retries and 429s, budget use, open and STUCK
 * cancellations, the outbox, dead-letter depths, function errors and durations, the API,
 * and every alarm's state. Built from the same lists as the alarms and the metric
 * catalogue, so a function or queue added there shows up here.
 */

/** A CloudWatch metric widget line: `[namespace, name, dim, value, …, {options}]`. */
type MetricLine = ($util.Input<string> | Record<string, unknown>)[];

const service = (name: MetricName, dimensions: Record<string, string>, options: Record<string, unknown>) => [
  METRICS_NAMESPACE,
  name,
  ...Object.entries({ ...SERVICE_DIMENSION, ...dimensions }).flat(),
  options,
];

const WIDTH = 12;
const HEIGHT = 6;

export function createDashboard(sources: AlarmSources, alarms: Alarms) {
  const region = aws.getRegionOutput().region;
  const widgets: Record<string, unknown>[] = [];
  const graph = (
    title: string,
    metrics: MetricLine[],
    options: { stat?: string; period?: number; stacked?: boolean } = {},
  ): void => {
    widgets.push({
      type: "metric",
      width: WIDTH,
      height: HEIGHT,
      properties: {
        title,
        region,
        view: "timeSeries",
        stacked: options.stacked ?? false,
        stat: options.stat ?? "Sum",
        period: options.period ?? 300,
        metrics,
      },
    });
  };

  widgets.push({
    type: "text",
    width: 24,
    height: 2,
    properties: {
      markdown: `## cancellation-service · ${$app.stage}\nOn call: docs/runbook.md — \`cancelctl audit | report --day | pending | dlq\``,
    },
  });
  widgets.push({
    type: "alarm",
    width: 24,
    height: 4,
    properties: { title: "Alarms", alarms: alarms.alarms.map((a) => a.arn) },
  });

  const outcomes = [
    "CANCELLED",
    "ALREADY_CANCELLED",
    "PENDING",
    "REFUND_REQUIRED",
    "NOT_CANCELLABLE",
    "FAILED",
  ];
  graph(
    "Cancels by trigger and outcome",
    TRIGGERS.flatMap((trigger) =>
      outcomes.map((outcome) =>
        service("Cancellations", { trigger, outcome }, { label: `${trigger} ${outcome}` }),
      ),
    ),
    { stacked: true },
  );
  graph(
    "Refunds required",
    TRIGGERS.map((trigger) =>
      service("Cancellations", { trigger, outcome: "REFUND_REQUIRED" }, { label: trigger }),
    ),
    { stacked: true },
  );
  graph(
    "Upstream calls: latency as callers see it (p50, p99)",
    UPSTREAMS.flatMap((upstream) => [
      service("UpstreamCallLatency", { upstream }, { stat: "p50", label: `${upstream} p50` }),
      service("UpstreamCallLatency", { upstream }, { stat: "p99", label: `${upstream} p99` }),
    ]),
  );
  graph(
    "Upstream attempts: latency (p99) and count",
    UPSTREAMS.flatMap((upstream) => [
      service("UpstreamAttemptLatency", { upstream }, { stat: "p99", label: `${upstream} attempt p99` }),
      service("UpstreamAttemptLatency", { upstream }, { stat: "SampleCount", label: `${upstream} attempts` }),
    ]),
  );
  graph(
    "Upstream retries and 429s",
    UPSTREAMS.flatMap((upstream) => [
      service("UpstreamRetries", { upstream }, { label: `${upstream} retries` }),
      service("UpstreamRateLimited", { upstream }, { label: `${upstream} 429s` }),
    ]),
  );
  graph(
    "Upstream budget: taken and refused",
    UPSTREAMS.flatMap((upstream) =>
      PRIORITIES.flatMap((priority) => [
        service("UpstreamBudgetTaken", { upstream, priority }, { label: `${upstream} ${priority} taken` }),
        service(
          "UpstreamBudgetRefused",
          { upstream, priority },
          { label: `${upstream} ${priority} refused` },
        ),
      ]),
    ),
  );
  graph("Open and STUCK cancellations", [
    service("CancellationsOpen", {}, { stat: "Maximum", label: "open (per continuation run)" }),
    service("CancellationsStuck", {}, { label: "became STUCK" }),
    service("ContinuationFinished", {}, { label: "finished by the continuation" }),
  ]);
  graph("Bulk cancellation jobs: items sent, jobs finished, active and stuck", [
    service("BulkItemsSent", {}, { label: "items sent to the work queue" }),
    service("BulkJobsFinished", {}, { label: "jobs finished" }),
    service("BulkJobsActive", {}, { stat: "Maximum", label: "active (per driver run)", yAxis: "right" }),
    service("BulkJobsStuck", {}, { stat: "Maximum", label: "stuck (per driver run)", yAxis: "right" }),
  ]);
  graph("Outbox: published, failures, lag", [
    service("OutboxPublished", {}, { label: "published" }),
    service("OutboxPublishFailures", {}, { label: "failures" }),
    service("OutboxLagMs", {}, { stat: "Maximum", label: "lag max (ms)", yAxis: "right" }),
  ]);
  graph(
    "Dead-letter and failure queues: messages waiting",
    sources.queues
      .filter((q) => q.role === "dead-letter")
      .map((q) => [
        "AWS/SQS",
        "ApproximateNumberOfMessagesVisible",
        "QueueName",
        q.queue.nodes.queue.name,
        { label: q.name },
      ]),
    { stat: "Maximum", period: 60 },
  );
  graph(
    "Work queues: messages waiting and the oldest one's age (the buffered bus backlog)",
    sources.queues
      .filter((q) => q.role === "work")
      .flatMap((q) => [
        [
          "AWS/SQS",
          "ApproximateNumberOfMessagesVisible",
          "QueueName",
          q.queue.nodes.queue.name,
          { label: `${q.name} waiting` },
        ],
        [
          "AWS/SQS",
          "ApproximateAgeOfOldestMessage",
          "QueueName",
          q.queue.nodes.queue.name,
          { label: `${q.name} oldest (s)`, yAxis: "right" },
        ],
      ]),
    { stat: "Maximum", period: 60 },
  );
  graph(
    "Function errors",
    sources.functions.map((f) => ["AWS/Lambda", "Errors", "FunctionName", f.fn.name, { label: f.name }]),
  );
  graph(
    "Function durations (p99)",
    sources.functions.map((f) => [
      "AWS/Lambda",
      "Duration",
      "FunctionName",
      f.fn.name,
      { stat: "p99", label: f.name },
    ]),
  );
  const apiId = sources.api.nodes.api.id;
  graph("HTTP API: requests, 4xx, 5xx", [
    ["AWS/ApiGateway", "Count", "ApiId", apiId, { label: "requests" }],
    ["AWS/ApiGateway", "4xx", "ApiId", apiId, { label: "4xx" }],
    ["AWS/ApiGateway", "5xx", "ApiId", apiId, { label: "5xx" }],
  ]);

  const dashboard = new aws.cloudwatch.Dashboard("Dashboard", {
    dashboardName: `${$app.name}-${$app.stage}`,
    dashboardBody: $jsonStringify({ widgets }),
  });
  return { dashboard };
}
