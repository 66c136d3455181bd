/**
 * The idempotency store on DynamoDB (DESIGN.md "Idempotency").
 *
 * - `begin` is one conditional PutItem. Its `ALL_OLD` answer, on refusal, says in the same
 *   round trip whether the call is a replay, still in progress, or another payload.
 * - `complete` and `release` are one TransactWriteItems each, so the key's new state and
 *   the audit record (and a pending cancel) are written together or not at all.
 *
 * Happy path: 2 round trips (begin + complete); a replay: 1. Resuming an attempt whose
 * lock expired costs one more write, to record the attempt number.
 */
import { randomUUID } from "node:crypto";
import {
  type AttributeValue,
  type DynamoDBClient,
  PutItemCommand,
  type PutItemCommandOutput,
  type TransactWriteItem,
  TransactWriteItemsCommand,
  UpdateItemCommand,
} from "@aws-sdk/client-dynamodb";
import { ValidationError } from "#core/errors.ts";
import type { CancelOutcome } from "#core/outcome.ts";
import type {
  AuditRecord,
  BeginRequest,
  BeginResult,
  CompleteRequest,
  IdempotencyStore,
  Lease,
} from "#core/ports.ts";
import { AuditRecordExistsError, auditPut } from "./audit-item.ts";
import {
  cancellationReasons,
  conditionFailedItem,
  retryOnConflict,
  storeUnavailable,
} from "./dynamo-errors.ts";
import { hashPayload } from "./payload-hash.ts";
import { pendingUpdate } from "./pending-cancels.ts";
import { idempotencyKeyOf } from "./table-definitions.ts";

/** How long a key is remembered (DESIGN.md: 24 h), in seconds. */
export const KEY_LIFETIME_SECONDS = 24 * 60 * 60;

const IN_PROGRESS = "IN_PROGRESS";
const COMPLETED = "COMPLETED";

export interface DynamoIdempotencyStoreOptions {
  client: DynamoDBClient;
  idempotencyTable: string;
  auditTable: string;
  /** Payload fingerprint; defaults to SHA-256 of the canonical (key-sorted) JSON. */
  hash?: (payload: unknown) => string;
}

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
} as const;

const pick = <K extends keyof typeof NAMES>(...keys: K[]): Pick<typeof NAMES, K> =>
  Object.fromEntries(keys.map((key) => [key, NAMES[key]])) as Pick<typeof NAMES, K>;

const keyOf = (scopeKey: string): Record<string, AttributeValue> => {
  const { pk, sk } = idempotencyKeyOf(scopeKey);
  return { pk: { S: pk }, sk: { S: sk } };
};

const numberOf = (item: Record<string, AttributeValue>, name: string): number | undefined => {
  const text = item[name]?.N;
  return text === undefined ? undefined : Number(text);
};

/** A key whose 24 hours are over counts as absent, whether or not TTL has deleted it yet. */
const isExpired = (item: Record<string, AttributeValue>, nowSeconds: number): boolean => {
  const expiresAt = numberOf(item, "expiresAt");
  return expiresAt !== undefined && expiresAt <= nowSeconds;
};

export class DynamoIdempotencyStore implements IdempotencyStore {
  readonly #client: DynamoDBClient;
  readonly #table: string;
  readonly #auditTable: string;
  readonly #hash: (payload: unknown) => string;

  constructor(options: DynamoIdempotencyStoreOptions) {
    this.#client = options.client;
    this.#table = options.idempotencyTable;
    this.#auditTable = options.auditTable;
    this.#hash = options.hash ?? hashPayload;
  }

  /**
   * Takes the key (IN_PROGRESS, until `lockUntil`) or says why not, in one conditional put.
   * The put succeeds when the key is absent, expired (24 h, checked here because TTL
   * deletes lazily), or IN_PROGRESS with an expired lock and the same payload (a resumed
   * attempt: `resumed`, attempt + 1).
   *
   * @throws ValidationError when `lockUntil` is not after `now`
   * @throws StoreUnavailableError when DynamoDB fails (fail closed: the caller must not call upstream)
   */
  async begin(request: BeginRequest): Promise<BeginResult> {
    if (!(request.lockUntil > request.now)) {
      throw new ValidationError("lockUntil", "lockUntil must be later than now");
    }
    const payloadHash = this.#hash(request.payload);
    const nowSeconds = Math.floor(request.now / 1000);
    const token = randomUUID();
    let output: PutItemCommandOutput;
    try {
      output = await retryOnConflict(() =>
        this.#client.send(
          new PutItemCommand({
            TableName: this.#table,
            Item: {
              ...keyOf(request.scopeKey),
              scopeKey: { S: request.scopeKey },
              status: { S: IN_PROGRESS },
              payloadHash: { S: payloadHash },
              lockToken: { S: token },
              lockUntil: { N: String(request.lockUntil) },
              attempt: { N: "1" },
              startedAt: { S: new Date(request.now).toISOString() },
              expiresAt: { N: String(nowSeconds + KEY_LIFETIME_SECONDS) },
            },
            ConditionExpression:
              "attribute_not_exists(#pk) OR #expiresAt <= :nowSeconds OR " +
              "(#status = :inProgress AND #lockUntil <= :now AND #payloadHash = :payloadHash)",
            ExpressionAttributeNames: pick("#pk", "#expiresAt", "#status", "#lockUntil", "#payloadHash"),
            ExpressionAttributeValues: {
              ":nowSeconds": { N: String(nowSeconds) },
              ":now": { N: String(request.now) },
              ":inProgress": { S: IN_PROGRESS },
              ":payloadHash": { S: payloadHash },
            },
            ReturnValues: "ALL_OLD",
            ReturnValuesOnConditionCheckFailure: "ALL_OLD",
          }),
        ),
      );
    } catch (error) {
      const refused = conditionFailedItem(error);
      if (refused === undefined) throw storeUnavailable("idempotency", "PutItem", error);
      return this.#whyRefused(refused.item, payloadHash, request.now, error);
    }

    const old = output.Attributes;
    const lease: Lease = { scopeKey: request.scopeKey, token, attempt: 1, resumed: false };
    if (old !== undefined && !isExpired(old, nowSeconds) && old.status?.S === IN_PROGRESS) {
      lease.attempt = (numberOf(old, "attempt") ?? 1) + 1;
      lease.resumed = true;
      await this.#recordAttempt(lease);
    }
    return { kind: "acquired", lease };
  }

  /**
   * Completes the key with the outcome and appends the audit record (and the pending
   * cancel, when given) in one transaction, provided the lease still holds the key.
   *
   * @returns `lock-lost` when another attempt took the key over; nothing was written
   * @throws AuditRecordExistsError when the audit record's key exists; nothing was written
   * @throws StoreUnavailableError when DynamoDB fails
   */
  async complete(lease: Lease, request: CompleteRequest): Promise<"completed" | "lock-lost"> {
    const items: TransactWriteItem[] = [
      {
        Update: {
          TableName: this.#table,
          Key: keyOf(lease.scopeKey),
          UpdateExpression:
            "SET #status = :completed, #outcome = :outcome, #completedAt = :completedAt, #attempt = :attempt " +
            "REMOVE #lockUntil",
          ConditionExpression: "#lockToken = :token AND #status = :inProgress",
          ExpressionAttributeNames: pick(
            "#status",
            "#outcome",
            "#completedAt",
            "#attempt",
            "#lockUntil",
            "#lockToken",
          ),
          ExpressionAttributeValues: {
            ":completed": { S: COMPLETED },
            ":outcome": { S: JSON.stringify(request.outcome) },
            ":completedAt": { S: new Date(request.now).toISOString() },
            ":attempt": { N: String(lease.attempt) },
            ":token": { S: lease.token },
            ":inProgress": { S: IN_PROGRESS },
          },
        },
      },
      { Put: auditPut(this.#auditTable, request.audit) },
      ...(request.stepAudits ?? []).map((record) => ({ Put: auditPut(this.#auditTable, record) })),
    ];
    if (request.pending !== undefined) items.push({ Update: pendingUpdate(this.#table, request.pending) });
    return (await this.#transactHoldingLock(items, request.audit)) ? "completed" : "lock-lost";
  }

  /**
   * Deletes the key (so a retry runs again) and appends the audit record in one
   * transaction. If the lease no longer holds the key, the key is left to its new holder
   * and the audit record is appended alone: the attempt's outcome is still recorded.
   *
   * @throws AuditRecordExistsError when the audit record's key exists
   * @throws StoreUnavailableError when DynamoDB fails
   */
  async release(lease: Lease, audit: AuditRecord): Promise<void> {
    const released = await this.#transactHoldingLock(
      [
        {
          Delete: {
            TableName: this.#table,
            Key: keyOf(lease.scopeKey),
            ConditionExpression: "#lockToken = :token AND #status = :inProgress",
            ExpressionAttributeNames: pick("#lockToken", "#status"),
            ExpressionAttributeValues: { ":token": { S: lease.token }, ":inProgress": { S: IN_PROGRESS } },
          },
        },
        { Put: auditPut(this.#auditTable, audit) },
      ],
      audit,
    );
    if (released) return;
    const put = auditPut(this.#auditTable, audit);
    try {
      await this.#client.send(new PutItemCommand(put));
    } catch (error) {
      if (conditionFailedItem(error)) {
        throw new AuditRecordExistsError(put.Item?.pk?.S ?? "", put.Item?.sk?.S ?? "", { cause: error });
      }
      throw storeUnavailable("idempotency", "PutItem", error);
    }
  }

  /** Runs a transaction whose first item is conditional on the lease; `false` when that condition failed. */
  async #transactHoldingLock(items: TransactWriteItem[], audit: AuditRecord): Promise<boolean> {
    try {
      await retryOnConflict(() => this.#client.send(new TransactWriteItemsCommand({ TransactItems: items })));
      return true;
    } catch (error) {
      const reasons = cancellationReasons(error);
      if (reasons?.[0]?.Code === "ConditionalCheckFailed") return false;
      if (reasons?.[1]?.Code === "ConditionalCheckFailed") {
        const put = auditPut(this.#auditTable, audit);
        throw new AuditRecordExistsError(put.Item?.pk?.S ?? "", put.Item?.sk?.S ?? "", { cause: error });
      }
      throw storeUnavailable("idempotency", "TransactWriteItems", error);
    }
  }

  /**
   * Stores a resumed attempt's number. The put could not: it cannot know the previous
   * number before it succeeds. Conditional on the new token, so it never touches a key
   * someone else holds.
   */
  async #recordAttempt(lease: Lease): Promise<void> {
    try {
      await this.#client.send(
        new UpdateItemCommand({
          TableName: this.#table,
          Key: keyOf(lease.scopeKey),
          UpdateExpression: "SET #attempt = :attempt",
          ConditionExpression: "#lockToken = :token",
          ExpressionAttributeNames: pick("#attempt", "#lockToken"),
          ExpressionAttributeValues: {
            ":attempt": { N: String(lease.attempt) },
            ":token": { S: lease.token },
          },
        }),
      );
    } catch (error) {
      // Lost already (a lock shorter than this round trip): complete() will say lock-lost.
      if (conditionFailedItem(error)) return;
      throw storeUnavailable("idempotency", "UpdateItem", error);
    }
  }

  /** Reads the old item a refused put returned: mismatch first, then replay or in progress. */
  #whyRefused(
    old: Record<string, AttributeValue> | undefined,
    payloadHash: string,
    now: number,
    error: unknown,
  ): BeginResult {
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
  }
}
