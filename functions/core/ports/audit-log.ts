/**
 * The audit log: every attempt's outcome and every lifecycle step, append-only; a record that
 * announces an event is also the outbox item of that event (ADR 0002). Implemented by
 * functions/adapters/dynamo/audit-log.ts.
 */
import type { CancellationState } from "../cancellation.ts";
import type { OperationalProblem, OutcomeType, Target, UpstreamInfo } from "../outcome.ts";
import type { Trigger } from "../trigger.ts";
import type { OutcomeDetailType } from "./outcome-events.ts";

export type { Trigger } from "../trigger.ts";

/**
 * One attempt's outcome, or one step of a cancellation's lifecycle. Append-only. Never
 * holds a secret, token or signature.
 *
 * A record with `event` set is also the outbox item of that outcome event: it is written
 * in the same transaction as the state it announces, and the outbox relay publishes it
 * from the audit table's stream (`outcomeEventOf`). Nothing else publishes events.
 */
export interface AuditRecord {
  /** ULID, unique per record; with `at` it forms the sort key. Also the event's stable id. */
  id: string;
  /** ISO-8601 time of the outcome. */
  at: string;
  target: Target;
  trigger: Trigger;
  actor: string;
  /**
   * The client (or bus producer, or schedule) whose request this record is of (ownership.ts):
   * an order's records are kept under it, and a client reads only its own. Absent only on
   * records written before owners were recorded.
   */
  owner?: string;
  reason?: string;
  outcome: OutcomeType;
  retryable?: boolean;
  detail?: string;
  upstream?: UpstreamInfo;
  latencyMs: number;
  idempotencyKey?: string;
  correlationId: string;
  /** What an operator must look at, for an operational (retryable) failure. */
  problem?: OperationalProblem;
  /**
   * The cancellation state this record moved its order's or intent's cancellation to,
   * while it is not final (`outcome` is then PENDING); absent on final records.
   */
  state?: Exclude<CancellationState, "DONE">;
  /** Set when the continuation wrote it, finishing a cancellation its request left open. */
  via?: "continuation";
  /** The order this record is a step of (on intent and charge records of an order). */
  orderId?: string;
  /** The outcome event this record announces; absent when it announces nothing. */
  event?: OutcomeDetailType;
}

export interface Page<T> {
  items: T[];
  /** Opaque; pass back to get the next page. Absent on the last page. */
  cursor?: string;
}

/**
 * One target's trail. Order ids are namespaced per owner, so an order's trail is named with
 * its owner (`undefined`: the trail of an order cancelled before owners were recorded);
 * intents and charges are the upstreams' and have one trail, every client's records in it.
 */
export type TrailRef =
  | { type: "order"; id: string; owner: string | undefined }
  | { type: "intent" | "charge" | "event"; id: string };

export interface TrailOptions {
  limit?: number;
  cursor?: string;
  /** Only the records it keeps are listed (and counted against `limit`); the rest are read past. */
  keep?: (record: AuditRecord) => boolean;
}

export interface AuditLog {
  append(record: AuditRecord): Promise<void>;
  /** Newest first. */
  byTarget(trail: TrailRef, options?: TrailOptions): Promise<Page<AuditRecord>>;
  /**
   * The slices a UTC day's records are spread over (the store shards its day index so that
   * a busy day's writes do not meet on one partition). Reading each slice whole reads the
   * day; slices are independent, so they may be read at once.
   */
  daySlices(day: string): readonly string[];
  /**
   * One slice of a UTC day, oldest first. `day` is `YYYY-MM-DD`; `slice` one of `daySlices(day)`.
   * A cursor belongs to its day and slice.
   */
  byDay(
    day: string,
    slice: string,
    options?: { limit?: number; cursor?: string },
  ): Promise<Page<AuditRecord>>;
}
