import { type CancelContext, type CancelDependencies, callOptionsOf } from "./dependencies.ts";
import type { CancelOutcome, Target } from "./outcome.ts";
import type { ChargeCancelResult } from "./ports.ts";
import { type OnceResult, runOnce } from "./run-once.ts";
import { failureFrom, upstreamInfo } from "./upstream-failure.ts";

export interface CancelChargeInput {
  chargeUuid: string;
  walletUuid: string;
  reason?: string;
}

/**
 * Cancels one A55 charge, once.
 *
 * 1. Take the idempotency key (or replay / refuse, see `runOnce`).
 * 2. Derive the A55 `Idempotency-Key` from the scope key, so every retry of this logical
 *    cancel (even after a crash) sends the same key and A55 applies it once.
 * 3. Ask A55 to cancel; map its answer (`chargeOutcome`): "already canceled" is success,
 *    settled is REFUND_REQUIRED.
 * 4. Complete the key and append the audit record in one write; publish the outcome.
 */
export const cancelCharge = (
  deps: CancelDependencies,
  context: CancelContext,
  input: CancelChargeInput,
): Promise<OnceResult> =>
  runOnce(deps, context, {
    target: chargeTarget(input),
    payload: { chargeUuid: input.chargeUuid, walletUuid: input.walletUuid, reason: input.reason ?? null },
    reason: input.reason,
    single: {
      kind: "charge",
      chargeUuid: input.chargeUuid,
      walletUuid: input.walletUuid,
      ...(input.reason !== undefined && { reason: input.reason }),
    },
    work: async (lease) => {
      const outcome = await cancelChargeStep(deps, context, input, deps.ids.derived(lease.scopeKey));
      // A resumed attempt sent the same A55 key as the attempt that may have acted: "already
      // canceled" is that attempt's success (A55 no longer replaying it), not someone else's.
      return lease.resumed && outcome.type === "ALREADY_CANCELLED"
        ? { type: "CANCELLED", target: outcome.target, upstream: outcome.upstream }
        : outcome;
    },
  });

export const chargeTarget = (input: { chargeUuid: string; walletUuid: string }): Target => ({
  type: "charge",
  id: input.chargeUuid,
  walletUuid: input.walletUuid,
});

/** Steps 3 of `cancelCharge`, reused by orders. Never throws for upstream trouble. */
export const cancelChargeStep = async (
  deps: CancelDependencies,
  context: CancelContext,
  input: CancelChargeInput,
  upstreamKey: string,
): Promise<CancelOutcome> => {
  const target = chargeTarget(input);
  try {
    const answer = await deps.charges.cancelCharge(
      { ...input, idempotencyKey: upstreamKey },
      callOptionsOf(context),
    );
    return chargeOutcome(target, answer);
  } catch (error) {
    return failureFrom(target, error);
  }
};

const describe = (answer: Exclude<ChargeCancelResult, { kind: "cancelled" }>): string =>
  answer.errors.map((e) => `${e.code}: ${e.description}`).join("; ") || answer.kind;

/** A55's answers as outcomes. */
export const chargeOutcome = (target: Target, answer: ChargeCancelResult): CancelOutcome => {
  const upstream = upstreamInfo(answer.meta);
  switch (answer.kind) {
    case "cancelled":
      return { type: "CANCELLED", target, charge: answer.charge, upstream };
    case "already-cancelled":
      return { type: "ALREADY_CANCELLED", target, upstream };
    case "refund-required":
      return { type: "REFUND_REQUIRED", target, reason: describe(answer), upstream };
    case "not-cancellable":
      return {
        type: "NOT_CANCELLABLE",
        target,
        currentStatus: "UNKNOWN",
        reason: describe(answer),
        advice: "The charge is not in a cancellable state; check it in A55.",
        upstream,
      };
    case "forbidden":
      return { type: "FORBIDDEN", target, reason: describe(answer), upstream };
    case "not-found":
      return { type: "NOT_FOUND", target, reason: describe(answer), upstream };
    case "idempotency-key-reused":
    case "invalid":
      // Both mean this service sent something A55 will never accept as is. A55's own entries
      // go with the outcome, so the charge route can answer with them.
      return {
        type: "FAILED",
        target,
        retryable: false,
        reason: describe(answer),
        upstreamErrors: answer.errors,
        upstream,
      };
  }
};
