/**
 * The outcome events the service announces (docs/events.md), a bulk job's end, and the port that puts them on
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

/**
 * A bulk job's end, announced from its final transition's trail record (`Bulk Cancellation
 * Finished`): how many items ended how. Its `target` names the job, so the relay keeps one
 * job's announcements in order as it does a cancel's.
 */
export interface BulkFinishedEvent {
  detailType: "Bulk Cancellation Finished";
  detail: {
    eventId: string;
    target: { type: "bulk"; id: string };
    state: "DONE" | "STOPPED";
    total: number;
    counts: Partial<Record<string, number>>;
    trigger: "bulk";
    actor: string;
    reason?: string;
    createdAt: string;
    startedAt?: string;
    finishedAt?: string;
    correlationId: string;
    at: string;
    /** As on an outcome event: set only when it had to be published shortened. */
    shortened?: { originalBytes: number; fields: string[] };
  };
}

/** Every event the outbox announces. */
export type AnnouncedEvent = OutcomeEvent | BulkFinishedEvent;

/** Puts outcome events on the bus. Only the outbox relay holds one. */
export interface EventPublisher {
  publish(events: AnnouncedEvent[]): Promise<void>;
}
