/**
 * The invariants of the lifecycle's model-based test, checked after quiescence against
 * the truth the model upstreams keep (what each intent ended as, how many times each charge
 * was really cancelled) and everything the stores hold: those on answers, events, effects
 * and overwrites here, those on the end state itself in lifecycle-truth.ts.
 *
 * Each family can be checked alone (`LIFECYCLE_MODEL_INVARIANTS=answers,events`), to see
 * what the model finds for one kind of defect while another is known; all by default.
 */
import type { Cancellation } from "#core/cancellation.ts";
import { type CancelOutcome, isReplayable } from "#core/outcome.ts";
import type { AuditRecord } from "#core/ports.ts";
import { type Facts, isFinalEvent, newestOf, violation } from "./lifecycle-facts.ts";
import type { RequestJob, Scenario } from "./lifecycle-scenario.ts";
import { checkKeys, checkOrders, checkTrails } from "./lifecycle-truth.ts";
import { MODEL_OWNER, type World } from "./lifecycle-world.ts";

const FAMILIES = ["orders", "answers", "events", "effects", "overwrites", "trails", "keys"] as const;
type Family = (typeof FAMILIES)[number];

const chosen = new Set<string>(
  (process.env.LIFECYCLE_MODEL_INVARIANTS ?? FAMILIES.join(",")).split(",").map((f) => f.trim()),
);
const checks = (family: Family): boolean => chosen.has(family);

export interface Answer {
  job: RequestJob;
  outcome: CancelOutcome;
}

export const checkInvariants = async (w: World, s: Scenario, answers: Answer[]): Promise<void> => {
  const records = await w.stores.allRecords();
  const orders = await Promise.all(
    w.orderIds.map((id) => w.stores.cancellations.get("order", id, MODEL_OWNER)),
  );
  const facts: Facts = { w, s, records, orders };
  if (checks("orders")) checkOrders(facts);
  if (checks("answers")) await checkAnswers(facts, answers);
  if (checks("events")) checkEvents(facts);
  if (checks("effects")) checkEffects(facts);
  if (checks("overwrites")) checkOverwrites(facts);
  if (checks("trails")) await checkTrails(facts);
  if (checks("keys")) await checkKeys(facts);
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
    if (!isReplayable(outcome) || outcome.type === "PENDING") continue;
    const record = orders[answer.order];
    const intentStep = outcome.steps?.intent;
    const intentOpen = !intentStep || intentStep.type === "PENDING" || !isReplayable(intentStep);
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
