/**
 * What the core asks of the two upstreams (docs/upstream-contracts/): their documented answers as
 * values, and the options every call carries (deadline, correlation id, budget priority).
 * Implemented by functions/adapters/procure-core/ and functions/adapters/a55/.
 */
import type { A55ErrorDetail, ChargeView, IntentView, UpstreamInfo } from "../outcome.ts";

export type { A55ErrorDetail } from "../outcome.ts";

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

// ---- Procure-Core ----

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

// ---- A55 ----

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
