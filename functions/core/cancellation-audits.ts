/**
 * The audit records of one cancellation transition: the trails that tell the final truth.
 *
 * - The cancellation's own target (the order, or the intent of an asynchronous intent
 *   cancel) gets a record for every transition written: its outcome once DONE, else
 *   PENDING with the state it waits in, or FAILED (retryable) when an operational problem
 *   stopped it this time (and PENDING again once a run meets it no more).
 * - Each other target it concerns (an order's intent and charge) gets a record whenever
 *   what can be said of it changed: its step's outcome, that it waits (and in which
 *   state), or, once the order is DONE, that its charge was left alone and why.
 *
 * Every record carries the original request's trigger, actor, idempotency key and
 * correlation id. Records that announce something carry `event` (the outbox item):
 * DONE → its outcome's event; entering INTENT_PENDING → `Cancellation Pending`; entering
 * STUCK → `Cancellation Stuck`.
 */
import { outcomeDetail } from "./audit-record.ts";
import { capAuditText } from "./audit-text.ts";
import { type Cancellation, cancellationTarget, type OpenState } from "./cancellation.ts";
import type { CancelOutcome, OperationalProblem, Target } from "./outcome.ts";
import { detailTypeOf } from "./outcome-events.ts";
import type { AuditRecord, Ids } from "./ports.ts";

/** What can be said of one target at one point of a cancellation. */
interface TargetView {
  outcome: AuditRecord["outcome"];
  state?: Exclude<Cancellation["state"], "DONE">;
  detail?: string;
  retryable?: boolean;
  problem?: OperationalProblem;
  upstream?: CancelOutcome["upstream"];
}

const WAITING_DETAIL: Record<OpenState, string> = {
  REQUESTED: "cancellation recorded; its steps have not finished yet",
  INTENT_PENDING: "waiting for Procure-Core to finish cancelling the intent",
  CHARGE_DUE: "the intent is settled with nothing bought; the charge is to be cancelled",
};

const stateOf = (c: Cancellation): TargetView["state"] => (c.state === "DONE" ? undefined : c.state);

const outcomeView = (outcome: CancelOutcome): TargetView => ({
  outcome: outcome.type,
  detail: outcomeDetail(outcome),
  retryable: outcome.type === "FAILED" ? outcome.retryable : undefined,
  problem: outcome.type === "FAILED" ? outcome.problem : undefined,
  upstream: outcome.upstream,
});

const waitingView = (c: Cancellation, why?: string): TargetView => {
  const state = stateOf(c);
  const open = c.state === "STUCK" ? (c.stuckIn ?? "REQUESTED") : (state as OpenState);
  return {
    outcome: "PENDING",
    state,
    detail: `${c.state === "STUCK" ? "STUCK: " : ""}${why ?? WAITING_DETAIL[open]}`,
  };
};

/** The cancellation's own target. */
const ownView = (c: Cancellation, problem: Cancellation["lastProblem"] | undefined): TargetView => {
  if (c.state === "DONE" && c.outcome) return outcomeView(c.outcome);
  if (problem) {
    return {
      outcome: "FAILED",
      state: stateOf(c),
      retryable: true,
      problem: problem.problem,
      detail: `${problem.reason} (will be retried)`,
    };
  }
  if (c.kind === "intent")
    return waitingView(c, c.state === "STUCK" ? WAITING_DETAIL.INTENT_PENDING : undefined);
  return waitingView(c);
};

const intentView = (c: Cancellation): TargetView | undefined => {
  const step = c.steps.intent;
  if (!step) return undefined;
  if (step.type === "PENDING" && c.state !== "DONE") return waitingView(c, WAITING_DETAIL.INTENT_PENDING);
  return outcomeView(step);
};

const chargeView = (c: Cancellation): TargetView | undefined => {
  if (!c.request.charge) return undefined;
  if (c.steps.charge) return outcomeView(c.steps.charge);
  if (c.state === "DONE") {
    return {
      outcome: "NOT_CANCELLABLE",
      detail: `charge left alone: ${c.steps.chargeSkipped ?? "not attempted"}`,
    };
  }
  if (c.state === "REQUESTED") return undefined;
  return waitingView(c);
};

const sameView = (a: TargetView | undefined, b: TargetView | undefined): boolean =>
  JSON.stringify(a ?? null) === JSON.stringify(b ?? null);

export interface TransitionAuditInput {
  before: Cancellation | undefined;
  after: Cancellation;
  /** The operational problem met by this transition, if any (recorded on the own target). */
  problem?: Cancellation["lastProblem"];
  /** ISO time of the transition. */
  at: string;
  latencyMs: number;
  via?: "continuation";
  /** The event for the own target's record; derived from the transition when undefined. */
  event?: AuditRecord["event"] | null;
}

/** The cancellation's own target, and (for an order) the intent and charge it concerns. */
const targetsOf = (c: Cancellation): { own: Target; intent?: Target; charge?: Target } => {
  if (c.kind !== "order") return { own: cancellationTarget(c) };
  return {
    own: cancellationTarget(c),
    ...(c.request.intentId && { intent: { type: "intent" as const, id: c.request.intentId } }),
    ...(c.request.charge && {
      charge: {
        type: "charge" as const,
        id: c.request.charge.chargeUuid,
        walletUuid: c.request.charge.walletUuid,
      },
    }),
  };
};

/** The event the own target's record announces for this transition, if any. */
export const announcedBy = (before: Cancellation | undefined, after: Cancellation): AuditRecord["event"] => {
  if (after.state === "DONE" && after.outcome) return detailTypeOf(after.outcome);
  if (after.state === "STUCK" && before?.state !== "STUCK") return "Cancellation Stuck";
  if (after.state === "INTENT_PENDING" && before?.state !== "INTENT_PENDING") return "Cancellation Pending";
  return undefined;
};

/** The records one transition writes, own target first, outside text capped (audit-text.ts). */
export const transitionAudits = (ids: Ids, input: TransitionAuditInput): AuditRecord[] => {
  const { before, after } = input;
  const targets = targetsOf(after);
  const base = (target: Target, view: TargetView): AuditRecord => ({
    id: ids.next(),
    at: input.at,
    target,
    trigger: after.request.trigger,
    actor: after.request.actor,
    ...(after.request.owner !== undefined && { owner: after.request.owner }),
    ...(after.request.reason !== undefined && { reason: after.request.reason }),
    outcome: view.outcome,
    ...(view.retryable !== undefined && { retryable: view.retryable }),
    ...(view.problem !== undefined && { problem: view.problem }),
    ...(view.detail !== undefined && { detail: view.detail }),
    ...(view.upstream !== undefined && { upstream: view.upstream }),
    ...(view.state !== undefined && { state: view.state }),
    latencyMs: input.latencyMs,
    ...(after.request.idempotencyKey !== undefined && { idempotencyKey: after.request.idempotencyKey }),
    correlationId: after.request.correlationId,
    ...(input.via && { via: input.via }),
    ...(after.kind === "order" && target.type !== "order" && { orderId: after.id }),
  });

  const records: AuditRecord[] = [];
  const ownNow = ownView(after, input.problem);
  const ownBefore = before && ownView(before, undefined);
  // A problem that ended: the trail, which told it, tells the state it waits in again.
  const recovered = before?.lastProblem !== undefined && after.lastProblem === undefined;
  if (!sameView(ownBefore, ownNow) || input.problem || recovered) {
    const event = input.event === null ? undefined : (input.event ?? announcedBy(before, after));
    records.push({ ...base(targets.own, ownNow), ...(event && { event }) });
  }
  for (const [target, view] of [
    [targets.intent, intentView],
    [targets.charge, chargeView],
  ] as const) {
    if (!target) continue;
    const now = view(after);
    if (now && !sameView(before && view(before), now)) records.push(base(target, now));
  }
  return records.map(capAuditText);
};
