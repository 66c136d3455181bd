/**
 * The lifecycle model's invariants on the truth itself: each order ends as its intent and
 * charge really ended (charge cancelled exactly when nothing was bought, never twice), its
 * trail, status route and announcement agree; each intent's trail ends in its true state;
 * no key stores an operational failure.
 */
import { outcomeEventOf } from "#core/outcome-events.ts";
import { cancellationView } from "#handlers/http/cancellation-view.ts";
import { type Facts, isFinalEvent, NOTHING_BOUGHT, newestOf, violation } from "./lifecycle-facts.ts";
import type { Scenario } from "./lifecycle-scenario.ts";
import { MODEL_POLICY } from "./lifecycle-world.ts";

/** Each order ends in the truth: its charge cancelled exactly when nothing was bought, its trail, status and announcement agreeing. */
export const checkOrders = ({ w, s, records, orders }: Facts): void => {
  const now = w.clock.now();
  for (const charge of w.a55.charges.values()) {
    if (charge.cancelEffects > 1) violation("a charge was cancelled more than once", charge);
  }
  for (const [index, orderId] of w.orderIds.entries()) {
    const record = orders[index];
    const charge = w.a55.charges.get(w.orderChargeIds[index] as string);
    const intent = w.procureCore.settled(w.intentIds[s.orders[index]?.intent ?? 0] as string);
    if (!charge || !intent) {
      violation("world lost a target", { orderId });
      continue;
    }
    const facts = { orderId, record, charge, intent };
    if (!record) {
      // Never opened (every attempt died before its first write): nothing may have touched the charge.
      if (charge.cancelEffects !== 0) violation("a charge was cancelled for an order never opened", facts);
      continue;
    }
    // After quiescence nothing is left open but STUCK, and nothing open past the limit is not STUCK.
    if (record.state !== "DONE" && record.state !== "STUCK") violation("an order was left open", facts);
    if (
      record.state !== "DONE" &&
      now - Date.parse(record.request.requestedAt) >= MODEL_POLICY.stuckAfterMs
    ) {
      if (record.state !== "STUCK") violation("an order open past the limit is not STUCK", facts);
    }
    const bought = intent.status === "COMPLETED" || (intent.status === "PROCESSING" && intent.shipped);
    const nothingBought = NOTHING_BOUGHT.has(intent.status);
    if (record.state === "STUCK") {
      if (!(intent.status === "PROCESSING" && intent.asyncEnd === "never")) {
        violation("an order is STUCK although its intent ended", facts);
      }
      if (charge.cancelEffects !== 0) violation("a STUCK order's charge was cancelled", facts);
      const last = newestOf(records, "order", orderId);
      if (last?.state !== "STUCK") violation("a STUCK order's trail does not say STUCK", { ...facts, last });
      continue;
    }
    // The charge is cancelled at A55 exactly when the intent ended with nothing bought.
    const outcome = record.outcome?.type;
    if (
      nothingBought &&
      charge.status !== "settled" &&
      (charge.cancelEffects !== 1 || outcome !== "CANCELLED")
    ) {
      violation("nothing was bought, but the charge was not cancelled exactly once", facts);
    }
    if (nothingBought && charge.status === "settled" && outcome !== "REFUND_REQUIRED") {
      violation("nothing was bought and the charge is settled, but no refund is required", facts);
    }
    if (bought && (charge.cancelEffects !== 0 || !["NOT_CANCELLABLE", "FAILED"].includes(outcome ?? ""))) {
      violation("goods were bought, but the charge was cancelled or the order says otherwise", facts);
    }
    if (!bought && !nothingBought) violation("an order is DONE while its intent has not ended", facts);
    // The trails end in the true state, and the status route agrees.
    const lastOrder = newestOf(records, "order", orderId);
    if (lastOrder?.outcome !== outcome)
      violation("the order's trail does not end in its outcome", { ...facts, lastOrder });
    const view = cancellationView(record) as { state: string; outcome?: { outcome: string } };
    if (view.state !== "DONE" || view.outcome?.outcome !== outcome)
      violation("the status route disagrees", { view, lastOrder });
    const lastCharge = newestOf(records, "charge", charge.chargeUuid);
    const expected =
      charge.cancelEffects === 1
        ? ["CANCELLED", "ALREADY_CANCELLED"]
        : charge.status === "settled" && nothingBought
          ? ["REFUND_REQUIRED"]
          : ["NOT_CANCELLABLE"];
    if (!expected.includes(lastCharge?.outcome ?? ""))
      violation("the charge's trail does not end in its true state", { ...facts, lastCharge });
    // One final announcement per order, matching its outcome.
    const finals = records
      .filter((r) => r.target.type === "order" && r.target.id === orderId && isFinalEvent(r))
      .map((r) => outcomeEventOf(r)?.detail.outcome);
    if (finals.length !== 1 || finals[0] !== outcome)
      violation("the order's final outcome was not announced exactly once", { ...facts, finals });
  }
};

/**
 * The requests that may cancel intent `i`: each intent request (trigger and key), and the
 * cancellation of each order whose intent it is (however many keys ask for that order, it is
 * opened once). `undefined` when a sweep may cancel it too (the sweep cancels under keys of its own).
 */
const requestersOf = (s: Scenario, i: number): Set<string> | undefined => {
  const jobs = s.waves.flatMap((wave) => wave.jobs);
  if (jobs.some((job) => job.kind === "sweep")) return undefined;
  const requesters = new Set<string>();
  for (const job of jobs) {
    if (job.kind === "intent" && job.intent === i) requesters.add(`intent:${job.trigger}:${job.key}`);
    if (job.kind === "order" && s.orders[job.order]?.intent === i) requesters.add(`order:${job.order}`);
  }
  return requesters;
};

/** Each intent's trail ends in its true state; an asynchronous intent cancel is never left open. */
export const checkTrails = async ({ w, s, records }: Facts): Promise<void> => {
  for (const intentId of w.intentIds) {
    const intent = w.procureCore.settled(intentId);
    const last = newestOf(records, "intent", intentId);
    if (!intent || !last) continue;
    // What the newest record may say, given how the intent stands. An operational failure
    // may end a trail only while no cancel of ours was applied ("not done, retry" is then
    // the truth): a lost answer must never leave the trail on a failure.
    const fits =
      last.outcome === "FAILED" && last.retryable === true
        ? intent.cancelEffects === 0
        : intent.status === "CANCELLED"
          ? ["CANCELLED", "ALREADY_CANCELLED"].includes(last.outcome)
          : NOTHING_BOUGHT.has(intent.status) || intent.status === "COMPLETED"
            ? last.outcome === "NOT_CANCELLABLE"
            : intent.status === "PROCESSING" && intent.shipped
              ? last.outcome === "FAILED"
              : intent.status === "PROCESSING" && intent.cancelRequestedAt !== undefined
                ? last.outcome === "PENDING"
                : false;
    if (!fits) violation("an intent's trail does not end in its true state", { intent, last });
    // Nobody outside the service cancels intents here: one that a single request cancelled
    // was cancelled by that request, whose trail must say so, not "someone cancelled it before".
    const requesters = requestersOf(s, w.intentIds.indexOf(intentId));
    if (requesters?.size === 1 && intent.cancelEffects > 0 && last.outcome === "ALREADY_CANCELLED")
      violation("an intent's only request says someone else cancelled it", { intent, last, requesters });
    const cancellation = await w.stores.cancellations.get("intent", intentId);
    if (cancellation && cancellation.state !== "DONE" && cancellation.state !== "STUCK") {
      violation("an asynchronous intent cancel was left open", { intent, cancellation });
    }
  }
};

/** No key replays an operational failure. */
export const checkKeys = async ({ w }: Facts): Promise<void> => {
  for (const key of await w.stores.completedOutcomes()) {
    const outcome = key.outcome as { type: string; retryable?: boolean };
    if (outcome.type === "FAILED" && outcome.retryable) violation("a key stored an operational failure", key);
  }
};
