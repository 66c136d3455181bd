/**
 * Building cancellation records: opening one, and settling the fields a transition owns
 * (version, time, next check, last problem) once the steps of a run are known.
 */
import {
  type Cancellation,
  type CancellationRequest,
  type LifecyclePolicy,
  nextCheckAfter,
  stuckAt,
  waitingState,
} from "./cancellation.ts";
import type { CancelContext, CancelDependencies } from "./dependencies.ts";
import type { CancelOutcome } from "./outcome.ts";

type Failed = Extract<CancelOutcome, { type: "FAILED" }>;

const iso = (ms: number): string => new Date(ms).toISOString();

export const requestOf = (
  context: CancelContext,
  scopeKey: string,
  now: number,
  fields: Pick<CancellationRequest, "intentId" | "charge" | "reason">,
): CancellationRequest => ({
  ...(fields.intentId !== undefined && { intentId: fields.intentId }),
  ...(fields.charge !== undefined && { charge: fields.charge }),
  ...(fields.reason !== undefined && { reason: fields.reason }),
  trigger: context.trigger,
  actor: context.actor,
  owner: context.owner,
  correlationId: context.correlationId,
  ...(context.idempotency?.key !== undefined && { idempotencyKey: context.idempotency.key }),
  scopeKey,
  requestedAt: iso(now),
  ...(context.bulk !== undefined && { bulk: context.bulk }),
});

/**
 * An asynchronous intent cancel Procure-Core accepted (PENDING), for the continuation to
 * finish: INTENT_PENDING, first looked at after `firstCheckAfterMs`.
 */
export const intentCancellation = (
  deps: Pick<CancelDependencies, "clock" | "lifecycle" | "ids">,
  context: CancelContext,
  pending: CancelOutcome,
  reason: string | undefined,
  scopeKey: string,
): Cancellation => {
  const now = deps.clock.now();
  const cancellation: Cancellation = {
    kind: "intent",
    id: pending.target.id,
    state: "INTENT_PENDING",
    version: 1,
    incarnation: deps.ids.next(),
    request: requestOf(context, scopeKey, now, { intentId: pending.target.id, reason }),
    steps: { intent: pending },
    checks: 0,
    updatedAt: iso(now),
  };
  cancellation.nextCheckAt = nextCheckAfter(cancellation, now, deps.lifecycle);
  return cancellation;
};

/**
 * A single intent or charge cancel its request could not finish (an operational failure,
 * which may even have left the upstream done without us knowing): REQUESTED, for the
 * continuation to finish it — resending the intent's cancel ("already CANCELLED" is its own
 * success), or the charge's with the request's own derived A55 key — if the caller or the
 * platform does not first.
 */
export const unfinishedCancellation = (
  deps: Pick<CancelDependencies, "clock" | "lifecycle" | "ids">,
  context: CancelContext,
  failure: CancelOutcome,
  reason: string | undefined,
  scopeKey: string,
): Cancellation | undefined => {
  const { target } = failure;
  if (target.type !== "intent" && target.type !== "charge") return undefined;
  const now = deps.clock.now();
  const fields =
    target.type === "intent"
      ? { intentId: target.id, reason }
      : { charge: { chargeUuid: target.id, walletUuid: target.walletUuid }, reason };
  return {
    kind: target.type,
    id: target.id,
    state: "REQUESTED",
    version: 1,
    incarnation: deps.ids.next(),
    request: requestOf(context, scopeKey, now, fields),
    steps: {},
    nextCheckAt: Math.max(now, context.deadline) + deps.lifecycle.firstCheckAfterMs,
    checks: 0,
    updatedAt: iso(now),
    // What stopped the request: an operator listing open cancellations sees why it is open.
    ...(failure.type === "FAILED" && {
      lastProblem: { problem: failure.problem ?? "internal", reason: failure.reason, at: iso(now) },
    }),
  };
};

/**
 * An order's cancellation as its request opens it, before any upstream call: REQUESTED,
 * due for the continuation only once the request's own lock is over (plus a grace), so it
 * is finished even if the request dies midway.
 */
export const orderCancellation = (
  deps: Pick<CancelDependencies, "clock" | "lifecycle" | "ids">,
  context: CancelContext,
  scopeKey: string,
  input: { orderId: string } & Pick<CancellationRequest, "intentId" | "charge" | "reason">,
): Cancellation => {
  const now = deps.clock.now();
  return {
    kind: "order",
    id: input.orderId,
    state: "REQUESTED",
    version: 1,
    incarnation: deps.ids.next(),
    request: requestOf(context, scopeKey, now, input),
    steps: {},
    nextCheckAt: Math.max(now, context.deadline) + deps.lifecycle.orphanGraceMs,
    checks: 0,
    updatedAt: iso(now),
  };
};

export interface SettleOptions {
  now: number;
  policy: LifecyclePolicy;
  /** The operational failure that stopped this run, if any. */
  problem?: Failed;
  /** True when the continuation made this run (it counts towards the backoff). */
  checked: boolean;
}

/**
 * The record a run leaves: one version on, with its next check (or none once DONE), the
 * problem that stopped this run (if one did), and STUCK when it is still open past the limit.
 */
export const settle = (before: Cancellation, next: Cancellation, options: SettleOptions): Cancellation => {
  const { now, policy, problem } = options;
  const after: Cancellation = {
    ...next,
    version: before.version + 1,
    checks: before.checks + (options.checked ? 1 : 0),
    updatedAt: iso(now),
  };
  if (after.state === "DONE") {
    delete after.nextCheckAt;
    delete after.stuckIn;
    delete after.lastProblem;
    return after;
  }
  // A run that met no problem ends the last one: it is no longer why the cancellation is open.
  if (problem) {
    after.lastProblem = { problem: problem.problem ?? "internal", reason: problem.reason, at: iso(now) };
  } else {
    delete after.lastProblem;
  }
  if (after.state !== "STUCK" && now >= stuckAt(after, policy)) {
    after.stuckIn = waitingState(after);
    after.state = "STUCK";
  }
  after.nextCheckAt = nextCheckAfter(after, now, policy);
  return after;
};
