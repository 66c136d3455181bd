import { EMITTED_METRICS, METRICS_NAMESPACE, SERVICE_DIMENSION } from "#wiring/metric-catalogue.ts";
import { allOf, str, TYPES } from "./graph-queries.ts";
import type { ResourceRecord, Snapshot } from "./snapshot.ts";

/**
 * Readers of the alarms and the dashboard in an evaluated graph, and the one rule both are
 * judged by: a metric is real when the service emits it (the metric catalogue, with the very
 * dimensions it is emitted with) or when AWS publishes it for a resource of this graph.
 */

export const MONITORING_TYPES = {
  alarm: "aws:cloudwatch/metricAlarm:MetricAlarm",
  topic: "aws:sns/topic:Topic",
  subscription: "aws:sns/topicSubscription:TopicSubscription",
  dashboard: "aws:cloudwatch/dashboard:Dashboard",
} as const;

/** One metric an alarm or a widget reads. */
export interface MetricReference {
  namespace: string;
  metricName: string;
  dimensions: Record<string, string>;
}

interface AlarmQuery {
  id: string;
  expression?: string;
  metric?: { namespace: string; metricName: string; dimensions?: Record<string, string> };
}

/** The metrics an alarm reads: its own metric, or those of its metric-math queries. */
export function metricsOfAlarm(alarm: ResourceRecord): MetricReference[] {
  const inputs = alarm.inputs as {
    namespace?: string;
    metricName?: string;
    dimensions?: Record<string, string>;
    metricQueries?: AlarmQuery[];
  };
  if (inputs.metricName !== undefined) {
    return [
      {
        namespace: String(inputs.namespace),
        metricName: inputs.metricName,
        dimensions: inputs.dimensions ?? {},
      },
    ];
  }
  return (inputs.metricQueries ?? []).flatMap((q) =>
    q.metric === undefined
      ? []
      : [
          {
            namespace: q.metric.namespace,
            metricName: q.metric.metricName,
            dimensions: q.metric.dimensions ?? {},
          },
        ],
  );
}

/** Identifiers a metric-math expression uses that are not the id of one of the alarm's queries. */
export function unknownExpressionIds(alarm: ResourceRecord): string[] {
  const queries = ((alarm.inputs.metricQueries ?? []) as AlarmQuery[]).filter((q) => q !== undefined);
  const ids = new Set(queries.map((q) => q.id));
  const FUNCTIONS = new Set(["SUM", "FILL", "IF", "AVG", "MAX", "MIN"]);
  return queries.flatMap((q) =>
    [...(q.expression ?? "").matchAll(/[A-Za-z_][A-Za-z0-9_]*/g)]
      .map((m) => m[0])
      .filter((word) => !FUNCTIONS.has(word) && !ids.has(word)),
  );
}

/** The metrics of a dashboard's metric widgets (`[namespace, name, dim, value, …, {options}]`). */
export function metricsOfDashboard(
  dashboard: ResourceRecord,
): { title: string; metrics: MetricReference[] }[] {
  const body = JSON.parse(String(dashboard.inputs.dashboardBody)) as {
    widgets: { type: string; properties: { title?: string; metrics?: unknown[][] } }[];
  };
  return body.widgets
    .filter((w) => w.type === "metric")
    .map((w) => ({
      title: w.properties.title ?? "",
      metrics: (w.properties.metrics ?? []).map((line) => {
        const parts = line.filter((part) => typeof part === "string") as string[];
        const [namespace = "", metricName = "", ...pairs] = parts;
        const dimensions: Record<string, string> = {};
        for (let i = 0; i + 1 < pairs.length; i += 2) dimensions[pairs[i] ?? ""] = pairs[i + 1] ?? "";
        return { namespace, metricName, dimensions };
      }),
    }));
}

/** AWS metrics this service's alarms and dashboard may read, by namespace: the resource dimension and the metric names. */
const AWS_METRICS: Record<string, { dimension: string; type: string; key: string; metrics: string[] }> = {
  "AWS/Lambda": {
    dimension: "FunctionName",
    type: TYPES.function,
    key: "name",
    metrics: ["Errors", "Invocations", "IteratorAge", "Duration", "Throttles"],
  },
  "AWS/SQS": {
    dimension: "QueueName",
    type: TYPES.queue,
    key: "name",
    metrics: ["ApproximateNumberOfMessagesVisible", "ApproximateAgeOfOldestMessage"],
  },
  "AWS/ApiGateway": {
    dimension: "ApiId",
    type: TYPES.api,
    key: "id",
    metrics: ["5xx", "4xx", "Count", "Latency"],
  },
};

/** Why a metric reference is not a metric that will exist; undefined when it is one. */
export function whyNotExisting(s: Snapshot, ref: MetricReference): string | undefined {
  const label = `${ref.namespace}/${ref.metricName} ${JSON.stringify(ref.dimensions)}`;
  if (ref.namespace === METRICS_NAMESPACE) {
    const spec = (EMITTED_METRICS as Record<string, { dimensions: Record<string, readonly string[]> }>)[
      ref.metricName
    ];
    if (spec === undefined)
      return `${label}: not in the metric catalogue (functions/wiring/metric-catalogue.ts)`;
    const expected = { ...SERVICE_DIMENSION, ...spec.dimensions };
    if (Object.keys(ref.dimensions).sort().join() !== Object.keys(expected).sort().join()) {
      return `${label}: emitted with dimensions ${Object.keys(expected).join(", ")}`;
    }
    if (ref.dimensions.service !== SERVICE_DIMENSION.service) return `${label}: wrong service`;
    for (const [key, values] of Object.entries(spec.dimensions)) {
      if (!values.includes(ref.dimensions[key] ?? "")) return `${label}: ${key} never takes that value`;
    }
    return undefined;
  }
  const known = AWS_METRICS[ref.namespace];
  if (known === undefined) return `${label}: namespace not watched by this service`;
  if (!known.metrics.includes(ref.metricName))
    return `${label}: not a ${ref.namespace} metric this check knows`;
  if (Object.keys(ref.dimensions).join() !== known.dimension)
    return `${label}: wants exactly ${known.dimension}`;
  const existing = allOf(s, known.type).map((r) => (known.key === "id" ? r.id : str(r, known.key)));
  if (!existing.includes(ref.dimensions[known.dimension] ?? ""))
    return `${label}: no such resource in the graph`;
  return undefined;
}
