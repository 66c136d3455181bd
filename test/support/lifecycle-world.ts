/**
 * The world of the lifecycle's model-based test: the model upstreams (which keep the truth),
 * the stores under test, the clock, and the names of every target.
 */
import type { Cancellation, LifecyclePolicy } from "#core/cancellation.ts";
import type { CancelDependencies } from "#core/dependencies.ts";
import type {
  AuditLog,
  AuditRecord,
  CancellationStore,
  Clock,
  IdempotencyStore,
  UnitOfWork,
} from "#core/ports.ts";
import { HeldReads } from "./lifecycle-invocations.ts";
import type { Scenario } from "./lifecycle-scenario.ts";
import { FaultPlan, ModelA55, ModelProcureCore } from "./lifecycle-upstreams.ts";

export const MODEL_POLICY: LifecyclePolicy = {
  firstCheckAfterMs: 60_000,
  maxBackoffMs: 10 * 60_000,
  stuckAfterMs: 2 * 3_600_000,
  orphanGraceMs: 5_000,
};

export const WALLET = "f47ac10b-58cc-4372-a567-0e02b2c3d479";
export const START = Date.parse("2026-11-23T10:00:00.000Z");
/** Each invocation's time budget: its lock lasts until then. */
export const INVOCATION_MS = 10_000;
/** The owner of every request of the model (its orders are one client's). */
export const MODEL_OWNER = "storefront";

/** A cancellation write that was applied, with the record it replaced (what the store held just before). */
export interface CancellationWrite {
  before: Cancellation | undefined;
  after: Cancellation;
  expectedVersion: number | null;
}

/** Fresh stores for one run, on the model's clock. */
export interface Stores {
  idempotency: IdempotencyStore;
  cancellations: CancellationStore;
  work: UnitOfWork;
  audit: AuditLog;
  /** Every key's stored outcome, for the invariants on answers. */
  completedOutcomes(): Promise<{ scopeKey: string; outcome: unknown }[]>;
  /** Every audit record, in commit order. */
  allRecords(): Promise<AuditRecord[]>;
  /**
   * Every applied cancellation write in commit order, with what it replaced, where the
   * stores can tell (the in-memory ones); the "no stale writer" invariant needs it.
   */
  cancellationWrites?(): CancellationWrite[];
  close(): Promise<void>;
}

export type StoreFactory = (clock: Clock) => Promise<Stores>;

export class ModelClock implements Clock {
  current = START;
  now(): number {
    return this.current;
  }
}

export interface World {
  clock: ModelClock;
  procureCore: ModelProcureCore;
  a55: ModelA55;
  faults: FaultPlan;
  deps: CancelDependencies;
  stores: Stores;
  held: HeldReads;
  orderIds: string[];
  intentIds: string[];
  /** Each order's charge. */
  orderChargeIds: string[];
  /** The charges cancelled on their own. */
  singleChargeIds: string[];
}

const chargeUuid = (n: number): string => `c0ffee00-0000-4000-8000-${String(n).padStart(12, "0")}`;

export const buildWorld = (
  s: Scenario,
  stores: Stores,
  clock: ModelClock,
  ids: CancelDependencies["ids"],
): World => {
  const faults = new FaultPlan();
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
  const addCharge = (n: number, settled: boolean): string => {
    const id = chargeUuid(n);
    a55.charges.set(id, {
      chargeUuid: id,
      walletUuid: WALLET,
      status: settled ? "settled" : "pending",
      cancelEffects: 0,
    });
    return id;
  };
  const orderChargeIds = s.orders.map((plan, i) => addCharge(i, plan.chargeSettled));
  const singleChargeIds = s.charges.map((plan, i) => addCharge(100 + i, plan.settled));
  const held = new HeldReads();
  const deps: CancelDependencies = {
    intents: procureCore,
    charges: a55,
    idempotency: stores.idempotency,
    cancellations: held.remembering(stores.cancellations),
    work: stores.work,
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
    held,
    orderIds: s.orders.map((_, i) => `order_${i}`),
    intentIds,
    orderChargeIds,
    singleChargeIds,
  };
};
