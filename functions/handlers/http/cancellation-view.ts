/**
 * An order's cancellation as the status route shows it: where it stands, whether that is
 * final, each step, and when the continuation looks next. Never upstream internals beyond
 * what the audit trail shows.
 */
import type { Cancellation } from "#core/cancellation.ts";
import type { CancelOutcome } from "#core/outcome.ts";
import { describeOutcome } from "./outcome-responses.ts";

const step = (outcome: CancelOutcome | undefined) =>
  outcome && { id: outcome.target.id, ...describeOutcome(outcome) };

const iso = (ms: number | undefined): string | undefined =>
  ms === undefined ? undefined : new Date(ms).toISOString();

export const cancellationView = (c: Cancellation): Record<string, unknown> => ({
  orderId: c.id,
  state: c.state,
  final: c.state === "DONE",
  ...(c.outcome && { outcome: describeOutcome(c.outcome) }),
  ...(c.stuckIn && { waitingIn: c.stuckIn }),
  steps: {
    ...(c.steps.intent && { intent: step(c.steps.intent) }),
    ...(c.steps.charge && { charge: step(c.steps.charge) }),
    ...(c.steps.chargeSkipped && { chargeSkipped: c.steps.chargeSkipped }),
  },
  request: {
    ...(c.request.intentId !== undefined && { intentId: c.request.intentId }),
    ...(c.request.charge && { charge: c.request.charge }),
    ...(c.request.reason !== undefined && { reason: c.request.reason }),
    trigger: c.request.trigger,
    actor: c.request.actor,
    ...(c.request.idempotencyKey !== undefined && { idempotencyKey: c.request.idempotencyKey }),
    correlationId: c.request.correlationId,
  },
  requestedAt: c.request.requestedAt,
  updatedAt: c.updatedAt,
  ...(c.nextCheckAt !== undefined && { nextCheckAt: iso(c.nextCheckAt) }),
  checks: c.checks,
  ...(c.lastProblem && { lastProblem: c.lastProblem }),
});
