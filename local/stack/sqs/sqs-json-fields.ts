/**
 * The local SQS endpoint's JSON 1.0 fields (sqs-json-endpoint.ts runs the operations): a
 * request's parameters read as SQS reads them (a missing or mistyped one is SQS's error), and
 * a sent message, a received one (only the attributes the receive asked for) and a queue's
 * attributes written as SQS writes them.
 */
import type { LocalQueue } from "./local-queue.ts";
import type { LocalSqs } from "./local-sqs.ts";
import { invalidParameter, missingParameter } from "./sqs-errors.ts";
import type { MessageAttributeValue } from "./sqs-md5.ts";
import type { ReceivedMessage } from "./sqs-messages.ts";
import { LIMITS } from "./sqs-request-limits.ts";

/** A request or answer body. */
export type Json = Record<string, unknown>;

/** A string parameter SQS requires. */
export const text = (request: Json, name: string): string => {
  const value = request[name];
  if (typeof value !== "string" || value === "") throw missingParameter(name);
  return value;
};

/** A number parameter, when given. */
export const optionalInt = (request: Json, name: string): number | undefined => {
  const value = request[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "number") throw invalidParameter(`Value for parameter ${name} is invalid.`);
  return value;
};

/** A list parameter; an absent one is empty. */
export const list = (request: Json, name: string): unknown[] => {
  const value = request[name];
  return Array.isArray(value) ? value : [];
};

/** `MessageAttributes`, when given. */
export const attributesOf = (value: unknown): Record<string, MessageAttributeValue> | undefined =>
  value && typeof value === "object" ? (value as Record<string, MessageAttributeValue>) : undefined;

/** Which message attributes a receive asked for: `All`, `.*`, names, or `prefix.*`. */
const pickAttributes = (
  wanted: readonly unknown[],
  attributes: Record<string, MessageAttributeValue>,
): Record<string, MessageAttributeValue> => {
  const patterns = wanted.filter((w): w is string => typeof w === "string");
  const matches = (name: string): boolean =>
    patterns.some(
      (p) => p === "All" || p === ".*" || p === name || (p.endsWith(".*") && name.startsWith(p.slice(0, -1))),
    );
  return Object.fromEntries(Object.entries(attributes).filter(([name]) => matches(name)));
};

/** A received message as ReceiveMessage writes it, with the attributes the request asked for. */
export const receivedJson = (message: ReceivedMessage, request: Json) => {
  const systemNames = [...list(request, "AttributeNames"), ...list(request, "MessageSystemAttributeNames")];
  const all = systemNames.includes("All");
  const system = Object.fromEntries(
    Object.entries(message.systemAttributes).filter(([name]) => all || systemNames.includes(name)),
  );
  const attributes = pickAttributes(list(request, "MessageAttributeNames"), message.attributes);
  return {
    MessageId: message.messageId,
    ReceiptHandle: message.receiptHandle,
    MD5OfBody: message.md5OfBody,
    Body: message.body,
    ...(Object.keys(system).length > 0 ? { Attributes: system } : {}),
    ...(Object.keys(attributes).length > 0
      ? { MessageAttributes: attributes, MD5OfMessageAttributes: message.md5OfMessageAttributes }
      : {}),
  };
};

/** The attributes GetQueueAttributes asked for (`All`, or names). */
export const queueAttributes = (
  sqs: LocalSqs,
  queue: LocalQueue,
  wanted: readonly unknown[],
): Record<string, string> => {
  const { settings } = queue;
  const counts = queue.counts();
  const all: Record<string, string> = {
    QueueArn: queue.arn,
    ApproximateNumberOfMessages: String(counts.visible),
    ApproximateNumberOfMessagesNotVisible: String(counts.inFlight),
    ApproximateNumberOfMessagesDelayed: String(counts.delayed),
    VisibilityTimeout: String(settings.visibilityTimeoutSeconds),
    DelaySeconds: String(settings.delaySeconds),
    ReceiveMessageWaitTimeSeconds: String(settings.receiveMessageWaitTimeSeconds),
    MessageRetentionPeriod: String(settings.messageRetentionPeriodSeconds),
    MaximumMessageSize: String(LIMITS.maxMessageBytes),
    CreatedTimestamp: String(Math.floor(queue.createdAt / 1000)),
    LastModifiedTimestamp: String(Math.floor(queue.createdAt / 1000)),
    SqsManagedSseEnabled: "true",
    ...(settings.redrivePolicy ? { RedrivePolicy: JSON.stringify(settings.redrivePolicy) } : {}),
  };
  if (sqs.sourcesOf(queue).length > 0)
    all.RedriveAllowPolicy = JSON.stringify({ redrivePermission: "allowAll" });
  const names = wanted.filter((w): w is string => typeof w === "string");
  if (names.includes("All")) return all;
  return Object.fromEntries(Object.entries(all).filter(([name]) => names.includes(name)));
};

/** A sent message as SendMessage (and each entry of SendMessageBatch) answers it. */
export const sentJson = (message: {
  messageId: string;
  md5OfBody: string;
  md5OfMessageAttributes?: string;
}): Json => ({
  MessageId: message.messageId,
  MD5OfMessageBody: message.md5OfBody,
  ...(message.md5OfMessageAttributes ? { MD5OfMessageAttributes: message.md5OfMessageAttributes } : {}),
});
