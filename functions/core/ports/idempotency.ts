/**
 * Taking an idempotency key (ADR 0001): one conditional write that acquires the key or says why
 * not, and the attempts of single cancels that never completed. Finishing or releasing a key is
 * the unit of work's (unit-of-work.ts). Implemented by functions/adapters/dynamo/idempotency-store.ts.
 */
import type { CancelOutcome } from "../outcome.ts";
import type { Trigger } from "../trigger.ts";
import type { Page } from "./audit-log.ts";

export interface BeginRequest {
  /** caller + route + key (HTTP), `bus:<key or event id>`, or `sweep:<intentId>`. */
  scopeKey: string;
  /** Hashed by the store; a later request with the same key and another payload is refused. */
  payload: unknown;
  now: number;
  /** Epoch ms until which the lock holds: the invocation's deadline. */
  lockUntil: number;
  /**
   * A single cancel's own description, kept with the key while it is in progress: an
   * attempt that never completes (killed, or its completing write failed) is then found
   * by the continuation from `recoverAt` on (`abandoned`), and finished by it.
   */
  recovery?: AttemptRecovery;
  /**
   * The continuation taking over an abandoned attempt: the key is taken only from the
   * attempt holding this lock token, in progress with its lock over; in any other state
   * (completed, released, taken by a retry meanwhile) it is left alone.
   */
  takeOver?: string;
}

/** A single intent or charge cancel as its request asked for it: enough to run it again. */
export type SingleCancel =
  | { kind: "intent"; intentId: string; reason?: string }
  | { kind: "charge"; chargeUuid: string; walletUuid: string; reason?: string };

/** What the continuation needs to finish a single cancel whose attempt never completed. */
export interface AttemptRecovery {
  cancel: SingleCancel;
  /** Who asked: the records of the attempt, whoever finishes it, carry the request's identity. */
  requestedBy: {
    trigger: Trigger;
    actor: string;
    /** Absent on keys taken before owners were recorded. */
    owner?: string;
    correlationId: string;
    idempotencyKey?: string;
  };
  /** Epoch ms from which the continuation takes the attempt over: its lock's end, plus a grace. */
  recoverAt: number;
}

/** An attempt in progress past its recovery time: its lock is over and it never completed. */
export interface AbandonedAttempt extends AttemptRecovery {
  scopeKey: string;
  /** Its lock token, for `BeginRequest.takeOver`. */
  token: string;
}

/**
 * Proof of holding a key's lock. `resumed` is true when an earlier attempt may already
 * have acted upstream: its lock expired unfinished, or it released the key after an
 * operational failure. A resumed attempt resends the cancel (a charge's with the derived
 * upstream key) and counts "already cancelled" as its own success.
 */
export interface Lease {
  scopeKey: string;
  token: string;
  attempt: number;
  resumed: boolean;
  /**
   * The incarnation of the cancellation an earlier attempt of this request opened when it
   * released the key, if one did: a resumed attempt closes that one, and, when it is no
   * longer there (finished, announced, then replaced by another request's), announces
   * nothing more.
   */
  ownCancellation?: string;
}

export type BeginResult =
  | { kind: "acquired"; lease: Lease }
  | { kind: "replay"; outcome: CancelOutcome; completedAt: string }
  | { kind: "in-progress"; retryAfterSeconds: number }
  | { kind: "payload-mismatch" };

export interface IdempotencyStore {
  /**
   * One conditional write: takes the key, or tells why not (replay, in progress, mismatch).
   * A taking over that finds the attempt no longer abandoned answers `replay` (it completed)
   * or `in-progress` (anything else).
   */
  begin(request: BeginRequest): Promise<BeginResult>;
  /** Attempts of single cancels still in progress past their `recoverAt`, oldest first. */
  abandoned(now: number, options?: { limit?: number; cursor?: string }): Promise<Page<AbandonedAttempt>>;
}
