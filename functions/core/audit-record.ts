import { capAuditText } from "./audit-text.ts";
import type { CancelContext, CancelDependencies } from "./dependencies.ts";
import type { CancelOutcome } from "./outcome.ts";
import type { AuditRecord } from "./ports.ts";

/** The audit record of one attempt. Holds ids and upstream facts, never credentials; outside text capped. */
export const auditRecord = (
  deps: Pick<CancelDependencies, "clock" | "ids">,
  context: CancelContext,
  outcome: CancelOutcome,
  reason: string | undefined,
  startedAt: number,
): AuditRecord => {
  const now = deps.clock.now();
  return capAuditText({
    id: deps.ids.next(),
    at: new Date(now).toISOString(),
    target: outcome.target,
    trigger: context.trigger,
    actor: context.actor,
    owner: context.owner,
    reason,
    outcome: outcome.type,
    retryable: outcome.type === "FAILED" ? outcome.retryable : undefined,
    problem: outcome.type === "FAILED" ? outcome.problem : undefined,
    detail: outcomeDetail(outcome),
    upstream: outcome.upstream,
    latencyMs: now - startedAt,
    idempotencyKey: context.idempotency?.key,
    correlationId: context.correlationId,
    ...(context.via && { via: context.via }),
  });
};

/** One readable line on why the outcome is what it is. */
export const outcomeDetail = (outcome: CancelOutcome): string | undefined => {
  switch (outcome.type) {
    case "NOT_CANCELLABLE":
      return `${outcome.currentStatus}: ${outcome.reason}`;
    case "NOT_FOUND":
    case "FORBIDDEN":
    case "REFUND_REQUIRED":
    case "FAILED":
    case "REJECTED":
      return outcome.reason;
    case "PENDING":
      return outcome.steps?.chargeSkipped ?? "cancel accepted; Procure-Core finishes it asynchronously";
    default:
      return outcome.steps?.chargeSkipped;
  }
};
