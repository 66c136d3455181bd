/**
 * One work-queue message, as Powertools batch hands it over: carry out the request, then
 * tell the queue what to do (bus-verdict.ts). Returning means "delete the message";
 * throwing means "report it as a batch item failure".
 */
import { channel } from "node:diagnostics_channel";
import type { Context, SQSRecord } from "aws-lambda";
import { BULK_ITEM_DETAIL_TYPE } from "#adapters/queue/bulk-item-queue.ts";
import { CancellationServiceError } from "#core/errors.ts";
import type { BusWiring } from "#wiring/bus-wiring.ts";
import { WRITE_MARGIN_MS } from "../lambda-deadline.ts";
import { handleBulkItemMessage } from "./bulk-item-message.ts";
import type { BusVerdict } from "./bus-verdict.ts";
import { handleCancelRequested, rejectUnreadableMessage } from "./cancel-requested-event.ts";
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
  } catch (error) {
    // A store down or a bug: the message fails as a whole (Powertools reports it) and comes back.
    const name = error instanceof Error ? error.name : typeof error;
    report({ kind: "failed", problem: "internal", reason: String(error) }, name);
    throw error;
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
      receiveCount,
      problem: verdict.problem,
      reason: verdict.reason,
    });
    throw new RetryLaterError(`Operational failure (${verdict.problem ?? "unknown"}): ${verdict.reason}`);
  }
  return verdict;
};
