/**
 * An in-process stand-in for the EventBridge bus and its rules. As deployed, the one rule
 * sends `Cancel Requested` events to the bus function's SQS work queue (the whole event as
 * the message body); the queue and its event source mapping take it from there. Every
 * accepted event is kept (bounded) so `GET /events` can show what the service published.
 * A target that throws (the queue refused the message) makes the event undeliverable, as a
 * rule target's dead-letter queue would keep it. Its siblings: put-events-request.ts (what
 * PutEvents accepts and refuses, in EventBridge's shapes, and the envelope a target
 * receives), put-events-endpoint.ts (the HTTP door), put-events-faults.ts (faults of it).
 */

import { PutEventsFaults } from "./put-events-faults.ts";
import {
  type BusEvent,
  entriesOf,
  type PutEventsResult,
  type PutEventsResultEntry,
  readEntry,
} from "./put-events-request.ts";

/** Which door an event came in through. */
export type EventOrigin = "client" | "service";

export interface StoredEvent {
  origin: EventOrigin;
  eventBusName: string;
  event: BusEvent;
}

/** An event a rule's target did not take (a deployed rule target's dead-letter queue). */
export interface UndeliverableEvent {
  event: BusEvent;
  rule: string;
  error: string;
  at: string;
}

/** A rule: events of one detail-type go to one target. */
export interface BusRule {
  name: string;
  detailType: string;
  /** Delivers one event (e.g. sends it to an SQS queue); a throw makes it undeliverable. */
  target: (event: BusEvent) => void;
}

export interface LocalEventBusOptions {
  rules: readonly BusRule[];
  /** The buses that exist besides `default` (as infra creates the service's): entries for any other are refused. */
  busNames: readonly string[];
  /** Events and undeliverable events kept for `GET /events`, newest kept. Default 500. */
  keep?: number;
  now?: () => number;
}

export class LocalEventBus {
  readonly #options: LocalEventBusOptions;
  readonly #keep: number;
  readonly #now: () => number;
  readonly #events: StoredEvent[] = [];
  readonly #undeliverable: UndeliverableEvent[] = [];
  #closed = false;
  /** Faults of the service's PutEvents door (put-events-endpoint.ts); none unless set. */
  readonly faults = new PutEventsFaults();

  constructor(options: LocalEventBusOptions) {
    this.#options = options;
    this.#keep = options.keep ?? 500;
    this.#now = options.now ?? Date.now;
  }

  /**
   * Accepts a PutEvents request body. Entries are checked one by one, as EventBridge does:
   * a bad entry gets an `ErrorCode` and counts in `FailedEntryCount`, the others go on.
   *
   * @throws PutEventsValidationError when the request itself is refused (no `Entries`, not
   *   1 to 10 of them, or their sizes together at or over the limit), with AWS's message
   */
  putEvents(request: unknown, origin: EventOrigin): PutEventsResult {
    const results = entriesOf(request).map((entry) => this.#accept(entry, origin));
    return {
      FailedEntryCount: results.filter((result) => "ErrorCode" in result).length,
      Entries: results,
    };
  }

  #accept(entry: unknown, origin: EventOrigin): PutEventsResultEntry {
    const read = readEntry(entry, this.#options.busNames, this.#now);
    if ("ErrorCode" in read) return read;
    const { eventBusName, event } = read;
    this.#push(this.#events, { origin, eventBusName, event });
    if (!this.#closed) this.#route(event);
    return { EventId: event.id };
  }

  #push<T>(list: T[], item: T): void {
    list.push(item);
    if (list.length > this.#keep) list.splice(0, list.length - this.#keep);
  }

  #route(event: BusEvent): void {
    for (const rule of this.#options.rules) {
      if (rule.detailType !== event["detail-type"]) continue;
      try {
        rule.target(event);
      } catch (error) {
        this.#push(this.#undeliverable, {
          event,
          rule: rule.name,
          error: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
          at: new Date(this.#now()).toISOString(),
        });
      }
    }
  }

  /** Events the service published (through the EventBridge endpoint), oldest first. */
  published(): StoredEvent[] {
    return this.#events.filter((stored) => stored.origin === "service");
  }

  /** Every accepted event, oldest first. */
  events(): StoredEvent[] {
    return [...this.#events];
  }

  /** Events a rule's target did not take. */
  undeliverable(): UndeliverableEvent[] {
    return [...this.#undeliverable];
  }

  /** Routes nothing more (shutdown). */
  close(): void {
    this.#closed = true;
  }
}
