/**
 * The unit of work on DynamoDB (functions/core/ports/unit-of-work.ts): every write that moves
 * the service's durable state is one TransactWriteItems of the state change and its audit
 * records (ADR 0001, 0002, 0005). This file is the one writer of a cancellation record
 * (`cancellationPut`, conditional on its version and incarnation) and the one finisher of an
 * idempotency key (`keyCompletion`, `keyRelease`, conditional on the lease's lock):
 *
 * - `finishAttempt`: the key completed + the cancellation's transition + the records;
 * - `releaseAttempt`: the key released (RELEASED, same payload only) + the same;
 * - `commitTransition`: the cancellation's transition + its records.
 *
 * A condition that fails says which write it guarded (`TransactionCanceledException`'s
 * reasons are in item order): the key's → the lock is lost; the cancellation's → it moved on;
 * an audit record's → the record exists (a bug, never retried); anything else → the store is
 * unavailable (fail closed).
 */
import type { DynamoDBClient, TransactWriteItem } from "@aws-sdk/client-dynamodb";
import type { JobEnd } from "#core/bulk-item-result.ts";
import type { BulkItemFinish } from "#core/bulk-ports.ts";
import type {
  AuditRecord,
  CancellationTransition,
  CompleteRequest,
  CompleteResult,
  Lease,
  ReleaseRequest,
  UnitOfWork,
} from "#core/ports.ts";
import { AuditRecordExistsError, auditPut } from "./audit-item.ts";
import { endingWrites, finishWrites } from "./bulk-items.ts";
import { jobEndFor, RESULT_ATTEMPTS } from "./bulk-job-end.ts";
import { cancellationPut } from "./cancellation-item.ts";
import { cancellationReasons, storeUnavailable, transactWrite } from "./dynamo-errors.ts";
import { keyCompletion, keyRelease } from "./idempotency-key-item.ts";

export interface DynamoUnitOfWorkOptions {
  client: DynamoDBClient;
  idempotencyTable: string;
  auditTable: string;
}

/**
 * Which guarded write refused, if one did (`bulk-item`: the bulk item a transition finishes;
 * `bulk-job`: its job, as that result is the job's last or the job moved on since it was read).
 */
type Refusal = "key" | "cancellation" | "bulk-item" | "bulk-job" | undefined;

export class DynamoUnitOfWork implements UnitOfWork {
  readonly #client: DynamoDBClient;
  readonly #table: string;
  readonly #auditTable: string;

  constructor(options: DynamoUnitOfWorkOptions) {
    this.#client = options.client;
    this.#table = options.idempotencyTable;
    this.#auditTable = options.auditTable;
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
  async finishAttempt(lease: Lease, request: CompleteRequest): Promise<CompleteResult> {
    const keyUpdate = keyCompletion(this.#table, lease, request);
    const refused = await this.#transact(keyUpdate, request.cancellation, request.audits);
    if (refused === undefined) return "completed";
    if (refused === "key") return "lock-lost";
    const joining =
      request.cancellation?.expectedVersion === null && request.cancellation.next.kind !== "order";
    if (!joining) return "cancellation-moved";
    // Another request's cancellation of this intent is open: it covers this one too.
    return (await this.#transact(keyUpdate, undefined, request.audits)) === undefined
      ? "completed"
      : "lock-lost";
  }

  /**
   * Releases the key after an operational failure (so a retry runs again), keeping it as
   * RELEASED: a retry with the same payload takes it as a resumed attempt, since this one
   * may have acted upstream. The audit records and the cancellation's transition are
   * written in the same transaction. Opening a cancellation while one is open for the
   * target joins it (the records are still written); if a transition found the
   * cancellation moved on meanwhile, the key is released alone. If the lease no longer
   * holds the key, nothing is written: the attempt that took it over records what is true,
   * and a late record of this one would end the trail on a failure that no longer stands.
   *
   * @throws AuditRecordExistsError when an audit record's key exists
   * @throws StoreUnavailableError when DynamoDB fails
   */
  async releaseAttempt(lease: Lease, request: ReleaseRequest): Promise<void> {
    const { cancellation } = request;
    const opening = cancellation?.expectedVersion === null;
    const opened = opening && cancellation.next.kind !== "order" ? cancellation.next.incarnation : undefined;
    const refused = await this.#transact(
      keyRelease(this.#table, lease, request, opened),
      cancellation,
      request.audits,
    );
    if (refused !== "cancellation") return;
    // Opening one while another is open for the target joins it; a moved transition did not happen.
    await this.#transact(
      keyRelease(this.#table, lease, request, undefined),
      undefined,
      opening ? request.audits : [],
    );
  }

  /**
   * @returns `conflict` when the version moved on (or, creating, the record exists); nothing was written
   * @throws AuditRecordExistsError when an audit record's key exists
   * @throws StoreUnavailableError when DynamoDB fails
   */
  async commitTransition(
    transition: CancellationTransition,
    audits: AuditRecord[],
    bulkItem?: BulkItemFinish,
  ): Promise<"written" | "conflict"> {
    // The bulk item's result that is its job's last ends the job in the same transaction.
    let end: JobEnd | undefined;
    for (let attempt = 1; attempt <= RESULT_ATTEMPTS; attempt++) {
      const refusal = await this.#transact(undefined, transition, audits, bulkItem, end);
      // The bulk item was finished by another writer first: the transition stands without it.
      if (refusal === "bulk-item") return this.commitTransition(transition, audits);
      if (refusal !== "bulk-job" || !bulkItem) return refusal === undefined ? "written" : "conflict";
      end = await jobEndFor(this.#client, this.#table, bulkItem);
    }
    throw storeUnavailable(
      "bulk-jobs",
      "TransactWriteItems (transition and result): the job kept moving on",
      undefined,
    );
  }

  /**
   * One transaction: the key's write (if any), the cancellation's transition (if any), the
   * audit records, then the bulk item's result and its job's counters (if any). Answers which
   * guarded write refused, or undefined when all was written.
   */
  async #transact(
    keyWrite: TransactWriteItem | undefined,
    cancellation: CancellationTransition | undefined,
    audits: AuditRecord[],
    bulkItem?: BulkItemFinish,
    bulkEnd?: JobEnd,
  ): Promise<Refusal> {
    const guarded: Exclude<Refusal, "bulk-item" | "bulk-job" | undefined>[] = [
      ...(keyWrite ? ["key" as const] : []),
      ...(cancellation ? ["cancellation" as const] : []),
    ];
    const items: TransactWriteItem[] = [
      ...(keyWrite ? [keyWrite] : []),
      ...(cancellation ? [{ Put: cancellationPut(this.#table, cancellation) }] : []),
      ...audits.map((record) => ({ Put: auditPut(this.#auditTable, record) })),
    ];
    const bulkFrom = items.length;
    if (bulkItem)
      items.push(
        ...(bulkEnd
          ? endingWrites(this.#table, this.#auditTable, bulkItem, bulkEnd)
          : finishWrites(this.#table, bulkItem)),
      );
    try {
      await transactWrite(this.#client, items);
      return undefined;
    } catch (error) {
      const reasons = cancellationReasons(error);
      const clash = reasons?.findIndex((reason) => reason.Code === "ConditionalCheckFailed") ?? -1;
      if (clash >= 0 && clash < guarded.length) return guarded[clash];
      if (clash === bulkFrom) return "bulk-item";
      if (clash === bulkFrom + 1) return "bulk-job";
      if (clash >= 0) {
        const put = items[clash]?.Put;
        throw new AuditRecordExistsError(put?.Item?.pk?.S ?? "", put?.Item?.sk?.S ?? "", { cause: error });
      }
      throw storeUnavailable(keyWrite ? "idempotency" : "cancellations", "TransactWriteItems", error);
    }
  }
}
