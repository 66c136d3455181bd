/**
 * The one mapping between a {@link Cancellation} and its DynamoDB item, used by the
 * cancellation store's own transitions and by the idempotency store's completion
 * transactions (which write a request's transition with its key).
 *
 * As for audit items, the whole record is kept as JSON in `record`; `state`, `version` and
 * `incarnation` are copied out for the conditions, and `dueKey` + `nextCheckAt` for the `byNextCheck`
 * index (only while the cancellation is not DONE: the index is sparse).
 */
import type { AttributeValue, Put } from "@aws-sdk/client-dynamodb";
import type { Cancellation } from "#core/cancellation.ts";
import type { CancellationTransition } from "#core/ports.ts";
import { storeUnavailable } from "./dynamo-errors.ts";
import { cancellationKeyOf, DUE_PARTITION } from "./table-definitions.ts";

/** How long a DONE cancellation stays readable by the status route (TTL), in seconds. */
export const DONE_RETENTION_SECONDS = 90 * 24 * 60 * 60;

export const toCancellationItem = (c: Cancellation): Record<string, AttributeValue> => {
  const { pk, sk } = cancellationKeyOf(c.kind, c.id, c.request.owner);
  const item: Record<string, AttributeValue> = {
    pk: { S: pk },
    sk: { S: sk },
    kind: { S: c.kind },
    state: { S: c.state },
    version: { N: String(c.version) },
    record: { S: JSON.stringify(c) },
  };
  if (c.incarnation !== undefined) item.incarnation = { S: c.incarnation };
  if (c.state !== "DONE" && c.nextCheckAt !== undefined) {
    item.dueKey = { S: DUE_PARTITION };
    item.nextCheckAt = { N: String(c.nextCheckAt) };
  }
  if (c.state === "DONE") {
    item.expiresAt = { N: String(Math.floor(Date.parse(c.updatedAt) / 1000) + DONE_RETENTION_SECONDS) };
  }
  return item;
};

/**
 * The conditional `Put` of a transition. A new order cancellation must not exist at all
 * (an order is cancelled once); a new intent or charge cancellation may replace a DONE
 * one (its cancel can be asked for again later). A transition of an existing one must
 * find the incarnation and the version it was read at: the replacement of a DONE record
 * starts again at version 1, and only its incarnation tells it from the record it replaced.
 */
export const cancellationPut = (tableName: string, transition: CancellationTransition): Put => {
  const { next, expectedVersion } = transition;
  if (expectedVersion === null) {
    return next.kind !== "order"
      ? {
          TableName: tableName,
          Item: toCancellationItem(next),
          ConditionExpression: "attribute_not_exists(pk) OR #state = :done",
          ExpressionAttributeNames: { "#state": "state" },
          ExpressionAttributeValues: { ":done": { S: "DONE" } },
        }
      : {
          TableName: tableName,
          Item: toCancellationItem(next),
          ConditionExpression: "attribute_not_exists(pk)",
        };
  }
  const { incarnation } = next;
  return {
    TableName: tableName,
    Item: toCancellationItem(next),
    ConditionExpression:
      incarnation === undefined
        ? "#version = :version AND attribute_not_exists(#incarnation)"
        : "#version = :version AND #incarnation = :incarnation",
    ExpressionAttributeNames: { "#version": "version", "#incarnation": "incarnation" },
    ExpressionAttributeValues: {
      ":version": { N: String(expectedVersion) },
      ...(incarnation !== undefined && { ":incarnation": { S: incarnation } }),
    },
  };
};

/** The record an item holds. An unreadable item fails closed rather than being skipped. */
export const fromCancellationItem = (item: Record<string, AttributeValue>): Cancellation => {
  try {
    const json = item.record?.S;
    if (json === undefined) throw new TypeError("cancellation item has no record attribute");
    const record = JSON.parse(json) as Cancellation;
    if (typeof record?.id !== "string" || typeof record.version !== "number") {
      throw new TypeError("cancellation item record is not a cancellation");
    }
    return record;
  } catch (error) {
    throw storeUnavailable("cancellations", "read of an unreadable cancellation item", error);
  }
};
