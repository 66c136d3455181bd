import { describe, expect, it } from "vitest";
import { StoreUnavailableError, UpstreamRateLimitedError } from "#core/errors.ts";
import { runExpirySweep, type SweepOptions, selectExpiredIntents } from "#core/expiry-sweep.ts";
import { inMemoryDependencies } from "#test/support/in-memory-ports.ts";

const HOUR = 3600_000;
const options: SweepOptions = {
  expiryAfterMs: 24 * HOUR,
  concurrency: 4,
  pageSize: 10,
  dryRun: false,
  stopMarginMs: 1_000,
};

const seed = (t: ReturnType<typeof inMemoryDependencies>, expired: number, young: number) => {
  const now = t.clock.now();
  for (let i = 0; i < expired; i++) {
    t.intents.add(`old_${String(i).padStart(3, "0")}`, "SUBMITTED", {
      createdAt: new Date(now - 48 * HOUR + i * 1000).toISOString(),
    });
  }
  for (let i = 0; i < young; i++) {
    t.intents.add(`young_${i}`, "SUBMITTED", { createdAt: new Date(now - HOUR + i * 1000).toISOString() });
  }
};

const context = (now: number, budgetMs = 60_000) => ({
  trigger: "schedule" as const,
  actor: "expiry-sweep",
  owner: "schedule:expiry-sweep",
  correlationId: "sweep-1",
  deadline: now + budgetMs,
});

describe("selectExpiredIntents", () => {
  it("keeps the expired ones and stops at the first younger one", () => {
    const now = Date.parse("2026-11-23T10:00:00Z");
    const at = (hoursAgo: number) => ({
      id: `h${hoursAgo}`,
      status: "SUBMITTED",
      createdAt: new Date(now - hoursAgo * HOUR).toISOString(),
      updatedAt: "",
      cancelledAt: null,
    });
    const result = selectExpiredIntents([at(50), at(25), at(24), at(30)], now, 24 * HOUR);
    expect(result.expired.map((i) => i.id)).toEqual(["h50", "h25"]);
    expect(result.reachedYounger).toBe(true);
  });
});

describe("runExpirySweep", () => {
  it("cancels every expired intent across pages and leaves the young ones", async () => {
    const t = inMemoryDependencies();
    seed(t, 25, 5);
    const summary = await runExpirySweep(t.deps, context(t.clock.now()), options);
    expect(summary).toMatchObject({ scanned: 25, cancelled: 25, failed: 0, skipped: 0, stoppedEarly: false });
    expect(t.intents.effects).toBe(25);
    expect(
      [...t.intents.intents.values()]
        .filter((i) => i.status === "SUBMITTED")
        .map((i) => i.id)
        .sort(),
    ).toEqual(["young_0", "young_1", "young_2", "young_3", "young_4"]);
  });

  it("stops early once a cancel is rate limited (no slot before the deadline): the rest of the queue is not failed one by one", async () => {
    // Prepare: every cancel is refused by the shared upstream budget; the listing still works.
    const t = inMemoryDependencies();
    seed(t, 25, 0);
    const refused = () =>
      new UpstreamRateLimitedError({
        upstream: "procure-core",
        retryable: true,
        source: "budget",
        retryAfterSeconds: 42,
        message: "spent",
      });
    const deps = {
      ...t.deps,
      intents: {
        listIntents: t.intents.listIntents.bind(t.intents),
        getIntent: t.intents.getIntent.bind(t.intents),
        cancelIntent: async () => {
          throw refused();
        },
      },
    };

    // Act
    const summary = await runExpirySweep(deps, context(t.clock.now()), options);

    // Assess: only the cancels already under way (one per worker) failed; nothing was sent.
    expect(summary.stoppedEarly).toBe(true);
    expect(summary.failed).toBeGreaterThanOrEqual(1);
    expect(summary.failed).toBeLessThanOrEqual(options.concurrency);
    expect(summary.cancelled).toBe(0);
    expect(t.intents.effects).toBe(0);
  });

  it("changes nothing in a dry run", async () => {
    const t = inMemoryDependencies();
    seed(t, 25, 5);
    const summary = await runExpirySweep(t.deps, context(t.clock.now()), { ...options, dryRun: true });
    expect(summary).toMatchObject({ dryRun: true, scanned: 25, wouldCancel: 25, cancelled: 0 });
    expect(t.intents.effects).toBe(0);
  });

  it("counts intents another run already cancelled as skipped", async () => {
    const t = inMemoryDependencies();
    seed(t, 3, 0);
    await runExpirySweep(t.deps, context(t.clock.now()), options);
    // A second sweep over the same intents (say, listed before the first finished) replays.
    for (const intent of t.intents.intents.values()) intent.status = "SUBMITTED";
    const second = await runExpirySweep(t.deps, context(t.clock.now()), options);
    expect(second).toMatchObject({ scanned: 3, skipped: 3, cancelled: 0 });
    expect(t.intents.effects).toBe(3);
  });

  it("starts nothing new once the deadline is near", async () => {
    const t = inMemoryDependencies();
    seed(t, 10, 0);
    const summary = await runExpirySweep(t.deps, context(t.clock.now(), 500), options);
    expect(summary).toMatchObject({ cancelled: 0, stoppedEarly: true });
    expect(t.intents.effects).toBe(0);
  });

  it("stops every worker and rethrows when the store fails", async () => {
    const t = inMemoryDependencies();
    seed(t, 10, 0);
    t.idempotency.failWith = new StoreUnavailableError("idempotency", "down");
    await expect(runExpirySweep(t.deps, context(t.clock.now()), options)).rejects.toBeInstanceOf(
      StoreUnavailableError,
    );
    expect(t.intents.effects).toBe(0);
  });
});
