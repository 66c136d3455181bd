/**
 * A single cancel's attempt, findable while it runs: its key item carries what the
 * continuation needs to finish it (`recovery`) and sits in the `byNextCheck` index under
 * `dueKey = ATTEMPT` from its recovery time on, until completing or releasing the key
 * removes the three attributes. Written by the `begin` put itself, so the happy path costs
 * no extra round trip (docs/decisions/0005-cancellation-lifecycle.md).
 */
import type { AttributeValue, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { AbandonedAttempt, AttemptRecovery, Page } from "#core/ports.ts";
import { storeUnavailable } from "./dynamo-errors.ts";
import { queryPage } from "./query-page.ts";
import { ATTEMPTS_PARTITION, CANCELLATIONS_DUE_INDEX } from "./table-definitions.ts";

/** The attributes completing or releasing a key removes. */
export const RECOVERY_ATTRIBUTES = ["dueKey", "nextCheckAt", "recovery"] as const;

/** The attributes `begin` writes for an attempt the continuation can finish. */
export const recoveryAttributes = (recovery: AttemptRecovery): Record<string, AttributeValue> => ({
  recovery: { S: JSON.stringify({ cancel: recovery.cancel, requestedBy: recovery.requestedBy }) },
  dueKey: { S: ATTEMPTS_PARTITION },
  nextCheckAt: { N: String(recovery.recoverAt) },
});

/** The attempt a key item describes. An unreadable item fails closed rather than being skipped. */
const fromAttemptItem = (item: Record<string, AttributeValue>): AbandonedAttempt => {
  try {
    const scopeKey = item.scopeKey?.S;
    const token = item.lockToken?.S;
    const recoverAt = Number(item.nextCheckAt?.N);
    const { cancel, requestedBy } = JSON.parse(item.recovery?.S ?? "null") as Omit<
      AttemptRecovery,
      "recoverAt"
    >;
    if (
      scopeKey === undefined ||
      token === undefined ||
      !Number.isFinite(recoverAt) ||
      !cancel ||
      !requestedBy
    ) {
      throw new TypeError("key item is not an attempt in progress");
    }
    return { scopeKey, token, recoverAt, cancel, requestedBy };
  } catch (error) {
    throw storeUnavailable("idempotency", "read of an unreadable attempt item", error);
  }
};

const INDEX_KEY = ["dueKey", "nextCheckAt", "pk", "sk"] as const;

/**
 * Attempts in progress whose recovery time is at or before `now`, oldest first. The index
 * is eventually consistent: one may be seen a moment after it completed; taking it over is
 * conditional on its lock token, so it is then left alone.
 */
export const abandonedAttempts = (
  client: DynamoDBClient,
  tableName: string,
  now: number,
  options: { limit?: number; cursor?: string },
): Promise<Page<AbandonedAttempt>> =>
  queryPage({
    client,
    store: "idempotency",
    query: {
      TableName: tableName,
      IndexName: CANCELLATIONS_DUE_INDEX,
      KeyConditionExpression: "dueKey = :attempts AND nextCheckAt <= :now",
      ExpressionAttributeValues: { ":attempts": { S: ATTEMPTS_PARTITION }, ":now": { N: String(now) } },
      ScanIndexForward: true,
    },
    keyAttributes: INDEX_KEY,
    partition: { dueKey: ATTEMPTS_PARTITION },
    limit: options.limit,
    cursor: options.cursor,
    map: fromAttemptItem,
  });
