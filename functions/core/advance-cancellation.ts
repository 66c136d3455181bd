/**
 * Moves a cancellation through its states as far as the upstreams allow right now. The
 * one driver of the state machine (functions/core/cancellation.ts): an order's own
 * request runs it first, the continuation runs it later for whatever is left, so both
 * paths take the same steps and apply the same rule.
 *
 * 1. REQUESTED: cancel the intent ("already CANCELLED" is its own success when an earlier
 *    attempt may have acted). Accepted asynchronously → INTENT_PENDING, stop. Final → step 3.
 * 2. INTENT_PENDING: re-read the intent. Still PROCESSING → stop. Final → step 3.
 * 3. Decide the charge with the one rule (`chargeVerdictFor`): cancel it → CHARGE_DUE;
 *    keep it (bought, shipped, unverifiable) → DONE with the reason.
 * 4. CHARGE_DUE: cancel the charge with the order's derived A55 key (every attempt of this
 *    order, whoever makes it, sends the same key) → DONE.
 *
 * An operational failure at any step stops the run and is returned as `problem`; the
 * steps already taken stay in the returned record, so nothing found is lost.
 */
import { cancelChargeStep } from "./cancel-charge.ts";
import { cancelIntentStep, readIntentOutcome } from "./cancel-intent.ts";
import type { Cancellation, OpenState } from "./cancellation.ts";
import { cancellationTarget, waitingState } from "./cancellation.ts";
import { chargeVerdictFor } from "./charge-rule.ts";
import type { CancelContext, CancelDependencies } from "./dependencies.ts";
import { orderChargeKeyName } from "./identifiers.ts";
import { orderOutcome } from "./order-outcome.ts";
import type { CancelOutcome } from "./outcome.ts";
import type { Ids } from "./ports.ts";

type Failed = Extract<CancelOutcome, { type: "FAILED" }>;

export interface AdvanceResult {
  /** The record with the steps taken and its new state (version and schedule not yet settled). */
  next: Cancellation;
  /** The operational failure that stopped the run. */
  problem?: Failed;
}

/** The A55 key of an order's charge: derived from the order's scope, so every attempt reuses it. */
export const orderChargeKey = (ids: Ids, scopeKey: string): string =>
  ids.derived(orderChargeKeyName(scopeKey));

const isOperational = (outcome: CancelOutcome): outcome is Failed =>
  outcome.type === "FAILED" && outcome.retryable;

const moveTo = (c: Cancellation, state: OpenState): Cancellation => {
  const { stuckIn: _stuckIn, ...rest } = c;
  return { ...rest, state };
};

/**
 * A single charge cancel's end: "already canceled" is the request's own success, since only
 * the request's own key was ever sent for it (the same reading `cancelCharge` gives a resumed attempt).
 */
const ownCharge = (outcome: CancelOutcome): CancelOutcome =>
  outcome.type === "ALREADY_CANCELLED"
    ? { type: "CANCELLED", target: outcome.target, upstream: outcome.upstream }
    : outcome;

const done = (c: Cancellation, outcome: CancelOutcome): Cancellation => {
  const { stuckIn: _stuckIn, ...rest } = c;
  return { ...rest, state: "DONE", outcome };
};

/** Step 3: what the intent's end means for the order (or the intent cancellation's own end). */
const afterIntent = (c: Cancellation, intent: CancelOutcome): Cancellation => {
  const steps = { ...c.steps, intent };
  if (c.kind !== "order") return done({ ...c, steps }, intent);
  if (!c.request.charge) return done({ ...c, steps }, orderOutcome(cancellationTarget(c), steps));
  const verdict = chargeVerdictFor(intent);
  if (verdict.action === "cancel") return moveTo({ ...c, steps }, "CHARGE_DUE");
  const skipped = { ...steps, chargeSkipped: verdict.why };
  return done({ ...c, steps: skipped }, orderOutcome(cancellationTarget(c), skipped));
};

export const advanceCancellation = async (
  deps: CancelDependencies,
  context: CancelContext,
  record: Cancellation,
  options: { resumed: boolean },
): Promise<AdvanceResult> => {
  let c = record;
  for (;;) {
    switch (waitingState(c)) {
      case undefined:
        return { next: c };
      case "REQUESTED": {
        const intentId = c.request.intentId;
        if (intentId === undefined) {
          c = moveTo(c, "CHARGE_DUE");
          continue;
        }
        const intent = await cancelIntentStep(deps, context, intentId, options.resumed);
        if (isOperational(intent)) return { next: c, problem: intent };
        if (intent.type === "PENDING")
          return { next: moveTo({ ...c, steps: { ...c.steps, intent } }, "INTENT_PENDING") };
        c = afterIntent(c, intent);
        continue;
      }
      case "INTENT_PENDING": {
        const intentId = c.request.intentId ?? c.id;
        const intent = await readIntentOutcome(deps, context, intentId);
        if (intent === undefined) return { next: c };
        if (isOperational(intent)) return { next: c, problem: intent };
        c = afterIntent(c, intent);
        continue;
      }
      case "CHARGE_DUE": {
        const charge = c.request.charge;
        if (!charge) return { next: done(c, orderOutcome(cancellationTarget(c), c.steps)) };
        // The same A55 key as the request that opened it: an order's derived charge key, or a
        // single charge cancel's own key.
        const key =
          c.kind === "order"
            ? orderChargeKey(deps.ids, c.request.scopeKey)
            : deps.ids.derived(c.request.scopeKey);
        const outcome = await cancelChargeStep(deps, context, { ...charge, reason: c.request.reason }, key);
        if (isOperational(outcome)) return { next: c, problem: outcome };
        const steps = { ...c.steps, charge: outcome };
        if (c.kind === "charge") return { next: done({ ...c, steps }, ownCharge(outcome)) };
        return { next: done({ ...c, steps }, orderOutcome(cancellationTarget(c), steps)) };
      }
    }
  }
};
