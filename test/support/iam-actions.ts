/**
 * What IAM checks for one AWS SDK call: each (action, resource) pair the call needs, as AWS
 * authorises it, with the resource named the way the function manifest names it
 * (functions/manifest/manifest-types.ts `ResourceRef`).
 *
 * Written here rather than taken from a library: no maintained package maps SDK v3 commands
 * to IAM actions per resource (IAM's own policy simulator is an AWS API). The rules follow the
 * service authorization reference:
 * - DynamoDB: an item or table operation needs the action of its name on the table, or on
 *   `table/<t>/index/<i>` for a Query or Scan of an index. `TransactWriteItems` has no
 *   action of its own: each item needs PutItem, UpdateItem, DeleteItem or ConditionCheckItem
 *   on its table; `TransactGetItems` needs GetItem per item. Batch calls need BatchGetItem or
 *   BatchWriteItem on every table they name.
 * - SQS: the action of the operation's name on the queue; a `…Batch` operation needs the
 *   action of its single form (SendMessageBatch → sqs:SendMessage).
 * - EventBridge: PutEvents needs events:PutEvents on each entry's bus (the account's
 *   `default` bus when an entry names none).
 * - Secrets Manager: GetSecretValue on the secret.
 * A call this file cannot judge throws: a new kind of call must be taught here, never allowed blind.
 */
import type { Action, ResourceRef, SecretName, TableName } from "#manifest/manifest-types.ts";

/** The service a guarded client talks to. */
export type GuardedService = "dynamodb" | "sqs" | "events" | "secretsmanager";

/** The physical names of the resources a test runs on, so a call's names can be read back as the manifest's. */
export interface PhysicalNames {
  tables?: Partial<Record<TableName, string>>;
  /** Queue URL → the queue's logical name (e.g. `CancelRequestedQueue`). */
  queues?: Readonly<Record<string, string>>;
  /** The name the service's bus goes by in this test. */
  busName?: string;
  /** Secret id (ARN or name) → the secret's name in the service. */
  secrets?: Readonly<Record<string, SecretName>>;
}

/** One thing IAM checks: an action on a resource (`resource` undefined: a resource the manifest does not know). */
export interface NeededGrant {
  action: Action;
  resource: ResourceRef | undefined;
  /** The resource as AWS names it in the refusal (a queue by its URL: the test knows no queue ARN). */
  described: string;
}

export class UnjudgedCallError extends Error {
  override readonly name = "UnjudgedCallError";
}

const ACCOUNT = "arn:aws:dynamodb:us-east-1:000000000000";

type Input = Record<string, unknown>;

const tableOf = (names: PhysicalNames, physical: string): TableName | undefined =>
  (Object.entries(names.tables ?? {}) as [TableName, string][]).find(([, name]) => name === physical)?.[0];

const tableGrant = (
  names: PhysicalNames,
  action: Action,
  physical: unknown,
  index?: unknown,
): NeededGrant => {
  const name = String(physical);
  const table = tableOf(names, name);
  if (typeof index === "string") {
    return {
      action,
      resource: table && { kind: "index", table, index },
      described: `${ACCOUNT}:table/${name}/index/${index}`,
    };
  }
  return { action, resource: table && { kind: "table", table }, described: `${ACCOUNT}:table/${name}` };
};

const TRANSACT_WRITE_ACTIONS: Record<string, Action> = {
  Put: "dynamodb:PutItem",
  Update: "dynamodb:UpdateItem",
  Delete: "dynamodb:DeleteItem",
  ConditionCheck: "dynamodb:ConditionCheckItem",
};

const dynamoGrants = (operation: string, input: Input, names: PhysicalNames): NeededGrant[] => {
  if (operation === "TransactWriteItems") {
    return ((input.TransactItems ?? []) as Record<string, Input>[]).flatMap((item) =>
      Object.entries(item).map(([kind, request]) => {
        const action = TRANSACT_WRITE_ACTIONS[kind];
        if (!action) throw new UnjudgedCallError(`TransactWriteItems item of kind ${kind}`);
        return tableGrant(names, action, request.TableName);
      }),
    );
  }
  if (operation === "TransactGetItems") {
    return ((input.TransactItems ?? []) as { Get: Input }[]).map((item) =>
      tableGrant(names, "dynamodb:GetItem", item.Get.TableName),
    );
  }
  if (operation === "BatchGetItem" || operation === "BatchWriteItem") {
    return Object.keys((input.RequestItems ?? {}) as Input).map((table) =>
      tableGrant(names, `dynamodb:${operation}`, table),
    );
  }
  if (typeof input.TableName !== "string") {
    throw new UnjudgedCallError(
      `DynamoDB ${operation} names no table (no role here grants an account-wide action)`,
    );
  }
  const index = operation === "Query" || operation === "Scan" ? input.IndexName : undefined;
  return [tableGrant(names, `dynamodb:${operation}` as Action, input.TableName, index)];
};

const sqsGrants = (operation: string, input: Input, names: PhysicalNames): NeededGrant[] => {
  const url = String(input.QueueUrl ?? "");
  const queue = names.queues?.[url];
  return [
    {
      action: `sqs:${operation.replace(/Batch$/, "")}` as Action,
      resource: queue === undefined ? undefined : { kind: "queue", queue },
      described: url,
    },
  ];
};

const eventsGrants = (operation: string, input: Input, names: PhysicalNames): NeededGrant[] => {
  if (operation !== "PutEvents") throw new UnjudgedCallError(`EventBridge ${operation}`);
  const buses = new Set(
    ((input.Entries ?? []) as { EventBusName?: string }[]).map((entry) => entry.EventBusName ?? "default"),
  );
  return [...buses].map((bus) => ({
    action: "events:PutEvents",
    resource: bus === names.busName ? { kind: "bus" } : undefined,
    described: `arn:aws:events:us-east-1:000000000000:event-bus/${bus}`,
  }));
};

const secretsGrants = (operation: string, input: Input, names: PhysicalNames): NeededGrant[] => {
  if (operation !== "GetSecretValue") throw new UnjudgedCallError(`Secrets Manager ${operation}`);
  const id = String(input.SecretId ?? "");
  const secret = names.secrets?.[id];
  return [
    {
      action: "secretsmanager:GetSecretValue",
      resource: secret === undefined ? undefined : { kind: "secret", secret },
      described: id,
    },
  ];
};

/**
 * The grants one SDK call needs.
 *
 * @param commandName - as the SDK names it in the middleware context, e.g. `GetItemCommand`
 * @throws UnjudgedCallError for a call these rules do not cover
 */
export const neededGrants = (
  service: GuardedService,
  commandName: string,
  input: Input,
  names: PhysicalNames,
): NeededGrant[] => {
  const operation = commandName.replace(/Command$/, "");
  switch (service) {
    case "dynamodb":
      return dynamoGrants(operation, input, names);
    case "sqs":
      return sqsGrants(operation, input, names);
    case "events":
      return eventsGrants(operation, input, names);
    case "secretsmanager":
      return secretsGrants(operation, input, names);
  }
};
