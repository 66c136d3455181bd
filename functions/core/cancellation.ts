/**
 * The cancellation as a durable record: one per order; one per intent or charge whose
 * cancel could not be finished by its request (an asynchronous PROCESSING cancel, or an
 * operational failure that may have left the upstream done without us knowing). Its
 * state machine is what guarantees that a cancel finishes — by the request that opened
 * it, or later by the continuation — never by luck.
 *
 * ```
 * REQUESTED ──▶ INTENT_PENDING ──▶ CHARGE_DUE ──▶ DONE (outcome)
 *     │               │     ▲           │
 *     │               ▼     │           ▼
 *     │             STUCK ──┘         STUCK
 *     └──────────────────────────────▶ DONE
 * ```
 *
 * - REQUESTED: an order's cancellation is recorded before any upstream call, so a request
 *   that dies midway is finished by the continuation once its lock is over.
 * - INTENT_PENDING: Procure-Core accepted the intent's cancel asynchronously; the
 *   continuation re-reads the intent until it is final.
 * - CHARGE_DUE: the intent ended with nothing bought; the charge still has to be cancelled.
 * - STUCK: open longer than the configured limit. Announced and counted for an operator;
 *   still checked (less often), so it can still finish.
 * - DONE: `outcome` is final.
 *
 * Every transition is a conditional write on `version` (and the record's `incarnation`)
 * together with the audit records it produces (one transaction).
 */
import type { CancelOutcome, OperationalProblem, OrderSteps, Target } from "./outcome.ts";
import type { Trigger } from "./trigger.ts";

export type OpenState = "REQUESTED" | "INTENT_PENDING" | "CHARGE_DUE";
export type CancellationState = OpenState | "STUCK" | "DONE";
export type CancellationKind = "order" | "intent" | "charge";

/** Who asked for the cancellation, and what. Never changes after the record is opened. */
export interface CancellationRequest {
  intentId?: string;
  charge?: { chargeUuid: string; walletUuid: string };
  reason?: string;
  trigger: Trigger;
  actor: string;
  /**
   * Whose cancellation it is (ownership.ts): an order's is kept under its owner's namespace.
   * Absent only on records opened before owners were recorded.
   */
  owner?: string;
  correlationId: string;
  /** The caller's own key, kept for the trails. */
  idempotencyKey?: string;
  /** The idempotency scope that opened it: the order's A55 key is derived from it. */
  scopeKey: string;
  /** ISO time the record was opened. */
  requestedAt: string;
  /** The bulk job item that asked for it: the transition that finishes it also writes the item's result. */
  bulk?: BulkItemRef;
}

/** One item of a bulk cancellation job. */
export interface BulkItemRef {
  jobId: string;
  index: number;
}

export interface Cancellation {
  kind: CancellationKind;
  /** The order id, or the intent id / charge UUID of a single cancel. */
  id: string;
  state: CancellationState;
  /** The open state a STUCK cancellation is still waiting in. */
  stuckIn?: OpenState;
  /** Incremented by every transition; each write is conditional on the previous one. */
  version: number;
  /**
   * Set once, when the record is opened (a new id): a single cancel's record that replaces a
   * DONE one starts again at version 1, so every transition is conditional on the
   * incarnation as well as the version, and a writer still holding the old record can never
   * apply to the new one. Absent only on records opened before incarnations existed.
   */
  incarnation?: string;
  request: CancellationRequest;
  /** What each target's step ended as, so far. */
  steps: OrderSteps;
  /** Set once DONE. */
  outcome?: CancelOutcome;
  /** Epoch ms at which the continuation looks at it next; absent once DONE. */
  nextCheckAt?: number;
  /** How many times the continuation looked at it. */
  checks: number;
  /** The last operational failure met while finishing it, for an operator. */
  lastProblem?: { problem: OperationalProblem; reason: string; at: string };
  /** ISO time of the last transition. */
  updatedAt: string;
}

/** The target a cancellation is of: the order, or the single intent or charge. */
export const cancellationTarget = (c: Cancellation): Target =>
  c.kind === "charge"
    ? { type: "charge", id: c.id, walletUuid: c.request.charge?.walletUuid ?? "" }
    : { type: c.kind, id: c.id };

/** How the continuation paces and gives up; from configuration, through the composition root. */
export interface LifecyclePolicy {
  /** First look at a new asynchronous cancel, and the base of the per-entry backoff. */
  firstCheckAfterMs: number;
  /** The longest wait between two looks (also how often a STUCK one is looked at). */
  maxBackoffMs: number;
  /** Open longer than this (from `requestedAt`) → STUCK. */
  stuckAfterMs: number;
  /** How long after a request's lock is over the continuation takes over its REQUESTED order. */
  orphanGraceMs: number;
}

export const DEFAULT_LIFECYCLE_POLICY: LifecyclePolicy = {
  firstCheckAfterMs: 30_000,
  maxBackoffMs: 15 * 60_000,
  stuckAfterMs: 24 * 60 * 60_000,
  orphanGraceMs: 5_000,
};

/** The open state a cancellation is really in (a STUCK one keeps waiting where it was). */
export const waitingState = (cancellation: Cancellation): OpenState | undefined =>
  cancellation.state === "DONE"
    ? undefined
    : cancellation.state === "STUCK"
      ? (cancellation.stuckIn ?? "REQUESTED")
      : cancellation.state;

/** When it is too old to be left to the continuation alone. */
export const stuckAt = (cancellation: Cancellation, policy: LifecyclePolicy): number =>
  Date.parse(cancellation.request.requestedAt) + policy.stuckAfterMs;

/**
 * When to look again after `checks` looks: exponential backoff from the first delay,
 * capped, and never later than the moment it would become STUCK (so nothing stays open
 * past the limit unnoticed). A STUCK one is looked at every `maxBackoffMs`.
 */
export const nextCheckAfter = (cancellation: Cancellation, now: number, policy: LifecyclePolicy): number => {
  if (cancellation.state === "STUCK") return now + policy.maxBackoffMs;
  const backoff = Math.min(
    policy.maxBackoffMs,
    policy.firstCheckAfterMs * 2 ** Math.min(cancellation.checks, 20),
  );
  return Math.max(now + 1, Math.min(now + backoff, stuckAt(cancellation, policy)));
};
