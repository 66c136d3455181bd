/**
 * EventBridge entry point for `Cancel Requested` events (detail schema: docs/events.md).
 * An invalid detail is rejected for good (audited, `Cancellation Rejected` published, no
 * retry). A transient failure throws, so EventBridge/Lambda retry it and finally send
 * it to the dead-letter queue: nothing is dropped silently.
 */

import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import middy from "@middy/core";
import type { Context, EventBridgeEvent } from "aws-lambda";
import { parseCancelRequested } from "#adapters/events/cancel-requested-schema.ts";
import type { CancelContext } from "#core/dependencies.ts";
import { CancellationServiceError } from "#core/errors.ts";
import { isFinal, type OutcomeType, type Target } from "#core/outcome.ts";
import { rejectRequest } from "#core/reject-request.ts";
import type { OnceResult } from "#core/run-once.ts";
import { getContainer } from "#wiring/container.ts";
import { getLogger } from "#wiring/observability.ts";
import { dispatchCancel, targetOf } from "./bus/dispatch-cancel.ts";
import { deadlineOf, NO_EARLY_TIMEOUT } from "./lambda-deadline.ts";
import { reportOnce } from "./report.ts";

const logger = getLogger();

/** Thrown to make the platform deliver the event again later. */
export class RetryLaterError extends CancellationServiceError {
  override name = "RetryLaterError";
}

type BusResult = { outcome: OutcomeType; replayed: boolean };

/** Settled results are returned; anything that may still succeed is thrown back to the platform. */
const settle = (result: OnceResult): BusResult => {
  if (result.kind === "in-progress")
    throw new RetryLaterError("The same request is still running; retry later");
  if (result.kind === "payload-mismatch") throw new RetryLaterError("Unexpected key conflict; retry later");
  if (!isFinal(result.outcome)) {
    const reason = "reason" in result.outcome ? result.outcome.reason : "";
    throw new RetryLaterError(`Transient failure: ${reason}`);
  }
  return { outcome: result.outcome.type, replayed: result.replayed };
};

const handleEvent = async (event: EventBridgeEvent<"Cancel Requested", unknown>, context: Context) => {
  const container = getContainer();
  logger.setCorrelationId(event.id);
  const parsed = parseCancelRequested(event.detail);
  const key = parsed.ok ? parsed.value.idempotencyKey : undefined;
  const requestedBy = parsed.ok ? parsed.value.requestedBy : undefined;
  const cancelContext: CancelContext = {
    trigger: "bus",
    actor: requestedBy ? `${event.source}/${requestedBy}` : event.source,
    correlationId: event.id,
    deadline: deadlineOf(context),
    idempotency: { scopeKey: `bus:${key ?? event.id}`, key },
  };
  // A rejection is keyed by the event, so a redelivery replays it instead of recording it twice.
  const reject = (target: Target, reason: string) =>
    rejectRequest(
      container.deps,
      { ...cancelContext, idempotency: { scopeKey: `bus-rejected:${event.id}`, key } },
      target,
      reason,
    );

  if (!parsed.ok) {
    logger.warn("Cancel Requested event rejected", { eventId: event.id, issues: parsed.issues });
    const reason = parsed.issues.map((issue) => `${issue.field || "detail"}: ${issue.message}`).join("; ");
    return settle(reportOnce(container, "bus", await reject({ type: "event", id: event.id }, reason)));
  }
  const result = reportOnce(
    container,
    "bus",
    await dispatchCancel(container.deps, cancelContext, parsed.value),
  );
  if (result.kind === "payload-mismatch") {
    const reason = "The idempotency key was already used for another request";
    return settle(reportOnce(container, "bus", await reject(targetOf(parsed.value), reason)));
  }
  return settle(result);
};

export const handler = middy<EventBridgeEvent<"Cancel Requested", unknown>, BusResult>(NO_EARLY_TIMEOUT)
  .use(injectLambdaContext(logger))
  .handler(handleEvent);
