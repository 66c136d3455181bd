/**
 * The shape of the function manifest (function-manifest.ts): what a function of the service
 * is, as data. Pure types: no Pulumi, no SST, no AWS SDK. infra/ deploys an entry, local/
 * runs it, the graph check and the role tests (test/support/role-guard.ts) check against it.
 */
import type { SecretName } from "../adapters/upstreams/upstream-registry.ts";

/** The service's DynamoDB tables, by the name functions/adapters/dynamo/table-definitions.ts gives them. */
export type TableName = "idempotency" | "audit";

/** The service's secrets, by their one name (functions/adapters/upstreams/upstream-registry.ts). */
export type { SecretName };

/**
 * What a permission is about, named abstractly: infra resolves it to an ARN, the role tests
 * to a physical name of the test's own resources. Queues go by their logical (SST component)
 * name, which trigger-resources.ts derives from the function that owns them.
 */
export type ResourceRef =
  | { kind: "table"; table: TableName }
  | { kind: "index"; table: TableName; index: string }
  | { kind: "stream"; table: TableName }
  | { kind: "queue"; queue: string }
  | { kind: "bus" }
  | { kind: "secret"; secret: SecretName };

export type DynamoAction =
  | "GetItem"
  | "PutItem"
  | "UpdateItem"
  | "DeleteItem"
  | "ConditionCheckItem"
  | "Query"
  | "Scan"
  | "BatchGetItem"
  | "BatchWriteItem"
  | "DescribeStream"
  | "GetRecords"
  | "GetShardIterator"
  | "ListStreams";

export type SqsAction =
  | "SendMessage"
  | "ReceiveMessage"
  | "DeleteMessage"
  | "ChangeMessageVisibility"
  | "GetQueueAttributes";

/** An IAM action, as IAM spells it. */
export type Action =
  | `dynamodb:${DynamoAction}`
  | `sqs:${SqsAction}`
  | "events:PutEvents"
  | "secretsmanager:GetSecretValue";

/** One grant: these actions on this one resource, and the code path that needs them. */
export interface Permission {
  actions: readonly Action[];
  resource: ResourceRef;
  /** The call that needs it (a test fails with AccessDenied without it: test/support/role-guard.ts). */
  why: string;
}

/** The settings of a Lambda event source mapping on an SQS work queue. */
export interface QueueMappingSettings {
  /** Messages per invocation. */
  batchSize: number;
  /** How long the mapping gathers messages before invoking with fewer than `batchSize`. */
  maximumBatchingWindowSeconds: number;
  /** Invocations the mapping runs at once (2 to 1000). */
  maximumConcurrency: number;
}

/** The settings of a Lambda event source mapping on a DynamoDB stream, named as `aws.lambda.EventSourceMapping` takes them. */
export interface StreamMappingSettings {
  startingPosition: "TRIM_HORIZON" | "LATEST";
  batchSize: number;
  maximumBatchingWindowInSeconds: number;
  functionResponseTypes: readonly "ReportBatchItemFailures"[];
  bisectBatchOnFunctionError: boolean;
  maximumRetryAttempts: number;
  maximumRecordAgeInSeconds: number;
}

/** What invokes a function. Each kind's resources are named after the function (trigger-resources.ts). */
export type Trigger =
  /** The service's one HTTP API (API Gateway v2, payload 2.0): every route of infra/api.ts goes to it. */
  | { kind: "http" }
  /**
   * An SQS work queue fed by a rule on the service's bus, drained by an event source mapping
   * with partial batch responses; a message failing `maxReceiveCount` times goes to the
   * function's failures queue, an event the rule cannot deliver to its delivery DLQ.
   */
  | {
      kind: "work-queue";
      /** The detail-type the rule routes to the queue. */
      detailType: string;
      /** The rule target's retry policy. */
      delivery: { maximumRetryAttempts: number; maximumEventAgeInSeconds: number };
      visibilityTimeoutSeconds: number;
      maxReceiveCount: number;
      mapping: QueueMappingSettings;
    }
  /**
   * EventBridge Scheduler (CronV2): delivery retried `retries` times, then the function's DLQ;
   * no asynchronous Lambda retry (the next run is the retry); a run still queued after
   * `maxEventAgeSeconds` is stale and dropped. `localRoute`: `POST <route>` runs it now under `npm start`.
   */
  | {
      kind: "schedule";
      schedule: `rate(${number} ${"minute" | "minutes" | "hour" | "hours"})`;
      retries: number;
      maxEventAgeSeconds: number;
      localRoute: string;
    }
  /** A DynamoDB stream, through an event source mapping with an on-failure queue. */
  | { kind: "dynamodb-stream"; table: TableName; mapping: StreamMappingSettings };

/** One function of the service. */
export interface FunctionDefinition {
  /** Logical name: the SST component's, and the stem of every resource its trigger owns. */
  name: string;
  /** `<file without extension>.<export>`, relative to the repository root. */
  handler: string;
  description: string;
  memoryMb: number;
  timeoutSeconds: number;
  /**
   * Invocations at once. Deployed, a work queue's mapping runs at most its
   * `maximumConcurrency`; other functions have no reserved concurrency (a schedule's runs are
   * kept apart by a timeout shorter than the period). Locally (`npm start`), the containers
   * the function gets; the HTTP function's grow on demand up to 16 (`local/stack/local-functions.ts`
   * `HTTP_CONTAINER_CEILING`), as Lambda adds them where nothing is reserved.
   */
  concurrency: number;
  /**
   * Which composition root the handler builds, and so which reader checks its environment at
   * start: `service` (functions/wiring/container.ts, readConfig) or `relay`
   * (functions/wiring/relay-container.ts, readRelayConfig).
   */
  composition: "service" | "relay";
  trigger: Trigger;
  /** Variables of its own with fixed values (its environment's other variables follow from `permissions`). */
  settings: Readonly<Record<string, string>>;
  /**
   * What its code calls, and nothing else. What its trigger's mapping does with the
   * function's role is added by trigger-resources.ts (`roleOf`).
   */
  permissions: readonly Permission[];
}
