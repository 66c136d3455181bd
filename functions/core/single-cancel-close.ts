/**
 * How a single intent or charge cancel ends: its key completed with the outcome, its
 * record, and the cancellation it concerns, in one transaction.
 *
 * A resumed attempt (a retry, a redelivery, a later sweep, the continuation taking an
 * attempt over) may find the cancellation an earlier attempt of the same request left open;
 * the continuation may be finishing that very cancellation at the same moment. So the
 * attempt moves it on only conditionally on the version it read, and announces only what
 * that transition announces. When the version moved on, it reads it again: DONE means the
 * continuation finished it and announced it, so the attempt answers from it and writes
 * nothing more; still open, it tries its transition again on the version it now read.
 * The key remembers which cancellation its request opened (`Lease.ownCancellation`): one
 * replaced by another request's since was DONE, so its end was announced already.
 */

import type { Cancellation } from "./cancellation.ts";
import { announcedBy } from "./cancellation-audits.ts";
import { intentCancellation, settle } from "./cancellation-records.ts";
import type { CancelContext, CancelDependencies } from "./dependencies.ts";
import type { CancelOutcome, Target } from "./outcome.ts";
import { detailTypeOf } from "./outcome-events.ts";
import type { AuditRecord, CancellationTransition, CompleteResult, Lease } from "./ports.ts";

/** How often a transition is tried again on a version moved on meanwhile, before leaving it to the continuation. */
const MOVED_RETRIES = 3;

/**
 * What a resumed attempt finds of the cancellation its request opened earlier: the record
 * (open, or DONE), or that it was replaced since (it was DONE, so it was finished and
 * announced), or nothing (the request never opened one).
 */
export interface OwnCancellation {
  record?: Cancellation;
  replaced: boolean;
}

export const NO_OWN_CANCELLATION: OwnCancellation = { replaced: false };

/** Reads the cancellation of `target` and tells whether it is the one this request opened. */
export const ownCancellation = async (
  deps: CancelDependencies,
  lease: Lease,
  target: Target,
): Promise<OwnCancellation> => {
  if (target.type !== "intent" && target.type !== "charge") return NO_OWN_CANCELLATION;
  const found = await deps.cancellations.get(target.type, target.id);
  // A key released before keys remembered their cancellation: the scope tells (not a replacement, though).
  if (lease.ownCancellation === undefined) {
    return found?.request.scopeKey === lease.scopeKey
      ? { record: found, replaced: false }
      : NO_OWN_CANCELLATION;
  }
  return found?.incarnation === lease.ownCancellation
    ? { record: found, replaced: false }
    : { replaced: true };
};

/**
 * What a resumed attempt stopped by an operational failure writes of its own cancellation:
 * the problem, conditionally on the version it read, so that its record is kept only if
 * nobody finished it meanwhile (else the key is released alone: the trail already ends in
 * the truth); the record announces what the transition announces (it may enter STUCK).
 * `undefined` when it has none open.
 */
export const problemOfOwn = (
  deps: CancelDependencies,
  own: OwnCancellation,
  failure: CancelOutcome,
  record: AuditRecord,
): { cancellation: CancellationTransition; record: AuditRecord } | undefined => {
  if (!own.record || failure.type !== "FAILED") return undefined;
  const next = settle(own.record, own.record, {
    now: deps.clock.now(),
    policy: deps.lifecycle,
    problem: failure,
    checked: false,
  });
  const cancellation = { next, expectedVersion: own.record.version };
  return { cancellation, record: announcing(record, failure, own.record, cancellation) };
};

/** The request's own cancellation moved on by this attempt's final outcome. */
const closing = (deps: CancelDependencies, own: Cancellation, outcome: CancelOutcome): Cancellation => {
  const next: Cancellation =
    outcome.type === "PENDING"
      ? { ...own, state: "INTENT_PENDING", steps: { intent: outcome } }
      : {
          ...own,
          state: "DONE",
          outcome,
          steps: own.kind === "intent" ? { intent: outcome } : { charge: outcome },
        };
  return settle(own, next, { now: deps.clock.now(), policy: deps.lifecycle, checked: false });
};

/**
 * The attempt's record as it is written: with a transition of its own cancellation, it
 * announces what that transition announces (the rest was announced by whoever moved it);
 * without one, the request's outcome.
 */
const announcing = (
  record: AuditRecord,
  outcome: CancelOutcome,
  own: Cancellation | undefined,
  cancellation: CancellationTransition | undefined,
): AuditRecord => {
  if (own && cancellation) {
    const event = announcedBy(own, cancellation.next);
    const { state } = cancellation.next;
    return { ...record, ...(event && { event }), ...(state !== "DONE" && { state }) };
  }
  const pendingIntent = outcome.type === "PENDING" && outcome.target.type === "intent";
  return {
    ...record,
    event: detailTypeOf(outcome),
    ...(pendingIntent && { state: "INTENT_PENDING" as const }),
  };
};

export interface SingleCloseRequest {
  /** This attempt's final outcome (PENDING included). */
  outcome: CancelOutcome;
  /** This attempt's record of it, announcing nothing yet. */
  record: AuditRecord;
  /** What a resumed attempt found of its own cancellation before it acted. */
  own: OwnCancellation;
  context: CancelContext;
  reason: string | undefined;
}

export interface SingleClose {
  written: "completed" | "lock-lost";
  /** The answer: this attempt's outcome, or the one recorded by the continuation when it finished the cancellation first. */
  outcome: CancelOutcome;
  /** True when the answer is the continuation's (nothing of this attempt was written). */
  fromCancellation: boolean;
  /** On `lock-lost`: this attempt's records that did not depend on a transition, which may still be kept. */
  unwritten: AuditRecord[];
}

/** Completes a single cancel's key, moving its own cancellation on (or opening one for an asynchronous intent cancel). */
export const closeSingle = async (
  deps: CancelDependencies,
  lease: Lease,
  request: SingleCloseRequest,
): Promise<SingleClose> => {
  const { outcome } = request;
  let own = request.own;
  for (let round = 0; round <= MOVED_RETRIES && !own.replaced; round++) {
    const { record: current } = own;
    if (current?.state === "DONE" && current.outcome) {
      const written = await complete(deps, lease, current.outcome, [], undefined);
      return { written: settled(written), outcome: current.outcome, fromCancellation: true, unwritten: [] };
    }
    const cancellation: CancellationTransition | undefined = current
      ? { next: closing(deps, current, outcome), expectedVersion: current.version }
      : outcome.type === "PENDING" && outcome.target.type === "intent"
        ? {
            next: intentCancellation(deps, request.context, outcome, request.reason, lease.scopeKey),
            expectedVersion: null,
          }
        : undefined;
    const record = announcing(request.record, outcome, current, cancellation);
    const written = await complete(deps, lease, outcome, [record], cancellation);
    if (written !== "cancellation-moved") {
      const unwritten = cancellation ? [] : [record];
      return { written, outcome, fromCancellation: false, unwritten };
    }
    own = await ownCancellation(deps, lease, outcome.target);
  }
  // Its own cancellation was finished, announced and replaced, or keeps moving on: whoever
  // moves it finishes and announces it; this attempt answers and keeps its record, announcing nothing.
  const written = await complete(deps, lease, outcome, [request.record], undefined);
  return { written: settled(written), outcome, fromCancellation: false, unwritten: [request.record] };
};

/** Without a transition, a completion cannot find a cancellation moved. */
const settled = (written: CompleteResult): SingleClose["written"] =>
  written === "lock-lost" ? "lock-lost" : "completed";

const complete = (
  deps: CancelDependencies,
  lease: Lease,
  outcome: CancelOutcome,
  audits: AuditRecord[],
  cancellation: CancellationTransition | undefined,
): Promise<CompleteResult> =>
  deps.work.finishAttempt(lease, { outcome, audits, cancellation, now: deps.clock.now() });
