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
 *
 * This file holds the queue: its settings, sending, receiving (visibility, redrive, long
 * polls), deleting and listing. Its siblings: sqs-messages.ts (the message shapes and receipt
 * handles), sqs-request-limits.ts (SQS's limits on a request and its answers beyond them),
 * long-polls.ts (receives waiting for a message), sqs-md5.ts (the digests), sqs-errors.ts
 * (SQS's errors); local-sqs.ts keeps the queues.
 */
import { randomUUID } from "node:crypto";
import { LongPolls } from "./long-polls.ts";
import { messageNotInflight, receiptHandleIsInvalid } from "./sqs-errors.ts";
import { md5OfBody, md5OfMessageAttributes } from "./sqs-md5.ts";
import {
  messageIdOfHandle,
  newReceiptHandle,
  type ReceivedMessage,
  type ReceiveRequest,
  receivedMessageOf,
  type SendRequest,
  type SentMessage,
  type StoredMessage,
  type StoredMessageView,
  storedMessageView,
} from "./sqs-messages.ts";
import { checkedReceive, checkedSendDelay, inRange, LIMITS } from "./sqs-request-limits.ts";

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

export interface QueueCounts {
  visible: number;
  inFlight: number;
  delayed: number;
}

export class LocalQueue {
  readonly name: string;
  readonly arn: string;
  readonly url: string;
  readonly createdAt: number;
  #settings: QueueSettings;
  readonly #now: () => number;
  readonly #deadLetterQueue: (arn: string) => LocalQueue | undefined;
  readonly #messages = new Map<string, StoredMessage>();
  readonly #longPolls = new LongPolls();
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
    const delay = checkedSendDelay(request, this.#settings.delaySeconds);
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
    this.#longPolls.wakeAll();
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
    this.#longPolls.wakeAll();
  }

  /** Receives up to `maxMessages`, waiting up to `waitTimeSeconds` for one to be visible. */
  async receive(request: ReceiveRequest = {}): Promise<ReceivedMessage[]> {
    const { maxMessages, visibilitySeconds, waitSeconds } = checkedReceive(request, this.#settings);
    const waitUntil = this.#now() + waitSeconds * 1000;
    for (;;) {
      const taken = this.#take(maxMessages, visibilitySeconds);
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
          target.acceptDeadLetter({ ...storedMessageView(message), sentAtMs: message.sentAt }, this.arn);
          continue;
        }
      }
      message.receiveCount += 1;
      message.firstReceivedAt ??= now;
      message.receiptHandle = newReceiptHandle(message.messageId);
      message.visibleAt = now + visibilitySeconds * 1000;
      taken.push(receivedMessageOf(message, message.receiptHandle));
    }
    return taken;
  }

  /** The message a receipt handle names, if the handle is well formed. */
  #byHandle(handle: string): StoredMessage | undefined {
    return this.#messages.get(messageIdOfHandle(handle));
  }

  /**
   * Deletes the message the handle was issued for. As SQS does, an outdated handle (the
   * message was received again since) succeeds without deleting it.
   */
  delete(receiptHandle: string): void {
    const message = this.#byHandle(receiptHandle);
    if (message && message.receiptHandle === receiptHandle) {
      this.#messages.delete(message.messageId);
      this.#longPolls.wakeAll();
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
    this.#longPolls.wakeAll();
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
    return [...this.#messages.values()].map((message) => storedMessageView(message));
  }

  /** Ends every long poll (with nothing) and answers later receives at once. */
  close(): void {
    this.#closed = true;
    this.#longPolls.wakeAll();
  }

  /** Resolves when something changed, when the next message becomes visible, or at `until`. */
  #nextChange(until: number, signal: AbortSignal | undefined): Promise<void> {
    const now = this.#now();
    let next = until;
    for (const message of this.#messages.values()) {
      if (message.visibleAt > now && message.visibleAt < next) next = message.visibleAt;
    }
    return this.#longPolls.wait(next - now, signal);
  }
}
