/**
 * A model test of the shared upstream budget's algorithm (functions/adapters/dynamo/
 * upstream-budget.ts over the in-memory ring store, which has DynamoDB's semantics):
 * several containers take slots from one budget's two rings, interactively or in the background,
 * while fast-check draws the rings' bucket size (every slot its own, or buckets of several), when
 * each request starts, its deadline, how long each store round trip
 * takes in each direction (so writes reach the store in another order than their times
 * were read, and some answers come back too late to use), how long each request takes to
 * reach the upstream, and what the item held before (nothing, a sound ring, garbage, a
 * ring of another length, times from a clock far ahead). Time is simulated.
 *
 * Properties, judged as the simulation will judge them (the sandboxes' `RequestRateMeter`,
 * which counts arrivals in a sliding minute):
 * 1. the upstream never sees more than the limit in any sliding minute (prior sends of a
 *    sound ring, and those a damaged item no longer records, included);
 * 2. background requests never exceed the background cap in any sliding minute;
 * 3. no take settles after its deadline (but for one round trip already under way), and
 *    interactive takes never wait for a slot.
 *
 * A failure prints fast-check's seed and path; `BUDGET_MODEL_SEED=<seed>` replays it.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  BACKGROUND_ACTIVE_MS,
  backgroundCapOf,
  budgetShapeOf,
  type RingSize,
  ringSizeOf,
} from "#adapters/budget/budget-ring.ts";
import { ringOfSlotTimes } from "#adapters/budget/ring-health.ts";
import { SharedUpstreamBudget } from "#adapters/budget/shared-upstream-budget.ts";
import { UpstreamRateLimitedError } from "#core/errors.ts";
import type { UpstreamPriority } from "#core/ports.ts";
import { RequestRateMeter } from "#local/sandboxes/rate-limiter.ts";
import { MemoryRingStore, type StoredItem } from "#test/support/memory-ring-store.ts";

const T0 = 1_772_019_000_000;
const MINUTE = 60_000;
const MAX_LATENCY_MS = 600;
const MIN_ATTEMPT_MS = 1_000;
const KEY = { upstream: "a55" as const, client: "model-client" };

/** Timers on a simulated clock: `run` fires them in time order, draining promise chains between each. */
interface Timer {
  at: number;
  seq: number;
  resolve: () => void;
}

class SimulatedTime {
  now = T0;
  #seq = 0;
  readonly #timers: Timer[] = [];

  sleep = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      this.#timers.push({ at: this.now + Math.max(0, ms), seq: this.#seq++, resolve });
    });

  async run(): Promise<void> {
    for (let fired = 0; ; fired++) {
      await new Promise((resolve) => setImmediate(resolve));
      if (this.#timers.length === 0) return;
      if (fired > 200_000) throw new Error("the simulation does not settle");
      this.#timers.sort((a, b) => a.at - b.at || a.seq - b.seq);
      const next = this.#timers.shift() as Timer;
      this.now = Math.max(this.now, next.at);
      next.resolve();
    }
  }
}

const cycle = <T>(values: readonly T[], fallback: T) => {
  let index = 0;
  return (): T => (values.length === 0 ? fallback : (values[index++ % values.length] as T));
};

type Prior =
  | { kind: "absent" }
  | { kind: "sound"; agesMs: number[] }
  /** Something overwrote the ring after real requests went: what it recorded is lost, the requests were not. */
  | { kind: "garbage"; value: unknown; agesMs: number[] }
  | { kind: "other-length"; agesMs: number[] }
  | { kind: "ahead"; aheadMs: number };

/**
 * A scenario's arbitrary. `startAt` draws when each request starts: spread over 150 s, or in a
 * few bursts (crowds of containers asking at the same instants, so takes cross buckets' edges
 * while others are under way).
 */
const scenarioOf = (shape: {
  maxLimit: number;
  maxContainers: number;
  maxTasks: number;
  startAt: fc.Arbitrary<number>;
}) =>
  fc
    .record({
      limit: fc.integer({ min: 1, max: shape.maxLimit }),
      share: fc.constantFrom(0.25, 0.5, 0.6, 0.7, 1),
      // At most this many bucket times a ring: 72 (production's) keeps every slot its own at these
      // limits; 1 to 3 group slots in buckets of up to 8.
      maxBuckets: fc.constantFrom(1, 2, 3, 72),
      marginMs: fc.integer({ min: 100, max: 2_000 }),
      containers: fc.array(fc.constantFrom<UpstreamPriority>("interactive", "background"), {
        minLength: 1,
        maxLength: shape.maxContainers,
      }),
      tasks: fc.array(
        fc.record({
          container: fc.nat(),
          startAt: shape.startAt,
          deadlineAfter: fc.integer({ min: 0, max: 90_000 }),
        }),
        { minLength: 1, maxLength: shape.maxTasks },
      ),
      latencies: fc.array(fc.integer({ min: 0, max: MAX_LATENCY_MS }), { minLength: 1, maxLength: 30 }),
      arrivals: fc.array(fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }), { maxLength: 30 }),
      randoms: fc.array(fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }), { maxLength: 30 }),
      prior: fc.oneof(
        fc.constant<Prior>({ kind: "absent" }),
        fc.record({
          kind: fc.constant("sound" as const),
          agesMs: fc.array(fc.integer({ min: 0, max: 120_000 })),
        }),
        fc.record({
          kind: fc.constant("garbage" as const),
          // Damage of the kind a take's conditional write sees (not numbers where times belong, or
          // no ring at all), so the budget refuses, reads it back and replaces it. A ring overwritten
          // with plausible times in order cannot be told from a real one without reading it before
          // every take (a second round trip); that damage is outside what the budget guarantees.
          value: fc.oneof(
            fc.string(),
            fc
              .array(fc.oneof(fc.string(), fc.double()), { minLength: 1 })
              .filter((v) => v.some((x) => typeof x === "string")),
            fc.constant(undefined),
          ),
          agesMs: fc.array(fc.integer({ min: 0, max: 59_000 }), { maxLength: 8 }),
        }),
        fc.record({
          kind: fc.constant("other-length" as const),
          agesMs: fc.array(fc.integer({ min: 0, max: 120_000 }), { minLength: 1, maxLength: 12 }),
        }),
        fc.record({ kind: fc.constant("ahead" as const), aheadMs: fc.integer({ min: 1_001, max: 600_000 }) }),
      ),
    })
    .map((s) => ({
      ...s,
      tasks: s.tasks.map((task) => ({ ...task, container: task.container % s.containers.length })),
    }));

const scenario = scenarioOf({
  maxLimit: 8,
  maxContainers: 5,
  maxTasks: 40,
  startAt: fc.integer({ min: 0, max: 150_000 }),
});

const crowd = scenarioOf({
  maxLimit: 12,
  maxContainers: 10,
  maxTasks: 80,
  startAt: fc.constantFrom(0, 10, 20_000, 61_000, 61_500, 62_000, 90_000, 123_000),
});

type Scenario = typeof scenario extends fc.Arbitrary<infer T> ? T : never;

/** What the rings held before (as stored), and the requests they stand for that the upstream counts. */
const priorItems = (
  scenario: Scenario,
): { background: StoredItem; interactive: StoredItem | undefined; history: number[] } | undefined => {
  const { prior, limit, share, maxBuckets } = scenario;
  const shape = budgetShapeOf(limit, share, MINUTE + scenario.marginMs, maxBuckets);
  const times = (ages: number[]) => ages.map((age) => T0 - age).sort((a, b) => a - b);
  /** The background ring holds the newest of `all`, the interactive ring the others. */
  const split = (all: number[], background: RingSize, interactive: RingSize | undefined) => ({
    background: ringOfSlotTimes(all.slice(Math.max(0, all.length - background.slots)), background),
    interactive:
      interactive && ringOfSlotTimes(all.slice(0, Math.max(0, all.length - background.slots)), interactive),
  });
  switch (prior.kind) {
    case "absent":
      return undefined;
    case "sound": {
      const all = times(
        [...prior.agesMs, ...Array.from({ length: limit }, () => 10 * MINUTE)].slice(0, limit),
      );
      return { ...split(all, shape.background, shape.interactive), history: all };
    }
    case "garbage": {
      const garbage = { slots: prior.value, bucketTimes: prior.value, newest: prior.value };
      return {
        background: garbage,
        interactive: shape.interactive && garbage,
        history: times(prior.agesMs.slice(0, limit)),
      };
    }
    case "other-length": {
      const all = times(prior.agesMs);
      const half = Math.max(1, Math.ceil(all.length / 2));
      return {
        ...split(all, ringSizeOf(half, maxBuckets), ringSizeOf(all.length + 1, maxBuckets)),
        history: [],
      };
    }
    case "ahead": {
      const ahead = Array.from({ length: limit }, () => T0 + prior.aheadMs);
      return { ...split(ahead, shape.background, shape.interactive), history: [] };
    }
  }
};

interface Settled {
  priority: UpstreamPriority;
  container: number;
  startedAt: number;
  deadline: number;
  settledAt: number;
  sent: boolean;
}

const simulate = async (scenario: Scenario) => {
  const time = new SimulatedTime();
  const latency = cycle(scenario.latencies, 0);
  const store = new MemoryRingStore({ latency: () => time.sleep(latency()) });
  const prior = priorItems(scenario);
  store.seed({ ...KEY, ring: "background" }, prior?.background);
  store.seed({ ...KEY, ring: "interactive" }, prior?.interactive);
  const random = cycle(scenario.randoms, 0.5);
  const budgets = scenario.containers.map(
    () =>
      new SharedUpstreamBudget({
        store,
        perMinute: { a55: scenario.limit, "procure-core": scenario.limit },
        backgroundShare: scenario.share,
        marginMs: scenario.marginMs,
        maxBuckets: scenario.maxBuckets,
        now: () => time.now,
        sleep: (ms) => time.sleep(ms),
        random,
        minAttemptMs: MIN_ATTEMPT_MS,
      }),
  );
  const settled: Settled[] = [];
  const runs = scenario.tasks.map(async (task) => {
    await time.sleep(task.startAt);
    const priority = scenario.containers[task.container] as UpstreamPriority;
    const startedAt = time.now;
    const deadline = startedAt + task.deadlineAfter;
    let sent = false;
    try {
      await (budgets[task.container] as SharedUpstreamBudget).take({ ...KEY, priority, deadline });
      sent = true;
    } catch (error) {
      if (!(error instanceof UpstreamRateLimitedError)) throw error;
      expect(error.source).toBe("budget");
      expect(error.retryAfterSeconds).toBeGreaterThanOrEqual(0);
    }
    settled.push({ priority, container: task.container, startedAt, deadline, settledAt: time.now, sent });
  });
  const all = Promise.all(runs);
  await time.run();
  await all;
  return { settled, budgets, history: prior?.history ?? [] };
};

/** The most arrivals within any sliding minute, as the sandboxes measure it. */
const peakPerMinute = (arrivals: number[]): number => {
  let now = 0;
  const meter = new RequestRateMeter({ now: () => now });
  for (const at of [...arrivals].sort((a, b) => a - b)) {
    now = at;
    meter.record("client");
  }
  return meter.peak("client");
};

const seedOption = process.env.BUDGET_MODEL_SEED ? { seed: Number(process.env.BUDGET_MODEL_SEED) } : {};

/** The properties every scenario must keep (the describe's first test says which). */
const keepsBounds = async (s: Scenario): Promise<void> => {
  // Act
  const { settled, budgets, history } = await simulate(s);

  // Assess
  const arrivalDelay = cycle(s.arrivals, 1);
  const sends = settled.filter((one) => one.sent);
  const arrivals = sends.map((one) => one.settledAt + Math.floor(arrivalDelay() * (s.marginMs / 2)));
  expect(peakPerMinute([...history, ...arrivals])).toBeLessThanOrEqual(s.limit);
  const background = sends.filter((one) => one.priority === "background");
  const backgroundArrivals = background.map(
    (one) => one.settledAt + Math.floor(arrivalDelay() * (s.marginMs / 2)),
  );
  expect(peakPerMinute(backgroundArrivals)).toBeLessThanOrEqual(backgroundCapOf(s.limit, s.share));
  for (const one of settled) {
    // One store round trip may be under way at the deadline; none starts after it.
    expect(one.settledAt).toBeLessThanOrEqual(Math.max(one.deadline, one.startedAt) + 2 * MAX_LATENCY_MS);
  }
  s.containers.forEach((priority, index) => {
    if (priority === "interactive") expect(budgets[index]?.stats.waitedMs).toBe(0);
  });
};

describe("shared upstream budget (model)", () => {
  it("never lets more than the limit (nor background more than its share) arrive in any sliding minute; respects deadlines; never makes interactive work wait", async () => {
    await fc.assert(fc.asyncProperty(scenario, keepsBounds), { numRuns: 300, ...seedOption });
  }, 120_000);

  it("the same for crowds: up to 10 containers asking in bursts, on rings of buckets crossing their edges while takes are under way", async () => {
    await fc.assert(fc.asyncProperty(crowd, keepsBounds), { numRuns: 300, ...seedOption });
  }, 180_000);

  it("drains: a lone background taker with time to wait gets every slot it waits for", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 6 }),
        fc.constantFrom(0.5, 1),
        fc.integer({ min: 1, max: 15 }),
        async (limit, share, requests) => {
          // Prepare: one background container sending `requests` one after another, half an hour to do it.
          const time = new SimulatedTime();
          const store = new MemoryRingStore({ latency: () => time.sleep(5) });
          const budget = new SharedUpstreamBudget({
            store,
            perMinute: { a55: limit, "procure-core": limit },
            backgroundShare: share,
            marginMs: 1_000,
            now: () => time.now,
            sleep: (ms) => time.sleep(ms),
            random: () => 0,
          });
          const sentAt: number[] = [];
          const run = (async () => {
            for (let i = 0; i < requests; i++) {
              await budget.take({ ...KEY, priority: "background", deadline: T0 + 30 * MINUTE });
              sentAt.push(time.now);
            }
          })();

          // Act
          await time.run();
          await run;

          // Assess: every request went, a full background cap per window (the first at once).
          const cap = backgroundCapOf(limit, share);
          expect(sentAt).toHaveLength(requests);
          const windows = Math.floor((requests - 1) / cap);
          expect((sentAt.at(-1) ?? T0) - T0).toBeLessThanOrEqual(windows * (MINUTE + 1_000 + 20 + 20) + 100);
        },
      ),
      { numRuns: 100, ...seedOption },
    );
  });

  it("keeps background work's share when interactive demand is above the limit", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(2, 5, 12, 100),
        fc.constantFrom(0.25, 0.5, 0.6, 0.9),
        fc.double({ min: 1.5, max: 10, noNaN: true }),
        fc.integer({ min: 1, max: 6 }),
        fc.array(fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }), {
          minLength: 1,
          maxLength: 20,
        }),
        async (limit, share, overDemand, backgroundContainers, randoms) => {
          // Prepare: people ask 1.5 to 10 times as often as the limit allows, for 10 windows; background
          // containers send one request after another all along.
          const time = new SimulatedTime();
          const store = new MemoryRingStore({ latency: () => time.sleep(5) });
          const interactiveEveryMs = Math.max(1, Math.round(MINUTE / (limit * overDemand)));
          // Each background request is followed by other work (the cancel itself, the next message),
          // so background work uses slots at three times its share's rate, not at once when they free;
          // each container comes back within BACKGROUND_ACTIVE_MS, as a backlog does (the guarantee is
          // for background work that wants slots: one that comes back less often is not protected
          // in between, ADR 0003).
          const cap = backgroundCapOf(limit, share);
          const workMs = Math.min(
            Math.floor((backgroundContainers * MINUTE) / (3 * cap)),
            BACKGROUND_ACTIVE_MS / 2,
          );
          const random = cycle(randoms, 0);
          const budgetOf = () =>
            new SharedUpstreamBudget({
              store,
              perMinute: { a55: limit, "procure-core": limit },
              backgroundShare: share,
              marginMs: 1_000,
              now: () => time.now,
              sleep: (ms) => time.sleep(ms),
              random,
            });
          const storefront = budgetOf();
          const end = T0 + 10 * MINUTE;
          // Counted from the second window on: in the first, nothing waits yet and people take what they find.
          const from = T0 + MINUTE + 1_000;
          const sent = { interactive: 0, background: 0 };
          const people = (async () => {
            while (time.now < end) {
              await storefront.take({ ...KEY, priority: "interactive", deadline: time.now + 30_000 }).then(
                () => {
                  if (time.now >= from) sent.interactive++;
                },
                (error: unknown) => {
                  if (!(error instanceof UpstreamRateLimitedError)) throw error;
                },
              );
              await time.sleep(interactiveEveryMs);
            }
          })();
          const backlog = Array.from({ length: backgroundContainers }, async () => {
            const bus = budgetOf();
            while (time.now < end) {
              await bus.take({ ...KEY, priority: "background", deadline: time.now + 5 * MINUTE }).then(
                () => {
                  if (time.now >= from) sent.background++;
                },
                (error: unknown) => {
                  if (!(error instanceof UpstreamRateLimitedError)) throw error;
                },
              );
              await time.sleep(workMs);
            }
          });

          // Act
          await time.run();
          await Promise.all([people, ...backlog]);

          // Assess: background work got at least 90% of its share over the last 9 windows, people the rest.
          const windows = (end - from) / (MINUTE + 1_000);
          expect(sent.background).toBeGreaterThanOrEqual(Math.floor(0.9 * cap * windows));
          expect(sent.interactive).toBeGreaterThanOrEqual(Math.floor(0.9 * (limit - cap) * windows));
        },
      ),
      { numRuns: 50, ...seedOption },
    );
  }, 120_000);
});
