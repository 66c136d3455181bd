/**
 * A local SQS queue's messages (local-queue.ts keeps them): what a send carries and answers,
 * what a receive asks for and returns, a message as the queue stores it and as listings show
 * it, and its receipt handles (the message id and a fresh nonce, so only the latest receive's
 * handle matches).
 */
import { randomBytes } from "node:crypto";
import { receiptHandleIsInvalid } from "./sqs-errors.ts";
import type { MessageAttributeValue } from "./sqs-md5.ts";

export interface SendRequest {
  body: string;
  delaySeconds?: number;
  attributes?: Record<string, MessageAttributeValue>;
}

export interface SentMessage {
  messageId: string;
  md5OfBody: string;
  md5OfMessageAttributes?: string;
}

export interface ReceiveRequest {
  maxMessages?: number;
  visibilityTimeoutSeconds?: number;
  waitTimeSeconds?: number;
  /** Ends a long poll early (with whatever is visible by then, usually nothing). */
  signal?: AbortSignal;
}

/** A message as a receive returns it, with every system attribute (callers pick what they asked for). */
export interface ReceivedMessage {
  messageId: string;
  receiptHandle: string;
  body: string;
  md5OfBody: string;
  md5OfMessageAttributes?: string;
  attributes: Record<string, MessageAttributeValue>;
  systemAttributes: {
    ApproximateReceiveCount: string;
    SentTimestamp: string;
    SenderId: string;
    ApproximateFirstReceiveTimestamp: string;
    DeadLetterQueueSourceArn?: string;
  };
}

/** A message at rest, as `GET /events` and the dead-letter listing show it. */
export interface StoredMessageView {
  messageId: string;
  body: string;
  attributes: Record<string, MessageAttributeValue>;
  sentAt: string;
  receiveCount: number;
  deadLetterQueueSourceArn?: string;
}

/** A message as the queue keeps it. */
export interface StoredMessage {
  messageId: string;
  body: string;
  md5OfBody: string;
  attributes: Record<string, MessageAttributeValue>;
  md5OfMessageAttributes: string | undefined;
  sentAt: number;
  visibleAt: number;
  receiveCount: number;
  firstReceivedAt: number | undefined;
  /** The latest receipt handle; only it deletes or changes the visibility. */
  receiptHandle: string | undefined;
  deadLetterQueueSourceArn: string | undefined;
}

const SENDER_ID = "AIDALOCALSQSSENDER";

/** A new receipt handle for the message: its id, readable back, and a nonce. */
export const newReceiptHandle = (messageId: string): string =>
  `${Buffer.from(messageId).toString("base64url")}.${randomBytes(12).toString("base64url")}`;

/** The message id a receipt handle was issued for, if the handle is well formed. */
export const messageIdOfHandle = (handle: string): string => {
  const [id, nonce] = handle.split(".");
  if (!id || !nonce) throw receiptHandleIsInvalid(handle);
  return Buffer.from(id, "base64url").toString();
};

/** The message as this receive returns it (its receipt handle and counts already updated). */
export const receivedMessageOf = (message: StoredMessage, receiptHandle: string): ReceivedMessage => ({
  messageId: message.messageId,
  receiptHandle,
  body: message.body,
  md5OfBody: message.md5OfBody,
  ...(message.md5OfMessageAttributes ? { md5OfMessageAttributes: message.md5OfMessageAttributes } : {}),
  attributes: structuredClone(message.attributes),
  systemAttributes: {
    ApproximateReceiveCount: String(message.receiveCount),
    SentTimestamp: String(message.sentAt),
    SenderId: SENDER_ID,
    ApproximateFirstReceiveTimestamp: String(message.firstReceivedAt),
    ...(message.deadLetterQueueSourceArn
      ? { DeadLetterQueueSourceArn: message.deadLetterQueueSourceArn }
      : {}),
  },
});

/** The message at rest, as listings show it. */
export const storedMessageView = (message: StoredMessage): StoredMessageView => ({
  messageId: message.messageId,
  body: message.body,
  attributes: structuredClone(message.attributes),
  sentAt: new Date(message.sentAt).toISOString(),
  receiveCount: message.receiveCount,
  ...(message.deadLetterQueueSourceArn ? { deadLetterQueueSourceArn: message.deadLetterQueueSourceArn } : {}),
});
