/**
 * What a dead letter is, read from its body: a one-line summary for people, and the payload
 * its redrive sends back through the normal path. A body that does not parse as what its
 * queue holds is reported as such, and its message is never redriven nor deleted.
 */
import type { MessageKind } from "./queue-catalogue.ts";

/** A message as received from SQS (the fields the commands use). */
export interface DeadLetterMessage {
  messageId: string;
  body: string;
  /** SQS system attributes (`SentTimestamp`, `ApproximateReceiveCount`, …). */
  attributes: Record<string, string>;
  /** Message attributes: the EventBridge and Scheduler DLQs put the error there. */
  messageAttributes: Record<string, string>;
}

/** What one stream batch's on-failure record says about the batch (Lambda's `DDBStreamBatchInfo`). */
export interface StreamBatch {
  streamArn: string;
  shardId: string;
  startSequenceNumber: string;
  endSequenceNumber: string;
  firstArrival: string;
  lastArrival: string;
  batchSize: number;
}

export type ReadDeadLetter =
  | { ok: true; kind: "bus-event"; summary: string; event: Record<string, unknown> }
  | { ok: true; kind: "schedule-input"; summary: string; input: unknown }
  | { ok: true; kind: "stream-batch"; summary: string; batch: StreamBatch }
  | { ok: false; problem: string };

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

const parseJson = (body: string): { ok: true; value: unknown } | { ok: false; problem: string } => {
  try {
    return { ok: true, value: JSON.parse(body) };
  } catch (error) {
    return { ok: false, problem: `the body is not JSON (${(error as Error).message})` };
  }
};

const isEvent = (value: unknown): value is Record<string, unknown> =>
  isRecord(value) && typeof value["detail-type"] === "string" && isRecord(value.detail);

/** `intent intent_1`, `charge <uuid>`, `order o-1`: what a `Cancel Requested` detail aims at. */
const describeTarget = (detail: Record<string, unknown>): string => {
  const target = isRecord(detail.target) ? detail.target : {};
  const id = target.id ?? target.chargeUuid ?? target.orderId;
  return typeof target.type === "string" ? `${target.type} ${String(id ?? "?")}` : "no target";
};

const readBusEvent = (value: unknown): ReadDeadLetter => {
  // The old asynchronous path parked Lambda's on-failure record, the event inside it.
  const event = isEvent(value)
    ? value
    : isRecord(value) && isEvent(value.requestPayload)
      ? value.requestPayload
      : undefined;
  if (event === undefined) {
    return {
      ok: false,
      problem: "not an EventBridge event (no detail-type and detail object), nor an on-failure record of one",
    };
  }
  const detail = event.detail as Record<string, unknown>;
  const key = typeof detail.idempotencyKey === "string" ? `, key ${detail.idempotencyKey}` : "";
  return {
    ok: true,
    kind: "bus-event",
    summary: `${String(event["detail-type"])}: ${describeTarget(detail)}${key}`,
    event,
  };
};

const readStreamBatch = (value: unknown): ReadDeadLetter => {
  const info = isRecord(value) && isRecord(value.DDBStreamBatchInfo) ? value.DDBStreamBatchInfo : undefined;
  const text = (name: string): string | undefined =>
    typeof info?.[name] === "string" ? (info[name] as string) : undefined;
  const first = text("approximateArrivalOfFirstRecord");
  const last = text("approximateArrivalOfLastRecord");
  if (
    info === undefined ||
    first === undefined ||
    last === undefined ||
    !Number.isFinite(Date.parse(first)) ||
    !Number.isFinite(Date.parse(last))
  ) {
    return {
      ok: false,
      problem:
        "not an on-failure record of a DynamoDB stream batch (no DDBStreamBatchInfo with arrival times)",
    };
  }
  const batch: StreamBatch = {
    streamArn: text("streamArn") ?? "",
    shardId: text("shardId") ?? "",
    startSequenceNumber: text("startSequenceNumber") ?? "",
    endSequenceNumber: text("endSequenceNumber") ?? "",
    firstArrival: first,
    lastArrival: last,
    batchSize: typeof info.batchSize === "number" ? info.batchSize : 0,
  };
  return {
    ok: true,
    kind: "stream-batch",
    summary: `stream batch of ${batch.batchSize} record${batch.batchSize === 1 ? "" : "s"}, ${first} to ${last}`,
    batch,
  };
};

/** Reads a message as what its queue holds. */
export const readDeadLetter = (
  kind: MessageKind,
  message: Pick<DeadLetterMessage, "body">,
): ReadDeadLetter => {
  const json = parseJson(message.body);
  if (!json.ok) return json;
  switch (kind) {
    case "bus-event":
      return readBusEvent(json.value);
    case "schedule-input":
      return {
        ok: true,
        kind,
        summary: `scheduled run, input ${JSON.stringify(json.value)}`,
        input: json.value,
      };
    case "stream-batch":
      return readStreamBatch(json.value);
  }
};

/**
 * The error a DLQ recorded with the message: EventBridge's and Scheduler's attributes (the bus
 * function writes the same ones when it dead-letters a message itself), or Lambda's
 * on-failure record.
 */
export const errorOf = (message: DeadLetterMessage): string => {
  const attributes = message.messageAttributes;
  const fromAttributes = [attributes.ERROR_CODE, attributes.ERROR_MESSAGE].filter(Boolean).join(": ");
  if (fromAttributes !== "") return fromAttributes;
  const json = parseJson(message.body);
  if (json.ok && isRecord(json.value)) {
    const response = isRecord(json.value.responsePayload) ? json.value.responsePayload : undefined;
    const context = isRecord(json.value.requestContext) ? json.value.requestContext : undefined;
    const parts = [response?.errorType, response?.errorMessage, context?.condition].filter(
      (part) => typeof part === "string",
    );
    if (parts.length > 0) return parts.join(": ");
  }
  return "";
};
