/** Errors of the work-queue adapters. */
import { CancellationServiceError } from "#core/errors.ts";

/**
 * A message could not be put back on the work queue. The message being processed must
 * then fail (and return after its visibility timeout) so that it is not lost.
 */
export class RedeliveryError extends CancellationServiceError {
  override name = "RedeliveryError";
}

/**
 * A message could not be moved to the dead-letter queue. It must then fail as it would have,
 * so that the queue's own redrive policy moves it (without the error).
 */
export class DeadLetterError extends CancellationServiceError {
  override name = "DeadLetterError";
}
