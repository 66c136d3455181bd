/**
 * The outbox relay: turns the audit table's stream records into announced events (outcomes,
 * and a bulk job's end) on the bus. This file holds which records go out together and how a
 * batch is held back after a failure; its siblings: publish-attempts.ts (publishing one
 * call's events, trying again until the deadline), audit-stream-record.ts (reading a stream
 * record), shortened-event.ts (an event too large for any call), outbox-errors.ts.
 *
 * A record announces an event when it is an INSERT of an audit record whose `event` is set
 * (`outcomeEventOf`, the same pure function the tests read announcements with). Records are
 * taken in stream order; consecutive announcing records go out together while PutEvents'
 * limits allow (10 entries, and their sizes by EventBridge's rule together under the limit:
 * put-events-limits.ts), but never two of one target in one call: EventBridge keeps no
 * order inside a call, and one target's events must first reach the bus in the order they
 * were committed. An event too large for any call is published shortened
 * (shortened-event.ts: why, and what it carries). When the bus keeps refusing, the relay
 * tries again until the invocation's deadline, then fails the records still unpublished
 * (publish-attempts.ts). Within one batch a failed record holds back every later one (see
 * {@link OutboxRelay.batchHandler}); the event source mapping delivers them again from the
 * first failed record.
 */
import type { DynamoDBRecord } from "aws-lambda";
import { outcomeEntry } from "#adapters/events/event-bridge-publisher.ts";
import { fitsOnePutEventsCall, putEventsEntrySize } from "#adapters/events/put-events-limits.ts";
import { outcomeEventOf } from "#core/outcome-events.ts";
import type { AnnouncedEvent, Clock, EventPublisher } from "#core/ports.ts";
import { readAuditStreamRecord } from "./audit-stream-record.ts";
import { HeldBackByEarlierFailureError } from "./outbox-errors.ts";
import {
  type Announcement,
  type PublishedResult,
  type PublishHooks,
  publishUntilDeadline,
} from "./publish-attempts.ts";
import { shortenedEvent } from "./shortened-event.ts";

/** An event's entry size with the publisher's default source (the bus name does not count). */
const defaultEntrySize = (event: AnnouncedEvent): number => putEventsEntrySize(outcomeEntry(event, ""));

export interface OutboxRelayOptions extends PublishHooks {
  publisher: EventPublisher;
  clock: Clock;
  /** The size EventBridge counts for an event's entry, as the publisher sends it. Default: its default source. */
  entrySize?: (event: AnnouncedEvent) => number;
  /** Injected in tests. */
  sleep?: (ms: number) => Promise<void>;
  /** Uniform in [0, 1); injected in tests. */
  random?: () => number;
  /** Longest wait before the 2nd publish attempt; doubled for each later one. Default 250 ms. */
  baseDelayMs?: number;
  /** Cap of one wait. Default 5 s. */
  maxDelayMs?: number;
}

export type RelayResult = PublishedResult | { kind: "announces-nothing" } | { kind: "not-an-insert" };

const targetKey = (event: AnnouncedEvent): string => `${event.detail.target.type}#${event.detail.target.id}`;

/** A result that may never be awaited (a record held back): its rejection is not an unhandled one. */
const settledLater = <T>(promise: Promise<T>): Promise<T> => {
  promise.catch(() => {});
  return promise;
};

export class OutboxRelay {
  readonly #options: OutboxRelayOptions;
  readonly #sleep: (ms: number) => Promise<void>;
  readonly #random: () => number;
  readonly #baseDelayMs: number;
  readonly #maxDelayMs: number;
  readonly #entrySize: (event: AnnouncedEvent) => number;

  constructor(options: OutboxRelayOptions) {
    this.#options = options;
    this.#entrySize = options.entrySize ?? defaultEntrySize;
    this.#sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.#random = options.random ?? Math.random;
    this.#baseDelayMs = options.baseDelayMs ?? 250;
    this.#maxDelayMs = options.maxDelayMs ?? 5_000;
  }

  /**
   * Publishes the event one stream record announces, if any.
   *
   * @param deadline - epoch ms after which no attempt starts and no wait ends
   * @throws UnreadableOutboxRecordError for an INSERT without a readable audit record
   * @throws OutboxPublishTimeoutError when the bus refused every attempt until `deadline`
   */
  relay(streamRecord: DynamoDBRecord, deadline: number): Promise<RelayResult> {
    return this.batchHandler([streamRecord], deadline)(streamRecord);
  }

  /**
   * The record handler of one batch (one invocation), called for each record in order, one
   * after the other (Powertools batch, sequential). The first call for a record not yet
   * published publishes it with the announcing records after it (see the file header).
   * Once a record fails, every later record of the batch fails at once without being
   * waited for: the event source mapping retries from the first failed record, so nothing
   * is lost, and no event of a target overtakes an unpublished earlier one.
   */
  batchHandler(
    records: readonly DynamoDBRecord[],
    deadline: number,
  ): (record: DynamoDBRecord) => Promise<RelayResult> {
    const results = new Map<DynamoDBRecord, Promise<RelayResult>>();
    let failedAt: { sequenceNumber: string | undefined } | undefined;
    return async (record) => {
      const sequenceNumber = record.dynamodb?.SequenceNumber;
      if (failedAt !== undefined)
        throw new HeldBackByEarlierFailureError(sequenceNumber, failedAt.sequenceNumber);
      if (!results.has(record)) this.#startFrom(records, record, deadline, results);
      try {
        return await (results.get(record) as Promise<RelayResult>);
      } catch (error) {
        failedAt = { sequenceNumber };
        throw error;
      }
    };
  }

  /** Reads records from `first` on, and publishes the announcing ones that may go together. */
  #startFrom(
    records: readonly DynamoDBRecord[],
    first: DynamoDBRecord,
    deadline: number,
    results: Map<DynamoDBRecord, Promise<RelayResult>>,
  ): void {
    const start = Math.max(0, records.indexOf(first));
    const call: Announcement[] = [];
    const sizes: number[] = [];
    const targets = new Set<string>();
    for (let index = start; index < records.length; index += 1) {
      const record = (index === start ? first : records[index]) as DynamoDBRecord;
      if (results.has(record)) break;
      let reading: ReturnType<typeof readAuditStreamRecord>;
      try {
        reading = readAuditStreamRecord(record);
      } catch (error) {
        // An unreadable record fails on its own turn; the ones before it go out first.
        if (index === start) results.set(record, settledLater(Promise.reject(error)));
        break;
      }
      if (reading.kind === "not-an-insert") {
        results.set(record, Promise.resolve({ kind: "not-an-insert" }));
        continue;
      }
      const committed = outcomeEventOf(reading.record);
      if (committed === undefined) {
        results.set(record, Promise.resolve({ kind: "announces-nothing" }));
        continue;
      }
      const announcement = this.#announcement(record, committed, reading.sequenceNumber);
      const size = this.#entrySize(announcement.event);
      if (targets.has(targetKey(committed)) || (call.length > 0 && !fitsOnePutEventsCall([...sizes, size])))
        break;
      targets.add(targetKey(committed));
      call.push(announcement);
      sizes.push(size);
    }
    if (call.length === 0) return;
    const settled = publishUntilDeadline(call, deadline, {
      publisher: this.#options.publisher,
      clock: this.#options.clock,
      sleep: this.#sleep,
      random: this.#random,
      baseDelayMs: this.#baseDelayMs,
      maxDelayMs: this.#maxDelayMs,
      hooks: this.#options,
    });
    for (const announcement of call) {
      results.set(announcement.record, settledLater(settled.get(announcement) as Promise<RelayResult>));
    }
  }

  /** The record's event as it is to be published: shortened when too large for any PutEvents call. */
  #announcement(
    record: DynamoDBRecord,
    committed: AnnouncedEvent,
    sequenceNumber: string | undefined,
  ): Announcement {
    const originalBytes = this.#entrySize(committed);
    if (fitsOnePutEventsCall([originalBytes])) return { record, event: committed, sequenceNumber };
    const event = shortenedEvent(committed, originalBytes, (shorter) =>
      fitsOnePutEventsCall([this.#entrySize(shorter)]),
    );
    return { record, event, sequenceNumber, shortenedFrom: originalBytes };
  }
}
