/**
 * The idempotency store on DynamoDB (docs/api.md, "Idempotency"; ADR 0001).
 *
 * - `begin` is one conditional PutItem. Its `ALL_OLD` answer, on refusal, says in the same
 *   round trip whether the call is a replay, still in progress, or another payload.
 * - Completing or releasing the key is the unit of work's (unit-of-work.ts): one
 *   TransactWriteItems each, the key's new state, the audit records and a cancellation's
 *   transition written together or not at all.
 * - A released key is kept (RELEASED, same payload only): the attempt that released it may
 *   have acted upstream before its operational failure, and the retry must know it.
 * - A single cancel's key, while in progress, is findable by the continuation
 *   (attempt-recovery.ts): an attempt killed or whose completing write failed after the
 *   upstream acted is finished by it, not lost.
 *
 * Happy path: 2 round trips (begin + the unit of work's finish); a replay: 1. Resuming an attempt whose
 * lock expired or that was released costs one more write, to record the attempt number.
 */
import { randomUUID } from "node:crypto";
import {
  type DynamoDBClient,
  PutItemCommand,
  type PutItemCommandOutput,
  UpdateItemCommand,
} from "@aws-sdk/client-dynamodb";
import { ValidationError } from "#core/errors.ts";
import type {
  AbandonedAttempt,
  BeginRequest,
  BeginResult,
  IdempotencyStore,
  Lease,
  Page,
} from "#core/ports.ts";
import { abandonedAttempts, recoveryAttributes } from "./attempt-recovery.ts";
import { conditionFailedItem, retryOnConflict, storeUnavailable } from "./dynamo-errors.ts";
import {
  beginCondition,
  IN_PROGRESS,
  isExpired,
  KEY_LIFETIME_SECONDS,
  keyOf,
  leftAlone,
  numberOf,
  pick,
  RELEASED,
  takeOverCondition,
  whyRefused,
} from "./idempotency-key-item.ts";
import { hashPayload } from "./payload-hash.ts";

export { KEY_LIFETIME_SECONDS };

export interface DynamoIdempotencyStoreOptions {
  client: DynamoDBClient;
  idempotencyTable: string;
  /** Payload fingerprint; defaults to SHA-256 of the canonical (key-sorted) JSON. */
  hash?: (payload: unknown) => string;
}

export class DynamoIdempotencyStore implements IdempotencyStore {
  readonly #client: DynamoDBClient;
  readonly #table: string;
  readonly #hash: (payload: unknown) => string;

  constructor(options: DynamoIdempotencyStoreOptions) {
    this.#client = options.client;
    this.#table = options.idempotencyTable;
    this.#hash = options.hash ?? hashPayload;
  }

  /**
   * Takes the key (IN_PROGRESS, until `lockUntil`) or says why not, in one conditional put.
   * The put succeeds when the key is absent, expired (24 h, checked here because TTL
   * deletes lazily), IN_PROGRESS with an expired lock, or RELEASED, with the same payload
   * (the last two are resumed attempts: `resumed`, attempt + 1).
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
    const takingOver = request.takeOver !== undefined;
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
              ...(request.recovery && recoveryAttributes(request.recovery)),
            },
            ...(request.takeOver !== undefined
              ? takeOverCondition({ ...request, takeOver: request.takeOver }, payloadHash)
              : beginCondition(request, payloadHash)),
            ReturnValues: "ALL_OLD",
            ReturnValuesOnConditionCheckFailure: "ALL_OLD",
          }),
        ),
      );
    } catch (error) {
      const refused = conditionFailedItem(error);
      if (refused === undefined) throw storeUnavailable("idempotency", "PutItem", error);
      if (takingOver) return leftAlone(refused.item);
      return whyRefused(refused.item, payloadHash, request.now, error);
    }

    const old = output.Attributes;
    const lease: Lease = { scopeKey: request.scopeKey, token, attempt: 1, resumed: false };
    const oldStatus = old?.status?.S;
    // A taken-over attempt is resumed even past the key's 24 hours: it may have acted upstream.
    const resumable = oldStatus === IN_PROGRESS || oldStatus === RELEASED;
    if (old !== undefined && resumable && (takingOver || !isExpired(old, nowSeconds))) {
      lease.attempt = (numberOf(old, "attempt") ?? 1) + 1;
      lease.resumed = true;
      const own = old.ownCancellation?.S;
      if (own !== undefined) lease.ownCancellation = own;
      await this.#recordAttempt(lease);
    }
    return { kind: "acquired", lease };
  }

  /** Attempts of single cancels in progress past their recovery time, oldest first (one Query of `byNextCheck`). */
  abandoned(now: number, options: { limit?: number; cursor?: string } = {}): Promise<Page<AbandonedAttempt>> {
    return abandonedAttempts(this.#client, this.#table, now, options);
  }

  /**
   * Stores a resumed attempt's number, and carries on the cancellation its request opened.
   * The put could not: it cannot know the old item before it succeeds. Conditional on the
   * new token, so it never touches a key someone else holds.
   */
  async #recordAttempt(lease: Lease): Promise<void> {
    const own = lease.ownCancellation;
    try {
      await this.#client.send(
        new UpdateItemCommand({
          TableName: this.#table,
          Key: keyOf(lease.scopeKey),
          UpdateExpression: `SET #attempt = :attempt${own === undefined ? "" : ", #ownCancellation = :own"}`,
          ConditionExpression: "#lockToken = :token",
          ExpressionAttributeNames: {
            ...pick("#attempt", "#lockToken"),
            ...(own !== undefined && pick("#ownCancellation")),
          },
          ExpressionAttributeValues: {
            ":attempt": { N: String(lease.attempt) },
            ":token": { S: lease.token },
            ...(own !== undefined && { ":own": { S: own } }),
          },
        }),
      );
    } catch (error) {
      // Lost already (a lock shorter than this round trip): complete() will say lock-lost.
      if (conditionFailedItem(error)) return;
      throw storeUnavailable("idempotency", "UpdateItem", error);
    }
  }
}
