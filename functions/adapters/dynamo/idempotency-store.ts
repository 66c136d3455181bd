/**
 * The idempotency store on DynamoDB (docs/api.md, "Idempotency"; ADR 0001).
 *
 * - `begin` is one conditional PutItem. Its `ALL_OLD` answer, on refusal, says in the same
 *   round trip whether the call is a replay, still in progress, or another payload.
 * - `complete` and `release` are one TransactWriteItems each, so the key's new state, the
 *   audit records and a cancellation's transition are written together or not at all.
 * - A released key is kept (RELEASED, same payload only): the attempt that released it may
 *   have acted upstream before its operational failure, and the retry must know it.
 * - A single cancel's key, while in progress, is findable by the continuation
 *   (attempt-recovery.ts): an attempt killed or whose completing write failed after the
 *   upstream acted is finished by it, not lost.
 *
 * Happy path: 2 round trips (begin + complete); a replay: 1. Resuming an attempt whose
 * lock expired or that was released costs one more write, to record the attempt number.
 */
import { randomUUID } from "node:crypto";
import {
  type DynamoDBClient,
  PutItemCommand,
  type PutItemCommandOutput,
  type TransactWriteItem,
  UpdateItemCommand,
} from "@aws-sdk/client-dynamodb";
import { ValidationError } from "#core/errors.ts";
import type {
  AbandonedAttempt,
  AuditRecord,
  BeginRequest,
  BeginResult,
  CancellationTransition,
  CompleteRequest,
  CompleteResult,
  IdempotencyStore,
  Lease,
  Page,
  ReleaseRequest,
} from "#core/ports.ts";
import { abandonedAttempts, recoveryAttributes } from "./attempt-recovery.ts";
import { AuditRecordExistsError, auditPut } from "./audit-item.ts";
import { cancellationPut } from "./cancellation-item.ts";
import {
  cancellationReasons,
  conditionFailedItem,
  retryOnConflict,
  storeUnavailable,
  transactWrite,
} from "./dynamo-errors.ts";
import {
  beginCondition,
  IN_PROGRESS,
  isExpired,
  KEY_LIFETIME_SECONDS,
  keyCompletion,
  keyOf,
  keyRelease,
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
  auditTable: string;
  /** Payload fingerprint; defaults to SHA-256 of the canonical (key-sorted) JSON. */
  hash?: (payload: unknown) => string;
}

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
   * Completes the key with the outcome, appends the audit records and writes the
   * cancellation's transition in one transaction, provided the lease still holds the key.
   * Opening an intent's or a charge's cancellation while one is open for it joins it: the
   * transaction is written again without the opening.
   *
   * @returns `lock-lost` when another attempt took the key over, `cancellation-moved` when
   *   the cancellation's version moved on; nothing was written in either case
   * @throws AuditRecordExistsError when an audit record's key exists; nothing was written
   * @throws StoreUnavailableError when DynamoDB fails
   */
  async complete(lease: Lease, request: CompleteRequest): Promise<CompleteResult> {
    const keyUpdate = keyCompletion(this.#table, lease, request);
    const written = await this.#transactHoldingLock(keyUpdate, request.audits, request.cancellation);
    if (written !== "cancellation-moved") return written ? "completed" : "lock-lost";
    const joining =
      request.cancellation?.expectedVersion === null && request.cancellation.next.kind !== "order";
    if (!joining) return "cancellation-moved";
    // Another request's cancellation of this intent is open: it covers this one too.
    return (await this.#transactHoldingLock(keyUpdate, request.audits, undefined))
      ? "completed"
      : "lock-lost";
  }

  /**
   * Releases the key after an operational failure (so a retry runs again), keeping it as
   * RELEASED: a retry with the same payload takes it as a resumed attempt, since this one
   * may have acted upstream. The audit records and the cancellation's transition are
   * written in the same transaction. Opening a cancellation while one is open for the
   * target joins it (the records are still written); if a transition found the
   * cancellation moved on meanwhile, the key is released alone. If the lease no longer holds the key, nothing is written: the attempt
   * that took it over records what is true, and a late record of this one would end the
   * trail on a failure that no longer stands.
   *
   * @throws AuditRecordExistsError when an audit record's key exists
   * @throws StoreUnavailableError when DynamoDB fails
   */
  async release(lease: Lease, request: ReleaseRequest): Promise<void> {
    const { cancellation } = request;
    const opening = cancellation?.expectedVersion === null;
    const opened = opening && cancellation.next.kind !== "order" ? cancellation.next.incarnation : undefined;
    const released = await this.#transactHoldingLock(
      keyRelease(this.#table, lease, request, opened),
      request.audits,
      cancellation,
    );
    if (released !== "cancellation-moved") return;
    // Opening one while another is open for the target joins it; a moved transition did not happen.
    await this.#transactHoldingLock(
      keyRelease(this.#table, lease, request, undefined),
      opening ? request.audits : [],
      undefined,
    );
  }

  /**
   * Runs the key's write, the cancellation's transition and the audit records as one
   * transaction: `true` when written, `false` when the key's condition failed (the lock
   * is lost), `cancellation-moved` when the transition's did.
   */
  async #transactHoldingLock(
    keyWrite: TransactWriteItem,
    audits: AuditRecord[],
    cancellation: CancellationTransition | undefined,
  ): Promise<boolean | "cancellation-moved"> {
    const items: TransactWriteItem[] = [
      keyWrite,
      ...(cancellation ? [{ Put: cancellationPut(this.#table, cancellation) }] : []),
      ...audits.map((record) => ({ Put: auditPut(this.#auditTable, record) })),
    ];
    try {
      await transactWrite(this.#client, items);
      return true;
    } catch (error) {
      const reasons = cancellationReasons(error);
      if (reasons?.[0]?.Code === "ConditionalCheckFailed") return false;
      if (cancellation && reasons?.[1]?.Code === "ConditionalCheckFailed") return "cancellation-moved";
      const clash = reasons?.findIndex((reason) => reason.Code === "ConditionalCheckFailed") ?? -1;
      if (clash > 0) {
        const put = items[clash]?.Put;
        throw new AuditRecordExistsError(put?.Item?.pk?.S ?? "", put?.Item?.sk?.S ?? "", { cause: error });
      }
      throw storeUnavailable("idempotency", "TransactWriteItems", error);
    }
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
