/**
 * One work-queue message, as Powertools batch hands it over: carry out the request, then
 * tell the queue what to do (bus-verdict.ts). Returning means "delete the message";
 * throwing means "report it as a batch item failure".
 *
 * Every failure is logged with the message id and its cause. A failure no retry can fix
 * (DynamoDB refused a write as invalid) is rejected for good and audited, never retried. Any
 * other failure on the message's last receive moves it to the dead-letter queue with the
 * error as attributes (the queue itself would move it without), for `cancelctl dlq`.
 */
import { channel } from "node:diagnostics_channel";
import type { Context, SQSRecord } from "aws-lambda";
import { BULK_ITEM_DETAIL_TYPE } from "#adapters/queue/bulk-item-queue.ts";
import { CancellationServiceError, StoreRefusedError, ValidationError } from "#core/errors.ts";
import type { BusWiring } from "#wiring/bus-wiring.ts";
import { WRITE_MARGIN_MS } from "../lambda-deadline.ts";
import { handleBulkItemMessage } from "./bulk-item-message.ts";
import type { BusVerdict } from "./bus-verdict.ts";
import {
  handleCancelRequested,
  rejectUnprocessableMessage,
  rejectUnreadableMessage,
} from "./cancel-requested-event.ts";
import { redeliveryDelaySeconds } from "./redelivery-delay.ts";
import { readMessage, redeliveryHistory } from "./sqs-message.ts";

/** Thrown to make the queue deliver the message again after its visibility timeout. */
export class RetryLaterError extends CancellationServiceError {
  override name = "RetryLaterError";
}

/** Every message's verdict, for local tools and tests (nothing is published without a subscriber). */
export const BUS_MESSAGE_CHANNEL = "cancellation-service:bus-message";
const verdicts = channel(BUS_MESSAGE_CHANNEL);

export interface BusMessageReport {
  messageId: string;
  eventId: string | undefined;
  receiveCount: number;
  verdict: BusVerdict;
  /** The error's name when processing threw (a store down, a bug) rather than ending in a verdict. */
  thrown?: string;
}

/**
 * Time a message needs to be worth starting: one upstream attempt, the outcome's writes and
 * some room. Records run one after another (so each one's logs carry its own correlation
 * id); a later record that would start with less is put back untouched instead of failing
 * for lack of time. The batch's first record always starts: it has the whole invocation.
 */
export const startFloorMs = (upstreamTimeoutMs: number): number => upstreamTimeoutMs + 2 * WRITE_MARGIN_MS;

export const processMessage = async (
  wiring: BusWiring,
  record: SQSRecord,
  context: Context,
  options: { firstOfBatch: boolean; random?: () => number },
): Promise<BusVerdict> => {
  const random = options.random ?? Math.random;
  const { container } = wiring;
  const { logger } = container;
  const read = readMessage(record);
  const eventId = read.ok ? read.event.id : undefined;
  logger.setCorrelationId(eventId ?? record.messageId);
  const receiveCount = Number(record.attributes?.ApproximateReceiveCount) || 1;
  const report = (verdict: BusVerdict, thrown?: string): void => {
    if (verdicts.hasSubscribers) {
      const message: BusMessageReport = { messageId: record.messageId, eventId, receiveCount, verdict };
      verdicts.publish(thrown === undefined ? message : { ...message, thrown });
    }
  };
  let verdict: BusVerdict;
  try {
    const floor = startFloorMs(container.config.upstreamTimeoutMs);
    if (!options.firstOfBatch && context.getRemainingTimeInMillis() < floor) {
      verdict = {
        kind: "later",
        why: "no-time",
        reason: "too little time left in this invocation to start it",
      };
    } else if (!read.ok) {
      verdict = await rejectUnreadableMessage(container, record.messageId, read.reason, context);
    } else if ((read.event["detail-type"] as string) === BULK_ITEM_DETAIL_TYPE) {
      verdict = await handleBulkItemMessage(container, record.messageId, read.event.detail, context);
    } else {
      verdict = await handleCancelRequested(container, read.event, context);
    }
  } catch (thrown) {
    const error = thrown instanceof Error ? thrown : new Error(String(thrown));
    const fields = { messageId: record.messageId, eventId, receiveCount, error };
    if (isPermanent(error)) {
      logger.error("bus message failed for good; it is rejected, not retried", fields);
      verdict = await rejectUnprocessableMessage(container, record.messageId, error, context);
      report(verdict);
      return verdict;
    }
    // A store down or a bug: the message fails as a whole (Powertools reports it) and comes back.
    report({ kind: "failed", problem: "internal", reason: String(thrown) }, error.name);
    logger.error("bus message failed; the queue delivers it again", fields);
    if (await deadLetterOnLastReceive(wiring, record, receiveCount, error)) {
      return { kind: "failed", problem: "internal", reason: error.message };
    }
    throw thrown;
  }
  report(verdict);

  if (verdict.kind === "later") {
    const history = redeliveryHistory(record);
    const delaySeconds = redeliveryDelaySeconds(verdict, random());
    await wiring.redelivery.sendLater({
      body: record.body,
      delaySeconds,
      redeliveries: history.redeliveries + 1,
      firstSentAt: history.firstSentAt,
    });
    logger.info("bus message put back for later", {
      messageId: record.messageId,
      why: verdict.why,
      delaySeconds,
      redeliveries: history.redeliveries + 1,
      reason: verdict.reason,
    });
  } else if (verdict.kind === "failed") {
    logger.warn("bus message failed; the queue delivers it again", {
      messageId: record.messageId,
      eventId,
      receiveCount,
      problem: verdict.problem,
      reason: verdict.reason,
    });
    const error = new RetryLaterError(
      `Operational failure (${verdict.problem ?? "unknown"}): ${verdict.reason}`,
    );
    if (await deadLetterOnLastReceive(wiring, record, receiveCount, error)) return verdict;
    throw error;
  }
  return verdict;
};

/** A failure no retry can fix: the store refused the request as invalid, or the input broke a rule. */
const isPermanent = (error: Error): boolean =>
  error instanceof StoreRefusedError || error instanceof ValidationError;

/**
 * On the message's last receive (the queue would dead-letter it on the next one), moves it
 * to the dead-letter queue with the error that ended it, so `cancelctl dlq` can say why.
 * @returns whether it was moved (the message is then done); when the move fails, the queue's
 *   own redrive policy moves it later, without the error
 */
const deadLetterOnLastReceive = async (
  wiring: BusWiring,
  record: SQSRecord,
  receiveCount: number,
  error: Error,
): Promise<boolean> => {
  if (receiveCount < wiring.maxReceiveCount) return false;
  const { logger } = wiring.container;
  try {
    await wiring.deadLetters.send({
      body: record.body,
      errorCode: error.name,
      errorMessage: error.message,
      receives: receiveCount,
    });
  } catch (deadLetterError) {
    logger.error("bus message not dead-lettered; the queue moves it without its error", {
      messageId: record.messageId,
      error: deadLetterError as Error,
    });
    return false;
  }
  logger.error("bus message dead-lettered with its error", {
    messageId: record.messageId,
    receiveCount,
    errorCode: error.name,
  });
  return true;
};
