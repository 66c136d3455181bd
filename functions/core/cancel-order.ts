import { cancelChargeStep } from "./cancel-charge.ts";
import { cancelIntentStep } from "./cancel-intent.ts";
import type { CancelContext, CancelDependencies } from "./dependencies.ts";
import type { CancelOutcome, OrderSteps, Target } from "./outcome.ts";
import type { Ids } from "./ports.ts";
import { type OnceResult, runOnce } from "./run-once.ts";

export interface CancelOrderInput {
  orderId: string;
  intentId?: string;
  charge?: { chargeUuid: string; walletUuid: string };
  reason?: string;
}

/** The A55 key for an order's charge: derived from the order's scope, so a retry or the pending confirmation reuses it. */
export const orderChargeKey = (ids: Ids, scopeKey: string): string => ids.derived(`${scopeKey}#charge`);

/**
 * Cancels a whole order: the intent first, then the charge.
 *
 * 1. Take the order's idempotency key (or replay / refuse, see `runOnce`).
 * 2. Cancel the intent, if the order has one.
 * 3. Cancel the charge only when nothing was bought: the intent is cancelled, or was a
 *    draft or failed. A completed or shipped intent means a return/refund instead; a
 *    pending one defers the charge until `confirmPendingCancels` sees it cancelled.
 * 4. Combine both into one outcome (`orderOutcome`); a settled charge is REFUND_REQUIRED.
 * 5. Complete, audit and publish as every cancel does.
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
    pendingOrder: { orderId: input.orderId, charge: input.charge },
    work: async (lease) => {
      const intent = input.intentId
        ? await cancelIntentStep(deps, context, input.intentId, lease.resumed)
        : undefined;
      const blocked = intent && chargeBlockedBy(intent);
      if (!input.charge || blocked) {
        return orderOutcome(target, { intent, chargeSkipped: input.charge ? blocked : undefined });
      }
      const charge = await cancelChargeStep(
        deps,
        context,
        { ...input.charge, reason: input.reason },
        orderChargeKey(deps.ids, lease.scopeKey),
      );
      return orderOutcome(target, { intent, charge });
    },
  });
};

/** Why the charge must not be cancelled after this intent outcome, or undefined when it may. */
export const chargeBlockedBy = (intent: CancelOutcome): string | undefined => {
  switch (intent.type) {
    case "CANCELLED":
    case "ALREADY_CANCELLED":
      return undefined;
    case "NOT_CANCELLABLE":
      if (intent.currentStatus === "DRAFT" || intent.currentStatus === "FAILED") return undefined;
      if (intent.currentStatus === "COMPLETED") {
        return "The intent completed (goods bought): arrange a return/refund instead of cancelling the charge.";
      }
      return `The intent is ${intent.currentStatus}; the charge was left alone.`;
    case "PENDING":
      return "Procure-Core is still cancelling the intent; the charge is cancelled once it confirms.";
    case "FAILED":
      return intent.retryable
        ? "The intent's cancel did not go through yet; the charge waits for it."
        : `The intent's cancel failed (${intent.reason}): arrange a return/refund instead of cancelling the charge.`;
    default:
      return "The intent could not be verified; the charge was left alone.";
  }
};

/** One outcome for the order from its steps. A retryable failure anywhere makes the whole order retryable. */
export const orderOutcome = (target: Target, steps: OrderSteps): CancelOutcome => {
  const { intent, charge } = steps;
  const retryable = [intent, charge].find((s) => s?.type === "FAILED" && s.retryable);
  if (retryable?.type === "FAILED") return { ...retryable, target, steps };
  if (charge) {
    if (charge.type === "ALREADY_CANCELLED" && (!intent || intent.type === "ALREADY_CANCELLED")) {
      return { type: "ALREADY_CANCELLED", target, steps };
    }
    if (charge.type === "CANCELLED" || charge.type === "ALREADY_CANCELLED")
      return { type: "CANCELLED", target, steps };
    return { ...charge, target, steps };
  }
  if (!intent)
    return {
      type: "FAILED",
      target,
      retryable: false,
      reason: "The order names neither an intent nor a charge.",
      steps,
    };
  if (intent.type === "NOT_CANCELLABLE" && intent.currentStatus === "COMPLETED") {
    return { ...intent, target, advice: "Goods were bought: arrange a return/refund with support.", steps };
  }
  return { ...intent, target, steps };
};
