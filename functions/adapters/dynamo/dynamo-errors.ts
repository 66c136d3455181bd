/**
 * Telling DynamoDB's expected refusals (a condition that did not hold) from real failures.
 * Errors are matched by `name`, not `instanceof`, so a client from another copy of the SDK
 * is classified the same way.
 */
import { randomUUID } from "node:crypto";
import {
  type AttributeValue,
  type CancellationReason,
  type DynamoDBClient,
  type TransactWriteItem,
  TransactWriteItemsCommand,
} from "@aws-sdk/client-dynamodb";
import { StoreRefusedError, StoreUnavailableError } from "#core/errors.ts";

export type StoreName = "idempotency" | "audit" | "cancellations" | "upstream-budget" | "bulk-jobs";

const nameOf = (error: unknown): string =>
  error instanceof Error ? error.name : typeof error === "object" && error !== null ? "object" : typeof error;

/** A single-item write refused by its `ConditionExpression`; carries the old item when asked for. */
export const conditionFailedItem = (
  error: unknown,
): { item: Record<string, AttributeValue> | undefined } | undefined => {
  if (nameOf(error) !== "ConditionalCheckFailedException") return undefined;
  return { item: (error as { Item?: Record<string, AttributeValue> }).Item };
};

/** The per-item reasons of a cancelled `TransactWriteItems`, in request order; `undefined` for other errors. */
export const cancellationReasons = (error: unknown): CancellationReason[] | undefined => {
  if (nameOf(error) !== "TransactionCanceledException") return undefined;
  return (error as { CancellationReasons?: CancellationReason[] }).CancellationReasons ?? [];
};

/**
 * DynamoDB refused the request itself (a key or an item too large, a value it cannot hold):
 * a ValidationException, or a transaction cancelled for a ValidationError. Permanent.
 */
const isRefusedRequest = (error: unknown): boolean =>
  nameOf(error) === "ValidationException" ||
  (cancellationReasons(error)?.some((reason) => reason.Code === "ValidationError") ?? false);

/**
 * Fail closed: anything that is not a condition outcome makes the store unavailable. A
 * request DynamoDB refused as invalid is a `StoreRefusedError` (still a store failure,
 * but one that no retry fixes).
 */
export const storeUnavailable = (
  store: StoreName,
  operation: string,
  error: unknown,
): StoreUnavailableError => {
  const message = `DynamoDB ${operation} on the ${store} store failed (${nameOf(error)})`;
  return isRefusedRequest(error)
    ? new StoreRefusedError(store, message, { cause: error })
    : new StoreUnavailableError(store, message, { cause: error });
};

const isConflict = (error: unknown): boolean =>
  nameOf(error) === "TransactionConflictException" ||
  (cancellationReasons(error)?.some((reason) => reason.Code === "TransactionConflict") ?? false);

/**
 * Runs `operation` again when DynamoDB refused it only because another transaction held
 * one of its items at that instant (the SDK does not retry those). Transactions here take
 * milliseconds, so a few short, jittered waits suffice; the last error is rethrown.
 */
export const retryOnConflict = async <T>(operation: () => Promise<T>, attempts = 4): Promise<T> => {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await operation();
    } catch (error) {
      if (attempt >= attempts || !isConflict(error)) throw error;
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 25 * 2 ** attempt));
    }
  }
};

/**
 * One TransactWriteItems, retried on conflicts, with a client request token per attempt:
 * the SDK's own retries of that attempt (after a timeout, say) then repeat it
 * idempotently instead of finding its own writes and failing their conditions.
 */
export const transactWrite = (client: DynamoDBClient, items: TransactWriteItem[]): Promise<unknown> =>
  retryOnConflict(() =>
    client.send(new TransactWriteItemsCommand({ TransactItems: items, ClientRequestToken: randomUUID() })),
  );
