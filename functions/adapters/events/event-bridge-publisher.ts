/**
 * Publishes announced events (outcomes, and a bulk job's end) to an EventBridge bus with PutEvents.
 *
 * Calls are cut by PutEvents' two limits (put-events-limits.ts): at most 10 entries, and
 * entries whose sizes (EventBridge's rule) together stay under the size limit, which AWS
 * otherwise refuses as a whole call. An event whose entry alone is over the limit is never
 * sent (no call could take it): it is reported failed with the code `EntryTooLarge`, and the
 * others go out. PutEvents is not all-or-nothing: it answers 200 with `FailedEntryCount`
 * and an `ErrorCode` on each entry it refused (throttling, internal failure). Only those
 * entries are sent again, after a short exponential backoff. A call that throws is not
 * retried here: the SDK's own retry strategy has already retried it.
 */
import { setTimeout as delay } from "node:timers/promises";
import {
  type EventBridgeClient,
  PutEventsCommand,
  type PutEventsRequestEntry,
} from "@aws-sdk/client-eventbridge";
import type { AnnouncedEvent, EventPublisher } from "#core/ports.ts";
import { EventPublishError, type FailedEventEntry } from "./event-errors.ts";
import { fitsOnePutEventsCall, PUT_EVENTS_LIMIT_BYTES, putEventsEntrySize } from "./put-events-limits.ts";

/** The error code of an event whose entry alone is over PutEvents' size limit (never sent). */
export const ENTRY_TOO_LARGE = "EntryTooLarge";

export const DEFAULT_EVENT_SOURCE = "cancellation-service";

export interface EventBridgePublisherOptions {
  client: EventBridgeClient;
  eventBusName: string;
  /** `source` of every event. Default `cancellation-service`. */
  source?: string;
  /** Calls per batch, the first included. Default 3. */
  maxAttempts?: number;
  /** Backoff before the 2nd call; doubled before each later one. Default 100 ms. */
  baseDelayMs?: number;
  /** Injected in tests. */
  sleep?: (ms: number) => Promise<void>;
}

/** The PutEvents entry of one announced event (an outcome, or a bulk job's end). */
export const outcomeEntry = (
  event: AnnouncedEvent,
  eventBusName: string,
  source = DEFAULT_EVENT_SOURCE,
): PutEventsRequestEntry => {
  const time = new Date(event.detail.at);
  return {
    EventBusName: eventBusName,
    Source: source,
    DetailType: event.detailType,
    Detail: JSON.stringify(event.detail),
    // The outcome's own time, so consumers see when it happened, not when it was sent.
    ...(Number.isNaN(time.getTime()) ? {} : { Time: time }),
  };
};

interface Pending {
  event: AnnouncedEvent;
  entry: PutEventsRequestEntry;
}

interface BatchResult {
  failed: FailedEventEntry[];
  attempts: number;
  cause?: unknown;
}

/** `EventPublisher` over EventBridge. */
export class EventBridgePublisher implements EventPublisher {
  readonly #client: EventBridgeClient;
  readonly #eventBusName: string;
  readonly #source: string;
  readonly #maxAttempts: number;
  readonly #baseDelayMs: number;
  readonly #sleep: (ms: number) => Promise<void>;

  constructor(options: EventBridgePublisherOptions) {
    this.#client = options.client;
    this.#eventBusName = options.eventBusName;
    this.#source = options.source ?? DEFAULT_EVENT_SOURCE;
    this.#maxAttempts = Math.max(1, options.maxAttempts ?? 3);
    this.#baseDelayMs = options.baseDelayMs ?? 100;
    this.#sleep = options.sleep ?? ((ms) => delay(ms));
  }

  /**
   * Publishes every event, in order, in as few PutEvents calls as the entry count and size
   * limits allow. Every batch is tried even when an earlier one failed, so one bad batch
   * does not hold back the others.
   *
   * @throws EventPublishError naming the event ids, detail types and error codes of the
   *   entries that were still refused after `maxAttempts` calls, or never sent because too
   *   large (`EntryTooLarge`), never their payload
   */
  async publish(events: AnnouncedEvent[]): Promise<void> {
    const failed: FailedEventEntry[] = [];
    let attempts = 0;
    let cause: unknown;
    const { batches, tooLarge } = this.#batches(events);
    for (const event of tooLarge) {
      failed.push({
        eventId: event.detail.eventId,
        detailType: event.detailType,
        errorCode: ENTRY_TOO_LARGE,
      });
    }
    for (const batch of batches) {
      const result = await this.#publishBatch(batch);
      failed.push(...result.failed);
      attempts = Math.max(attempts, result.attempts);
      cause ??= result.cause;
    }
    if (failed.length > 0) {
      throw new EventPublishError(failed, attempts, cause === undefined ? undefined : { cause });
    }
  }

  /** The size EventBridge counts for the entry this publisher would send for `event`. */
  entrySize(event: AnnouncedEvent): number {
    return putEventsEntrySize(this.#toEntry(event));
  }

  /** Consecutive events, cut where one more would break a limit; events too large for any call apart. */
  #batches(events: AnnouncedEvent[]): { batches: AnnouncedEvent[][]; tooLarge: AnnouncedEvent[] } {
    const batches: AnnouncedEvent[][] = [];
    const tooLarge: AnnouncedEvent[] = [];
    let batch: AnnouncedEvent[] = [];
    let sizes: number[] = [];
    for (const event of events) {
      const size = this.entrySize(event);
      if (size >= PUT_EVENTS_LIMIT_BYTES) {
        tooLarge.push(event);
        continue;
      }
      if (batch.length > 0 && !fitsOnePutEventsCall([...sizes, size])) {
        batches.push(batch);
        batch = [];
        sizes = [];
      }
      batch.push(event);
      sizes.push(size);
    }
    if (batch.length > 0) batches.push(batch);
    return { batches, tooLarge };
  }

  #toEntry(event: AnnouncedEvent): PutEventsRequestEntry {
    return outcomeEntry(event, this.#eventBusName, this.#source);
  }

  async #publishBatch(events: AnnouncedEvent[]): Promise<BatchResult> {
    let pending: Pending[] = events.map((event) => ({ event, entry: this.#toEntry(event) }));
    let lastCodes: string[] = [];
    let attempt = 0;
    while (pending.length > 0 && attempt < this.#maxAttempts) {
      if (attempt > 0) await this.#sleep(this.#baseDelayMs * 2 ** (attempt - 1));
      attempt += 1;
      let results: { EventId?: string; ErrorCode?: string }[];
      try {
        const answer = await this.#client.send(
          new PutEventsCommand({ Entries: pending.map((p) => p.entry) }),
        );
        results = answer.Entries ?? [];
      } catch (error) {
        const errorCode = error instanceof Error ? error.name : "UnknownError";
        return {
          failed: pending.map((p) => ({
            eventId: p.event.detail.eventId,
            detailType: p.event.detailType,
            errorCode,
          })),
          attempts: attempt,
          cause: error,
        };
      }
      // Entries answer the request's entries by position; one without an EventId was not accepted.
      const refused: Pending[] = [];
      const codes: string[] = [];
      pending.forEach((p, index) => {
        const result = results[index];
        if (result?.ErrorCode !== undefined || result?.EventId === undefined) {
          refused.push(p);
          codes.push(result?.ErrorCode ?? "NoEventId");
        }
      });
      pending = refused;
      lastCodes = codes;
    }
    return {
      failed: pending.map((p, index) => ({
        eventId: p.event.detail.eventId,
        detailType: p.event.detailType,
        errorCode: lastCodes[index] ?? "Unknown",
      })),
      attempts: attempt,
    };
  }
}
