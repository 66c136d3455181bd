/**
 * SQS's limits on what a request to the local queues may carry, and the `InvalidParameterValue`
 * answers SQS gives outside them: numeric ranges, message attributes (names, types, values, at
 * most ten), the message size as SQS counts it, and a send's and a receive's parameters. The
 * queue that applies them is local-queue.ts; the JSON endpoint (sqs-json-endpoint.ts) checks a
 * batch's total size with them.
 */
import { invalidParameter } from "./sqs-errors.ts";
import type { MessageAttributeValue } from "./sqs-md5.ts";
import type { ReceiveRequest, SendRequest } from "./sqs-messages.ts";

/** SQS's own limits on the values a request may carry. */
export const LIMITS = {
  maxDelaySeconds: 900,
  maxVisibilityTimeoutSeconds: 43_200,
  maxWaitTimeSeconds: 20,
  maxMessagesPerReceive: 10,
  maxMessageBytes: 1_048_576,
  maxAttributes: 10,
} as const;

const ATTRIBUTE_NAME = /^(?!aws\.|amazon\.)(?!.*\.\.)[A-Za-z0-9_.-]{1,256}$/i;

/** A message's size as SQS counts it: the body and each attribute's name, type and value (UTF-8 bytes; binary decoded). */
export const messageBytes = (
  body: string,
  attributes: Readonly<Record<string, MessageAttributeValue>> = {},
): number =>
  Object.entries(attributes).reduce(
    (total, [name, value]) =>
      total +
      Buffer.byteLength(name, "utf8") +
      Buffer.byteLength(value.DataType ?? "", "utf8") +
      (value.BinaryValue !== undefined
        ? Buffer.from(value.BinaryValue, "base64").length
        : Buffer.byteLength(value.StringValue ?? "", "utf8")),
    Buffer.byteLength(body, "utf8"),
  );

/** `value`, when it is a whole number from `min` to `max`; SQS's answer for parameter `name` otherwise. */
export const inRange = (name: string, value: number, min: number, max: number): number => {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw invalidParameter(
      `Value ${value} for parameter ${name} is invalid. Reason: must be between ${min} and ${max}.`,
    );
  }
  return value;
};

/** Throws SQS's answer for the first attribute it would refuse (too many, a bad name, type or value). */
const checkAttributes = (attributes: Record<string, MessageAttributeValue>): void => {
  const names = Object.keys(attributes);
  if (names.length > LIMITS.maxAttributes) {
    throw invalidParameter(
      `Number of message attributes [${names.length}] exceeds the allowed maximum [10].`,
    );
  }
  for (const name of names) {
    const value = attributes[name] as MessageAttributeValue;
    if (!ATTRIBUTE_NAME.test(name)) throw invalidParameter(`Message attribute name '${name}' is invalid.`);
    if (!/^(String|Number|Binary)(\..+)?$/.test(value.DataType ?? "")) {
      throw invalidParameter(`The type of message attribute '${name}' is invalid.`);
    }
    const binary = value.DataType.startsWith("Binary");
    if (binary ? value.BinaryValue === undefined : value.StringValue === undefined) {
      throw invalidParameter(
        `Message attribute '${name}' must contain a non-empty value of type '${value.DataType}'.`,
      );
    }
  }
};

/**
 * A send's delay in seconds (its own, or the queue's), once the message passes SQS's checks:
 * attributes, size, a body.
 */
export const checkedSendDelay = (request: SendRequest, queueDelaySeconds: number): number => {
  const attributes = request.attributes ?? {};
  checkAttributes(attributes);
  if (messageBytes(request.body, attributes) > LIMITS.maxMessageBytes) {
    throw invalidParameter(
      `One or more parameters are invalid. Reason: Message must be shorter than ${LIMITS.maxMessageBytes} bytes.`,
    );
  }
  if (request.body.length === 0)
    throw invalidParameter("The request must contain the parameter MessageBody.");
  return inRange("DelaySeconds", request.delaySeconds ?? queueDelaySeconds, 0, LIMITS.maxDelaySeconds);
};

/** A receive's parameters (its own, or the queue's), once each is within SQS's range. */
export const checkedReceive = (
  request: ReceiveRequest,
  queue: { visibilityTimeoutSeconds: number; receiveMessageWaitTimeSeconds: number },
): { maxMessages: number; visibilitySeconds: number; waitSeconds: number } => ({
  maxMessages: inRange("MaxNumberOfMessages", request.maxMessages ?? 1, 1, LIMITS.maxMessagesPerReceive),
  visibilitySeconds: inRange(
    "VisibilityTimeout",
    request.visibilityTimeoutSeconds ?? queue.visibilityTimeoutSeconds,
    0,
    LIMITS.maxVisibilityTimeoutSeconds,
  ),
  waitSeconds: inRange(
    "WaitTimeSeconds",
    request.waitTimeSeconds ?? queue.receiveMessageWaitTimeSeconds,
    0,
    LIMITS.maxWaitTimeSeconds,
  ),
});
