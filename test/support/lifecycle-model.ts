/**
 * The lifecycle's model-based test, independent of which stores it runs on: random
 * worlds (intents that end in every way the seed allows, charges pending or settled,
 * orders sharing intents), random schedules of HTTP, bus, sweep and continuation runs
 * interleaved step by step by fast-check's scheduler, upstream faults, refused
 * credentials and crashes between any two writes; then quiescence (faults fixed, the
 * platform redelivering, the continuation running on the clock) and the invariants.
 *
 * `runLifecycleModel` takes a factory of fresh ports, so the same model runs on the
 * in-memory ports (1,000+ cases in `npm test`) and on DynamoDB Local (a reduced run).
 */
import fc from "fast-check";
import { cancelIntent } from "#core/cancel-intent.ts";
import { cancelOrder } from "#core/cancel-order.ts";
import type { Cancellation, LifecyclePolicy } from "#core/cancellation.ts";
import { runContinuation } from "#core/continuation.ts";
import type { CancelContext, CancelDependencies } from "#core/dependencies.ts";
import { runExpirySweep } from "#core/expiry-sweep.ts";
import { isFinal } from "#core/outcome.ts";
import { outcomeEventOf } from "#core/outcome-events.ts";
import type { AuditLog, AuditRecord, CancellationStore, Clock, IdempotencyStore } from "#core/ports.ts";
import type { OnceResult } from "#core/run-once.ts";
import { cancellationView } from "#handlers/http/cancellation-view.ts";
import {
  type AsyncEnd,
  type CrashPoint,
  crashable,
  type Fault,
  FaultPlan,
  interleaved,
  ModelA55,
  ModelProcureCore,
} from "./lifecycle-world.ts";

export const MODEL_POLICY: LifecyclePolicy = {
  firstCheckAfterMs: 60_000,
  maxBackoffMs: 10 * 60_000,
  stuckAfterMs: 2 * 3_600_000,
  orphanGraceMs: 5_000,
};

const WALLET = "f47ac10b-58cc-4372-a567-0e02b2c3d479";
const START = Date.parse("2026-11-23T10:00:00.000Z");
/** Each invocation's time budget: its lock lasts until then. */
const INVOCATION_MS = 10_000;

// ---- The generated world and schedule --------------------------------------------------

interface IntentPlan {
  status: "SUBMITTED" | "PROCESSING" | "COMPLETED";
  shipped: boolean;
  asyncEnd: AsyncEnd;
  asyncDelayMs: number;
}

interface OrderPlan {
  intent: number;
  chargeSettled: boolean;
}

type Job =
  | { kind: "http-order"; order: number; key: number; crash?: CrashPoint }
  | { kind: "bus-order"; order: number; key: number; crash?: CrashPoint }
  | { kind: "http-intent"; intent: number; crash?: CrashPoint }
  | { kind: "sweep"; crash?: CrashPoint }
  | { kind: "continuation"; crash?: CrashPoint }
  | { kind: "progress"; intent: number }
  | { kind: "tick"; ms: number }
  | { kind: "credentials"; upstream: "procure-core" | "a55"; refused: boolean };

export interface Scenario {
  intents: IntentPlan[];
  orders: OrderPlan[];
  faults: Fault[];
  jobs: Job[];
  /** Whether HTTP callers retry, with the same key, requests that did not end. */
  callersRetry: boolean;
}

const crash = fc.option(fc.record({ atWrite: fc.integer({ min: 1, max: 6 }), afterApply: fc.boolean() }), {
  freq: 3,
  nil: undefined,
});

const scenario = (sizes: { maxJobs: number }): fc.Arbitrary<Scenario> =>
  fc
    .record({
      intents: fc.array(
        fc.record({
          status: fc.constantFrom("SUBMITTED", "PROCESSING", "PROCESSING", "COMPLETED"),
          shipped: fc.boolean(),
          asyncEnd: fc.constantFrom<AsyncEnd>("CANCELLED", "CANCELLED", "COMPLETED", "FAILED", "never"),
          asyncDelayMs: fc.integer({ min: 0, max: 30 * 60_000 }),
        }),
        { minLength: 1, maxLength: 3 },
      ),
      orderIntents: fc.array(fc.record({ intent: fc.nat(), chargeSettled: fc.boolean() }), {
        minLength: 1,
        maxLength: 3,
      }),
      faults: fc.array(fc.constantFrom<Fault>("ok", "ok", "unavailable", "rate-limited", "lost"), {
        maxLength: 14,
      }),
      jobs: fc.array(
        fc.oneof(
          {
            weight: 4,
            arbitrary: fc.record({
              kind: fc.constant("http-order" as const),
              order: fc.nat(),
              key: fc.nat(1),
              crash,
            }),
          },
          {
            weight: 3,
            arbitrary: fc.record({
              kind: fc.constant("bus-order" as const),
              order: fc.nat(),
              key: fc.nat(1),
              crash,
            }),
          },
          {
            weight: 1,
            arbitrary: fc.record({ kind: fc.constant("http-intent" as const), intent: fc.nat(), crash }),
          },
          { weight: 1, arbitrary: fc.record({ kind: fc.constant("sweep" as const), crash }) },
          { weight: 3, arbitrary: fc.record({ kind: fc.constant("continuation" as const), crash }) },
          { weight: 1, arbitrary: fc.record({ kind: fc.constant("progress" as const), intent: fc.nat() }) },
          {
            weight: 2,
            arbitrary: fc.record({
              kind: fc.constant("tick" as const),
              ms: fc.integer({ min: 1_000, max: 20 * 60_000 }),
            }),
          },
          {
            weight: 1,
            arbitrary: fc.record({
              kind: fc.constant("credentials" as const),
              upstream: fc.constantFrom<"procure-core" | "a55">("procure-core", "a55"),
              refused: fc.boolean(),
            }),
          },
        ),
        { minLength: 1, maxLength: sizes.maxJobs },
      ),
      callersRetry: fc.boolean(),
    })
    .map(({ intents, orderIntents, faults, jobs, callersRetry }) => ({
      intents: intents.map((i) => ({ ...i, shipped: i.status === "PROCESSING" && i.shipped })),
      orders: orderIntents.map((o) => ({ ...o, intent: o.intent % intents.length })),
      faults,
      jobs: jobs.map((job) =>
        "order" in job
          ? { ...job, order: job.order % orderIntents.length }
          : "intent" in job
            ? { ...job, intent: job.intent % intents.length }
            : job,
      ),
      callersRetry,
    }));

// ---- Running one scenario --------------------------------------------------------------

/** Fresh stores for one run, on the model's clock. */
export interface Stores {
  idempotency: IdempotencyStore;
  cancellations: CancellationStore;
  audit: AuditLog;
  /** Every key's stored outcome, for the "no key replays an operational failure" invariant. */
  completedOutcomes(): Promise<{ scopeKey: string; outcome: unknown }[]>;
  /** Every audit record, in commit order. */
  allRecords(): Promise<AuditRecord[]>;
  close(): Promise<void>;
}

export type StoreFactory = (clock: Clock) => Promise<Stores>;

class ModelClock implements Clock {
  current = START;
  now(): number {
    return this.current;
  }
}

interface World {
  clock: ModelClock;
  procureCore: ModelProcureCore;
  a55: ModelA55;
  faults: FaultPlan;
  deps: CancelDependencies;
  stores: Stores;
  orderIds: string[];
  intentIds: string[];
  chargeIds: string[];
}

const buildWorld = async (
  s: Scenario,
  stores: Stores,
  clock: ModelClock,
  ids: CancelDependencies["ids"],
): Promise<World> => {
  const faults = new FaultPlan(s.faults);
  const procureCore = new ModelProcureCore(clock, faults);
  const a55 = new ModelA55(faults);
  const intentIds = s.intents.map((plan, i) => {
    const id = `intent_${i}`;
    procureCore.intents.set(id, {
      id,
      status: plan.status,
      shipped: plan.shipped,
      asyncEnd: plan.asyncEnd,
      asyncDelayMs: plan.asyncDelayMs,
      createdAt: new Date(START - 3 * 24 * 3_600_000 + i).toISOString(),
      cancelEffects: 0,
    });
    return id;
  });
  const chargeIds = s.orders.map((plan, i) => {
    const chargeUuid = `c0ffee00-0000-4000-8000-${String(i).padStart(12, "0")}`;
    a55.charges.set(chargeUuid, {
      chargeUuid,
      walletUuid: WALLET,
      status: plan.chargeSettled ? "settled" : "pending",
      cancelEffects: 0,
    });
    return chargeUuid;
  });
  const deps: CancelDependencies = {
    intents: procureCore,
    charges: a55,
    idempotency: stores.idempotency,
    cancellations: stores.cancellations,
    audit: stores.audit,
    clock,
    ids,
    lifecycle: MODEL_POLICY,
  };
  return {
    clock,
    procureCore,
    a55,
    faults,
    deps,
    stores,
    orderIds: s.orders.map((_, i) => `order_${i}`),
    intentIds,
    chargeIds,
  };
};

type Attempt = { job: Job; result?: OnceResult; crashed: boolean };

const context = (
  w: World,
  trigger: CancelContext["trigger"],
  scopeKey: string | undefined,
): CancelContext => ({
  trigger,
  actor: trigger === "http" ? "storefront" : trigger === "bus" ? "storefront.orders" : "continuation",
  correlationId: `${trigger}-${scopeKey ?? "run"}-${w.clock.now()}`,
  deadline: w.clock.now() + INVOCATION_MS,
  ...(scopeKey && { idempotency: { scopeKey, key: scopeKey } }),
});

const orderInput = (w: World, s: Scenario, order: number) => ({
  orderId: w.orderIds[order] as string,
  intentId: w.intentIds[s.orders[order]?.intent ?? 0] as string,
  charge: { chargeUuid: w.chargeIds[order] as string, walletUuid: WALLET },
  reason: "model",
});

/** Runs one job on `deps` (wrapped or not); a crash is a result, anything else thrown is a defect. */
const runJob = async (w: World, s: Scenario, deps: CancelDependencies, job: Job): Promise<Attempt> => {
  const attempt: Attempt = { job, crashed: false };
  const on = "crash" in job ? crashable(deps, job.crash) : deps;
  try {
    switch (job.kind) {
      case "http-order":
      case "bus-order": {
        const trigger = job.kind === "http-order" ? "http" : "bus";
        const scopeKey = `${trigger}:order_${job.order}:key${job.key}`;
        attempt.result = await cancelOrder(on, context(w, trigger, scopeKey), orderInput(w, s, job.order));
        break;
      }
      case "http-intent":
        attempt.result = await cancelIntent(on, context(w, "http", `http:intent_${job.intent}`), {
          intentId: w.intentIds[job.intent] as string,
        });
        break;
      case "sweep":
        await runExpirySweep(on, context(w, "schedule", undefined), {
          expiryAfterMs: 24 * 3_600_000,
          concurrency: 2,
          pageSize: 10,
          dryRun: false,
          stopMarginMs: 1_000,
        });
        break;
      case "continuation":
        await runContinuation(on, context(w, "schedule", undefined), {
          concurrency: 2,
          pageSize: 10,
          stopMarginMs: 1_000,
        });
        break;
      case "progress":
        w.procureCore.progress(w.intentIds[job.intent] as string);
        break;
      case "tick":
        w.clock.current += job.ms;
        break;
      case "credentials":
        (job.upstream === "a55" ? w.a55 : w.procureCore).credentialsRefused = job.refused;
        break;
    }
  } catch (error) {
    if (!(error instanceof Error && error.name === "SimulatedCrash")) throw error;
    attempt.crashed = true;
  }
  return attempt;
};

/** Whether a request must be made again: it crashed, or did not end (operational failure, key busy). */
const unfinished = (attempt: Attempt): boolean =>
  attempt.crashed ||
  (attempt.result !== undefined && (attempt.result.kind !== "outcome" || !isFinal(attempt.result.outcome)));

/** Runs a scenario to quiescence and checks every invariant; throws (with a reason) on a violation. */
export const runScenario = async (
  s: Scenario,
  makeStores: StoreFactory,
  scheduler: fc.Scheduler,
  ids: CancelDependencies["ids"],
): Promise<void> => {
  const clock = new ModelClock();
  const stores = await makeStores(clock);
  try {
    const w = await buildWorld(s, stores, clock, ids);
    const concurrent = interleaved(w.deps, (label, run) =>
      scheduler.schedule(Promise.resolve(label), label).then(run),
    );

    // 1. Every job at once, their steps interleaved by the scheduler.
    const attempts = await scheduler.waitFor(Promise.all(s.jobs.map((job) => runJob(w, s, concurrent, job))));

    // 2. Quiescence: faults and credentials fixed; the platform redelivers bus events until
    //    they settle; callers retry (when they do); the continuation runs on its schedule.
    w.faults.clear();
    w.procureCore.credentialsRefused = false;
    w.a55.credentialsRefused = false;
    for (const attempt of attempts) {
      const retries =
        attempt.job.kind === "bus-order" || (attempt.job.kind === "http-order" && s.callersRetry);
      let last = attempt;
      for (let n = 0; retries && unfinished(last) && n < 5; n++) {
        w.clock.current += INVOCATION_MS + 61_000;
        last = await runJob(w, s, w.deps, { ...attempt.job, crash: undefined } as Job);
      }
    }
    for (let run = 0; run < 40; run++) {
      w.clock.current += MODEL_POLICY.maxBackoffMs;
      await runContinuation(w.deps, context(w, "schedule", undefined), {
        concurrency: 2,
        pageSize: 10,
        stopMarginMs: 1_000,
      });
    }

    // 3. The invariants.
    await checkInvariants(w, s);
  } finally {
    await stores.close();
  }
};

// ---- Invariants ------------------------------------------------------------------------

const violation = (message: string, details: unknown): never => {
  throw new Error(`${message}\n${JSON.stringify(details, null, 2)}`);
};

const NOTHING_BOUGHT = new Set(["CANCELLED", "FAILED", "DRAFT"]);

const checkInvariants = async (w: World, s: Scenario): Promise<void> => {
  const records = await w.stores.allRecords();
  const newest = (type: string, id: string): AuditRecord | undefined =>
    records.filter((r) => r.target.type === type && r.target.id === id).at(-1);
  const now = w.clock.now();

  // A charge is never cancelled twice.
  for (const charge of w.a55.charges.values()) {
    if (charge.cancelEffects > 1) violation("a charge was cancelled more than once", charge);
  }

  for (const [index, orderId] of w.orderIds.entries()) {
    const record = await w.stores.cancellations.get("order", orderId);
    const charge = w.a55.charges.get(w.chargeIds[index] as string);
    const intent = w.procureCore.settled(w.intentIds[s.orders[index]?.intent ?? 0] as string);
    if (!charge || !intent) return violation("world lost a target", { orderId });
    const facts = { orderId, record, charge, intent };

    if (!record) {
      // Never opened (every attempt died before its first write): nothing may have touched the charge.
      if (charge.cancelEffects !== 0) violation("a charge was cancelled for an order never opened", facts);
      continue;
    }
    // Nothing open past the limit without being STUCK; after quiescence nothing is left open but STUCK.
    if (record.state !== "DONE" && record.state !== "STUCK") violation("an order was left open", facts);
    if (
      record.state !== "DONE" &&
      now - Date.parse(record.request.requestedAt) >= MODEL_POLICY.stuckAfterMs &&
      record.state !== "STUCK"
    ) {
      violation("an order open past the limit is not STUCK", facts);
    }
    const bought = intent.status === "COMPLETED" || (intent.status === "PROCESSING" && intent.shipped);
    const nothingBought = NOTHING_BOUGHT.has(intent.status);
    if (record.state === "STUCK") {
      if (!(intent.status === "PROCESSING" && intent.asyncEnd === "never")) {
        violation("an order is STUCK although its intent ended", facts);
      }
      if (charge.cancelEffects !== 0) violation("a STUCK order's charge was cancelled", facts);
      const last = newest("order", orderId);
      if (last?.state !== "STUCK") violation("a STUCK order's trail does not say STUCK", { ...facts, last });
    } else {
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
      const lastOrder = newest("order", orderId);
      if (lastOrder?.outcome !== outcome)
        violation("the order's trail does not end in its outcome", { ...facts, lastOrder });
      const view = cancellationView(record) as { state: string; outcome?: { outcome: string } };
      if (view.state !== "DONE" || view.outcome?.outcome !== outcome)
        violation("the status route disagrees", { view, lastOrder });
      const lastCharge = newest("charge", charge.chargeUuid);
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
        .filter(
          (r) =>
            r.target.type === "order" &&
            r.target.id === orderId &&
            r.event &&
            r.event !== "Cancellation Pending" &&
            r.event !== "Cancellation Stuck",
        )
        .map((r) => outcomeEventOf(r)?.detail.outcome);
      if (finals.length !== 1 || finals[0] !== outcome)
        violation("the order's final outcome was not announced exactly once", { ...facts, finals });
    }
  }

  // Each intent's trail ends in its true state.
  for (const intentId of w.intentIds) {
    const intent = w.procureCore.settled(intentId);
    const last = newest("intent", intentId);
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

  // No key replays an operational failure.
  for (const key of await w.stores.completedOutcomes()) {
    const outcome = key.outcome as { type: string; retryable?: boolean };
    if (outcome.type === "FAILED" && outcome.retryable) violation("a key stored an operational failure", key);
  }
};

/** The property: every generated scenario reaches quiescence with every invariant holding. */
export const lifecycleProperty = (
  makeStores: StoreFactory,
  ids: () => CancelDependencies["ids"],
  sizes = { maxJobs: 8 },
) =>
  fc.asyncProperty(scenario(sizes), fc.scheduler(), (s, scheduler) =>
    runScenario(s, makeStores, scheduler, ids()),
  );

export type { Cancellation };
