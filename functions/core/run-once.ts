import { auditRecord } from "./audit-record.ts";
import { intentCancellation } from "./cancellation-records.ts";
import type { CancelContext, CancelDependencies } from "./dependencies.ts";
import { type CancelOutcome, isFinal, type Target } from "./outcome.ts";
import { detailTypeOf } from "./outcome-events.ts";
import type { AuditRecord, CancellationTransition, Lease } from "./ports.ts";

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
 *    key in progress or bound to another payload is refused.
 * 2. Do the work.
 * 3. Final outcome: complete the key, append the audit records and write the
 *    cancellation in one transaction (an asynchronous intent cancel opens its
 *    cancellation here, for the continuation to finish). The request's own record
 *    carries the outcome event: the outbox relay publishes it once the transaction committed.
 * 4. Operational failure: release the key, remembering that the upstream may have acted,
 *    and record what was found, so a retry (the caller's, or the continuation's) resumes.
 */
export const runOnce = async (
  deps: CancelDependencies,
  context: CancelContext,
  request: OnceRequest,
): Promise<OnceResult> => {
  const startedAt = deps.clock.now();
  const scopeKey = context.idempotency?.scopeKey ?? `once:${deps.ids.next()}`;
  const begun = await deps.idempotency.begin({
    scopeKey,
    payload: request.payload,
    now: startedAt,
    // Never a lock that is already over: a late invocation still holds the key while it finds it has no time left.
    lockUntil: Math.max(context.deadline, startedAt + 1_000),
  });
  if (begun.kind === "replay") return { kind: "outcome", outcome: begun.outcome, replayed: true };
  if (begun.kind !== "acquired") return begun;
  const { lease } = begun;

  let result: WorkResult;
  try {
    const done = await request.work(lease);
    result = isWorkResult(done) ? done : { outcome: done };
  } catch (error) {
    const failed: CancelOutcome = {
      type: "FAILED",
      target: request.target,
      retryable: true,
      problem: "internal",
      reason: "internal error",
    };
    const audits = [auditRecord(deps, context, failed, request.reason, startedAt)];
    await deps.idempotency.release(lease, { audits, now: deps.clock.now() });
    throw error;
  }

  const { outcome } = result;
  const audits = result.audits ?? [ownRecord(deps, context, outcome, request.reason, startedAt)];
  if (!isFinal(outcome)) {
    await deps.idempotency.release(lease, {
      audits,
      cancellation: result.cancellation,
      now: deps.clock.now(),
    });
    return { kind: "outcome", outcome, replayed: false };
  }

  const cancellation =
    result.cancellation ??
    (outcome.type === "PENDING" && outcome.target.type === "intent"
      ? {
          next: intentCancellation(deps, context, outcome, request.reason, scopeKey),
          expectedVersion: null,
        }
      : undefined);
  const written = await deps.idempotency.complete(lease, {
    outcome,
    audits,
    cancellation,
    now: deps.clock.now(),
  });
  if (written === "cancellation-moved" && request.rejoin) {
    const rejoined = await request.rejoin();
    const again = await deps.idempotency.complete(lease, {
      outcome: rejoined.outcome,
      audits: rejoined.audits ?? [],
      now: deps.clock.now(),
    });
    if (again === "lock-lost") await keepRecords(deps, rejoined.audits ?? []);
    return { kind: "outcome", outcome: rejoined.outcome, replayed: false };
  }
  // Another attempt took the key over while this one ran; its result stands (and is the
  // one announced), but this attempt's records must not be lost.
  if (written === "lock-lost") await keepRecords(deps, audits);
  return { kind: "outcome", outcome, replayed: false };
};

/** Appends records of an attempt whose result did not stand, announcing nothing. */
const keepRecords = async (deps: CancelDependencies, audits: AuditRecord[]): Promise<void> => {
  for (const record of audits) await deps.audit.append({ ...record, event: undefined });
};

/** The request target's record of a single cancel; it announces a final (or pending) outcome. */
const ownRecord = (
  deps: CancelDependencies,
  context: CancelContext,
  outcome: CancelOutcome,
  reason: string | undefined,
  startedAt: number,
): AuditRecord => {
  const record = auditRecord(deps, context, outcome, reason, startedAt);
  if (!isFinal(outcome)) return record;
  record.event = detailTypeOf(outcome);
  if (outcome.type === "PENDING" && outcome.target.type === "intent") record.state = "INTENT_PENDING";
  return record;
};
