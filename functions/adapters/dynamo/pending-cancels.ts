/**
 * Pending asynchronous intent cancels on DynamoDB: items `pk = PENDING`,
 * `sk = INTENT#<intentId>` in the idempotency table, listed with one Query.
 */
import {
  type AttributeValue,
  type DynamoDBClient,
  TransactWriteItemsCommand,
  type Update,
} from "@aws-sdk/client-dynamodb";
import type { AuditRecord, Page, PendingCancel, PendingCancels } from "#core/ports.ts";
import { AuditRecordExistsError, auditPut } from "./audit-item.ts";
import { cancellationReasons, storeUnavailable } from "./dynamo-errors.ts";
import { queryPage } from "./query-page.ts";
import { PENDING_PARTITION, pendingKeyOf } from "./table-definitions.ts";

export interface DynamoPendingCancelsOptions {
  client: DynamoDBClient;
  idempotencyTable: string;
  auditTable: string;
}

/**
 * The `Update` recording a pending cancel, used inside the idempotency store's completion
 * transaction. One entry per intent: a second pending cancel of the same intent refreshes
 * it but keeps the first `requestedAt` (the sweep ages entries by it) and the first
 * `order` (an order's charge waiting for this intent must not be forgotten).
 */
export const pendingUpdate = (tableName: string, pending: PendingCancel): Update => {
  const names: Record<string, string> = {
    "#intentId": "intentId",
    "#requestedAt": "requestedAt",
    "#trigger": "trigger",
    "#actor": "actor",
    "#correlationId": "correlationId",
  };
  const values: Record<string, AttributeValue> = {
    ":intentId": { S: pending.intentId },
    ":requestedAt": { S: pending.requestedAt },
    ":trigger": { S: pending.trigger },
    ":actor": { S: pending.actor },
    ":correlationId": { S: pending.correlationId },
  };
  const set = [
    "#intentId = :intentId",
    "#requestedAt = if_not_exists(#requestedAt, :requestedAt)",
    "#trigger = :trigger",
    "#actor = :actor",
    "#correlationId = :correlationId",
  ];
  const remove: string[] = [];
  names["#reason"] = "reason";
  if (pending.reason === undefined) {
    remove.push("#reason");
  } else {
    values[":reason"] = { S: pending.reason };
    set.push("#reason = :reason");
  }
  if (pending.order !== undefined) {
    names["#order"] = "order";
    values[":order"] = { S: JSON.stringify(pending.order) };
    set.push("#order = if_not_exists(#order, :order)");
  }
  return {
    TableName: tableName,
    Key: { pk: { S: PENDING_PARTITION }, sk: { S: pendingKeyOf(pending.intentId).sk } },
    UpdateExpression: `SET ${set.join(", ")}${remove.length > 0 ? ` REMOVE ${remove.join(", ")}` : ""}`,
    ExpressionAttributeNames: names,
    ExpressionAttributeValues: values,
  };
};

const fromPendingItem = (item: Record<string, AttributeValue>): PendingCancel => {
  const text = (name: string): string => {
    const value = item[name]?.S;
    if (value === undefined) {
      throw storeUnavailable("pending-cancels", "read", new TypeError(`pending item has no ${name}`));
    }
    return value;
  };
  const pending: PendingCancel = {
    intentId: text("intentId"),
    requestedAt: text("requestedAt"),
    trigger: text("trigger") as PendingCancel["trigger"],
    actor: text("actor"),
    correlationId: text("correlationId"),
  };
  const reason = item.reason?.S;
  if (reason !== undefined) pending.reason = reason;
  const order = item.order?.S;
  if (order !== undefined) {
    try {
      pending.order = JSON.parse(order) as PendingCancel["order"];
    } catch (error) {
      throw storeUnavailable("pending-cancels", "read of an unreadable pending item", error);
    }
  }
  return pending;
};

export class DynamoPendingCancels implements PendingCancels {
  readonly #client: DynamoDBClient;
  readonly #idempotencyTable: string;
  readonly #auditTable: string;

  constructor(options: DynamoPendingCancelsOptions) {
    this.#client = options.client;
    this.#idempotencyTable = options.idempotencyTable;
    this.#auditTable = options.auditTable;
  }

  /** Pending cancels in intent id order, one strongly consistent Query per page. */
  list(options: { limit?: number; cursor?: string } = {}): Promise<Page<PendingCancel>> {
    return queryPage({
      client: this.#client,
      store: "pending-cancels",
      query: {
        TableName: this.#idempotencyTable,
        KeyConditionExpression: "pk = :pk",
        ExpressionAttributeValues: { ":pk": { S: PENDING_PARTITION } },
        ConsistentRead: true,
      },
      keyAttributes: ["pk", "sk"],
      partition: { pk: PENDING_PARTITION },
      limit: options.limit,
      cursor: options.cursor,
      map: fromPendingItem,
    });
  }

  /**
   * Deletes the pending entry and appends the audit record in one transaction. When the
   * entry is already gone (another sweep resolved it), nothing is written: that resolver
   * wrote the audit record.
   *
   * @throws AuditRecordExistsError when the audit record's key exists
   * @throws StoreUnavailableError when DynamoDB fails
   */
  async resolve(intentId: string, audit: AuditRecord): Promise<void> {
    const put = auditPut(this.#auditTable, audit);
    try {
      await this.#client.send(
        new TransactWriteItemsCommand({
          TransactItems: [
            {
              Delete: {
                TableName: this.#idempotencyTable,
                Key: { pk: { S: PENDING_PARTITION }, sk: { S: pendingKeyOf(intentId).sk } },
                ConditionExpression: "attribute_exists(pk)",
              },
            },
            { Put: put },
          ],
        }),
      );
    } catch (error) {
      const reasons = cancellationReasons(error);
      if (reasons?.[0]?.Code === "ConditionalCheckFailed") return;
      if (reasons?.[1]?.Code === "ConditionalCheckFailed") {
        throw new AuditRecordExistsError(put.Item?.pk?.S ?? "", put.Item?.sk?.S ?? "", { cause: error });
      }
      throw storeUnavailable("pending-cancels", "TransactWriteItems", error);
    }
  }
}
