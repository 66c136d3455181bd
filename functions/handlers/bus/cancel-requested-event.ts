/**
 * One `Cancel Requested` event (the EventBridge envelope the rule put on the queue), from
 * its detail to a verdict. An invalid detail is rejected for good (audited, `Cancellation
 * Rejected` announced) and keyed by the event id, so a redelivery replays the rejection.
 */
import type { Context, EventBridgeEvent } from "aws-lambda";
import { parseCancelRequested } from "#adapters/events/cancel-requested-schema.ts";
import type { CancelContext } from "#core/dependencies.ts";
import { scopeKeys } from "#core/identifiers.ts";
import { isReplayable, type Target } from "#core/outcome.ts";
import { busOwnerOf } from "#core/ownership.ts";
import { rejectRequest } from "#core/reject-request.ts";
import type { OnceResult } from "#core/run-once.ts";
import type { Container } from "#wiring/container.ts";
import { deadlineOf } from "../lambda-deadline.ts";
import { reportOnce } from "../report.ts";
import type { BusVerdict } from "./bus-verdict.ts";
import { dispatchCancel, requestedTarget } from "./dispatch-cancel.ts";

export type CancelRequestedEvent = EventBridgeEvent<"Cancel Requested", unknown>;

export const verdictOf = (result: OnceResult): BusVerdict => {
  if (result.kind === "in-progress") {
    return {
      kind: "later",
      why: "in-progress",
      retryAfterSeconds: result.retryAfterSeconds,
      reason: "the same request is still running",
    };
  }
  if (result.kind === "payload-mismatch") {
    return { kind: "failed", problem: "internal", reason: "unexpected idempotency key conflict" };
  }
  const { outcome } = result;
  if (isReplayable(outcome)) return { kind: "settled", outcome: outcome.type, replayed: result.replayed };
  const reason = "reason" in outcome ? outcome.reason : "";
  const problem = outcome.type === "FAILED" ? outcome.problem : undefined;
  if (problem === "rate-limited") {
    return {
      kind: "later",
      why: "rate-limited",
      ...(outcome.type === "FAILED" && outcome.retryAfterSeconds !== undefined
        ? { retryAfterSeconds: outcome.retryAfterSeconds }
        : {}),
      reason,
    };
  }
  return { kind: "failed", problem, reason };
};

/** Carries out one event's request. Throws only what the core throws (a store down, a bug). */
export const handleCancelRequested = async (
  container: Container,
  event: CancelRequestedEvent,
  context: Context,
): Promise<BusVerdict> => {
  const { logger } = container;
  const parsed = parseCancelRequested(event.detail);
  const key = parsed.ok ? parsed.value.idempotencyKey : undefined;
  const requestedBy = parsed.ok ? parsed.value.requestedBy : undefined;
  const cancelContext: CancelContext = {
    trigger: "bus",
    // `requestedBy` is what the event says of itself: a label for people reading the trail.
    actor: requestedBy ? `${event.source}/${requestedBy}` : event.source,
    // The identity is the source the rule admitted the event under (ownership.ts).
    owner: busOwnerOf(event.source),
    correlationId: event.id,
    deadline: deadlineOf(context),
    idempotency: { scopeKey: scopeKeys.bus(event.source, key ?? event.id), key },
  };
  // A rejection is keyed by the event, so a redelivery replays it instead of recording it twice.
  const reject = async (target: Target, reason: string): Promise<BusVerdict> =>
    verdictOf(
      reportOnce(
        container,
        "bus",
        await rejectRequest(
          container.deps,
          { ...cancelContext, idempotency: { scopeKey: scopeKeys.busRejected(event.id), key } },
          target,
          reason,
        ),
      ),
    );

  if (!parsed.ok) {
    logger.warn("Cancel Requested event rejected", { eventId: event.id, issues: parsed.issues });
    return reject(
      { type: "event", id: event.id },
      parsed.issues.map((issue) => `${issue.field || "detail"}: ${issue.message}`).join("; "),
    );
  }
  const result = reportOnce(
    container,
    "bus",
    await dispatchCancel(container.deps, cancelContext, parsed.value),
  );
  if (result.kind === "payload-mismatch") {
    return reject(requestedTarget(parsed.value), "The idempotency key was already used for another request");
  }
  return verdictOf(result);
};

/**
 * Records a message as rejected for good, keyed by its message id, so that it is recorded
 * once and never retried: nothing of its body is used (its event id, its source or its
 * detail may be what cannot be stored), only the message id SQS gave it and our own text.
 */
const rejectMessage = async (
  container: Container,
  messageId: string,
  reason: string,
  context: Context,
): Promise<BusVerdict> => {
  const result = await rejectRequest(
    container.deps,
    {
      trigger: "bus",
      actor: "sqs",
      owner: UNREAD_PRODUCER,
      correlationId: messageId,
      deadline: deadlineOf(context),
      idempotency: { scopeKey: scopeKeys.busRejected(messageId), key: undefined },
    },
    { type: "event", id: messageId },
    reason,
  );
  return verdictOf(reportOnce(container, "bus", result));
};

/**
 * A message whose body is not an EventBridge event at all (only the rule and this function
 * write to the queue, so this is a bug or a stray message), or whose envelope cannot be
 * stored (an id or a source too long): rejected for good under its message id.
 */
export const rejectUnreadableMessage = async (
  container: Container,
  messageId: string,
  reason: string,
  context: Context,
): Promise<BusVerdict> => {
  container.logger.warn("queue message rejected: not an EventBridge event it can read", {
    messageId,
    reason,
  });
  return rejectMessage(
    container,
    messageId,
    `The queue message is not an EventBridge event this service can read: ${reason}`,
    context,
  );
};

const MAX_CAUSE_TEXT = 300;

/** The owner of a message rejected before its source could be read (or trusted). */
const UNREAD_PRODUCER = busOwnerOf("");

/**
 * A message whose processing failed for a reason that will never change (DynamoDB refused a
 * write as invalid, the input broke a rule the door did not check): rejected for good under
 * its message id and audited like a malformed event, instead of being retried until it is
 * dead-lettered.
 */
export const rejectUnprocessableMessage = async (
  container: Container,
  messageId: string,
  error: Error,
  context: Context,
): Promise<BusVerdict> => {
  const cause = `${error.name}: ${error.message}`;
  const text = cause.length > MAX_CAUSE_TEXT ? `${cause.slice(0, MAX_CAUSE_TEXT - 1)}…` : cause;
  container.logger.warn("queue message rejected: it can never be processed", { messageId, error });
  return rejectMessage(
    container,
    messageId,
    `The queue message can never be processed (retrying cannot help): ${text}`,
    context,
  );
};
