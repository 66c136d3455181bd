/**
 * How `local/stack/local-functions.ts` declares a function: what Lambda needs to run it (the handler string
 * infra/ uses, timeout, memory, environment), how many containers it may have at once, and
 * what triggers it. One entry per function; the stack (local-stack.ts) does the rest.
 */
import path from "node:path";
import { type LambdaIdentity, LOCAL_REGION } from "../lambda-context.ts";
import type { EventSourceSettings } from "../sqs/sqs-event-source.ts";

/** What invokes a function locally, as the deployed trigger would. */
export type LocalTrigger =
  /** API Gateway HTTP API (payload 2.0) on the front door, for every path the local routes do not take. */
  | { kind: "http" }
  /** An SQS work queue and its event source mapping (the queue and its DLQ are created). */
  | {
      kind: "sqs";
      queue: string;
      deadLetterQueue: string;
      visibilityTimeoutSeconds: number;
      maxReceiveCount: number;
      mapping: EventSourceSettings;
      /** Environment variable the function reads the queue URL from. */
      queueUrlVariable?: string;
      /** Environment variable the function reads the dead-letter queue's URL from. */
      deadLetterQueueUrlVariable?: string;
      /** The bus rule that feeds the queue: events of this detail-type go to it. */
      busRule?: string;
    }
  /**
   * A schedule (EventBridge Scheduler's event), plus `POST /<route>` on the front door to run
   * it now (NDJSON: the function's progress channel, then its result).
   */
  | { kind: "schedule"; everyMs: number; route: string }
  /** A DynamoDB stream poller on one of the service's tables (local/stack/dynamo-stream-source.ts). */
  | { kind: "dynamodb-stream"; table: "idempotency" | "audit" };

export interface LocalFunctionSpec {
  /** Short name; the local function is `cancellation-local-<name>`. */
  name: string;
  /** As in infra/: `functions/handlers/http-api.handler` (file without extension, then the export). */
  handler: string;
  timeoutSeconds: number;
  memoryMb: number;
  /** Containers (worker threads) at most: the function's concurrency. */
  workers: number;
  /** This function's deployed environment resolved locally (service-env.ts), on top of what every container shares. */
  env?: Record<string, string>;
  /** Diagnostics channels whose messages the containers forward to the invoker (progress). */
  channels?: readonly string[];
  /**
   * Another function's queues this one sends to (the continuation's bulk driver, to the bus
   * function's work queue): the local queue, and the variable its URL is given in.
   */
  sends?: readonly { queue: string; variable: string }[];
  trigger: LocalTrigger;
}

export const physicalName = (spec: Pick<LocalFunctionSpec, "name">): string =>
  `cancellation-local-${spec.name}`;

export const identityOf = (spec: LocalFunctionSpec): LambdaIdentity => ({
  functionName: physicalName(spec),
  memoryMb: spec.memoryMb,
  timeoutMs: spec.timeoutSeconds * 1000,
});

/** The module file and export a handler string names, e.g. `functions/handlers/x.ts` and `handler`. */
export const resolveHandler = (root: string, handler: string): { file: string; exportName: string } => {
  const dot = handler.lastIndexOf(".");
  if (dot <= 0) throw new Error(`handler "${handler}" must be <file>.<export>`);
  return { file: path.join(root, `${handler.slice(0, dot)}.ts`), exportName: handler.slice(dot + 1) };
};

/** The variables Lambda's Node.js runtime sets in every container of a function. */
export const lambdaRuntimeEnvironment = (
  spec: LocalFunctionSpec,
  logStreamName: string,
): Record<string, string> => ({
  AWS_LAMBDA_FUNCTION_NAME: physicalName(spec),
  AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(spec.memoryMb),
  AWS_LAMBDA_FUNCTION_VERSION: "$LATEST",
  AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${physicalName(spec)}`,
  AWS_LAMBDA_LOG_STREAM_NAME: logStreamName,
  AWS_LAMBDA_INITIALIZATION_TYPE: "on-demand",
  AWS_EXECUTION_ENV: "AWS_Lambda_nodejs22.x",
  AWS_REGION: LOCAL_REGION,
  AWS_DEFAULT_REGION: LOCAL_REGION,
  _HANDLER: spec.handler.split("/").at(-1) ?? spec.handler,
});
