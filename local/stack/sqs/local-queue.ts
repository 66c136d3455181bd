/**
 * One standard SQS queue, in memory, with the semantics the service depends on:
 *
 * - a received message is invisible for the visibility timeout (the queue's, or the one the
 *   receive asks for), then visible again unless it was deleted with its latest receipt handle;
 * - every receive counts (`ApproximateReceiveCount`); with a redrive policy, a message that
 *   has already been received `maxReceiveCount` times is moved to the dead-letter queue on
 *   the next receive instead of being delivered (as SQS does);
 * - `DelaySeconds` (per message, or the queue's default) keeps a new message invisible;
 * - long polling: a receive with `WaitTimeSeconds` answers as soon as a message is visible;
 * - message attributes and the MD5 digests of body and attributes, as SQS computes them;
 * - retention: a message older than `MessageRetentionPeriod` is dropped;
 * - size: a message (body and every part of its attributes) of at most 1 MiB, SQS's limit
 *   and its default `MaximumMessageSize` since 2025 (the SDK's model says so).
 *
 * Not modelled: FIFO queues, in-flight limits, a `MaximumMessageSize` below 1 MiB, and SQS's
 * "approximate" counts (these are exact).
 */
import { randomBytes, randomUUID } from "node:crypto";
import { invalidParameter, messageNotInflight, receiptHandleIsInvalid, SqsError } from "./sqs-errors.ts";
import { type MessageAttributeValue, md5OfBody, md5OfMessageAttributes } from "./sqs-md5.ts";

export interface RedrivePolicy {
  deadLetterTargetArn: string;
  maxReceiveCount: number;
}

export interface QueueSettings {
  visibilityTimeoutSeconds: number;
  delaySeconds: number;
  receiveMessageWaitTimeSeconds: number;
  messageRetentionPeriodSeconds: number;
  redrivePolicy?: RedrivePolicy;
}

export const DEFAULT_QUEUE_SETTINGS: QueueSettings = {
  visibilityTimeoutSeconds: 30,
  delaySeconds: 0,
  receiveMessageWaitTimeSeconds: 0,
  messageRetentionPeriodSeconds: 345_600,
};

/** SQS's own limits on the values a request may carry. */
export const LIMITS = {
  maxDelaySeconds: 900,
  maxVisibilityTimeoutSeconds: 43_200,
  maxWaitTimeSeconds: 20,
  maxMessagesPerReceive: 10,
  maxMessageBytes: 1_048_576,
  maxAttributes: 10,
} as const;

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

interface StoredMessage {
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

export interface QueueCounts {
  visible: number;
  inFlight: number;
  delayed: number;
}

const SENDER_ID = "AIDALOCALSQSSENDER";
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

const inRange = (name: string, value: number, min: number, max: number): number => {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw invalidParameter(
      `Value ${value} for parameter ${name} is invalid. Reason: must be between ${min} and ${max}.`,
    );
  }
  return value;
};

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

export class LocalQueue {
  readonly name: string;
  readonly arn: string;
  readonly url: string;
  readonly createdAt: number;
  #settings: QueueSettings;
  readonly #now: () => number;
  readonly #deadLetterQueue: (arn: string) => LocalQueue | undefined;
  readonly #messages = new Map<string, StoredMessage>();
  readonly #waiters = new Set<() => void>();
  #closed = false;

  constructor(init: {
    name: string;
    arn: string;
    url: string;
    settings: QueueSettings;
    now: () => number;
    /** Resolves the redrive policy's target (the registry knows every queue). */
    deadLetterQueue: (arn: string) => LocalQueue | undefined;
  }) {
    this.name = init.name;
    this.arn = init.arn;
    this.url = init.url;
    this.#settings = { ...init.settings };
    this.#now = init.now;
    this.#deadLetterQueue = init.deadLetterQueue;
    this.createdAt = init.now();
  }

  get settings(): Readonly<QueueSettings> {
    return this.#settings;
  }

  /** Changes settings (SetQueueAttributes); applies to receives from now on. */
  configure(changes: Partial<QueueSettings>): void {
    this.#settings = { ...this.#settings, ...changes };
  }

  send(request: SendRequest): SentMessage {
    const attributes = request.attributes ?? {};
    checkAttributes(attributes);
    if (messageBytes(request.body, attributes) > LIMITS.maxMessageBytes) {
      throw invalidParameter(
        `One or more parameters are invalid. Reason: Message must be shorter than ${LIMITS.maxMessageBytes} bytes.`,
      );
    }
    if (request.body.length === 0)
      throw invalidParameter("The request must contain the parameter MessageBody.");
    const delay = inRange(
      "DelaySeconds",
      request.delaySeconds ?? this.#settings.delaySeconds,
      0,
      LIMITS.maxDelaySeconds,
    );
    const now = this.#now();
    const message: StoredMessage = {
      messageId: randomUUID(),
      body: request.body,
      md5OfBody: md5OfBody(request.body),
      attributes: structuredClone(attributes),
      md5OfMessageAttributes: md5OfMessageAttributes(attributes),
      sentAt: now,
      visibleAt: now + delay * 1000,
      receiveCount: 0,
      firstReceivedAt: undefined,
      receiptHandle: undefined,
      deadLetterQueueSourceArn: undefined,
    };
    this.#messages.set(message.messageId, message);
    this.#wake();
    return {
      messageId: message.messageId,
      md5OfBody: message.md5OfBody,
      ...(message.md5OfMessageAttributes ? { md5OfMessageAttributes: message.md5OfMessageAttributes } : {}),
    };
  }

  /** Takes a message moved here by another queue's redrive, keeping its id, body and counts. */
  acceptDeadLetter(message: StoredMessageView & { sentAtMs: number }, sourceArn: string): void {
    this.#messages.set(message.messageId, {
      messageId: message.messageId,
      body: message.body,
      md5OfBody: md5OfBody(message.body),
      attributes: message.attributes,
      md5OfMessageAttributes: md5OfMessageAttributes(message.attributes),
      sentAt: message.sentAtMs,
      visibleAt: this.#now(),
      receiveCount: message.receiveCount,
      firstReceivedAt: undefined,
      receiptHandle: undefined,
      deadLetterQueueSourceArn: sourceArn,
    });
    this.#wake();
  }

  /** Receives up to `maxMessages`, waiting up to `waitTimeSeconds` for one to be visible. */
  async receive(request: ReceiveRequest = {}): Promise<ReceivedMessage[]> {
    const max = inRange("MaxNumberOfMessages", request.maxMessages ?? 1, 1, LIMITS.maxMessagesPerReceive);
    const visibility = inRange(
      "VisibilityTimeout",
      request.visibilityTimeoutSeconds ?? this.#settings.visibilityTimeoutSeconds,
      0,
      LIMITS.maxVisibilityTimeoutSeconds,
    );
    const wait = inRange(
      "WaitTimeSeconds",
      request.waitTimeSeconds ?? this.#settings.receiveMessageWaitTimeSeconds,
      0,
      LIMITS.maxWaitTimeSeconds,
    );
    const waitUntil = this.#now() + wait * 1000;
    for (;;) {
      const taken = this.#take(max, visibility);
      if (taken.length > 0 || this.#closed || request.signal?.aborted || this.#now() >= waitUntil)
        return taken;
      await this.#nextChange(waitUntil, request.signal);
    }
  }

  #take(max: number, visibilitySeconds: number): ReceivedMessage[] {
    const now = this.#now();
    const taken: ReceivedMessage[] = [];
    const redrive = this.#settings.redrivePolicy;
    for (const message of this.#messages.values()) {
      if (taken.length >= max) break;
      if (message.sentAt + this.#settings.messageRetentionPeriodSeconds * 1000 <= now) {
        this.#messages.delete(message.messageId);
        continue;
      }
      if (message.visibleAt > now) continue;
      if (redrive && message.receiveCount >= redrive.maxReceiveCount) {
        const target = this.#deadLetterQueue(redrive.deadLetterTargetArn);
        if (target) {
          this.#messages.delete(message.messageId);
          target.acceptDeadLetter({ ...this.#view(message), sentAtMs: message.sentAt }, this.arn);
          continue;
        }
      }
      message.receiveCount += 1;
      message.firstReceivedAt ??= now;
      message.receiptHandle = `${Buffer.from(message.messageId).toString("base64url")}.${randomBytes(12).toString("base64url")}`;
      message.visibleAt = now + visibilitySeconds * 1000;
      taken.push({
        messageId: message.messageId,
        receiptHandle: message.receiptHandle,
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
    }
    return taken;
  }

  /** The message a receipt handle names, if the handle is well formed. */
  #byHandle(handle: string): StoredMessage | undefined {
    const [id, nonce] = handle.split(".");
    if (!id || !nonce) throw receiptHandleIsInvalid(handle);
    return this.#messages.get(Buffer.from(id, "base64url").toString());
  }

  /**
   * Deletes the message the handle was issued for. As SQS does, an outdated handle (the
   * message was received again since) succeeds without deleting it.
   */
  delete(receiptHandle: string): void {
    const message = this.#byHandle(receiptHandle);
    if (message && message.receiptHandle === receiptHandle) {
      this.#messages.delete(message.messageId);
      this.#wake();
    }
  }

  /** Makes an in-flight message visible again after `timeoutSeconds` (0: at once). */
  changeVisibility(receiptHandle: string, timeoutSeconds: number): void {
    const timeout = inRange("VisibilityTimeout", timeoutSeconds, 0, LIMITS.maxVisibilityTimeoutSeconds);
    const message = this.#byHandle(receiptHandle);
    if (!message || message.receiptHandle !== receiptHandle) throw receiptHandleIsInvalid(receiptHandle);
    const now = this.#now();
    if (message.visibleAt <= now) throw messageNotInflight();
    message.visibleAt = now + timeout * 1000;
    this.#wake();
  }

  /** Removes one message by id, received or not (a move out of a dead-letter queue). */
  remove(messageId: string): boolean {
    return this.#messages.delete(messageId);
  }

  purge(): void {
    this.#messages.clear();
  }

  counts(): QueueCounts {
    const now = this.#now();
    const counts: QueueCounts = { visible: 0, inFlight: 0, delayed: 0 };
    for (const message of this.#messages.values()) {
      if (message.visibleAt <= now) counts.visible += 1;
      else if (message.receiptHandle === undefined) counts.delayed += 1;
      else counts.inFlight += 1;
    }
    return counts;
  }

  /** Every message at rest (oldest first); for listings, not a receive. */
  messages(): StoredMessageView[] {
    return [...this.#messages.values()].map((message) => this.#view(message));
  }

  #view(message: StoredMessage): StoredMessageView {
    return {
      messageId: message.messageId,
      body: message.body,
      attributes: structuredClone(message.attributes),
      sentAt: new Date(message.sentAt).toISOString(),
      receiveCount: message.receiveCount,
      ...(message.deadLetterQueueSourceArn
        ? { deadLetterQueueSourceArn: message.deadLetterQueueSourceArn }
        : {}),
    };
  }

  /** Ends every long poll (with nothing) and answers later receives at once. */
  close(): void {
    this.#closed = true;
    this.#wake();
  }

  #wake(): void {
    for (const wake of this.#waiters) wake();
    this.#waiters.clear();
  }

  /** Resolves when something changed, when the next message becomes visible, or at `until`. */
  #nextChange(until: number, signal: AbortSignal | undefined): Promise<void> {
    const now = this.#now();
    let next = until;
    for (const message of this.#messages.values()) {
      if (message.visibleAt > now && message.visibleAt < next) next = message.visibleAt;
    }
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.#waiters.delete(done);
        signal?.removeEventListener("abort", done);
        resolve();
      };
      const timer = setTimeout(done, Math.max(1, next - now));
      this.#waiters.add(done);
      signal?.addEventListener("abort", done, { once: true });
    });
  }
}

export const isSqsError = (error: unknown): error is SqsError => error instanceof SqsError;
