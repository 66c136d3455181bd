/**
 * The idempotency key's item, as the store's writes see it: its attribute names, the
 * conditions under which a key is taken (or taken over from an abandoned attempt), the
 * updates that complete or release it, and what a refused take says.
 */
import type { AttributeValue, TransactWriteItem } from "@aws-sdk/client-dynamodb";
import type { CancelOutcome } from "#core/outcome.ts";
import type { BeginRequest, BeginResult, CompleteRequest, Lease, ReleaseRequest } from "#core/ports.ts";
import { RECOVERY_ATTRIBUTES } from "./attempt-recovery.ts";
import { storeUnavailable } from "./dynamo-errors.ts";
import { idempotencyItemKey } from "./table-definitions.ts";

/** How long a key is remembered (docs/api.md, "Idempotency": 24 h), in seconds. */
export const KEY_LIFETIME_SECONDS = 24 * 60 * 60;

export const IN_PROGRESS = "IN_PROGRESS";
const COMPLETED = "COMPLETED";
export const RELEASED = "RELEASED";

/** Every attribute name goes through a placeholder: `status` is a reserved word, and the rest stay uniform. */
const NAMES = {
  "#pk": "pk",
  "#status": "status",
  "#payloadHash": "payloadHash",
  "#lockToken": "lockToken",
  "#lockUntil": "lockUntil",
  "#attempt": "attempt",
  "#expiresAt": "expiresAt",
  "#outcome": "outcome",
  "#completedAt": "completedAt",
  "#releasedAt": "releasedAt",
  "#dueKey": "dueKey",
  "#nextCheckAt": "nextCheckAt",
  "#recovery": "recovery",
  "#ownCancellation": "ownCancellation",
} as const;

export const pick = <K extends keyof typeof NAMES>(...keys: K[]): Pick<typeof NAMES, K> =>
  Object.fromEntries(keys.map((key) => [key, NAMES[key]])) as Pick<typeof NAMES, K>;

export const keyOf = (scopeKey: string): Record<string, AttributeValue> => {
  const { pk, sk } = idempotencyItemKey(scopeKey);
  return { pk: { S: pk }, sk: { S: sk } };
};

export const numberOf = (item: Record<string, AttributeValue>, name: string): number | undefined => {
  const text = item[name]?.N;
  return text === undefined ? undefined : Number(text);
};

/** A key whose 24 hours are over counts as absent, whether or not TTL has deleted it yet. */
export const isExpired = (item: Record<string, AttributeValue>, nowSeconds: number): boolean => {
  const expiresAt = numberOf(item, "expiresAt");
  return expiresAt !== undefined && expiresAt <= nowSeconds;
};

/** An ordinary take: the key is absent, expired, in progress with its lock over, or released (same payload for the last two). */
export const beginCondition = (request: BeginRequest, payloadHash: string) => ({
  ConditionExpression:
    "attribute_not_exists(#pk) OR #expiresAt <= :nowSeconds OR " +
    "(#status = :inProgress AND #lockUntil <= :now AND #payloadHash = :payloadHash) OR " +
    "(#status = :released AND #payloadHash = :payloadHash)",
  ExpressionAttributeNames: pick("#pk", "#expiresAt", "#status", "#lockUntil", "#payloadHash"),
  ExpressionAttributeValues: {
    ":nowSeconds": { N: String(Math.floor(request.now / 1000)) },
    ":now": { N: String(request.now) },
    ":inProgress": { S: IN_PROGRESS },
    ":released": { S: RELEASED },
    ":payloadHash": { S: payloadHash },
  },
});

/** Taking over: only from the attempt holding that token, in progress with its lock over. */
export const takeOverCondition = (request: BeginRequest & { takeOver: string }, payloadHash: string) => ({
  ConditionExpression:
    "#lockToken = :takeOver AND #status = :inProgress AND #lockUntil <= :now AND #payloadHash = :payloadHash",
  ExpressionAttributeNames: pick("#lockToken", "#status", "#lockUntil", "#payloadHash"),
  ExpressionAttributeValues: {
    ":takeOver": { S: request.takeOver },
    ":inProgress": { S: IN_PROGRESS },
    ":now": { N: String(request.now) },
    ":payloadHash": { S: payloadHash },
  },
});

/** Completing or releasing a key ends its lock and takes it out of the continuation's reach. */
const END_OF_ATTEMPT = `REMOVE #lockUntil, ${RECOVERY_ATTRIBUTES.map((name) => `#${name}`).join(", ")}`;

const heldBy = (lease: Lease) => ({
  ConditionExpression: "#lockToken = :token AND #status = :inProgress",
  values: { ":token": { S: lease.token }, ":inProgress": { S: IN_PROGRESS } },
});

/** The key's completion inside a transaction: conditional on the lease still holding it. */
export const keyCompletion = (table: string, lease: Lease, request: CompleteRequest): TransactWriteItem => ({
  Update: {
    TableName: table,
    Key: keyOf(lease.scopeKey),
    UpdateExpression: `SET #status = :completed, #outcome = :outcome, #completedAt = :completedAt, #attempt = :attempt ${END_OF_ATTEMPT}`,
    ConditionExpression: heldBy(lease).ConditionExpression,
    ExpressionAttributeNames: pick(
      "#status",
      "#outcome",
      "#completedAt",
      "#attempt",
      "#lockUntil",
      "#lockToken",
      "#dueKey",
      "#nextCheckAt",
      "#recovery",
    ),
    ExpressionAttributeValues: {
      ":completed": { S: COMPLETED },
      ":outcome": { S: JSON.stringify(request.outcome) },
      ":completedAt": { S: new Date(request.now).toISOString() },
      ":attempt": { N: String(lease.attempt) },
      ...heldBy(lease).values,
    },
  },
});

/**
 * The key's release inside a transaction: kept as RELEASED, conditional on the lease still
 * holding it. `opened`: the incarnation of the cancellation the same transaction opens for
 * this request, which the key remembers for its next attempts (`Lease.ownCancellation`).
 */
export const keyRelease = (
  table: string,
  lease: Lease,
  request: ReleaseRequest,
  opened: string | undefined,
): TransactWriteItem => ({
  Update: {
    TableName: table,
    Key: keyOf(lease.scopeKey),
    UpdateExpression:
      `SET #status = :released, #releasedAt = :releasedAt, #attempt = :attempt` +
      `${opened === undefined ? "" : ", #ownCancellation = :opened"} ${END_OF_ATTEMPT}`,
    ConditionExpression: heldBy(lease).ConditionExpression,
    ExpressionAttributeNames: {
      ...pick(
        "#status",
        "#releasedAt",
        "#attempt",
        "#lockUntil",
        "#lockToken",
        "#dueKey",
        "#nextCheckAt",
        "#recovery",
      ),
      ...(opened !== undefined && pick("#ownCancellation")),
    },
    ExpressionAttributeValues: {
      ":released": { S: RELEASED },
      ":releasedAt": { S: new Date(request.now).toISOString() },
      ":attempt": { N: String(lease.attempt) },
      ...heldBy(lease).values,
      ...(opened !== undefined && { ":opened": { S: opened } }),
    },
  },
});

/** Reads the old item a refused take returned: mismatch first, then replay or in progress. */
export const whyRefused = (
  old: Record<string, AttributeValue> | undefined,
  payloadHash: string,
  now: number,
  error: unknown,
): BeginResult => {
  if (old === undefined)
    throw storeUnavailable("idempotency", "PutItem (refused without the old item)", error);
  if (old.payloadHash?.S !== payloadHash) return { kind: "payload-mismatch" };
  const status = old.status?.S;
  if (status === COMPLETED) {
    const outcome = old.outcome?.S;
    const completedAt = old.completedAt?.S;
    if (outcome === undefined || completedAt === undefined) {
      throw storeUnavailable("idempotency", "PutItem (completed key without outcome)", error);
    }
    try {
      return { kind: "replay", outcome: JSON.parse(outcome) as CancelOutcome, completedAt };
    } catch (parseError) {
      throw storeUnavailable("idempotency", "PutItem (unreadable stored outcome)", parseError);
    }
  }
  if (status === IN_PROGRESS) {
    const lockUntil = numberOf(old, "lockUntil") ?? now;
    return { kind: "in-progress", retryAfterSeconds: Math.max(1, Math.ceil((lockUntil - now) / 1000)) };
  }
  throw storeUnavailable("idempotency", `PutItem (unknown key status ${String(status)})`, error);
};

/**
 * A taking over refused: the attempt completed (its answer), or is no longer the abandoned
 * one (released, or taken by a retry meanwhile): it is left alone.
 */
export const leftAlone = (old: Record<string, AttributeValue> | undefined): BeginResult => {
  const outcome = old?.status?.S === COMPLETED ? old.outcome?.S : undefined;
  const completedAt = old?.completedAt?.S;
  if (outcome !== undefined && completedAt !== undefined) {
    try {
      return { kind: "replay", outcome: JSON.parse(outcome) as CancelOutcome, completedAt };
    } catch {
      // An unreadable answer is no reason to fail the continuation's run: the key is left alone.
    }
  }
  return { kind: "in-progress", retryAfterSeconds: 1 };
};
