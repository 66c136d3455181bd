/**
 * One bulk item, as the work queue's consumer runs it: an ordinary cancel (intent, charge
 * or order) under the same lifecycle, budget, outbox and idempotency as every trigger's,
 * bracketed by the item's start and result.
 *
 * 1. Start the item: one conditional write, only while the job is RUNNING and the item has
 *    no result yet (it also counts the item as started). A job that is stopping or over
 *    starts nothing: the item is STOPPED. An item an earlier delivery started goes on (its
 *    cancel is keyed, so it acts once); one with a final result is done.
 * 2. Run the cancel with trigger `bulk` (background priority) and the item's own
 *    idempotency scope (bulk-job.ts `itemScopeKey`). A cancellation it opens knows the item.
 * 3. Final outcome → the item's result, written once (counts move once). PENDING → the item
 *    waits; the continuation's transition that finishes the cancellation writes its result.
 *    An operational failure → the message is retried (the item stays RUNNING).
 */

import { finalItemOutcome, summaryOf } from "./bulk-item-result.ts";
import { type BulkItemTarget, type BulkJobState, itemScopeKey } from "./bulk-job.ts";
import type { BulkItemMessage, BulkJobStore, ItemOutcomeSummary } from "./bulk-ports.ts";
import { cancelCharge } from "./cancel-charge.ts";
import { cancelIntent } from "./cancel-intent.ts";
import { cancelOrder } from "./cancel-order.ts";
import type { CancelContext, CancelDependencies } from "./dependencies.ts";
import type { OnceResult } from "./run-once.ts";

export type BulkItemRun =
  /** The cancel ran (or replayed its stored outcome): what the queue does next follows from it. */
  | { kind: "ran"; result: OnceResult }
  /** An earlier delivery finished it. */
  | { kind: "already-final"; outcome: ItemOutcomeSummary["type"] }
  /** Not started: the job was stopped (or is over) first. */
  | { kind: "not-started"; state: BulkJobState }
  /** The job does not exist (expired, or a stray message). */
  | { kind: "no-job" };

/** The correlation id of an item's records: the job and the item, stable across deliveries. */
export const itemCorrelationId = (jobId: string, index: number): string => `bulk:${jobId}:${index}`;

const dispatch = (
  deps: CancelDependencies,
  context: CancelContext,
  target: BulkItemTarget,
  reason: string | undefined,
): Promise<OnceResult> => {
  const why = reason === undefined ? {} : { reason };
  if (target.type === "intent") return cancelIntent(deps, context, { intentId: target.id, ...why });
  if (target.type === "charge") return cancelCharge(deps, context, { ...target, ...why });
  return cancelOrder(deps, context, {
    orderId: target.orderId,
    ...(target.intentId !== undefined && { intentId: target.intentId }),
    ...(target.charge !== undefined && { charge: target.charge }),
    ...why,
  });
};

/**
 * @param deadline - epoch ms: the invocation's deadline (bounds the cancel's retries and lock)
 * @throws what the cancel and the store throw (a store down): the message is retried
 */
export const runBulkItem = async (
  deps: CancelDependencies & { bulk: BulkJobStore },
  message: BulkItemMessage,
  deadline: number,
): Promise<BulkItemRun> => {
  const { jobId, index, target } = message;
  const started = await deps.bulk.startItem(jobId, index, new Date(deps.clock.now()).toISOString());
  if (started.kind === "no-job") return started;
  if (started.kind === "not-running") return { kind: "not-started", state: started.state };
  if (started.kind === "already-started") {
    const { status } = started.result;
    if (status !== "RUNNING" && status !== "PENDING") return { kind: "already-final", outcome: status };
  }
  const context: CancelContext = {
    trigger: "bulk",
    actor: message.actor,
    // The job's submitter, an authenticated client id (the driver sends the job's actor): the
    // item's cancel and records are that client's, as its own HTTP cancels are.
    owner: message.actor,
    correlationId: itemCorrelationId(jobId, index),
    deadline,
    idempotency: { scopeKey: itemScopeKey(jobId, target) },
    bulk: { jobId, index },
  };
  const result = await dispatch(deps, context, target, message.reason);
  if (result.kind !== "outcome") return { kind: "ran", result };
  const { outcome } = result;
  const final = finalItemOutcome(outcome);
  if (final) {
    await deps.bulk.finishItem({
      jobId,
      index,
      outcome: final,
      summary: summaryOf(outcome),
      at: new Date(deps.clock.now()).toISOString(),
      via: "request",
      endId: deps.ids.next(),
    });
  } else if (outcome.type === "PENDING") {
    await deps.bulk.markPending(jobId, index, summaryOf(outcome));
  }
  return { kind: "ran", result };
};
