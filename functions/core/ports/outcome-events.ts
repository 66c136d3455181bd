/**
 * The outcome events the service announces (docs/events.md), and the port that puts them on
 * the bus: only the outbox relay holds one (ADR 0002).
 */
import type { CancellationState } from "../cancellation.ts";
import type { OutcomeType, Target } from "../outcome.ts";
import type { Trigger } from "../trigger.ts";

export type OutcomeDetailType =
  | "Cancellation Succeeded"
  | "Cancellation Pending"
  | "Cancellation Rejected"
  | "Cancellation Failed"
  | "Refund Required"
  /** Open longer than the limit: an operator must look (the continuation keeps checking). */
  | "Cancellation Stuck";

/**
 * An outcome event as published on the bus. Built from its audit record only
 * (`outcomeEventOf`), so the relay needs nothing but the committed record.
 */
export interface OutcomeEvent {
  detailType: OutcomeDetailType;
  detail: {
    /** Stable across redeliveries: the audit record's id. Consumers de-duplicate on it. */
    eventId: string;
    target: Target;
    outcome: OutcomeType;
    trigger: Trigger;
    /** The cancellation state, on `Cancellation Pending` and `Cancellation Stuck`. */
    state?: Exclude<CancellationState, "DONE">;
    /** The order, when the target is a step of one. */
    orderId?: string;
    reason?: string;
    detail?: string;
    retryable?: boolean;
    idempotencyKey?: string;
    correlationId: string;
    /** When the outcome was committed (the audit record's time). */
    at: string;
    /**
     * Set only on an event too large for EventBridge, published shortened: the fields cut
     * (each ends with a `…[truncated, N chars]` marker) and the entry's size before. The
     * full record is the audit record `eventId` in the target's trail.
     */
    shortened?: { originalBytes: number; fields: string[] };
  };
}

/** Puts outcome events on the bus. Only the outbox relay holds one. */
export interface EventPublisher {
  publish(events: OutcomeEvent[]): Promise<void>;
}
