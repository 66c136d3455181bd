import { advanceCancellation } from "./advance-cancellation.ts";
import type { Cancellation } from "./cancellation.ts";
import { transitionAudits } from "./cancellation-audits.ts";
import { orderCancellation, settle } from "./cancellation-records.ts";
import { chargeVerdictFor } from "./charge-rule.ts";
import type { CancelContext, CancelDependencies } from "./dependencies.ts";
import type { CancelOutcome, Target } from "./outcome.ts";
import type { Lease } from "./ports.ts";
import { type OnceResult, runOnce, type WorkResult } from "./run-once.ts";

export interface CancelOrderInput {
  orderId: string;
  intentId?: string;
  charge?: { chargeUuid: string; walletUuid: string };
  reason?: string;
}

/**
 * Cancels a whole order, as a durable cancellation: the intent first, then the charge.
 *
 * 1. Take the order request's idempotency key (or replay / refuse, see `runOnce`).
 * 2. Open the order's cancellation (REQUESTED) before any upstream call, in the namespace
 *    of the request's owner: two clients' orders of the same id never meet. If the order
 *    already has one: the same request resumes it; another request for the same targets
 *    joins it (answers its current state); one for other targets is rejected.
 * 3. Advance it as far as the upstreams allow now (`advanceCancellation`): intent, the one
 *    charge rule, charge.
 * 4. Complete the key with the answer, and write the transition with every target's
 *    records in the same transaction. Still waiting (INTENT_PENDING) → 202, finished later
 *    by the continuation. An operational failure → the key is released (remembering that
 *    the upstream may have acted) with what was found, and the continuation retries too.
 */
export const cancelOrder = (
  deps: CancelDependencies,
  context: CancelContext,
  input: CancelOrderInput,
): Promise<OnceResult> => {
  const target: Target = { type: "order", id: input.orderId };
  return runOnce(deps, context, {
    target,
    payload: {
      orderId: input.orderId,
      intentId: input.intentId ?? null,
      charge: input.charge ?? null,
      reason: input.reason ?? null,
    },
    reason: input.reason,
    work: (lease) => orderWork(deps, context, input, lease),
    rejoin: async () => joined(await current(deps, context.owner, input.orderId)),
  });
};

/** The order's cancellation in its owner's namespace (an order id is the client's own). */
const current = async (deps: CancelDependencies, owner: string, orderId: string): Promise<Cancellation> => {
  const found = await deps.cancellations.get("order", orderId, owner);
  if (!found) throw new Error(`the cancellation of order ${orderId} vanished`);
  return found;
};

const orderWork = async (
  deps: CancelDependencies,
  context: CancelContext,
  input: CancelOrderInput,
  lease: Lease,
): Promise<WorkResult> => {
  const startedAt = deps.clock.now();
  const fresh = orderCancellation(deps, context, lease.scopeKey, input);
  const opening = transitionAudits(deps.ids, {
    before: undefined,
    after: fresh,
    at: fresh.updatedAt,
    latencyMs: 0,
    event: null,
  });
  let record = fresh;
  let resumed = lease.resumed;
  if ((await deps.work.commitTransition({ next: fresh, expectedVersion: null }, opening)) === "conflict") {
    const existing = await current(deps, context.owner, input.orderId);
    if (existing.request.scopeKey !== lease.scopeKey) return joined(existing, input);
    // This request's own cancellation, left by an earlier attempt: resume it where it is.
    if (existing.state === "DONE") return { outcome: answerOf(existing), audits: [] };
    record = existing;
    resumed = true;
  }
  const { next, problem } = await advanceCancellation(deps, context, record, { resumed });
  const now = deps.clock.now();
  const after = settle(record, next, { now, policy: deps.lifecycle, problem, checked: false });
  const audits = transitionAudits(deps.ids, {
    before: record,
    after,
    problem: after.lastProblem && problem ? after.lastProblem : undefined,
    at: after.updatedAt,
    latencyMs: now - startedAt,
  });
  return {
    outcome: answerOf(after, problem),
    audits,
    cancellation: { next: after, expectedVersion: record.version },
  };
};

/**
 * What a request is answered while the cancellation is at `c` (an operational failure, if
 * this run met one). Only a DONE cancellation gives a final answer: until then a step that
 * decides the order's outcome is still open (the intent's cancel, or the charge's while it
 * is due, STUCK or not), so the answer is PENDING with the steps ended so far, and the
 * status route tells the rest.
 */
const answerOf = (c: Cancellation, problem?: CancelOutcome): CancelOutcome => {
  const target: Target = { type: "order", id: c.id };
  if (problem) return { ...problem, target, steps: c.steps };
  if (c.state === "DONE" && c.outcome) return c.outcome;
  const intent = c.steps.intent ?? pendingStep(c);
  const verdict = chargeVerdictFor(intent);
  const steps = {
    ...c.steps,
    intent,
    ...(c.request.charge && verdict.action === "wait" && { chargeSkipped: verdict.why }),
  };
  return intent.type === "PENDING" ? { ...intent, target, steps } : { type: "PENDING", target, steps };
};

const pendingStep = (c: Cancellation): CancelOutcome => ({
  type: "PENDING",
  target: { type: "intent", id: c.request.intentId ?? c.id },
});

/**
 * Another request for an order that already has a cancellation: the same targets join it
 * and are answered its current state (nothing is sent upstream again); other targets are
 * rejected, since an order is cancelled once. Neither writes to the order's trail, which
 * tells the order's own state: the request is answered (and logged), the key remembers it.
 */
const joined = (existing: Cancellation, input?: CancelOrderInput): WorkResult => {
  const sameTargets =
    !input ||
    (existing.request.intentId === input.intentId &&
      JSON.stringify(existing.request.charge ?? null) === JSON.stringify(input.charge ?? null));
  if (sameTargets) return { outcome: answerOf(existing), audits: [] };
  return {
    outcome: {
      type: "REJECTED",
      target: { type: "order", id: existing.id },
      reason:
        "This order already has a cancellation for another intent or charge; an order is cancelled once.",
    },
    audits: [],
  };
};
