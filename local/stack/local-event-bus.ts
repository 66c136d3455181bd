/**
 * An in-process stand-in for the EventBridge bus and its one rule: `Cancel Requested`
 * events go to the bus handler, invoked asynchronously as Lambda does it (the put is
 * answered before the handler runs; a throw is retried twice, then the event is
 * dead-lettered with the error). Every accepted event is kept (bounded) so `GET /events`
 * can show what the service published and what was dead-lettered.
 *
 * Lambda waits about a minute, then two, between async retries; locally the delays are
 * short (settings.ts) so a developer sees the outcome while watching.
 */
import { randomUUID } from "node:crypto";
import { PutEventsFaults } from "./put-events-faults.ts";

export const CANCEL_REQUESTED = "Cancel Requested";

/** PutEvents takes 1 to 10 entries per call. */
export const MAX_ENTRIES = 10;
const LOCAL_ACCOUNT_ID = "000000000000";
const REGION = "us-east-1";

/** One event as a bus target receives it (the EventBridge envelope). */
export interface BusEvent {
  version: "0";
  id: string;
  "detail-type": string;
  source: string;
  account: string;
  time: string;
  region: string;
  resources: string[];
  detail: unknown;
}

export type PutEventsResultEntry = { EventId: string } | { ErrorCode: string; ErrorMessage: string };

export interface PutEventsResult {
  FailedEntryCount: number;
  Entries: PutEventsResultEntry[];
}

/** Which door an event came in through. */
export type EventOrigin = "client" | "service";

export interface StoredEvent {
  origin: EventOrigin;
  eventBusName: string;
  event: BusEvent;
}

export type DeliveryStatus = "in-flight" | "retrying" | "delivered" | "dead-lettered";

export interface Delivery {
  eventId: string;
  detailType: string;
  status: DeliveryStatus;
  attempts: number;
  lastError?: string;
}

export interface DeadLetter {
  event: BusEvent;
  /** As in Lambda's on-failure record. */
  condition: "RetriesExhausted";
  approximateInvokeCount: number;
  error: { errorType: string; errorMessage: string };
  at: string;
}

/** The request itself is malformed (not one entry of it): the whole call is refused. */
export class PutEventsValidationError extends Error {
  override readonly name = "PutEventsValidationError";
}

export interface LocalEventBusOptions {
  /** The bus handler; a throw means "retry me". */
  deliver: (event: BusEvent) => Promise<unknown>;
  /** Delays before the second and third attempt. */
  retryDelaysMs: readonly number[];
  /** Called once per dead-lettered event (the stack logs it). */
  onDeadLetter?: (deadLetter: DeadLetter) => void;
  /** Events, deliveries and dead letters kept for `GET /events`, newest kept. Default 500. */
  keep?: number;
  now?: () => number;
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

const entryError = (code: string, message: string): PutEventsResultEntry => ({
  ErrorCode: code,
  ErrorMessage: message,
});

/** `Time` arrives as epoch seconds from the SDK (awsJson) or as an ISO string from a person. */
const timeOf = (value: unknown, now: number): Date | undefined => {
  if (value === undefined || value === null) return new Date(now);
  const date =
    typeof value === "number"
      ? new Date(value * 1000)
      : typeof value === "string"
        ? new Date(value)
        : undefined;
  return date && !Number.isNaN(date.getTime()) ? date : undefined;
};

export class LocalEventBus {
  readonly #options: LocalEventBusOptions;
  readonly #keep: number;
  readonly #now: () => number;
  readonly #events: StoredEvent[] = [];
  readonly #deliveries: Delivery[] = [];
  readonly #deadLetters: DeadLetter[] = [];
  readonly #timers = new Set<NodeJS.Timeout>();
  readonly #inFlight = new Set<Promise<void>>();
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
   * @throws PutEventsValidationError when the request itself is malformed (no `Entries`,
   *   or not 1 to 10 of them)
   */
  putEvents(request: unknown, origin: EventOrigin): PutEventsResult {
    if (!isRecord(request) || !Array.isArray(request.Entries)) {
      throw new PutEventsValidationError("Entries must be an array of 1 to 10 entries");
    }
    const entries: unknown[] = request.Entries;
    if (entries.length < 1 || entries.length > MAX_ENTRIES) {
      throw new PutEventsValidationError(
        `Entries must hold 1 to ${MAX_ENTRIES} entries (got ${entries.length})`,
      );
    }
    const results = entries.map((entry) => this.#accept(entry, origin));
    return {
      FailedEntryCount: results.filter((result) => "ErrorCode" in result).length,
      Entries: results,
    };
  }

  #accept(entry: unknown, origin: EventOrigin): PutEventsResultEntry {
    if (!isRecord(entry)) return entryError("InvalidArgument", "Each entry must be an object.");
    for (const field of ["Source", "DetailType", "Detail"] as const) {
      if (typeof entry[field] !== "string" || entry[field] === "") {
        return entryError(
          "InvalidArgument",
          `Parameter ${field} is not valid. Reason: ${field} is required.`,
        );
      }
    }
    let detail: unknown;
    try {
      detail = JSON.parse(entry.Detail as string);
    } catch {
      return entryError("MalformedDetail", "Detail is malformed.");
    }
    if (!isRecord(detail)) return entryError("MalformedDetail", "Detail must be a JSON object.");
    const time = timeOf(entry.Time, this.#now());
    if (time === undefined) return entryError("InvalidArgument", "Parameter Time is not valid.");
    const resources = Array.isArray(entry.Resources)
      ? entry.Resources.filter((r): r is string => typeof r === "string")
      : [];
    const event: BusEvent = {
      version: "0",
      id: randomUUID(),
      "detail-type": entry.DetailType as string,
      source: entry.Source as string,
      account: LOCAL_ACCOUNT_ID,
      time: time.toISOString().replace(/\.\d{3}Z$/, "Z"),
      region: REGION,
      resources,
      detail,
    };
    const eventBusName =
      typeof entry.EventBusName === "string" && entry.EventBusName ? entry.EventBusName : "default";
    this.#push(this.#events, { origin, eventBusName, event });
    if (event["detail-type"] === CANCEL_REQUESTED && !this.#closed) this.#route(event);
    return { EventId: event.id };
  }

  #push<T>(list: T[], item: T): void {
    list.push(item);
    if (list.length > this.#keep) list.splice(0, list.length - this.#keep);
  }

  #route(event: BusEvent): void {
    const delivery: Delivery = {
      eventId: event.id,
      detailType: event["detail-type"],
      status: "in-flight",
      attempts: 0,
    };
    this.#push(this.#deliveries, delivery);
    const attempt = (): void => {
      if (this.#closed) return;
      delivery.attempts += 1;
      delivery.status = "in-flight";
      const run = this.#options
        .deliver(event)
        .then(
          () => {
            delivery.status = "delivered";
            delete delivery.lastError;
          },
          (error: unknown) => {
            const err = error instanceof Error ? error : new Error(String(error));
            delivery.lastError = `${err.name}: ${err.message}`;
            const delay = this.#options.retryDelaysMs[delivery.attempts - 1];
            if (delay === undefined) {
              delivery.status = "dead-lettered";
              const deadLetter: DeadLetter = {
                event,
                condition: "RetriesExhausted",
                approximateInvokeCount: delivery.attempts,
                error: { errorType: err.name, errorMessage: err.message },
                at: new Date(this.#now()).toISOString(),
              };
              this.#push(this.#deadLetters, deadLetter);
              this.#options.onDeadLetter?.(deadLetter);
              return;
            }
            delivery.status = "retrying";
            this.#later(attempt, delay);
          },
        )
        .finally(() => this.#inFlight.delete(run));
      this.#inFlight.add(run);
    };
    // Asynchronous invocation: the caller has its answer before the handler starts.
    this.#later(attempt, 0);
  }

  #later(run: () => void, ms: number): void {
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      run();
    }, ms);
    this.#timers.add(timer);
  }

  /** Events the service published (through the EventBridge endpoint), oldest first. */
  published(): StoredEvent[] {
    return this.#events.filter((stored) => stored.origin === "service");
  }

  /** Every accepted event, oldest first. */
  events(): StoredEvent[] {
    return [...this.#events];
  }

  /** `Cancel Requested` deliveries to the bus handler and how far each got. */
  deliveries(): Delivery[] {
    return this.#deliveries.map((delivery) => ({ ...delivery }));
  }

  deadLetters(): DeadLetter[] {
    return [...this.#deadLetters];
  }

  /** Resolves once no delivery is running or waiting for a retry. */
  async idle(): Promise<void> {
    while (this.#timers.size > 0 || this.#inFlight.size > 0) {
      await Promise.allSettled([...this.#inFlight]);
      if (this.#timers.size > 0) await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }

  /** Drops waiting retries and accepts no new deliveries (shutdown). */
  close(): void {
    this.#closed = true;
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
  }
}
