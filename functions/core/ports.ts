/**
 * The small interfaces the use cases run over. Adapters implement them with real
 * clients (Procure-Core, A55, DynamoDB, EventBridge); tests use in-memory fakes.
 * Nothing here knows AWS, HTTP, the environment or the clock.
 */
import type { CancelOutcome, ChargeView, IntentView, OutcomeType, Target, UpstreamInfo } from "./outcome.ts";

/** Passed to every upstream call: the retry budget ends at `deadline` (epoch ms). */
export interface CallOptions {
  deadline: number;
  signal?: AbortSignal;
  correlationId?: string;
}

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

/** One entry of A55's documented error body `message: [{code, source, description}]`. */
export interface A55ErrorDetail {
  code: string;
  source: string;
  description: string;
}

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

export type Trigger = "http" | "bus" | "schedule";

/** One attempt's outcome. Append-only. Never holds a secret, token or signature. */
export interface AuditRecord {
  /** ULID, unique per record; with `at` it forms the sort key. */
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
  /** `day` is `YYYY-MM-DD` (UTC). Oldest first. */
  byDay(day: string, options?: { limit?: number; cursor?: string }): Promise<Page<AuditRecord>>;
}

// ---- Pending (asynchronous) intent cancels ------------------------------------------

/** A PROCESSING intent whose cancel Procure-Core accepted but has not finished. */
export interface PendingCancel {
  intentId: string;
  requestedAt: string;
  trigger: Trigger;
  actor: string;
  correlationId: string;
  reason?: string;
  /** Set when the intent belongs to an order whose charge waits for the intent's cancel. */
  order?: { orderId: string; charge?: { chargeUuid: string; walletUuid: string }; scopeKey: string };
}

export interface PendingCancels {
  list(options?: { limit?: number; cursor?: string }): Promise<Page<PendingCancel>>;
  /** Removes the pending entry and appends the audit record in one transaction. */
  resolve(intentId: string, audit: AuditRecord): Promise<void>;
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
}

/** Proof of holding a key's lock. `resumed` is true when an earlier attempt's lock expired unfinished. */
export interface Lease {
  scopeKey: string;
  token: string;
  attempt: number;
  resumed: boolean;
}

export type BeginResult =
  | { kind: "acquired"; lease: Lease }
  | { kind: "replay"; outcome: CancelOutcome; completedAt: string }
  | { kind: "in-progress"; retryAfterSeconds: number }
  | { kind: "payload-mismatch" };

export interface CompleteRequest {
  outcome: CancelOutcome;
  audit: AuditRecord;
  /** Records of an order's steps, under the intent's and the charge's own targets, written in the same transaction. */
  stepAudits?: AuditRecord[];
  /** Recorded in the same transaction when the outcome is PENDING. */
  pending?: PendingCancel;
  now: number;
}

export interface IdempotencyStore {
  /** One conditional write: takes the key, or tells why not (replay, in progress, mismatch). */
  begin(request: BeginRequest): Promise<BeginResult>;
  /**
   * Completes the key with the outcome and appends the audit record in one transaction.
   * `lock-lost`: another attempt took the key over meanwhile; nothing was written.
   */
  complete(lease: Lease, request: CompleteRequest): Promise<"completed" | "lock-lost">;
  /** Releases the key after a transient failure (so a retry runs again) and appends the audit record, in one transaction. */
  release(lease: Lease, audit: AuditRecord): Promise<void>;
}

// ---- Outcome events -----------------------------------------------------------------

export type OutcomeDetailType =
  | "Cancellation Succeeded"
  | "Cancellation Pending"
  | "Cancellation Rejected"
  | "Cancellation Failed"
  | "Refund Required";

export interface OutcomeEvent {
  detailType: OutcomeDetailType;
  detail: {
    target: Target;
    outcome: OutcomeType;
    trigger: Trigger;
    reason?: string;
    detail?: string;
    retryable?: boolean;
    idempotencyKey?: string;
    correlationId: string;
    at: string;
  };
}

export interface EventPublisher {
  publish(events: OutcomeEvent[]): Promise<void>;
}

// ---- Time and ids -------------------------------------------------------------------

export interface Clock {
  /** Epoch milliseconds. */
  now(): number;
}

export interface Ids {
  /** A new ULID. */
  next(): string;
  /** A stable UUID derived from `name` (UUID v5): the same name always gives the same id. */
  derived(name: string): string;
}
