import { describe, expect, it } from "vitest";
import { cancelIntent } from "#core/cancel-intent.ts";
import { cancelOrder } from "#core/cancel-order.ts";
import { nextCheckAfter } from "#core/cancellation.ts";
import { runContinuation } from "#core/continuation.ts";
import type { CancelContext } from "#core/dependencies.ts";
import { UpstreamError } from "#core/errors.ts";
import { CONTINUATION_OPTIONS, continuationContext } from "#test/support/continuation.ts";
import { inMemoryDependencies } from "#test/support/in-memory-ports.ts";

const WALLET = "f47ac10b-58cc-4372-a567-0e02b2c3d479";
const MINUTE = 60_000;
const POLICY = {
  firstCheckAfterMs: MINUTE,
  maxBackoffMs: 16 * MINUTE,
  stuckAfterMs: 60 * MINUTE,
  orphanGraceMs: 5_000,
};

const request = (scopeKey: string, now: number): CancelContext => ({
  trigger: "http",
  actor: "storefront",
  owner: "storefront",
  correlationId: `corr-${scopeKey}`,
  deadline: now + 10_000,
  idempotency: { scopeKey, key: scopeKey },
});

/** `n` orders, each waiting on its own PROCESSING intent, opened one second apart (oldest first). */
const openOrders = async (t: ReturnType<typeof inMemoryDependencies>, n: number) => {
  for (let i = 0; i < n; i++) {
    const charge = `c0ffee00-0000-4000-8000-${String(i).padStart(12, "0")}`;
    t.intents.add(`i${i}`, "PROCESSING");
    t.charges.add(charge, WALLET, "pending");
    await cancelOrder(t.deps, request(`k${i}`, t.clock.now()), {
      orderId: `o${i}`,
      intentId: `i${i}`,
      charge: { chargeUuid: charge, walletUuid: WALLET },
    });
    t.clock.advance(1_000);
  }
};

describe("runContinuation", () => {
  it("a) works oldest-due first and stops before its deadline, leaving the rest to the next run", async () => {
    // Prepare: a backlog; each look costs 2 s of upstream time, the run has 7 s.
    const t = inMemoryDependencies(POLICY);
    await openOrders(t, 6);
    t.intents.finishPending();
    t.clock.advance(POLICY.firstCheckAfterMs);
    const slowRead = t.intents.getIntent.bind(t.intents);
    t.intents.getIntent = async (id) => {
      t.clock.advance(2_000);
      return slowRead(id);
    };
    const context = { ...continuationContext(t.clock.now()), deadline: t.clock.now() + 7_000 };

    // Act
    const first = await runContinuation(t.deps, context, { ...CONTINUATION_OPTIONS, concurrency: 1 });

    // Assess: the oldest three finished, in order; the run stopped early and says so.
    expect(first).toMatchObject({ checked: 3, finished: 3, stoppedEarly: true });
    const done = async () =>
      (
        await Promise.all(
          ["o0", "o1", "o2", "o3", "o4", "o5"].map((id) => t.cancellations.get("order", id, "storefront")),
        )
      ).map((c) => c?.state);
    expect(await done()).toEqual([
      "DONE",
      "DONE",
      "DONE",
      "INTENT_PENDING",
      "INTENT_PENDING",
      "INTENT_PENDING",
    ]);

    // Act 2: the next run finishes the rest.
    const second = await runContinuation(t.deps, continuationContext(t.clock.now()), CONTINUATION_OPTIONS);
    expect(second).toMatchObject({ finished: 3, stoppedEarly: false });
    expect(await done()).toEqual(["DONE", "DONE", "DONE", "DONE", "DONE", "DONE"]);
    expect(t.charges.effects).toBe(6);
  });

  it("a) backs off per entry while the intent is still PROCESSING, and never waits past the STUCK limit", async () => {
    // Prepare
    const t = inMemoryDependencies(POLICY);
    await openOrders(t, 1);
    const looks: number[] = [];

    // Act: run every minute for two hours of PROCESSING.
    for (let minute = 0; minute < 120; minute++) {
      t.clock.advance(MINUTE);
      const run = await runContinuation(t.deps, continuationContext(t.clock.now()), CONTINUATION_OPTIONS);
      if (run.checked > 0) looks.push(minute + 1);
    }

    // Assess: looks at 1, 3, 7, 15, 31 minutes (doubling), then capped, and STUCK at 60.
    const gaps = looks.slice(1).map((at, i) => at - (looks[i] ?? 0));
    expect(gaps.slice(0, 4)).toEqual([2, 4, 8, 16]);
    expect(Math.max(...gaps)).toBeLessThanOrEqual(POLICY.maxBackoffMs / MINUTE + 1);
    const order = await t.cancellations.get("order", "o0", "storefront");
    expect(order).toMatchObject({ state: "STUCK", stuckIn: "INTENT_PENDING" });
    expect(t.events.events.map((e) => [e.detailType, e.detail.state])).toEqual([
      ["Cancellation Pending", "INTENT_PENDING"],
      ["Cancellation Stuck", "STUCK"],
    ]);
    // The order was opened 1 s before the first run: its limit falls just before the 60th minute's run.
    expect(looks).toContain(60);
  });

  it("a) a STUCK cancellation is still finished when its intent finally ends", async () => {
    // Prepare
    const t = inMemoryDependencies(POLICY);
    await openOrders(t, 1);
    t.clock.advance(POLICY.stuckAfterMs + MINUTE);
    await runContinuation(t.deps, continuationContext(t.clock.now()), CONTINUATION_OPTIONS);
    expect((await t.cancellations.get("order", "o0", "storefront"))?.state).toBe("STUCK");

    // Act
    t.intents.finishPending();
    t.clock.advance(POLICY.maxBackoffMs);
    const run = await runContinuation(t.deps, continuationContext(t.clock.now()), CONTINUATION_OPTIONS);

    // Assess
    expect(run).toMatchObject({ finished: 1 });
    expect(await t.cancellations.get("order", "o0", "storefront")).toMatchObject({
      state: "DONE",
      outcome: { type: "CANCELLED" },
    });
    expect(t.charges.effects).toBe(1);
  });

  it("an operational failure is recorded once, retried at the next check, and never becomes the outcome", async () => {
    // Prepare
    const t = inMemoryDependencies(POLICY);
    await openOrders(t, 1);
    t.intents.finishPending();
    t.charges.failWith = new UpstreamError({
      upstream: "a55",
      retryable: true,
      message: "A55 500",
      httpStatus: 500,
    });

    // Act: three looks while A55 is down, then it is back.
    for (let i = 0; i < 3; i++) {
      t.clock.advance(POLICY.maxBackoffMs);
      await runContinuation(t.deps, continuationContext(t.clock.now()), CONTINUATION_OPTIONS);
    }
    const during = await t.cancellations.get("order", "o0", "storefront");
    t.charges.failWith = undefined;
    t.clock.advance(POLICY.maxBackoffMs);
    await runContinuation(t.deps, continuationContext(t.clock.now()), CONTINUATION_OPTIONS);

    // Assess
    expect(during).toMatchObject({ state: "CHARGE_DUE", lastProblem: { problem: "unavailable" } });
    const orderTrail = t.audit.records
      .filter((r) => r.target.type === "order")
      .map((r) => [r.outcome, r.state]);
    expect(orderTrail).toEqual([
      ["PENDING", "REQUESTED"],
      ["PENDING", "INTENT_PENDING"],
      ["FAILED", "CHARGE_DUE"],
      ["CANCELLED", undefined],
    ]);
    expect(await t.cancellations.get("order", "o0", "storefront")).toMatchObject({
      state: "DONE",
      outcome: { type: "CANCELLED" },
    });
  });

  it("a single cancel stopped by an operational failure is left open with its problem, and finished later", async () => {
    // Prepare
    const t = inMemoryDependencies(POLICY);
    t.intents.add("s", "SUBMITTED");
    t.intents.failWith = new UpstreamError({
      upstream: "procure-core",
      retryable: true,
      message: "Procure-Core answered HTTP 500",
      httpStatus: 500,
    });

    // Act
    const answer = await cancelIntent(t.deps, request("ks", t.clock.now()), { intentId: "s" });
    const open = await t.cancellations.get("intent", "s");
    t.intents.failWith = undefined;
    t.clock.advance(POLICY.firstCheckAfterMs + 10_000);
    await runContinuation(t.deps, continuationContext(t.clock.now()), CONTINUATION_OPTIONS);

    // Assess
    expect(answer).toMatchObject({ kind: "outcome", outcome: { type: "FAILED", retryable: true } });
    expect(open).toMatchObject({
      state: "REQUESTED",
      lastProblem: { problem: "unavailable", reason: expect.stringContaining("HTTP 500") },
    });
    expect(await t.cancellations.get("intent", "s")).toMatchObject({
      state: "DONE",
      outcome: { type: "CANCELLED" },
    });
  });

  it("an asynchronous intent cancel (no order) is finished and announced under the intent", async () => {
    const t = inMemoryDependencies(POLICY);
    t.intents.add("p", "PROCESSING");
    await cancelIntent(t.deps, request("kp", t.clock.now()), { intentId: "p" });
    t.intents.finishPending();
    t.clock.advance(POLICY.firstCheckAfterMs);

    await runContinuation(t.deps, continuationContext(t.clock.now()), CONTINUATION_OPTIONS);

    expect(await t.cancellations.get("intent", "p")).toMatchObject({
      state: "DONE",
      outcome: { type: "CANCELLED" },
    });
    expect(t.events.events.map((e) => [e.detailType, e.detail.target.id])).toEqual([
      ["Cancellation Pending", "p"],
      ["Cancellation Succeeded", "p"],
    ]);
  });
});

describe("nextCheckAfter", () => {
  it("doubles from the first delay, is capped, and is never later than the STUCK limit", () => {
    const base = {
      kind: "order" as const,
      id: "o",
      state: "INTENT_PENDING" as const,
      version: 1,
      request: {
        trigger: "http" as const,
        actor: "a",
        correlationId: "c",
        scopeKey: "k",
        requestedAt: new Date(0).toISOString(),
      },
      steps: {},
      updatedAt: new Date(0).toISOString(),
    };
    const at = (checks: number, now: number) => nextCheckAfter({ ...base, checks }, now, POLICY) - now;
    expect([0, 1, 2, 3, 4, 5, 10].map((checks) => at(checks, 0) / MINUTE)).toEqual([1, 2, 4, 8, 16, 16, 16]);
    expect(at(4, 50 * MINUTE)).toBe(10 * MINUTE);
    expect(nextCheckAfter({ ...base, state: "STUCK", checks: 0 }, 0, POLICY)).toBe(POLICY.maxBackoffMs);
  });
});
