import type { CancelOutcome } from "./outcome.ts";

/**
 * The one rule (docs/cancel-semantics.md, "Intents, charges and orders"): whether an order's charge is
 * cancelled, given how its intent's cancel ended. Used by the order's own request and by
 * the continuation alike, so the direct and the deferred path never disagree.
 *
 * - nothing was bought (the intent is CANCELLED, or was DRAFT or FAILED) → cancel the charge;
 * - goods were bought (COMPLETED) or are on their way (the cancel failed: shipped) → keep
 *   the charge; a return/refund is needed instead;
 * - the intent's cancel is still running (PENDING, or an operational failure) → wait;
 * - the intent could not be verified (not found, forbidden, anything else) → leave the
 *   charge alone and say why.
 */
export type ChargeVerdict =
  | { action: "cancel" }
  | { action: "keep"; why: string }
  | { action: "wait"; why: string };

const NOTHING_BOUGHT: ReadonlySet<string> = new Set(["CANCELLED", "DRAFT", "FAILED"]);

export const RETURN_ADVICE = "Goods were bought: arrange a return/refund with support.";

export const chargeVerdictFor = (intent: CancelOutcome): ChargeVerdict => {
  switch (intent.type) {
    case "CANCELLED":
    case "ALREADY_CANCELLED":
      return { action: "cancel" };
    case "NOT_CANCELLABLE":
      if (NOTHING_BOUGHT.has(intent.currentStatus)) return { action: "cancel" };
      if (intent.currentStatus === "COMPLETED") {
        return {
          action: "keep",
          why: "The intent completed (goods bought): arrange a return/refund instead of cancelling the charge.",
        };
      }
      return { action: "keep", why: `The intent is ${intent.currentStatus}; the charge was left alone.` };
    case "PENDING":
      return {
        action: "wait",
        why: "Procure-Core is still cancelling the intent; the charge is cancelled once it confirms.",
      };
    case "FAILED":
      return intent.retryable
        ? { action: "wait", why: "The intent's cancel did not go through yet; the charge waits for it." }
        : {
            action: "keep",
            why: `The intent's cancel failed (${intent.reason}): arrange a return/refund instead of cancelling the charge.`,
          };
    default:
      return { action: "keep", why: "The intent could not be verified; the charge was left alone." };
  }
};
