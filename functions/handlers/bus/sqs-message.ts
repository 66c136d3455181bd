/**
 * Reading a work-queue message: its body is the EventBridge event the `Cancel Requested`
 * rule delivered (the whole envelope, as an SQS target receives it), and copies put back
 * for later carry how often that happened (sqs-redelivery.ts).
 */
import type { SQSRecord } from "aws-lambda";
import { REDELIVERY_ATTRIBUTES } from "#adapters/queue/redelivery-message.ts";
import { isSafeOneLineText } from "#adapters/validation/safe-text.ts";
import type { CancelRequestedEvent } from "./cancel-requested-event.ts";

/**
 * The longest envelope fields read: EventBridge's own limits (an event id is a UUID; a
 * source at most 256 characters), with room for other producers' ids.
 */
const ENVELOPE_LIMITS = [
  ["id", 128],
  ["source", 256],
] as const;

export type ReadMessage = { ok: true; event: CancelRequestedEvent } | { ok: false; reason: string };

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/** The event in a message body, or why there is none. */
export const readMessage = (record: Pick<SQSRecord, "body">): ReadMessage => {
  let value: unknown;
  try {
    value = JSON.parse(record.body);
  } catch {
    return { ok: false, reason: "the body is not JSON" };
  }
  if (!isRecord(value)) return { ok: false, reason: "the body is not a JSON object" };
  for (const field of ["id", "source", "detail-type"] as const) {
    if (typeof value[field] !== "string" || value[field] === "") {
      return { ok: false, reason: `the body has no "${field}"` };
    }
  }
  // The event id keys the request's idempotency and its rejection, and the source becomes the
  // audit record's actor: both must fit before anything is written (a 3,000-character id made
  // a key DynamoDB refuses, and the message was retried for 30 minutes).
  for (const [field, max] of ENVELOPE_LIMITS) {
    const text = value[field] as string;
    if (text.length > max) return { ok: false, reason: `"${field}" is longer than ${max} characters` };
    if (!isSafeOneLineText(text)) return { ok: false, reason: `"${field}" holds control characters` };
  }
  if (!("detail" in value)) return { ok: false, reason: 'the body has no "detail"' };
  return { ok: true, event: value as unknown as CancelRequestedEvent };
};

const numberAttribute = (record: SQSRecord, name: string): number | undefined => {
  const value = Number(record.messageAttributes?.[name]?.stringValue);
  return Number.isFinite(value) ? value : undefined;
};

/** How often this request was put back already, and when it first reached the queue (epoch ms). */
export const redeliveryHistory = (record: SQSRecord): { redeliveries: number; firstSentAt: number } => ({
  redeliveries: numberAttribute(record, REDELIVERY_ATTRIBUTES.count) ?? 0,
  firstSentAt:
    numberAttribute(record, REDELIVERY_ATTRIBUTES.firstSentAt) ??
    (Number(record.attributes?.SentTimestamp) || 0),
});
