import type { IntentStatus } from "./intent-rules.ts";

/** What a cancel is aimed at. A charge is named by its UUID; its wallet travels with it. */
export type Target =
  | { type: "intent"; id: string }
  | { type: "charge"; id: string; walletUuid: string }
  | { type: "order"; id: string }
  /** A bus event whose request could not even name a valid target. */
  | { type: "event"; id: string };

export type TargetType = Target["type"];

/** The intent as Procure-Core last described it (seed 000 `data`). */
export interface IntentView {
  id: string;
  status: IntentStatus | string;
  updatedAt: string;
  cancelledAt: string | null;
}

/** The charge as A55 last described it (seed 001 success body). */
export interface ChargeView {
  chargeUuid: string;
  walletUuid: string;
  status: string;
}

/** What the upstream said, kept for the audit log and the outcome events. Never a secret. */
export interface UpstreamInfo {
  httpStatus?: number;
  code?: string | number;
  message?: string;
  requestId?: string;
  latencyMs?: number;
  attempts?: number;
}

/**
 * Why an operational failure happened: what an operator must look at. Operational
 * failures are never stored as outcomes; the request is retried (by its caller, the
 * platform, or the next scheduled run).
 *
 * - `unavailable`: network error, timeout or 5xx after the call's own retries
 * - `rate-limited`: 429 from the upstream, or this service's shared upstream budget is spent
 * - `credentials-refused`: the upstream refused our credentials even after a refresh
 * - `contract-violation`: an answer outside the upstream's documented contract
 * - `internal`: a store or this service itself failed
 */
export type OperationalProblem =
  | "unavailable"
  | "rate-limited"
  | "credentials-refused"
  | "contract-violation"
  | "internal";

/**
 * Every way a cancel can end. Expected results are values, not exceptions.
 * `FAILED.retryable` tells a trigger whether running the same request again may succeed:
 * a retryable FAILED is an operational failure (`problem` says which) and is never stored
 * as the outcome of a key; a non-retryable FAILED is a documented refusal (e.g. shipped).
 */
export type CancelOutcome =
  | {
      type: "CANCELLED";
      target: Target;
      intent?: IntentView;
      charge?: ChargeView;
      steps?: OrderSteps;
      upstream?: UpstreamInfo;
    }
  | {
      type: "ALREADY_CANCELLED";
      target: Target;
      intent?: IntentView;
      charge?: ChargeView;
      steps?: OrderSteps;
      upstream?: UpstreamInfo;
    }
  | { type: "PENDING"; target: Target; intent?: IntentView; steps?: OrderSteps; upstream?: UpstreamInfo }
  | {
      type: "NOT_CANCELLABLE";
      target: Target;
      currentStatus: string;
      reason: string;
      advice: string;
      steps?: OrderSteps;
      upstream?: UpstreamInfo;
    }
  | { type: "NOT_FOUND"; target: Target; reason: string; steps?: OrderSteps; upstream?: UpstreamInfo }
  | { type: "FORBIDDEN"; target: Target; reason: string; steps?: OrderSteps; upstream?: UpstreamInfo }
  | { type: "REFUND_REQUIRED"; target: Target; reason: string; steps?: OrderSteps; upstream?: UpstreamInfo }
  | {
      type: "FAILED";
      target: Target;
      retryable: boolean;
      reason: string;
      /** Set on operational (retryable) failures. */
      problem?: OperationalProblem;
      /** When a retry makes sense, in seconds (rate limits: the upstream's own `Retry-After`). */
      retryAfterSeconds?: number;
      /** A55's own error entries when A55 refused the cancel for good (its 422, a reused key). */
      upstreamErrors?: A55ErrorDetail[];
      steps?: OrderSteps;
      upstream?: UpstreamInfo;
    }
  /** The request itself was invalid (e.g. a malformed bus event); nothing was sent upstream. */
  | { type: "REJECTED"; target: Target; reason: string; steps?: OrderSteps; upstream?: UpstreamInfo };

export type OutcomeType = CancelOutcome["type"];

/** The per-target results inside an order's outcome. `charge` is absent when it was not attempted. */
export interface OrderSteps {
  intent?: CancelOutcome;
  charge?: CancelOutcome;
  /** Why the charge was not attempted, e.g. the intent completed or its cancel is still pending. */
  chargeSkipped?: string;
}

/**
 * Answers the idempotency key keeps and replays: after one, the same request never reaches the
 * upstream again. Everything but a retryable (operational) failure, PENDING included: a PENDING
 * answer is replayed while its cancellation finishes, so it is not "final" in the sense of an
 * order's view (`final: false` until the cancellation is DONE).
 */
export const isReplayable = (outcome: CancelOutcome): boolean =>
  !(outcome.type === "FAILED" && outcome.retryable);

/** One entry of A55's documented error body `message: [{code, source, description}]`. */
export interface A55ErrorDetail {
  code: string;
  source: string;
  description: string;
}
