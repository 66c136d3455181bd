import { auditRecord } from "./audit-record.ts";
import type { CancelContext, CancelDependencies } from "./dependencies.ts";
import { type CancelOutcome, isFinal, type Target } from "./outcome.ts";
import { detailTypeOf } from "./outcome-events.ts";
import type { Lease, PendingCancel } from "./ports.ts";

export type OnceResult =
  | { kind: "outcome"; outcome: CancelOutcome; replayed: boolean }
  | { kind: "in-progress"; retryAfterSeconds: number }
  | { kind: "payload-mismatch" };

export interface OnceRequest {
  target: Target;
  /** What the idempotency key is bound to; another payload under the same key is refused. */
  payload: unknown;
  reason: string | undefined;
  /** The cancel itself. Must turn upstream trouble into outcomes; a throw is treated as a bug. */
  work: (lease: Lease) => Promise<CancelOutcome>;
  /** Extra detail for the pending entry of a PENDING outcome (e.g. an order's waiting charge). */
  pendingOrder?: Omit<NonNullable<PendingCancel["order"]>, "scopeKey">;
}

/**
 * Runs one cancel at most once per idempotency scope, and records it.
 *
 * 1. Take the key with one conditional write; a completed key replays its outcome, a
 *    key in progress or bound to another payload is refused.
 * 2. Do the work.
 * 3. Final outcome: complete the key and append the audit record in one transaction
 *    (with the pending entry when the cancel is asynchronous). The audit record carries
 *    the outcome event: the outbox relay publishes it once the transaction committed.
 *    Retryable failure: release the key and audit the attempt, so a retry runs again.
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

  let outcome: CancelOutcome;
  try {
    outcome = await request.work(begun.lease);
  } catch (error) {
    const failed: CancelOutcome = {
      type: "FAILED",
      target: request.target,
      retryable: true,
      reason: "internal error",
    };
    await deps.idempotency.release(
      begun.lease,
      auditRecord(deps, context, failed, request.reason, startedAt),
    );
    throw error;
  }

  const audit = auditRecord(deps, context, outcome, request.reason, startedAt);
  if (isFinal(outcome)) {
    audit.event = detailTypeOf(outcome);
    const pending =
      outcome.type === "PENDING" ? pendingEntry(context, outcome, request, begun.lease, audit.at) : undefined;
    const stepAudits = [outcome.steps?.intent, outcome.steps?.charge]
      .filter((step) => step !== undefined)
      .map((step) => auditRecord(deps, context, step, request.reason, startedAt));
    const written = await deps.idempotency.complete(begun.lease, {
      outcome,
      audit,
      stepAudits,
      pending,
      now: deps.clock.now(),
    });
    // Another attempt took the key over while this one ran; its result stands (and is the
    // one announced), but this attempt's audit record must not be lost.
    if (written === "lock-lost") {
      for (const record of [audit, ...stepAudits]) await deps.audit.append({ ...record, event: undefined });
    }
  } else {
    await deps.idempotency.release(begun.lease, audit);
  }
  return { kind: "outcome", outcome, replayed: false };
};

const pendingEntry = (
  context: CancelContext,
  outcome: CancelOutcome,
  request: OnceRequest,
  lease: Lease,
  at: string,
): PendingCancel | undefined => {
  const intentId = outcome.target.type === "intent" ? outcome.target.id : outcome.steps?.intent?.target.id;
  if (!intentId) return undefined;
  return {
    intentId,
    requestedAt: at,
    trigger: context.trigger,
    actor: context.actor,
    correlationId: context.correlationId,
    reason: request.reason,
    order: request.pendingOrder && { ...request.pendingOrder, scopeKey: lease.scopeKey },
  };
};
