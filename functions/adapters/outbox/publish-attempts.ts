/**
 * The outbox relay's attempts to publish one PutEvents call's events (ADR 0002): the
 * `EventBridgePublisher` already re-sends the entries PutEvents refuses; when the bus keeps
 * refusing, the relay sends again only the still-refused ones, waiting in between (full
 * jitter, doubling, capped), until the invocation's deadline, then fails those still
 * unpublished (`OutboxPublishTimeoutError`). Each event's result is its own promise, so an
 * event published on an early attempt is not held back by the refused ones. Its siblings:
 * outbox-relay.ts (which records go out together, and a batch held back after a failure),
 * shortened-event.ts (an event too large for any call).
 */
import type { DynamoDBRecord } from "aws-lambda";
import { EventPublishError } from "#adapters/events/event-errors.ts";
import type { AnnouncedEvent, Clock, EventPublisher } from "#core/ports.ts";
import { OutboxPublishTimeoutError } from "./outbox-errors.ts";

/** One announcing record of a PutEvents call. */
export interface Announcement {
  record: DynamoDBRecord;
  /** The event as published: shortened when the committed one is too large for PutEvents. */
  event: AnnouncedEvent;
  sequenceNumber: string | undefined;
  /** The committed event's entry size, when it had to be shortened. */
  shortenedFrom?: number;
}

/** What the relay reports of its attempts (its options, OutboxRelayOptions, carry them). */
export interface PublishHooks {
  onPublished?: (event: AnnouncedEvent, lagMs: number) => void;
  /** An event too large for PutEvents was published shortened (see shortened-event.ts). */
  onShortened?: (shortened: {
    event: AnnouncedEvent;
    originalBytes: number;
    sequenceNumber: string | undefined;
  }) => void;
  /** Each failed attempt (the relay tries again while the invocation has time). */
  onPublishFailure?: (failure: {
    error: unknown;
    attempt: number;
    /** Events of the call still not published. */
    events: number;
    sequenceNumber: string | undefined;
  }) => void;
}

export interface PublishedResult {
  kind: "published";
  eventId: string;
  attempts: number;
  lagMs: number;
}

export interface PublishAttemptsOptions {
  publisher: EventPublisher;
  clock: Clock;
  sleep: (ms: number) => Promise<void>;
  /** Uniform in [0, 1). */
  random: () => number;
  /** Longest wait before the 2nd attempt; doubled for each later one. */
  baseDelayMs: number;
  /** Cap of one wait. */
  maxDelayMs: number;
  hooks: PublishHooks;
}

/** Publishes one call's events, sending again only the refused ones, until `deadline`. */
export const publishUntilDeadline = (
  call: Announcement[],
  deadline: number,
  options: PublishAttemptsOptions,
): Map<Announcement, Promise<PublishedResult>> => {
  const { clock, publisher, hooks } = options;
  const outcomes = new Map<
    Announcement,
    { promise: Promise<PublishedResult>; resolve: (r: PublishedResult) => void; reject: (e: unknown) => void }
  >();
  for (const announcement of call) {
    let resolve: (r: PublishedResult) => void = () => {};
    let reject: (e: unknown) => void = () => {};
    const promise = new Promise<PublishedResult>((yes, no) => {
      resolve = yes;
      reject = no;
    });
    outcomes.set(announcement, { promise, resolve, reject });
  }
  const published = (announcement: Announcement, attempts: number): void => {
    const lagMs = clock.now() - Date.parse(announcement.event.detail.at);
    hooks.onPublished?.(announcement.event, lagMs);
    if (announcement.shortenedFrom !== undefined) {
      hooks.onShortened?.({
        event: announcement.event,
        originalBytes: announcement.shortenedFrom,
        sequenceNumber: announcement.sequenceNumber,
      });
    }
    outcomes.get(announcement)?.resolve({
      kind: "published",
      eventId: announcement.event.detail.eventId,
      attempts,
      lagMs,
    });
  };
  const run = async (): Promise<void> => {
    let pending = call;
    let attempt = 0;
    let lastError: unknown;
    while (pending.length > 0 && clock.now() < deadline) {
      attempt += 1;
      try {
        await publisher.publish(pending.map((announcement) => announcement.event));
        for (const announcement of pending) published(announcement, attempt);
        pending = [];
        break;
      } catch (error) {
        lastError = error;
        const refused =
          error instanceof EventPublishError
            ? new Set(error.failed.map((entry) => entry.eventId))
            : undefined;
        const stillPending = pending.filter(
          (announcement) => refused === undefined || refused.has(announcement.event.detail.eventId),
        );
        for (const announcement of pending)
          if (!stillPending.includes(announcement)) published(announcement, attempt);
        pending = stillPending;
        hooks.onPublishFailure?.({
          error,
          attempt,
          events: pending.length,
          sequenceNumber: pending[0]?.sequenceNumber,
        });
        const ceiling = Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** (attempt - 1));
        const delayMs = Math.floor(options.random() * ceiling);
        if (clock.now() + delayMs >= deadline) break;
        await options.sleep(delayMs);
      }
    }
    for (const announcement of pending) {
      outcomes
        .get(announcement)
        ?.reject(
          new OutboxPublishTimeoutError(
            announcement.sequenceNumber,
            attempt,
            lastError === undefined ? undefined : { cause: lastError },
          ),
        );
    }
  };
  // A throw of our own (a callback's) must not leave the batch waiting for ever.
  run().catch((error: unknown) => {
    for (const { reject } of outcomes.values()) reject(error);
  });
  return new Map([...outcomes].map(([announcement, { promise }]) => [announcement, promise]));
};
