/**
 * The outbox relay: turns the audit table's stream records into outcome events on the bus.
 *
 * A record announces an event when it is an INSERT of an audit record whose `event` is set
 * (`outcomeEventOf`, the same pure function the tests read announcements with). Each is
 * published on its own, in stream order, with the `EventBridgePublisher` (which re-sends
 * the entries PutEvents refuses). When the bus keeps refusing, the relay waits and tries
 * again (full jitter, doubling) until the invocation's deadline, then fails the record; the
 * event source mapping delivers it again from there. Within one batch, a failed record
 * holds back every later one (see {@link OutboxRelay.batchHandler}), so the first
 * publication of each event follows the stream's order.
 */
import type { DynamoDBRecord } from "aws-lambda";
import { outcomeEventOf } from "#core/outcome-events.ts";
import type { Clock, EventPublisher, OutcomeEvent } from "#core/ports.ts";
import { readAuditStreamRecord } from "./audit-stream-record.ts";
import { HeldBackByEarlierFailureError, OutboxPublishTimeoutError } from "./outbox-errors.ts";

export interface OutboxRelayOptions {
  publisher: EventPublisher;
  clock: Clock;
  /** Injected in tests. */
  sleep?: (ms: number) => Promise<void>;
  /** Uniform in [0, 1); injected in tests. */
  random?: () => number;
  /** Longest wait before the 2nd publish attempt; doubled for each later one. Default 250 ms. */
  baseDelayMs?: number;
  /** Cap of one wait. Default 5 s. */
  maxDelayMs?: number;
  onPublished?: (event: OutcomeEvent, lagMs: number) => void;
  /** Each failed attempt (the relay tries again while the invocation has time). */
  onPublishFailure?: (failure: {
    error: unknown;
    attempt: number;
    sequenceNumber: string | undefined;
  }) => void;
}

export type RelayResult =
  | { kind: "published"; eventId: string; attempts: number; lagMs: number }
  | { kind: "announces-nothing" }
  | { kind: "not-an-insert" };

export class OutboxRelay {
  readonly #options: OutboxRelayOptions;
  readonly #sleep: (ms: number) => Promise<void>;
  readonly #random: () => number;
  readonly #baseDelayMs: number;
  readonly #maxDelayMs: number;

  constructor(options: OutboxRelayOptions) {
    this.#options = options;
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
  async relay(streamRecord: DynamoDBRecord, deadline: number): Promise<RelayResult> {
    const reading = readAuditStreamRecord(streamRecord);
    if (reading.kind === "not-an-insert") return { kind: "not-an-insert" };
    const event = outcomeEventOf(reading.record);
    if (event === undefined) return { kind: "announces-nothing" };
    const { clock, publisher } = this.#options;
    let lastError: unknown;
    for (let attempt = 1; clock.now() < deadline; attempt += 1) {
      try {
        await publisher.publish([event]);
        const lagMs = clock.now() - Date.parse(event.detail.at);
        this.#options.onPublished?.(event, lagMs);
        return { kind: "published", eventId: event.detail.eventId, attempts: attempt, lagMs };
      } catch (error) {
        lastError = error;
        this.#options.onPublishFailure?.({ error, attempt, sequenceNumber: reading.sequenceNumber });
        const ceiling = Math.min(this.#maxDelayMs, this.#baseDelayMs * 2 ** (attempt - 1));
        const delayMs = Math.floor(this.#random() * ceiling);
        if (clock.now() + delayMs >= deadline) {
          throw new OutboxPublishTimeoutError(reading.sequenceNumber, attempt, { cause: error });
        }
        await this.#sleep(delayMs);
      }
    }
    throw new OutboxPublishTimeoutError(
      reading.sequenceNumber,
      0,
      lastError === undefined ? undefined : { cause: lastError },
    );
  }

  /**
   * The record handler of one batch (one invocation): records are relayed one after the
   * other; once one fails, every later record of the batch fails at once without being
   * tried. The event source mapping retries from the first failed record, so nothing is
   * lost, and no event overtakes one committed before it.
   */
  batchHandler(deadline: number): (record: DynamoDBRecord) => Promise<RelayResult> {
    let failedAt: { sequenceNumber: string | undefined } | undefined;
    return async (record) => {
      const sequenceNumber = record.dynamodb?.SequenceNumber;
      if (failedAt !== undefined)
        throw new HeldBackByEarlierFailureError(sequenceNumber, failedAt.sequenceNumber);
      try {
        return await this.relay(record, deadline);
      } catch (error) {
        failedAt = { sequenceNumber };
        throw error;
      }
    };
  }
}
