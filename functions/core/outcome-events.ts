import { outcomeDetail } from "./audit-record.ts";
import type { CancelContext } from "./dependencies.ts";
import type { CancelOutcome } from "./outcome.ts";
import type { OutcomeDetailType, OutcomeEvent } from "./ports.ts";

const DETAIL_TYPES: Record<CancelOutcome["type"], OutcomeDetailType> = {
  CANCELLED: "Cancellation Succeeded",
  ALREADY_CANCELLED: "Cancellation Succeeded",
  PENDING: "Cancellation Pending",
  NOT_CANCELLABLE: "Cancellation Rejected",
  NOT_FOUND: "Cancellation Rejected",
  FORBIDDEN: "Cancellation Rejected",
  REFUND_REQUIRED: "Refund Required",
  FAILED: "Cancellation Failed",
  REJECTED: "Cancellation Rejected",
};

/** The event other services receive for an outcome. */
export const outcomeEvent = (
  context: CancelContext,
  outcome: CancelOutcome,
  reason: string | undefined,
  at: string,
): OutcomeEvent => ({
  detailType: DETAIL_TYPES[outcome.type],
  detail: {
    target: outcome.target,
    outcome: outcome.type,
    trigger: context.trigger,
    reason,
    detail: outcomeDetail(outcome),
    retryable: outcome.type === "FAILED" ? outcome.retryable : undefined,
    idempotencyKey: context.idempotency?.key,
    correlationId: context.correlationId,
    at,
  },
});
