/**
 * The invariants of the lifecycle's model-based test, checked after quiescence against
 * the truth the model upstreams keep (what each intent ended as, how many times each charge
 * was really cancelled) and everything the stores hold.
 *
 * Each family can be checked alone (`LIFECYCLE_MODEL_INVARIANTS=answers,events`), to see
 * what the model finds for one kind of defect while another is known; all by default.
 */

import type { Cancellation } from "#core/cancellation.ts";
import { type CancelOutcome, isFinal } from "#core/outcome.ts";
import { outcomeEventOf } from "#core/outcome-events.ts";
import type { AuditRecord } from "#core/ports.ts";
import { cancellationView } from "#handlers/http/cancellation-view.ts";
import type { RequestJob, Scenario } from "./lifecycle-scenario.ts";
import { MODEL_POLICY, type World } from "./lifecycle-world.ts";

const FAMILIES = ["orders", "answers", "events", "effects", "overwrites", "trails", "keys"] as const;
type Family = (typeof FAMILIES)[number];

const chosen = new Set<string>(
  (process.env.LIFECYCLE_MODEL_INVARIANTS ?? FAMILIES.join(",")).split(",").map((f) => f.trim()),
);
const checks = (family: Family): boolean => chosen.has(family);

const violation = (message: string, details: unknown): never => {
  throw new Error(`${message}\n${JSON.stringify(details, null, 2)}`);
};

const NOTHING_BOUGHT = new Set(["CANCELLED", "FAILED", "DRAFT"]);

export interface Answer {
  job: RequestJob;
  outcome: CancelOutcome;
}

interface Facts {
  w: World;
  s: Scenario;
  records: AuditRecord[];
  orders: (Cancellation | undefined)[];
}

const newestOf = (records: AuditRecord[], type: string, id: string): AuditRecord | undefined =>
  records.filter((r) => r.target.type === type && r.target.id === id).at(-1);

const isFinalEvent = (r: AuditRecord): boolean =>
  r.event !== undefined && r.event !== "Cancellation Pending" && r.event !== "Cancellation Stuck";

export const checkInvariants = async (w: World, s: Scenario, answers: Answer[]): Promise<void> => {
  const records = await w.stores.allRecords();
  const orders = await Promise.all(w.orderIds.map((id) => w.stores.cancellations.get("order", id)));
  const facts: Facts = { w, s, records, orders };
  if (checks("orders")) checkOrders(facts);
  if (checks("answers")) await checkAnswers(facts, answers);
  if (checks("events")) checkEvents(facts);
  if (checks("effects")) checkEffects(facts);
  if (checks("overwrites")) checkOverwrites(facts);
  if (checks("trails")) await checkTrails(facts);
  if (checks("keys")) await checkKeys(facts);
};

/** Each order ends in the truth: its charge cancelled exactly when nothing was bought, its trail, status and announcement agreeing. */
const checkOrders = ({ w, s, records, orders }: Facts): void => {
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
 * No final answer while the step that decides it is still open: an order answered with a
 * final outcome (not PENDING, not an operational failure) — directly or replayed from its
 * key — names every step it asked for as ended, and is the outcome its cancellation ends in.
 */
const checkAnswers = async ({ w, orders }: Facts, answers: Answer[]): Promise<void> => {
  const stored = (await w.stores.completedOutcomes()).flatMap(({ scopeKey, outcome }) => {
    const order = /^(?:http|bus):order_(\d+):key\d+$/.exec(scopeKey)?.[1];
    return order === undefined ? [] : [{ scopeKey, order: Number(order), outcome: outcome as CancelOutcome }];
  });
  const given = answers.flatMap((a) =>
    a.job.kind === "order"
      ? [
          {
            scopeKey: `${a.job.trigger}:order_${a.job.order}:key${a.job.key}`,
            order: a.job.order,
            outcome: a.outcome,
          },
        ]
      : [],
  );
  for (const answer of [...given, ...stored]) {
    const { outcome } = answer;
    if (!isFinal(outcome) || outcome.type === "PENDING") continue;
    const record = orders[answer.order];
    const intentStep = outcome.steps?.intent;
    const intentOpen = !intentStep || intentStep.type === "PENDING" || !isFinal(intentStep);
    const chargeOpen =
      record?.request.charge !== undefined && !outcome.steps?.charge && !outcome.steps?.chargeSkipped;
    if (intentOpen || chargeOpen || record?.state !== "DONE" || record.outcome?.type !== outcome.type) {
      violation("an order was answered a final outcome while the step that decides it was still open", {
        answer,
        record,
      });
    }
  }
};

/**
 * At most one outcome event per target transition, whatever the interleaving: one request
 * (target, trigger, idempotency key) announces its final outcome at most once, and enters
 * the pending and the stuck state at most once each.
 */
const checkEvents = ({ records }: Facts): void => {
  const seen = new Map<string, AuditRecord[]>();
  for (const r of records) {
    if (!r.event) continue;
    const kind = isFinalEvent(r) ? "final" : r.event;
    const key = `${r.target.type}#${r.target.id}#${r.trigger}#${r.idempotencyKey ?? "-"}#${kind}`;
    seen.set(key, [...(seen.get(key) ?? []), r]);
  }
  for (const [key, announcing] of seen) {
    if (announcing.length > 1) violation("one outcome was announced more than once", { key, announcing });
  }
};

/**
 * Every upstream effect ends with its trail and its event, whichever write failed: an intent
 * or a charge one of our cancels changed has a trail telling its state, and an event
 * announcing it (on itself, or on the order it is a step of); a final one once it ended.
 */
const checkEffects = ({ w, s, records }: Facts): void => {
  const ordersOfIntent = (intentId: string): Set<string> =>
    new Set(w.orderIds.filter((_, i) => w.intentIds[s.orders[i]?.intent ?? 0] === intentId));
  const announced = (type: "intent" | "charge", id: string, orderIds: Set<string>, final: boolean) =>
    records.some(
      (r) =>
        (final ? isFinalEvent(r) : r.event !== undefined) &&
        ((r.target.type === type && r.target.id === id) ||
          (r.target.type === "order" && orderIds.has(r.target.id))),
    );
  for (const intentId of w.intentIds) {
    const intent = w.procureCore.settled(intentId);
    if (!intent || intent.cancelEffects === 0) continue;
    const last = newestOf(records, "intent", intentId);
    const stillRunning = intent.status === "PROCESSING" && intent.cancelRequestedAt !== undefined;
    if (!last || !announced("intent", intentId, ordersOfIntent(intentId), !stillRunning)) {
      violation("an intent our cancel changed was left without its trail or its event", { intent, last });
    }
  }
  const orderOfCharge = (id: string): Set<string> =>
    new Set(w.orderIds.filter((_, i) => w.orderChargeIds[i] === id));
  for (const charge of w.a55.charges.values()) {
    if (charge.cancelEffects === 0) continue;
    const last = newestOf(records, "charge", charge.chargeUuid);
    if (
      !["CANCELLED", "ALREADY_CANCELLED"].includes(last?.outcome ?? "") ||
      !announced("charge", charge.chargeUuid, orderOfCharge(charge.chargeUuid), true)
    ) {
      violation("a charge our cancel cancelled was left without its trail or its event", { charge, last });
    }
  }
};

/** The request a record belongs to: who opened it, and when. */
const openedBy = (c: Cancellation): string => `${c.request.scopeKey}@${c.request.requestedAt}`;

/**
 * No stale writer overwrites a newer record: every transition written (conditional on a
 * version) replaced the very record it moved on, never another request's record that
 * happened to be at that version (on stores that can tell what a write replaced).
 */
const checkOverwrites = ({ w }: Facts): void => {
  for (const write of w.stores.cancellationWrites?.() ?? []) {
    if (write.expectedVersion === null) continue;
    if (!write.before || openedBy(write.before) !== openedBy(write.after)) {
      violation("a stale writer overwrote a newer record", write);
    }
  }
};

/** Each intent's trail ends in its true state; an asynchronous intent cancel is never left open. */
const checkTrails = async ({ w, records }: Facts): Promise<void> => {
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
    const cancellation = await w.stores.cancellations.get("intent", intentId);
    if (cancellation && cancellation.state !== "DONE" && cancellation.state !== "STUCK") {
      violation("an asynchronous intent cancel was left open", { intent, cancellation });
    }
  }
};

/** No key replays an operational failure. */
const checkKeys = async ({ w }: Facts): Promise<void> => {
  for (const key of await w.stores.completedOutcomes()) {
    const outcome = key.outcome as { type: string; retryable?: boolean };
    if (outcome.type === "FAILED" && outcome.retryable) violation("a key stored an operational failure", key);
  }
};
