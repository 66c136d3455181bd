import { RETURN_ADVICE } from "./charge-rule.ts";
import type { CancelOutcome, OrderSteps, Target } from "./outcome.ts";

/**
 * One outcome for an order from its steps. A retryable failure anywhere makes the whole
 * order retryable; otherwise the charge's outcome decides when the charge was attempted,
 * and the intent's when it was not.
 */
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
    return { ...intent, target, advice: RETURN_ADVICE, steps };
  }
  return { ...intent, target, steps };
};
