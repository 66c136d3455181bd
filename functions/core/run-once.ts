import { auditRecord } from "./audit-record.ts";
import { unfinishedCancellation } from "./cancellation-records.ts";
import type { CancelContext, CancelDependencies } from "./dependencies.ts";
import { StoreUnavailableError } from "./errors.ts";
import { scopeKeys } from "./identifiers.ts";
import { type CancelOutcome, isReplayable, type Target } from "./outcome.ts";
import { detailTypeOf } from "./outcome-events.ts";
import type { AttemptRecovery, AuditRecord, CancellationTransition, Lease, SingleCancel } from "./ports.ts";
import { closeSingle, NO_OWN_CANCELLATION, ownCancellation, problemOfOwn } from "./single-cancel-close.ts";

export type OnceResult =
  | { kind: "outcome"; outcome: CancelOutcome; replayed: boolean }
  | { kind: "in-progress"; retryAfterSeconds: number }
  | { kind: "payload-mismatch" };

/** What a piece of work leaves to write: its outcome, and (for a lifecycle) its own records and transition. */
export interface WorkResult {
  outcome: CancelOutcome;
  /** The records to write instead of the one `runOnce` derives from the outcome. */
  audits?: AuditRecord[];
  /** The cancellation this work created or moved on. */
  cancellation?: CancellationTransition;
}

export interface OnceRequest {
  target: Target;
  /** What the idempotency key is bound to; another payload under the same key is refused. */
  payload: unknown;
  reason: string | undefined;
  /**
   * Set for a single intent or charge cancel: kept with its key while the attempt runs, so
   * that the continuation finishes an attempt that never completes; and its own
   * cancellation (left by an earlier attempt) is closed with it.
   */
  single?: SingleCancel;
  /** The cancel itself. Must turn upstream trouble into outcomes; a throw is treated as a bug. */
  work: (lease: Lease) => Promise<CancelOutcome | WorkResult>;
  /**
   * Called when completing found the cancellation moved on by someone else (the
   * continuation finished it meanwhile): answers from the cancellation as it now is.
   */
  rejoin?: () => Promise<WorkResult>;
}

const isWorkResult = (value: CancelOutcome | WorkResult): value is WorkResult => "outcome" in value;

/**
 * Runs one cancel at most once per idempotency scope, and records it.
 *
 * 1. Take the key with one conditional write; a completed key replays its outcome, a
 *    key in progress or bound to another payload is refused. A single cancel's key holds
 *    what the continuation needs to finish the attempt if it never completes (the process
 *    killed, or the completing write failed after the upstream acted). A resumed single
 *    cancel whose own cancellation the continuation has finished meanwhile answers from it
 *    (one read), sending nothing upstream.
 * 2. Do the work.
 * 3. Final outcome: complete the key, append the audit records and write the
 *    cancellation in one transaction (a single cancel closes its own cancellation,
 *    conditionally, see `closeSingle`; an asynchronous intent cancel opens one for the
 *    continuation to finish). The request's own record carries the outcome event: the
 *    outbox relay publishes it once the transaction committed.
 * 4. Operational failure: release the key, remembering that the upstream may have acted,
 *    and record what was found. A single intent or charge cancel also opens a REQUESTED
 *    cancellation (unless its own is open already): the upstream may have applied it
 *    without us knowing, or the caller may never retry; either way the continuation
 *    finishes it, so its trail ends in the truth.
 */
export const runOnce = async (
  deps: CancelDependencies,
  context: CancelContext,
  request: OnceRequest,
): Promise<OnceResult> => {
  const startedAt = deps.clock.now();
  const scopeKey = context.idempotency?.scopeKey ?? scopeKeys.once(deps.ids.next());
  // Never a lock that is already over: a late invocation still holds the key while it finds it has no time left.
  const lockUntil = Math.max(context.deadline, startedAt + 1_000);
  const takeOver = context.idempotency?.takeOver;
  const begun = await deps.idempotency.begin({
    scopeKey,
    payload: request.payload,
    now: startedAt,
    lockUntil,
    ...(request.single && { recovery: recoveryOf(deps, context, request.single, lockUntil) }),
    ...(takeOver !== undefined && { takeOver }),
  });
  if (begun.kind === "replay") return { kind: "outcome", outcome: begun.outcome, replayed: true };
  if (begun.kind !== "acquired") return begun;
  const { lease } = begun;
  const own =
    request.single && lease.resumed
      ? await ownCancellation(deps, lease, request.target)
      : NO_OWN_CANCELLATION;
  if (own.record?.state === "DONE" && own.record.outcome) {
    // A retry of a cancel the continuation finished meanwhile: its records and event are written.
    const { outcome } = own.record;
    await deps.work.finishAttempt(lease, { outcome, audits: [], now: deps.clock.now() });
    return { kind: "outcome", outcome, replayed: true };
  }

  let result: WorkResult;
  try {
    const done = await request.work(lease);
    result = isWorkResult(done) ? done : { outcome: done };
  } catch (error) {
    // The store failing under the work: the key is left to its lock's end, when a retry or
    // the continuation takes the request over; no record would tell the truth.
    if (error instanceof StoreUnavailableError) throw error;
    const failed: CancelOutcome = {
      type: "FAILED",
      target: request.target,
      retryable: true,
      problem: "internal",
      reason: "internal error",
    };
    const audits = [auditRecord(deps, context, failed, request.reason, startedAt)];
    await deps.work.releaseAttempt(lease, { audits, now: deps.clock.now() });
    throw error;
  }

  const { outcome } = result;
  if (!isReplayable(outcome)) {
    const record = auditRecord(deps, context, outcome, request.reason, startedAt);
    // A single cancel's own cancellation is never opened twice: an open one records the
    // problem (conditionally), and one finished and replaced since has said all there is.
    const ofOwn = problemOfOwn(deps, own, outcome, record);
    const unfinished =
      own.record || own.replaced
        ? undefined
        : unfinishedCancellation(deps, context, outcome, request.reason, scopeKey);
    const audits = own.replaced ? [] : (result.audits ?? [ofOwn?.record ?? record]);
    const cancellation =
      result.cancellation ??
      ofOwn?.cancellation ??
      (unfinished && { next: unfinished, expectedVersion: null });
    await deps.work.releaseAttempt(lease, { audits, cancellation, now: deps.clock.now() });
    return { kind: "outcome", outcome, replayed: false };
  }

  if (request.single) {
    const closed = await closeSingle(deps, lease, {
      outcome,
      record: auditRecord(deps, context, outcome, request.reason, startedAt),
      own,
      context,
      reason: request.reason,
    });
    if (closed.written === "lock-lost") await keepRecords(deps, closed.unwritten);
    return { kind: "outcome", outcome: closed.outcome, replayed: closed.fromCancellation };
  }

  const audits = result.audits ?? [announcingRecord(deps, context, outcome, request.reason, startedAt)];
  const { cancellation } = result;
  const written = await deps.work.finishAttempt(lease, {
    outcome,
    audits,
    cancellation,
    now: deps.clock.now(),
  });
  if (written === "cancellation-moved") {
    // The continuation moved the cancellation on meanwhile: answer from it as it now is.
    const rejoined = request.rejoin ? await request.rejoin() : { outcome, audits: [] };
    await deps.work.finishAttempt(lease, {
      outcome: rejoined.outcome,
      audits: rejoined.audits ?? [],
      now: deps.clock.now(),
    });
    return { kind: "outcome", outcome: rejoined.outcome, replayed: false };
  }
  // Another attempt took the key over while this one ran; its result stands (and is the
  // one announced). What this attempt learnt for good is still recorded; its transition
  // of a cancellation did not happen, so its records of it are not.
  if (written === "lock-lost" && !cancellation) await keepRecords(deps, audits);
  return { kind: "outcome", outcome, replayed: false };
};

/** What the continuation needs to finish this single cancel if its attempt never completes. */
const recoveryOf = (
  deps: CancelDependencies,
  context: CancelContext,
  cancel: SingleCancel,
  lockUntil: number,
): AttemptRecovery => ({
  cancel,
  requestedBy: {
    trigger: context.trigger,
    actor: context.actor,
    owner: context.owner,
    correlationId: context.correlationId,
    ...(context.idempotency?.key !== undefined && { idempotencyKey: context.idempotency.key }),
  },
  recoverAt: lockUntil + deps.lifecycle.orphanGraceMs,
});

/**
 * Appends the final records of an attempt whose result did not stand, announcing nothing.
 * An operational failure it met is left out: the attempt that took over tells the truth.
 */
const keepRecords = async (deps: CancelDependencies, audits: AuditRecord[]): Promise<void> => {
  for (const record of audits) {
    if (record.outcome === "FAILED" && record.retryable) continue;
    await deps.audit.append({ ...record, event: undefined });
  }
};

/** The request target's record of a final outcome, announcing it. */
const announcingRecord = (
  deps: CancelDependencies,
  context: CancelContext,
  outcome: CancelOutcome,
  reason: string | undefined,
  startedAt: number,
): AuditRecord => ({
  ...auditRecord(deps, context, outcome, reason, startedAt),
  event: detailTypeOf(outcome),
});
