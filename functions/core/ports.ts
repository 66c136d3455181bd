/**
 * The small interfaces the use cases run over. Adapters implement them with real
 * clients (Procure-Core, A55, DynamoDB, EventBridge); tests use in-memory fakes.
 * Nothing here knows AWS, HTTP, the environment or the clock.
 */
import type { BulkItemFinish } from "./bulk-ports.ts";
import type { Cancellation, CancellationKind, CancellationState } from "./cancellation.ts";
import type {
  A55ErrorDetail,
  CancelOutcome,
  ChargeView,
  IntentView,
  OperationalProblem,
  OutcomeType,
  Target,
  UpstreamInfo,
} from "./outcome.ts";
import type { Trigger } from "./trigger.ts";

/** Passed to every upstream call: the retry budget ends at `deadline` (epoch ms). */
export interface CallOptions {
  deadline: number;
  signal?: AbortSignal;
  correlationId?: string;
  /**
   * Whose request this is, for the shared upstream budget: a person waiting on the
   * storefront (`interactive`, the HTTP trigger) or background work (bus, sweep,
   * continuation), which may use only its share and backs off first. Default `background`.
   */
  priority?: UpstreamPriority;
}

export type UpstreamPriority = "interactive" | "background";

/** `X-RateLimit-*` as last announced by an upstream. `resetAt` is epoch ms. */
export interface RateLimitInfo {
  limit: number;
  remaining: number;
  resetAt: number;
}

export interface UpstreamMeta extends UpstreamInfo {
  rateLimit?: RateLimitInfo;
}

// ---- Procure-Core -------------------------------------------------------------------

export interface IntentDetails extends IntentView {
  createdAt: string;
}

/**
 * The documented answers of `POST /api/v1/intents/{id}/cancel`. `accepted` is code 0:
 * `intent.status` is CANCELLED, or still PROCESSING when the cancel runs asynchronously.
 * Anything else (unknown code, non-JSON, exhausted retries) is thrown as `UpstreamError`.
 */
export type IntentCancelResult =
  | { kind: "accepted"; intent: IntentView; meta: UpstreamMeta }
  | { kind: "not-found"; message: string; meta: UpstreamMeta }
  | { kind: "not-cancellable"; currentStatus: string; reason: string; meta: UpstreamMeta }
  | { kind: "forbidden"; message: string; meta: UpstreamMeta }
  | { kind: "cancel-failed"; reason: string; meta: UpstreamMeta };

export type IntentReadResult =
  | { kind: "found"; intent: IntentDetails; meta: UpstreamMeta }
  | { kind: "not-found"; message: string; meta: UpstreamMeta }
  | { kind: "forbidden"; message: string; meta: UpstreamMeta };

export interface ListIntentsQuery {
  status?: string;
  sortBy?: "createdAt";
  order?: "asc" | "desc";
  page?: number;
  pageSize?: number;
}

export interface IntentPage {
  items: IntentDetails[];
  total: number;
  page: number;
  pageSize: number;
}

export interface IntentsUpstream {
  cancelIntent(id: string, options?: CallOptions): Promise<IntentCancelResult>;
  getIntent(id: string, options?: CallOptions): Promise<IntentReadResult>;
  listIntents(query: ListIntentsQuery, options?: CallOptions): Promise<IntentPage>;
}

// ---- A55 ----------------------------------------------------------------------------

export type { A55ErrorDetail } from "./outcome.ts";

export interface CancelChargeRequest {
  chargeUuid: string;
  walletUuid: string;
  reason?: string;
  /** Sent as `Idempotency-Key`; every retry of one logical cancel sends the same one. */
  idempotencyKey: string;
}

/**
 * The documented answers of the A55 charge cancel. A 409 is split three ways:
 * already canceled (an idempotent success), settled / CANCEL_NOT_ALLOWED (refund
 * required) and reuse of an idempotency key with another body.
 */
export type ChargeCancelResult =
  | { kind: "cancelled"; charge: ChargeView; meta: UpstreamMeta }
  | { kind: "already-cancelled"; errors: A55ErrorDetail[]; meta: UpstreamMeta }
  | { kind: "refund-required"; errors: A55ErrorDetail[]; meta: UpstreamMeta }
  | { kind: "idempotency-key-reused"; errors: A55ErrorDetail[]; meta: UpstreamMeta }
  | { kind: "not-cancellable"; errors: A55ErrorDetail[]; meta: UpstreamMeta }
  | { kind: "forbidden"; errors: A55ErrorDetail[]; meta: UpstreamMeta }
  | { kind: "not-found"; errors: A55ErrorDetail[]; meta: UpstreamMeta }
  | { kind: "invalid"; errors: A55ErrorDetail[]; meta: UpstreamMeta };

export interface ChargesUpstream {
  cancelCharge(request: CancelChargeRequest, options?: CallOptions): Promise<ChargeCancelResult>;
}

// ---- Audit log ----------------------------------------------------------------------

export type { Trigger } from "./trigger.ts";

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

export interface AuditLog {
  append(record: AuditRecord): Promise<void>;
  /** Newest first. */
  byTarget(
    target: Pick<Target, "type" | "id">,
    options?: { limit?: number; cursor?: string },
  ): Promise<Page<AuditRecord>>;
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

// ---- Cancellations (durable lifecycle records) ------------------------------------

/**
 * One transition of a cancellation: the record as it is to be, and the version it must
 * still have (`null`: it must not exist yet, or, for a single cancel, be DONE). `next`
 * keeps the incarnation of the record it moves on: the write holds only while the stored
 * record is that incarnation at that version. Written with its audit records in one
 * transaction, or not at all.
 */
export interface CancellationTransition {
  next: Cancellation;
  expectedVersion: number | null;
}

export interface CancellationStore {
  get(kind: CancellationKind, id: string): Promise<Cancellation | undefined>;
  /** Open and STUCK cancellations whose `nextCheckAt` is at or before `now`, oldest-due first. */
  due(now: number, options?: { limit?: number; cursor?: string }): Promise<Page<Cancellation>>;
  /** Every open or STUCK cancellation, oldest-due first (operators' `pending`). */
  listOpen(options?: { limit?: number; cursor?: string }): Promise<Page<Cancellation>>;
  /** How many are open, and how many of those are STUCK (for the gauges). */
  countOpen(): Promise<{ open: number; stuck: number }>;
  /**
   * Writes the transition and the audit records together; `conflict` when the version moved
   * on (nothing written). `bulkItem`: the bulk item this transition finishes, whose result is
   * written in the same transaction unless another writer finished it first.
   */
  commit(
    transition: CancellationTransition,
    audits: AuditRecord[],
    bulkItem?: BulkItemFinish,
  ): Promise<"written" | "conflict">;
}

// ---- Idempotency --------------------------------------------------------------------

export interface BeginRequest {
  /** caller + route + key (HTTP), `bus:<key or event id>`, or `sweep:<intentId>`. */
  scopeKey: string;
  /** Hashed by the store; a later request with the same key and another payload is refused. */
  payload: unknown;
  now: number;
  /** Epoch ms until which the lock holds: the invocation's deadline. */
  lockUntil: number;
  /**
   * A single cancel's own description, kept with the key while it is in progress: an
   * attempt that never completes (killed, or its completing write failed) is then found
   * by the continuation from `recoverAt` on (`abandoned`), and finished by it.
   */
  recovery?: AttemptRecovery;
  /**
   * The continuation taking over an abandoned attempt: the key is taken only from the
   * attempt holding this lock token, in progress with its lock over; in any other state
   * (completed, released, taken by a retry meanwhile) it is left alone.
   */
  takeOver?: string;
}

/** A single intent or charge cancel as its request asked for it: enough to run it again. */
export type SingleCancel =
  | { kind: "intent"; intentId: string; reason?: string }
  | { kind: "charge"; chargeUuid: string; walletUuid: string; reason?: string };

/** What the continuation needs to finish a single cancel whose attempt never completed. */
export interface AttemptRecovery {
  cancel: SingleCancel;
  /** Who asked: the records of the attempt, whoever finishes it, carry the request's identity. */
  requestedBy: { trigger: Trigger; actor: string; correlationId: string; idempotencyKey?: string };
  /** Epoch ms from which the continuation takes the attempt over: its lock's end, plus a grace. */
  recoverAt: number;
}

/** An attempt in progress past its recovery time: its lock is over and it never completed. */
export interface AbandonedAttempt extends AttemptRecovery {
  scopeKey: string;
  /** Its lock token, for `BeginRequest.takeOver`. */
  token: string;
}

/**
 * Proof of holding a key's lock. `resumed` is true when an earlier attempt may already
 * have acted upstream: its lock expired unfinished, or it released the key after an
 * operational failure. A resumed attempt re-reads before it acts (an intent) or reuses
 * the derived upstream key (a charge), and counts "already cancelled" as its own success.
 */
export interface Lease {
  scopeKey: string;
  token: string;
  attempt: number;
  resumed: boolean;
  /**
   * The incarnation of the cancellation an earlier attempt of this request opened when it
   * released the key, if one did: a resumed attempt closes that one, and, when it is no
   * longer there (finished, announced, then replaced by another request's), announces
   * nothing more.
   */
  ownCancellation?: string;
}

export type BeginResult =
  | { kind: "acquired"; lease: Lease }
  | { kind: "replay"; outcome: CancelOutcome; completedAt: string }
  | { kind: "in-progress"; retryAfterSeconds: number }
  | { kind: "payload-mismatch" };

export interface CompleteRequest {
  outcome: CancelOutcome;
  /** The records of this attempt (the first is the request target's own), written in the same transaction. */
  audits: AuditRecord[];
  /** A cancellation created or moved on by this attempt, written in the same transaction. */
  cancellation?: CancellationTransition;
  now: number;
}

export interface ReleaseRequest {
  /** The records of this attempt: what it found before the operational failure stopped it. */
  audits: AuditRecord[];
  /** A cancellation moved on by this attempt before it stopped (e.g. an order's intent step done). */
  cancellation?: CancellationTransition;
  now: number;
}

/**
 * - `lock-lost`: another attempt took the key over meanwhile; nothing was written.
 * - `cancellation-moved`: the cancellation's version moved on (another run advanced it);
 *   nothing was written. The caller re-reads it and completes from what it says.
 */
export type CompleteResult = "completed" | "lock-lost" | "cancellation-moved";

export interface IdempotencyStore {
  /**
   * One conditional write: takes the key, or tells why not (replay, in progress, mismatch).
   * A taking over that finds the attempt no longer abandoned answers `replay` (it completed)
   * or `in-progress` (anything else).
   */
  begin(request: BeginRequest): Promise<BeginResult>;
  /** Attempts of single cancels still in progress past their `recoverAt`, oldest first. */
  abandoned(now: number, options?: { limit?: number; cursor?: string }): Promise<Page<AbandonedAttempt>>;
  /**
   * Completes the key with the outcome, appends the audit records and writes the
   * cancellation transition, in one transaction. Creating an intent's cancellation while
   * another one is open for that intent joins it (the creation is left out).
   */
  complete(lease: Lease, request: CompleteRequest): Promise<CompleteResult>;
  /**
   * Releases the key after an operational failure, so a retry runs again: the key is kept
   * as RELEASED (same payload only), remembering that the upstream may have acted, and the
   * records and the cancellation transition are written in the same transaction. If the
   * cancellation moved on meanwhile, only the key is released. A cancellation this release
   * opens is remembered by the key (`Lease.ownCancellation` of the next attempts).
   */
  release(lease: Lease, request: ReleaseRequest): Promise<void>;
}

// ---- Outcome events -----------------------------------------------------------------

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

// ---- Time and ids -------------------------------------------------------------------

export interface Clock {
  /** Epoch milliseconds. */
  now(): number;
}

export interface Ids {
  /** A new ULID. */
  next(): string;
  /** A stable UUID derived from `name` (name-based, shaped as v4): the same name always gives the same id. */
  derived(name: string): string;
}
