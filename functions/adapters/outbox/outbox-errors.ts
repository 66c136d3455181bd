/** Errors of the outbox relay. None carries an event's payload: a detail may hold a customer's reason. */
import { CancellationServiceError } from "#core/errors.ts";

/**
 * An INSERT on the audit table whose item holds no readable audit record. Retrying cannot
 * mend it: after the event source mapping's retries it goes to the relay's failure queue,
 * where an operator finds its stream position.
 */
export class UnreadableOutboxRecordError extends CancellationServiceError {
  override name = "UnreadableOutboxRecordError";
  readonly sequenceNumber: string | undefined;
  constructor(sequenceNumber: string | undefined, message: string, options?: ErrorOptions) {
    super(`Stream record ${sequenceNumber ?? "(no sequence number)"}: ${message}`, options);
    this.sequenceNumber = sequenceNumber;
  }
}

/** The bus kept refusing an event until the invocation had to stop trying; the stream retries it. */
export class OutboxPublishTimeoutError extends CancellationServiceError {
  override name = "OutboxPublishTimeoutError";
  readonly sequenceNumber: string | undefined;
  readonly attempts: number;
  constructor(sequenceNumber: string | undefined, attempts: number, options?: ErrorOptions) {
    super(
      `Event of stream record ${sequenceNumber ?? "(no sequence number)"} not published after ${attempts} attempt(s); the stream will deliver it again`,
      options,
    );
    this.sequenceNumber = sequenceNumber;
    this.attempts = attempts;
  }
}

/**
 * Not tried, because an earlier record of the same batch failed: publishing it now would
 * put it on the bus before that one, and the stream delivers it again anyway (it retries
 * from the first failed record).
 */
export class HeldBackByEarlierFailureError extends CancellationServiceError {
  override name = "HeldBackByEarlierFailureError";
  constructor(sequenceNumber: string | undefined, failedSequenceNumber: string | undefined) {
    super(
      `Stream record ${sequenceNumber ?? "(no sequence number)"} held back: record ${failedSequenceNumber ?? "?"} before it failed`,
    );
  }
}
