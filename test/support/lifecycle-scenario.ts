/**
 * The generated worlds and schedules of the lifecycle's model-based test. Nothing here
 * names a scenario: requests of every kind (order, single intent, single charge) on every
 * trigger (HTTP, bus, sweep) and under several idempotency keys, continuation runs (some
 * working from a page read long before), the business moving on, time passing (past the
 * STUCK limit too), refused credentials, upstream faults, and store writes failing or the
 * invocation being killed around any write. Jobs run in waves: the jobs of one wave
 * concurrently, interleaved step by step; a wave starts after the previous one ended and a
 * gap of time, so a later wave retries, resumes, joins or replaces what an earlier one left.
 */
import fc from "fast-check";
import type { WriteFault } from "./lifecycle-invocations.ts";
import type { AsyncEnd, Fault } from "./lifecycle-upstreams.ts";

export interface IntentPlan {
  status: "SUBMITTED" | "PROCESSING" | "COMPLETED";
  shipped: boolean;
  asyncEnd: AsyncEnd;
  asyncDelayMs: number;
}

export interface OrderPlan {
  intent: number;
  chargeSettled: boolean;
}

/** A charge cancelled on its own (not part of an order). */
export interface ChargePlan {
  settled: boolean;
}

export type RequestTrigger = "http" | "bus";

export type Job =
  | { kind: "order"; trigger: RequestTrigger; order: number; key: number; fault?: WriteFault }
  | { kind: "intent"; trigger: RequestTrigger; intent: number; key: number; fault?: WriteFault }
  | { kind: "charge"; trigger: RequestTrigger; charge: number; key: number; fault?: WriteFault }
  | { kind: "sweep"; fault?: WriteFault }
  /** `staleRead`: works from a page of due cancellations an earlier run read (when there is one). */
  | { kind: "continuation"; fault?: WriteFault; staleRead?: number }
  | { kind: "progress"; intent: number }
  | { kind: "tick"; ms: number }
  | { kind: "credentials"; upstream: "procure-core" | "a55"; refused: boolean };

export type RequestJob = Extract<Job, { kind: "order" | "intent" | "charge" }>;

export interface Wave {
  /** Time passing before the wave starts. */
  gapMs: number;
  /** The faults of the wave's upstream calls, in order (the rest go through). */
  faults: Fault[];
  jobs: Job[];
}

export interface Scenario {
  intents: IntentPlan[];
  orders: OrderPlan[];
  charges: ChargePlan[];
  waves: Wave[];
  /** Whether HTTP callers retry, with the same key, requests that did not end. */
  callersRetry: boolean;
}

export interface ScenarioSizes {
  waves: number;
  jobsPerWave: number;
}

/** The model's STUCK limit is 2 h: a long gap crosses it. */
const LONG_GAP = { min: 2 * 3_600_000, max: 3 * 3_600_000 };

const writeFault = fc.option(
  fc.record({
    atWrite: fc.integer({ min: 1, max: 6 }),
    effect: fc.constantFrom<WriteFault["effect"]>(
      "killed",
      "killed-after-write",
      "write-fails",
      "write-lost",
    ),
  }),
  { freq: 3, nil: undefined },
);

const trigger = fc.constantFrom<RequestTrigger>("http", "bus");

const job: fc.Arbitrary<Job> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({
      kind: fc.constant("order" as const),
      trigger,
      order: fc.nat(),
      key: fc.nat(2),
      fault: writeFault,
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant("intent" as const),
      trigger,
      intent: fc.nat(),
      key: fc.nat(1),
      fault: writeFault,
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant("charge" as const),
      trigger,
      charge: fc.nat(),
      key: fc.nat(1),
      fault: writeFault,
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("sweep" as const), fault: writeFault }) },
  {
    weight: 4,
    arbitrary: fc.record(
      {
        kind: fc.constant("continuation" as const),
        fault: writeFault,
        staleRead: fc.option(fc.nat(), { freq: 3, nil: undefined }),
      },
      { requiredKeys: ["kind"] },
    ),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("progress" as const), intent: fc.nat() }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant("tick" as const),
      ms: fc.oneof(fc.integer({ min: 1_000, max: 20 * 60_000 }), fc.integer(LONG_GAP)),
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
);

const gap = fc.oneof(
  { weight: 2, arbitrary: fc.constant(0) },
  { weight: 3, arbitrary: fc.integer({ min: 1_000, max: 20 * 60_000 }) },
  { weight: 1, arbitrary: fc.integer(LONG_GAP) },
);

export const scenario = (sizes: ScenarioSizes): fc.Arbitrary<Scenario> =>
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
      orders: fc.array(fc.record({ intent: fc.nat(), chargeSettled: fc.boolean() }), {
        minLength: 1,
        maxLength: 3,
      }),
      charges: fc.array(fc.record({ settled: fc.boolean() }), { minLength: 1, maxLength: 1 }),
      waves: fc.array(
        fc.record({
          gapMs: gap,
          faults: fc.array(
            fc.constantFrom<Fault>("ok", "ok", "unavailable", "rate-limited", "budget-refused", "lost"),
            {
              maxLength: 6,
            },
          ),
          jobs: fc.array(job, { minLength: 1, maxLength: sizes.jobsPerWave }),
        }),
        { minLength: 1, maxLength: sizes.waves },
      ),
      callersRetry: fc.boolean(),
    })
    .map(({ intents, orders, charges, waves, callersRetry }) => ({
      intents: intents.map((i) => ({ ...i, shipped: i.status === "PROCESSING" && i.shipped })),
      orders: orders.map((o) => ({ ...o, intent: o.intent % intents.length })),
      charges,
      waves: waves.map((wave) => ({
        ...wave,
        jobs: wave.jobs.map((j): Job => {
          switch (j.kind) {
            case "order":
              return { ...j, order: j.order % orders.length };
            case "intent":
            case "progress":
              return { ...j, intent: j.intent % intents.length };
            case "charge":
              return { ...j, charge: j.charge % charges.length };
            default:
              return j;
          }
        }),
      })),
      callersRetry,
    }));
