/**
 * An upstream effect must not depend on the completing write succeeding (issue 17, defect
 * 4): a single cancel whose attempt acted upstream and then never completed its key (the
 * write failed, or the invocation was killed) is found and finished by the continuation,
 * on every trigger, with its trail and its event, once.
 */
import { describe, expect, it } from "vitest";
import { cancelCharge } from "#core/cancel-charge.ts";
import { cancelIntent } from "#core/cancel-intent.ts";
import { runContinuation } from "#core/continuation.ts";
import type { CancelContext } from "#core/dependencies.ts";
import { StoreUnavailableError } from "#core/errors.ts";
import { runExpirySweep } from "#core/expiry-sweep.ts";
import type { UnitOfWork } from "#core/ports.ts";
import { CONTINUATION_OPTIONS, continuationContext } from "#test/support/continuation.ts";
import { inMemoryDependencies } from "#test/support/in-memory-ports.ts";

const WALLET = "f47ac10b-58cc-4372-a567-0e02b2c3d479";
const CHARGE = "a1b2c3d4-e5f6-7890-abcd-ef1234567890";

type Deps = ReturnType<typeof inMemoryDependencies>;

/** The unit of work with its next finishing write failing (throttled: nothing written). */
const finishFails = (t: Deps): UnitOfWork => {
  const work = t.work;
  let failing = true;
  return {
    releaseAttempt: (lease, request) => work.releaseAttempt(lease, request),
    commitTransition: (transition, audits) => work.commitTransition(transition, audits),
    finishAttempt: async (lease, request) => {
      if (!failing) return work.finishAttempt(lease, request);
      failing = false;
      throw new StoreUnavailableError("idempotency", "DynamoDB TransactWriteItems throttled");
    },
  };
};

const requestContext = (t: Deps, trigger: "http" | "bus", key: string): CancelContext => ({
  trigger,
  actor: trigger === "http" ? "storefront" : "storefront.orders",
  owner: trigger === "http" ? "storefront" : "bus:storefront.orders",
  correlationId: `corr-${key}`,
  deadline: t.clock.now() + 10_000,
  idempotency: { scopeKey: `${trigger}:${key}`, key },
});

/** After the failed attempt's lock and grace: one continuation run. */
const continuationLater = async (t: Deps) => {
  t.clock.advance(10_000 + t.deps.lifecycle.orphanGraceMs + 1);
  return runContinuation(t.deps, continuationContext(t.clock.now()), CONTINUATION_OPTIONS);
};

describe("a single cancel whose completing write failed after the upstream applied it", () => {
  it.each(["http", "bus"] as const)(
    "on %s: the continuation records it, announces it once, and the key replays it",
    async (trigger) => {
      // Prepare
      const t = inMemoryDependencies();
      t.intents.add("i1", "SUBMITTED");
      const context = requestContext(t, trigger, "k1");
      await expect(
        cancelIntent({ ...t.deps, work: finishFails(t) }, context, {
          intentId: "i1",
          reason: "customer asked",
        }),
      ).rejects.toBeInstanceOf(StoreUnavailableError);
      expect(t.intents.effects).toBe(1);
      expect(t.audit.records).toEqual([]);

      // Act
      const run = await continuationLater(t);

      // Assess: the trail and the event say what happened, under the request's identity.
      expect(run).toMatchObject({ takenOver: 1 });
      expect(t.intents.effects).toBe(1);
      expect(t.audit.records).toEqual([
        expect.objectContaining({
          target: { type: "intent", id: "i1" },
          outcome: "CANCELLED",
          trigger,
          idempotencyKey: "k1",
          correlationId: "corr-k1",
          via: "continuation",
          event: "Cancellation Succeeded",
        }),
      ]);
      expect(t.events.events).toHaveLength(1);
      const retried = await cancelIntent(
        t.deps,
        { ...context, deadline: t.clock.now() + 10_000 },
        {
          intentId: "i1",
          reason: "customer asked",
        },
      );
      expect(retried).toMatchObject({ replayed: true, outcome: { type: "CANCELLED" } });
      expect((await continuationLater(t)).takenOver).toBe(0);
    },
  );

  it("on the sweep: the next sweep never sees the intent again, the continuation finishes it", async () => {
    // Prepare: an expired SUBMITTED intent; the sweep cancels it, then its completing write fails.
    const t = inMemoryDependencies();
    t.intents.add("i1", "SUBMITTED", { createdAt: "2026-11-20T10:00:00.000Z" });
    const sweep = (work: UnitOfWork) =>
      runExpirySweep(
        { ...t.deps, work },
        {
          trigger: "schedule",
          actor: "expiry-sweep",
          owner: "schedule:expiry-sweep",
          correlationId: "sweep-run",
          deadline: t.clock.now() + 10_000,
        },
        { expiryAfterMs: 24 * 3_600_000, concurrency: 1, pageSize: 10, dryRun: false, stopMarginMs: 1_000 },
      );
    await expect(sweep(finishFails(t))).rejects.toBeInstanceOf(StoreUnavailableError);
    expect(t.intents.effects).toBe(1);
    expect(await sweep(t.work)).toMatchObject({ scanned: 0 });

    // Act
    await continuationLater(t);

    // Assess
    expect(t.audit.records).toEqual([
      expect.objectContaining({
        outcome: "CANCELLED",
        trigger: "schedule",
        via: "continuation",
        event: "Cancellation Succeeded",
      }),
    ]);
    expect(t.intents.effects).toBe(1);
  });

  it("a charge: the continuation resends with the request's own A55 key, so A55 applies it once", async () => {
    const t = inMemoryDependencies();
    t.charges.add(CHARGE, WALLET, "pending");
    await expect(
      cancelCharge({ ...t.deps, work: finishFails(t) }, requestContext(t, "http", "k9"), {
        chargeUuid: CHARGE,
        walletUuid: WALLET,
      }),
    ).rejects.toBeInstanceOf(StoreUnavailableError);

    await continuationLater(t);

    expect(t.charges.effects).toBe(1);
    expect(new Set(t.charges.calls.map((c) => c.idempotencyKey))).toEqual(
      new Set([t.ids.derived("http:k9")]),
    );
    expect(t.events.events.map((e) => [e.detailType, e.detail.idempotencyKey])).toEqual([
      ["Cancellation Succeeded", "k9"],
    ]);
  });
});

describe("a single cancel whose invocation was killed after the upstream applied it", () => {
  it("is finished by the continuation once its lock is over, not before", async () => {
    // Prepare: the process dies between the upstream call and its completing write.
    const t = inMemoryDependencies();
    t.intents.add("i1", "SUBMITTED");
    const work = t.work;
    const killed: UnitOfWork = {
      releaseAttempt: (lease, request) => work.releaseAttempt(lease, request),
      commitTransition: (transition, audits) => work.commitTransition(transition, audits),
      finishAttempt: () => new Promise(() => {}),
    };
    void cancelIntent({ ...t.deps, work: killed }, requestContext(t, "bus", "k3"), { intentId: "i1" });
    await new Promise((resolve) => setImmediate(resolve));
    expect(t.intents.effects).toBe(1);

    // Act: a run while the attempt's lock still holds, then one after it.
    const early = await runContinuation(t.deps, continuationContext(t.clock.now()), CONTINUATION_OPTIONS);
    const later = await continuationLater(t);

    // Assess
    expect(early.takenOver).toBe(0);
    expect(later.takenOver).toBe(1);
    expect(t.events.events.map((e) => e.detailType)).toEqual(["Cancellation Succeeded"]);
  });
});
