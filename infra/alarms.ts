import {
  EMITTED_METRICS,
  METRICS_NAMESPACE,
  type MetricName,
  SERVICE_DIMENSION,
  TRIGGERS,
  UPSTREAMS,
} from "../functions/wiring/metric-catalogue.ts";
import { isProduction } from "./settings.ts";

/**
 * CloudWatch alarms, all notifying one SNS topic (email subscription: the stage's
 * `ALARM_EMAIL`). Built from lists handed in by index.ts, so a function or queue another
 * concern adds gets its alarms by being added to a list:
 *
 * - every function: any error (AWS/Lambda Errors);
 * - a scheduled function: no invocation for two of its periods (missing data breaches);
 * - a stream-fed function: its iterator age (how far behind the stream it reads);
 * - every dead-letter or failure queue: any message visible;
 * - every work queue: its oldest message waiting too long;
 * - the HTTP API: its 5xx rate;
 * - the service's own metrics (EMF, functions/wiring/metric-catalogue.ts): upstream 429s,
 *   refused credentials, STUCK cancellations, stuck bulk jobs, the outbox relay's failures
 *   and lag.
 *
 * Each alarm's description says what it means and which command answers it (docs/runbook.md, "On call").
 */

/** A function to watch. */
export interface MonitoredFunction {
  /** Logical name (the SST component's), used in alarm names. */
  name: string;
  fn: sst.aws.Function;
  /** Its schedule (`rate(…)`): alarm when two periods pass without an invocation. */
  schedule?: string;
  /** Reads a DynamoDB or Kinesis stream through an event source mapping: alarm on its iterator age. */
  readsStream?: boolean;
}

/** A queue to watch. */
export interface MonitoredQueue {
  /** Logical name, also the `--queue` name `cancelctl dlq` knows it by. */
  name: string;
  queue: sst.aws.Queue;
  /** `dead-letter`: holds failures (any visible message alarms); `work`: holds work (a stale oldest message alarms). */
  role: "dead-letter" | "work";
}

export interface AlarmSources {
  functions: readonly MonitoredFunction[];
  queues: readonly MonitoredQueue[];
  api: sst.aws.ApiGatewayV2;
}

/** Thresholds, in one place (docs/runbook.md, "On call", quotes them). */
export const ALARM_THRESHOLDS = {
  /** API: share of requests answered 5xx over 5 minutes, in percent, once at least `apiMin5xx` were. */
  api5xxPercent: 5,
  apiMin5xx: 3,
  /** Outbox: commit → bus, milliseconds (maximum over 5 minutes). */
  outboxLagMs: 60_000,
  /** Stream-fed functions: age of the last record read, milliseconds. */
  iteratorAgeMs: 60_000,
  /** Work queues: age of the oldest message, seconds, for 5 minutes in a row. */
  workQueueAgeSeconds: 900,
} as const;

/** The stage setting for alarm email: none on `ci`; required on production, so a deploy cannot drop it. */
export function alarmEmail(): string | undefined {
  if ($app.stage === "ci") return undefined;
  const email = process.env.ALARM_EMAIL?.trim();
  if (!email && isProduction()) {
    throw new Error(
      "ALARM_EMAIL is not set: production alarms must notify someone (ALARM_EMAIL=ops@example.com npx sst deploy --stage production)",
    );
  }
  return email || undefined;
}

/** The period of a `rate(…)` schedule in minutes. A cron schedule has no single period: refused. */
export function periodMinutesOf(schedule: string): number {
  const match = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/.exec(schedule);
  if (!match) throw new Error(`Cannot watch the schedule ${schedule}: only rate(…) schedules have a period`);
  const unit = match[2] ?? "";
  const minutes = unit.startsWith("minute") ? 1 : unit.startsWith("hour") ? 60 : 1440;
  const period = Number(match[1]) * minutes;
  // An alarm looks back at most one day: two periods must fit in it.
  if (period * 2 > 1440) throw new Error(`Cannot watch the schedule ${schedule}: two periods exceed one day`);
  return period;
}

type AlarmArgs = Omit<aws.cloudwatch.MetricAlarmArgs, "name" | "alarmActions" | "okActions">;
type MetricQuery = aws.types.input.cloudwatch.MetricAlarmMetricQuery;

const FIVE_MINUTES = 300;

/**
 * A query on one of the service's own metrics, with exactly the dimensions it is emitted with.
 * Throws (the deploy stops) for a metric or dimension value the catalogue does not have.
 */
export function serviceMetric(
  id: string,
  name: MetricName,
  dimensions: Record<string, string>,
  stat: string,
  period = FIVE_MINUTES,
): MetricQuery {
  const spec = EMITTED_METRICS[name];
  const declared = spec.dimensions as Readonly<Record<string, readonly string[]>>;
  const given = Object.keys(dimensions).sort();
  if (given.join() !== Object.keys(declared).sort().join()) {
    throw new Error(`${name} is emitted with dimensions [${Object.keys(declared)}], not [${given}]`);
  }
  for (const [key, value] of Object.entries(dimensions)) {
    if (!declared[key]?.includes(value)) throw new Error(`${name} has no ${key} "${value}"`);
  }
  return {
    id,
    returnData: false,
    metric: {
      namespace: METRICS_NAMESPACE,
      metricName: name,
      dimensions: { ...SERVICE_DIMENSION, ...dimensions },
      stat,
      period,
    },
  };
}

/** The sum of several series, a missing point counting as 0 (one series per dimension value). */
function sumOf(queries: MetricQuery[], label: string): MetricQuery[] {
  return [
    ...queries,
    {
      id: "total",
      expression: `SUM([${queries.map((q) => `FILL(${q.id}, 0)`).join(", ")}])`,
      label,
      returnData: true,
    },
  ];
}

export function createAlarms(sources: AlarmSources) {
  const topic = new aws.sns.Topic("AlarmTopic", { name: `${$app.name}-${$app.stage}-alarms` });
  const email = alarmEmail();
  const subscription =
    email === undefined
      ? undefined
      : new aws.sns.TopicSubscription("AlarmEmail", { topic: topic.arn, protocol: "email", endpoint: email });

  const alarms: aws.cloudwatch.MetricAlarm[] = [];
  const alarm = (name: string, args: AlarmArgs): void => {
    alarms.push(
      new aws.cloudwatch.MetricAlarm(`${name}Alarm`, {
        name: `${$app.name}-${$app.stage}-${name}`,
        alarmActions: [topic.arn],
        okActions: [topic.arn],
        ...args,
      }),
    );
  };

  for (const { name, fn, schedule, readsStream } of sources.functions) {
    const everyMinutes = schedule === undefined ? undefined : periodMinutesOf(schedule);
    alarm(`${name}Errors`, {
      alarmDescription: `${name} failed (an invocation threw or timed out). On call: its logs, then cancelctl dlq list.`,
      namespace: "AWS/Lambda",
      metricName: "Errors",
      dimensions: { FunctionName: fn.name },
      statistic: "Sum",
      period: FIVE_MINUTES,
      evaluationPeriods: 1,
      threshold: 1,
      comparisonOperator: "GreaterThanOrEqualToThreshold",
      treatMissingData: "notBreaching",
    });
    if (everyMinutes !== undefined) {
      alarm(`${name}NotRunning`, {
        alarmDescription: `${name} has not run for two of its ${everyMinutes}-minute periods. On call: its schedule and cancelctl dlq list.`,
        namespace: "AWS/Lambda",
        metricName: "Invocations",
        dimensions: { FunctionName: fn.name },
        statistic: "Sum",
        period: everyMinutes * 60,
        evaluationPeriods: 2,
        datapointsToAlarm: 2,
        threshold: 1,
        comparisonOperator: "LessThanThreshold",
        // No invocation means no data point at all: silence is the failure this alarm is for.
        treatMissingData: "breaching",
      });
    }
    if (readsStream) {
      alarm(`${name}IteratorAge`, {
        alarmDescription: `${name} is more than ${ALARM_THRESHOLDS.iteratorAgeMs / 1000} s behind its stream. On call: its errors and cancelctl dlq list.`,
        namespace: "AWS/Lambda",
        metricName: "IteratorAge",
        dimensions: { FunctionName: fn.name },
        statistic: "Maximum",
        period: FIVE_MINUTES,
        evaluationPeriods: 1,
        threshold: ALARM_THRESHOLDS.iteratorAgeMs,
        comparisonOperator: "GreaterThanThreshold",
        treatMissingData: "notBreaching",
      });
    }
  }

  for (const { name, queue, role } of sources.queues) {
    if (role === "dead-letter") {
      alarm(`${name}Messages`, {
        alarmDescription: `A message is waiting in ${name}. On call: cancelctl dlq list --queue ${name}, then show / redrive.`,
        namespace: "AWS/SQS",
        metricName: "ApproximateNumberOfMessagesVisible",
        dimensions: { QueueName: queue.nodes.queue.name },
        statistic: "Maximum",
        period: 60,
        evaluationPeriods: 1,
        threshold: 1,
        comparisonOperator: "GreaterThanOrEqualToThreshold",
        treatMissingData: "notBreaching",
      });
    } else {
      alarm(`${name}Backlog`, {
        alarmDescription: `The oldest message in ${name} has waited more than ${ALARM_THRESHOLDS.workQueueAgeSeconds / 60} minutes. On call: the consumer's errors and the upstream budget (dashboard).`,
        namespace: "AWS/SQS",
        metricName: "ApproximateAgeOfOldestMessage",
        dimensions: { QueueName: queue.nodes.queue.name },
        statistic: "Maximum",
        period: 60,
        evaluationPeriods: 5,
        threshold: ALARM_THRESHOLDS.workQueueAgeSeconds,
        comparisonOperator: "GreaterThanThreshold",
        treatMissingData: "notBreaching",
      });
    }
  }

  const apiId = sources.api.nodes.api.id;
  alarm("ApiServerErrors", {
    alarmDescription: `At least ${ALARM_THRESHOLDS.apiMin5xx} and ${ALARM_THRESHOLDS.api5xxPercent}% of API requests answered 5xx over 5 minutes. On call: HttpApi's logs; 503s with no upstream call mean DynamoDB.`,
    metricQueries: [
      {
        id: "errors",
        returnData: false,
        metric: {
          namespace: "AWS/ApiGateway",
          metricName: "5xx",
          dimensions: { ApiId: apiId },
          stat: "Sum",
          period: FIVE_MINUTES,
        },
      },
      {
        id: "requests",
        returnData: false,
        metric: {
          namespace: "AWS/ApiGateway",
          metricName: "Count",
          dimensions: { ApiId: apiId },
          stat: "Sum",
          period: FIVE_MINUTES,
        },
      },
      {
        id: "rate",
        expression: `IF(errors >= ${ALARM_THRESHOLDS.apiMin5xx}, 100 * errors / requests, 0)`,
        label: "5xx, % of requests",
        returnData: true,
      },
    ],
    evaluationPeriods: 1,
    threshold: ALARM_THRESHOLDS.api5xxPercent,
    comparisonOperator: "GreaterThanOrEqualToThreshold",
    treatMissingData: "notBreaching",
  });

  alarm("UpstreamRateLimited", {
    alarmDescription:
      "An upstream answered 429: the shared budget let more through than its limit. On call: dashboard (budget use), cancelctl report --day.",
    metricQueries: sumOf(
      UPSTREAMS.map((upstream, i) => serviceMetric(`u${i}`, "UpstreamRateLimited", { upstream }, "Sum")),
      "429s from upstreams",
    ),
    evaluationPeriods: 1,
    threshold: 1,
    comparisonOperator: "GreaterThanOrEqualToThreshold",
    treatMissingData: "notBreaching",
  });

  alarm("CredentialsRefused", {
    alarmDescription: `An upstream refused the service's credentials even after a refresh. On call: the ${UPSTREAMS.join(" / ")} secrets (docs/deploy.md, Set and rotate the secrets), then cancelctl dlq redrive --all.`,
    metricQueries: sumOf(
      TRIGGERS.map((trigger, i) =>
        serviceMetric(`t${i}`, "OperationalFailures", { trigger, problem: "credentials-refused" }, "Sum"),
      ),
      "credentials refused",
    ),
    evaluationPeriods: 1,
    threshold: 1,
    comparisonOperator: "GreaterThanOrEqualToThreshold",
    treatMissingData: "notBreaching",
  });

  const serviceAlarm = (
    name: string,
    description: string,
    metric: MetricName,
    stat: string,
    threshold: number,
    comparisonOperator: string,
  ): void =>
    alarm(name, {
      alarmDescription: description,
      metricQueries: [{ ...serviceMetric("m", metric, {}, stat), returnData: true }],
      evaluationPeriods: 1,
      threshold,
      comparisonOperator,
      treatMissingData: "notBreaching",
    });

  serviceAlarm(
    "CancellationsStuck",
    "A cancellation has been open longer than its limit (STUCK). On call: cancelctl pending --stuck, then cancelctl audit.",
    "CancellationsStuck",
    "Sum",
    1,
    "GreaterThanOrEqualToThreshold",
  );
  serviceAlarm(
    "BulkJobsStuck",
    "A bulk cancellation job has not sent, started or finished an item for an hour (its items' messages dead-lettered, or their consumer failing). On call: the continuation's log names the job; cancelctl bulk status <id>, then cancelctl dlq list and redrive.",
    "BulkJobsStuck",
    "Maximum",
    1,
    "GreaterThanOrEqualToThreshold",
  );
  serviceAlarm(
    "OutboxPublishFailures",
    "The outbox relay failed to put outcome events on the bus. On call: the relay's logs, cancelctl dlq list.",
    "OutboxPublishFailures",
    "Sum",
    1,
    "GreaterThanOrEqualToThreshold",
  );
  serviceAlarm(
    "OutboxEventsShortened",
    "An outcome event was too large for PutEvents and went on the bus shortened (its detail.shortened lists the fields cut); consumers got less than the record says. On call: the relay's error log names the event and target; cancelctl audit <target> shows the full record; find which text grew it (an upstream's message).",
    "OutboxEventsShortened",
    "Sum",
    1,
    "GreaterThanOrEqualToThreshold",
  );
  serviceAlarm(
    "OutboxLag",
    `Outcome events reach the bus more than ${ALARM_THRESHOLDS.outboxLagMs / 1000} s after their commit. On call: the relay's iterator age and errors.`,
    "OutboxLagMs",
    "Maximum",
    ALARM_THRESHOLDS.outboxLagMs,
    "GreaterThanThreshold",
  );

  return { topic, subscription, alarms };
}

export type Alarms = ReturnType<typeof createAlarms>;
