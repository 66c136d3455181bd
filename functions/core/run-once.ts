import { auditRecord } from "./audit-record.ts";
import type { Cancellation } from "./cancellation.ts";
import { intentCancellation, settle, unfinishedCancellation } from "./cancellation-records.ts";
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
 *    key in progress or bound to another payload is refused. A released key taken again
 *    (a retry) whose single cancel the continuation has finished meanwhile answers from it
 *    (one read), sending nothing upstream.
 * 2. Do the work.
 * 3. Final outcome: complete the key, append the audit records and write the
 *    cancellation in one transaction (an asynchronous intent cancel opens its
 *    cancellation here, for the continuation to finish). The request's own record
 *    carries the outcome event: the outbox relay publishes it once the transaction committed.
 * 4. Operational failure: release the key, remembering that the upstream may have acted,
 *    and record what was found. A single intent or charge cancel also opens a REQUESTED
 *    cancellation: the upstream may have applied it without us knowing, or the caller may
 *    never retry; either way the continuation finishes it, so its trail ends in the truth.
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
  // A retry of a cancel the continuation finished meanwhile: its records and event are written; answer from them.
  const finished = lease.resumed ? await finishedByContinuation(deps, lease, request.target) : undefined;
  if (finished) {
    await deps.idempotency.complete(lease, { outcome: finished, audits: [], now: deps.clock.now() });
    return { kind: "outcome", outcome: finished, replayed: true };
  }

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
    const unfinished = unfinishedCancellation(deps, context, outcome, request.reason, scopeKey);
    const cancellation = result.cancellation ?? (unfinished && { next: unfinished, expectedVersion: null });
    await deps.idempotency.release(lease, { audits, cancellation, now: deps.clock.now() });
    return { kind: "outcome", outcome, replayed: false };
  }

  const cancellation =
    result.cancellation ??
    (lease.resumed ? await closingOwn(deps, lease, request.target, outcome) : undefined) ??
    (outcome.type === "PENDING" && outcome.target.type === "intent"
      ? { next: intentCancellation(deps, context, outcome, request.reason, scopeKey), expectedVersion: null }
      : undefined);
  const written = await deps.idempotency.complete(lease, {
    outcome,
    audits,
    cancellation,
    now: deps.clock.now(),
  });
  if (written === "cancellation-moved") {
    // The continuation moved the cancellation on meanwhile: answer from it (an order), or
    // keep this attempt's own answer (a single cancel: the continuation found the same).
    const rejoined = request.rejoin ? await request.rejoin() : { outcome, audits };
    await deps.idempotency.complete(lease, {
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

/**
 * A resumed single cancel finishing the cancellation its earlier attempt left open: moved
 * on in the same transaction as the key, so the continuation does not finish it again.
 */
const closingOwn = async (
  deps: CancelDependencies,
  lease: Lease,
  target: Target,
  outcome: CancelOutcome,
): Promise<CancellationTransition | undefined> => {
  if (target.type !== "intent" && target.type !== "charge") return undefined;
  const own = await deps.cancellations.get(target.type, target.id);
  if (!own || own.state === "DONE" || own.request.scopeKey !== lease.scopeKey) return undefined;
  const next: Cancellation =
    outcome.type === "PENDING"
      ? { ...own, state: "INTENT_PENDING", steps: { intent: outcome } }
      : {
          ...own,
          state: "DONE",
          outcome,
          steps: target.type === "intent" ? { intent: outcome } : { charge: outcome },
        };
  return {
    next: settle(own, next, { now: deps.clock.now(), policy: deps.lifecycle, checked: false }),
    expectedVersion: own.version,
  };
};

/** The outcome of this request's own single cancel, when the continuation has already finished it. */
const finishedByContinuation = async (
  deps: CancelDependencies,
  lease: Lease,
  target: Target,
): Promise<CancelOutcome | undefined> => {
  if (target.type !== "intent" && target.type !== "charge") return undefined;
  const own = await deps.cancellations.get(target.type, target.id);
  if (own?.state !== "DONE" || own.request.scopeKey !== lease.scopeKey) return undefined;
  return own.outcome;
};

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
