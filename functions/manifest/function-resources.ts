/**
 * What follows from a manifest entry (function-manifest.ts), as pure functions every reader
 * shares: the resources its trigger owns and their names, its whole role (its code's
 * permissions plus its trigger's), and the environment it is given. infra/ turns these into
 * IAM statements and Lambda variables; the role tests (test/support/role-guard.ts) allow
 * exactly `roleOf`; functions/wiring/config.ts reads the variables named here.
 */
import { SECRET_NAMES, secretNamingOf } from "../adapters/upstreams/upstream-registry.ts";
import type {
  Action,
  FunctionDefinition,
  Permission,
  ResourceRef,
  SecretName,
  TableName,
} from "./manifest-types.ts";

/** The variable a function reads a table's name from. */
export const TABLE_VARIABLES: Readonly<Record<TableName, string>> = {
  idempotency: "IDEMPOTENCY_TABLE",
  audit: "AUDIT_TABLE",
};

/** The variable a function reads a secret's ARN from, derived from its name (`PROCURE_CORE_SECRET_ARN`). */
export const SECRET_VARIABLES: Readonly<Record<SecretName, string>> = Object.fromEntries(
  SECRET_NAMES.map((name) => [name, secretNamingOf(name).arnVariable]),
) as Record<SecretName, string>;

/** The variable a function that publishes reads the service bus's name from. */
export const BUS_VARIABLE = "EVENT_BUS_NAME";

/** The variable a function that sends to a queue reads its URL from: `CancelRequestedQueue` → `CANCEL_REQUESTED_QUEUE_URL`. */
export const queueUrlVariable = (queue: string): string =>
  `${queue.replace(/([a-z0-9])([A-Z])/g, "$1_$2").toUpperCase()}_URL`;

/** The logical names of the queues a function's trigger owns, derived from the function's name. */
export interface TriggerQueues {
  /** The work queue an event source mapping drains into the function. */
  work?: string;
  /** Where processing failures go: the work queue's redrive target, or a stream mapping's on-failure destination. */
  failures?: string;
  /** Where what the trigger could not deliver goes: the bus rule's target DLQ, or the scheduler's. */
  undelivered?: string;
}

export const triggerQueuesOf = (fn: Pick<FunctionDefinition, "name" | "trigger">): TriggerQueues => {
  switch (fn.trigger.kind) {
    case "work-queue":
      return { work: `${fn.name}Queue`, failures: `${fn.name}Failures`, undelivered: `${fn.name}Dlq` };
    case "schedule":
      return { undelivered: `${fn.name}Dlq` };
    case "dynamodb-stream":
      return { failures: `${fn.name}Failures` };
    case "http":
      return {};
  }
};

/** The function's local name under `npm start` (`HttpApi` → `http-api`). */
export const localNameOf = (fn: Pick<FunctionDefinition, "name">): string =>
  fn.name.replace(/([a-z0-9])([A-Z])/g, "$1-$2").toLowerCase();

/**
 * What the trigger's event source mapping does with the function's role (Lambda polls a
 * queue or reads a stream, and sends on-failure records, as the function).
 */
export const triggerPermissionsOf = (fn: FunctionDefinition): Permission[] => {
  const { trigger } = fn;
  const queues = triggerQueuesOf(fn);
  if (trigger.kind === "work-queue" && queues.work) {
    return [
      {
        actions: ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"],
        resource: { kind: "queue", queue: queues.work },
        why: "the event source mapping polls the work queue with the function's role",
      },
    ];
  }
  if (trigger.kind === "dynamodb-stream" && queues.failures) {
    return [
      {
        actions: [
          "dynamodb:DescribeStream",
          "dynamodb:GetRecords",
          "dynamodb:GetShardIterator",
          "dynamodb:ListStreams",
        ],
        resource: { kind: "stream", table: trigger.table },
        why: "the event source mapping reads the stream with the function's role",
      },
      {
        actions: ["sqs:SendMessage"],
        resource: { kind: "queue", queue: queues.failures },
        why: "the event source mapping sends on-failure records with the function's role",
      },
    ];
  }
  return [];
};

/** The function's whole role: what its code calls, then what its trigger does as it. */
export const roleOf = (fn: FunctionDefinition): Permission[] => [
  ...fn.permissions,
  ...triggerPermissionsOf(fn),
];

const sameResource = (a: ResourceRef, b: ResourceRef): boolean => JSON.stringify(a) === JSON.stringify(b);

/** True when one of `role`'s permissions grants `action` on exactly `resource` (the manifest grants no wildcard). */
export const allows = (role: readonly Permission[], action: Action, resource: ResourceRef): boolean =>
  role.some((p) => p.actions.includes(action) && sameResource(p.resource, resource));

/** The secrets a function may read. */
export const secretsOf = (fn: FunctionDefinition): SecretName[] =>
  fn.permissions.flatMap((p) => (p.resource.kind === "secret" ? [p.resource.secret] : []));

/** Where one variable of a function's environment takes its value from. */
export type VariableSource =
  | { kind: "table-name"; table: TableName }
  | { kind: "queue-url"; queue: string }
  | { kind: "bus-name" }
  | { kind: "secret-arn"; secret: SecretName }
  | { kind: "value"; value: string };

/**
 * The variables a function is given, from its manifest entry alone: the name of every table,
 * the URL of every queue and the bus's name its code's permissions name, the ARN of every
 * secret it may read, and its own settings. Nothing it does not use (the deployment adds
 * only the shared Powertools, log level and, for functions that call an upstream, budget
 * variables: infra/settings.ts).
 */
export const environmentOf = (fn: FunctionDefinition): Record<string, VariableSource> => {
  const environment: Record<string, VariableSource> = {};
  for (const { resource } of fn.permissions) {
    if (resource.kind === "table")
      environment[TABLE_VARIABLES[resource.table]] = { kind: "table-name", table: resource.table };
    else if (resource.kind === "queue")
      environment[queueUrlVariable(resource.queue)] = { kind: "queue-url", queue: resource.queue };
    else if (resource.kind === "bus") environment[BUS_VARIABLE] = { kind: "bus-name" };
    else if (resource.kind === "secret")
      environment[SECRET_VARIABLES[resource.secret]] = { kind: "secret-arn", secret: resource.secret };
  }
  for (const [name, value] of Object.entries(fn.settings)) environment[name] = { kind: "value", value };
  return environment;
};

/** True when the function calls an upstream (it reads an upstream's credentials): it takes slots of the shared budget. */
export const callsUpstreams = (fn: FunctionDefinition): boolean =>
  secretsOf(fn).some((secret) => secret !== "clients");
