/** Errors of the outcome event publisher. */
import { CancellationServiceError } from "#core/errors.ts";

/** One entry EventBridge did not accept. No payload: the detail may hold a customer's reason. */
export interface FailedEventEntry {
  /** The event's stable id (`detail.eventId`), so a caller can tell which ones to send again. */
  eventId: string;
  detailType: string;
  /** EventBridge's per-entry `ErrorCode`, or the SDK error's name when the whole call failed. */
  errorCode: string;
}

/**
 * Some outcome events were not published after every attempt. The cancels themselves are
 * done and audited; the caller decides whether to log, alarm or fail the invocation.
 */
export class EventPublishError extends CancellationServiceError {
  override name = "EventPublishError";
  readonly failed: readonly FailedEventEntry[];
  readonly attempts: number;
  constructor(failed: readonly FailedEventEntry[], attempts: number, options?: ErrorOptions) {
    const codes = [...new Set(failed.map((entry) => entry.errorCode))].join(", ");
    super(`${failed.length} outcome event(s) not published after ${attempts} attempt(s): ${codes}`, options);
    this.failed = failed;
    this.attempts = attempts;
  }
}
