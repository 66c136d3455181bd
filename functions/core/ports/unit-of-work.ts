/**
 * The unit of work: every write that moves the service's durable state, each one transaction
 * (on DynamoDB one TransactWriteItems) of a state change and the audit records that describe
 * and announce it (ADR 0001, 0002, 0005). It is the one writer of a cancellation record, and
 * the one finisher of an idempotency key:
 *
 * - `finishAttempt`: an attempt's key completed with its outcome, its records, and the
 *   cancellation it opened or moved on;
 * - `releaseAttempt`: an attempt stopped by an operational failure gives its key back, with
 *   what it found and did;
 * - `commitTransition`: a cancellation moved on by whoever advances it (the continuation, an
 *   order opening its record), with its records.
 *
 * Implemented by functions/adapters/dynamo/unit-of-work.ts; in memory by the test support's.
 */
import type { BulkItemFinish } from "../bulk-ports.ts";
import type { Cancellation } from "../cancellation.ts";
import type { CancelOutcome } from "../outcome.ts";
import type { AuditRecord } from "./audit-log.ts";
import type { Lease } from "./idempotency.ts";

/**
 * One transition of a cancellation: the record as it is to be, and the version it must
 * still have (`null`: it must not exist yet, or, for a single cancel, be DONE). `next`
 * keeps the incarnation of the record it moves on: the write holds only while the stored
 * record is that incarnation at that version. Written with its audit records in one
 * transaction, or not at all.
 */
export interface CancellationTransition {
  next: Cancellation;
  expectedVersion: number | null;
}

export interface CompleteRequest {
  outcome: CancelOutcome;
  /** The records of this attempt (the first is the request target's own), written in the same transaction. */
  audits: AuditRecord[];
  /** A cancellation created or moved on by this attempt, written in the same transaction. */
  cancellation?: CancellationTransition;
  now: number;
}

export interface ReleaseRequest {
  /** The records of this attempt: what it found before the operational failure stopped it. */
  audits: AuditRecord[];
  /** A cancellation moved on by this attempt before it stopped (e.g. an order's intent step done). */
  cancellation?: CancellationTransition;
  now: number;
}

/**
 * - `lock-lost`: another attempt took the key over meanwhile; nothing was written.
 * - `cancellation-moved`: the cancellation's version moved on (another run advanced it);
 *   nothing was written. The caller re-reads it and completes from what it says.
 */
export type CompleteResult = "completed" | "lock-lost" | "cancellation-moved";

export interface UnitOfWork {
  /**
   * Completes the key with the outcome, appends the audit records and writes the
   * cancellation transition, in one transaction. Creating an intent's cancellation while
   * another one is open for that intent joins it (the creation is left out).
   */
  finishAttempt(lease: Lease, request: CompleteRequest): Promise<CompleteResult>;
  /**
   * Releases the key after an operational failure, so a retry runs again: the key is kept
   * as RELEASED (same payload only), remembering that the upstream may have acted, and the
   * records and the cancellation transition are written in the same transaction. If the
   * cancellation moved on meanwhile, only the key is released. A cancellation this release
   * opens is remembered by the key (`Lease.ownCancellation` of the next attempts).
   */
  releaseAttempt(lease: Lease, request: ReleaseRequest): Promise<void>;
  /**
   * Writes the transition and the audit records together; `conflict` when the version moved
   * on (nothing written). `bulkItem`: the bulk item this transition finishes, whose result is
   * written in the same transaction unless another writer finished it first (then the
   * transition is written without it).
   */
  commitTransition(
    transition: CancellationTransition,
    audits: AuditRecord[],
    bulkItem?: BulkItemFinish,
  ): Promise<"written" | "conflict">;
}
