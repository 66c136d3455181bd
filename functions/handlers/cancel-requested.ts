/**
 * EventBridge entry point for `Cancel Requested` events (detail schema: docs/events.md).
 * An invalid detail is rejected for good (audited, `Cancellation Rejected` published, no
 * retry). A transient failure throws, so EventBridge/Lambda retry it and finally send
 * it to the dead-letter queue: nothing is dropped silently.
 */

import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import middy from "@middy/core";
import type { Context, EventBridgeEvent } from "aws-lambda";
import { type CancelRequested, parseCancelRequested } from "#adapters/events/cancel-requested-schema.ts";
import { cancelCharge } from "#core/cancel-charge.ts";
import { cancelIntent } from "#core/cancel-intent.ts";
import { cancelOrder } from "#core/cancel-order.ts";
import type { CancelContext, CancelDependencies } from "#core/dependencies.ts";
import { CancellationServiceError } from "#core/errors.ts";
import { isFinal, type OutcomeType, type Target } from "#core/outcome.ts";
import { rejectRequest } from "#core/reject-request.ts";
import type { OnceResult } from "#core/run-once.ts";
import { getContainer } from "#wiring/container.ts";
import { getLogger } from "#wiring/observability.ts";
import { deadlineOf, NO_EARLY_TIMEOUT } from "./lambda-deadline.ts";
import { reportOnce } from "./report.ts";

const logger = getLogger();

/** Thrown to make the platform deliver the event again later. */
export class RetryLaterError extends CancellationServiceError {
  override name = "RetryLaterError";
}

const dispatch = (
  deps: CancelDependencies,
  context: CancelContext,
  request: CancelRequested,
): Promise<OnceResult> => {
  const { target, reason } = request;
  if (target.type === "intent") return cancelIntent(deps, context, { intentId: target.id, reason });
  if (target.type === "charge") return cancelCharge(deps, context, { ...target, reason });
  return cancelOrder(deps, context, {
    orderId: target.orderId,
    intentId: target.intentId,
    charge: target.charge,
    reason,
  });
};

const targetOf = (request: CancelRequested): Target =>
  request.target.type === "order"
    ? { type: "order", id: request.target.orderId }
    : request.target.type === "charge"
      ? { type: "charge", id: request.target.chargeUuid, walletUuid: request.target.walletUuid }
      : request.target;

const handleEvent = async (
  event: EventBridgeEvent<"Cancel Requested", unknown>,
  context: Context,
): Promise<{ outcome: OutcomeType; replayed: boolean }> => {
  const container = getContainer();
  const { deps } = container;
  logger.setCorrelationId(event.id);
  const parsed = parseCancelRequested(event.detail);
  const key = parsed.ok ? parsed.value.idempotencyKey : undefined;
  const cancelContext: CancelContext = {
    trigger: "bus",
    actor:
      parsed.ok && parsed.value.requestedBy ? `${event.source}/${parsed.value.requestedBy}` : event.source,
    correlationId: event.id,
    deadline: deadlineOf(context),
    idempotency: { scopeKey: `bus:${key ?? event.id}`, key },
  };
  if (!parsed.ok) {
    const reason = parsed.issues.map((issue) => `${issue.field || "detail"}: ${issue.message}`).join("; ");
    logger.warn("Cancel Requested event rejected", { eventId: event.id, issues: parsed.issues });
    const outcome = await rejectRequest(deps, cancelContext, { type: "event", id: event.id }, reason);
    return { outcome: outcome.type, replayed: false };
  }
  const result = reportOnce(container, "bus", await dispatch(deps, cancelContext, parsed.value));
  if (result.kind === "in-progress")
    throw new RetryLaterError("The same request is still running; retry later");
  if (result.kind === "payload-mismatch") {
    const reason = "The idempotency key was already used for another request";
    const outcome = await rejectRequest(deps, cancelContext, targetOf(parsed.value), reason);
    return { outcome: outcome.type, replayed: false };
  }
  if (!isFinal(result.outcome))
    throw new RetryLaterError(
      `Transient failure: ${"reason" in result.outcome ? result.outcome.reason : ""}`,
    );
  return { outcome: result.outcome.type, replayed: result.replayed };
};

export const handler = middy<
  EventBridgeEvent<"Cancel Requested", unknown>,
  { outcome: OutcomeType; replayed: boolean }
>(NO_EARLY_TIMEOUT)
  .use(injectLambdaContext(logger))
  .handler(handleEvent);
