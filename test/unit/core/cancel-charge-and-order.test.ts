import { describe, expect, it } from "vitest";
import { cancelCharge } from "#core/cancel-charge.ts";
import { cancelOrder } from "#core/cancel-order.ts";
import { runContinuation } from "#core/continuation.ts";
import type { CancelContext } from "#core/dependencies.ts";
import { UpstreamRateLimitedError } from "#core/errors.ts";
import { CONTINUATION_OPTIONS, continuationContext } from "#test/support/continuation.ts";
import { inMemoryDependencies } from "#test/support/in-memory-ports.ts";

const WALLET = "f47ac10b-58cc-4372-a567-0e02b2c3d479";
const CHARGE = "a1b2c3d4-e5f6-7890-abcd-ef1234567890";

const context = (scopeKey: string, now: number): CancelContext => ({
  trigger: "http",
  actor: "storefront",
  owner: "storefront",
  correlationId: "corr-1",
  deadline: now + 10_000,
  idempotency: { scopeKey, key: "k" },
});

const outcomeOf = (result: Awaited<ReturnType<typeof cancelCharge>>) =>
  result.kind === "outcome" ? result.outcome : undefined;

describe("cancelCharge", () => {
  it("cancels a pending charge with an A55 key derived from the scope", async () => {
    const t = inMemoryDependencies();
    t.charges.add(CHARGE, WALLET, "pending");
    const result = await cancelCharge(t.deps, context("http:tok:charge:k", t.clock.now()), {
      chargeUuid: CHARGE,
      walletUuid: WALLET,
    });
    expect(outcomeOf(result)).toMatchObject({ type: "CANCELLED", charge: { status: "canceled" } });
    expect(t.charges.calls[0]?.idempotencyKey).toBe(t.ids.derived("http:tok:charge:k"));
  });

  it("treats already canceled as success and settled as REFUND_REQUIRED", async () => {
    const t = inMemoryDependencies();
    t.charges.add("c0ffee00-0000-4000-8000-000000000002", WALLET, "canceled");
    t.charges.add("c0ffee00-0000-4000-8000-000000000001", WALLET, "settled");
    const already = await cancelCharge(t.deps, context("a", t.clock.now()), {
      chargeUuid: "c0ffee00-0000-4000-8000-000000000002",
      walletUuid: WALLET,
    });
    const settled = await cancelCharge(t.deps, context("b", t.clock.now()), {
      chargeUuid: "c0ffee00-0000-4000-8000-000000000001",
      walletUuid: WALLET,
    });
    expect(outcomeOf(already)?.type).toBe("ALREADY_CANCELLED");
    expect(outcomeOf(settled)).toMatchObject({
      type: "REFUND_REQUIRED",
      reason: expect.stringContaining("CANCEL_NOT_ALLOWED"),
    });
    expect(t.events.events.map((e) => e.detailType)).toEqual(["Cancellation Succeeded", "Refund Required"]);
  });

  it("converges after a crash: the retry reuses the derived key, so A55 applies it once", async () => {
    const t = inMemoryDependencies();
    t.charges.add(CHARGE, WALLET, "pending");
    const ctx = context("http:tok:charge:k", t.clock.now());
    await t.idempotency.begin({
      scopeKey: "http:tok:charge:k",
      payload: { chargeUuid: CHARGE, walletUuid: WALLET, reason: null },
      now: t.clock.now(),
      lockUntil: ctx.deadline,
    });
    await t.charges.cancelCharge({
      chargeUuid: CHARGE,
      walletUuid: WALLET,
      idempotencyKey: t.ids.derived("http:tok:charge:k"),
    });
    t.clock.advance(11_000);
    const retried = await cancelCharge(
      t.deps,
      { ...ctx, deadline: t.clock.now() + 10_000 },
      { chargeUuid: CHARGE, walletUuid: WALLET },
    );
    expect(outcomeOf(retried)?.type).toBe("CANCELLED");
    expect(t.charges.effects).toBe(1);
    expect(new Set(t.charges.calls.map((c) => c.idempotencyKey)).size).toBe(1);
  });

  it("a retry of a cancel the continuation has finished meanwhile answers from it, sending nothing upstream", async () => {
    // Prepare: the first attempt is refused by the budget; its cancellation is left open and the continuation finishes it.
    const t = inMemoryDependencies();
    t.charges.add(CHARGE, WALLET, "pending");
    t.charges.failWith = new UpstreamRateLimitedError({
      upstream: "a55",
      retryable: true,
      source: "budget",
      retryAfterSeconds: 30,
      message: "The shared request budget for a55 is spent",
    });
    const first = await cancelCharge(t.deps, context("bus:k", t.clock.now()), {
      chargeUuid: CHARGE,
      walletUuid: WALLET,
    });
    t.charges.failWith = undefined;
    t.clock.advance(20 * 60_000);
    await runContinuation(t.deps, continuationContext(t.clock.now()), CONTINUATION_OPTIONS);
    const callsBefore = t.charges.calls.length;

    // Act: the platform redelivers the request.
    const retried = await cancelCharge(t.deps, context("bus:k", t.clock.now()), {
      chargeUuid: CHARGE,
      walletUuid: WALLET,
    });

    // Assess
    expect(outcomeOf(first)).toMatchObject({ type: "FAILED", retryable: true });
    expect(outcomeOf(retried)).toMatchObject({ type: "CANCELLED" });
    expect(t.charges.calls.length).toBe(callsBefore);
    expect(t.charges.effects).toBe(1);
    expect(t.events.events.map((e) => e.detailType)).toEqual(["Cancellation Succeeded"]);
  });
});

describe("cancelOrder", () => {
  it("cancels the intent, then the charge", async () => {
    const t = inMemoryDependencies();
    t.intents.add("i1", "SUBMITTED");
    t.charges.add(CHARGE, WALLET, "pending");
    const result = await cancelOrder(t.deps, context("order:o1", t.clock.now()), {
      orderId: "o1",
      intentId: "i1",
      charge: { chargeUuid: CHARGE, walletUuid: WALLET },
    });
    expect(outcomeOf(result)).toMatchObject({
      type: "CANCELLED",
      target: { type: "order", id: "o1" },
      steps: { intent: { type: "CANCELLED" }, charge: { type: "CANCELLED" } },
    });
    // The order's cancellation is recorded before any upstream call (REQUESTED); each target's
    // own trail shows the order's step, written with the order's final record.
    expect(t.audit.records.map((r) => [r.target.type, r.target.id, r.outcome])).toEqual([
      ["order", "o1", "PENDING"],
      ["order", "o1", "CANCELLED"],
      ["intent", "i1", "CANCELLED"],
      ["charge", CHARGE, "CANCELLED"],
    ]);
  });

  it("leaves the charge alone when the intent completed: a return/refund is needed", async () => {
    const t = inMemoryDependencies();
    t.intents.add("i1", "COMPLETED");
    t.charges.add(CHARGE, WALLET, "pending");
    const result = await cancelOrder(t.deps, context("order:o1", t.clock.now()), {
      orderId: "o1",
      intentId: "i1",
      charge: { chargeUuid: CHARGE, walletUuid: WALLET },
    });
    expect(outcomeOf(result)).toMatchObject({
      type: "NOT_CANCELLABLE",
      currentStatus: "COMPLETED",
      advice: expect.stringMatching(/return\/refund/),
    });
    expect(t.charges.calls).toEqual([]);
  });

  it("leaves the charge alone when the intent shipped", async () => {
    const t = inMemoryDependencies();
    t.intents.add("i1", "PROCESSING", { shipped: true });
    t.charges.add(CHARGE, WALLET, "pending");
    const result = await cancelOrder(t.deps, context("order:o1", t.clock.now()), {
      orderId: "o1",
      intentId: "i1",
      charge: { chargeUuid: CHARGE, walletUuid: WALLET },
    });
    expect(outcomeOf(result)).toMatchObject({
      type: "FAILED",
      retryable: false,
      steps: { chargeSkipped: expect.stringMatching(/return\/refund/) },
    });
    expect(t.charges.calls).toEqual([]);
  });

  it("is REFUND_REQUIRED when the intent is cancelled and the charge settled", async () => {
    const t = inMemoryDependencies();
    t.intents.add("i1", "SUBMITTED");
    t.charges.add(CHARGE, WALLET, "settled");
    const result = await cancelOrder(t.deps, context("order:o1", t.clock.now()), {
      orderId: "o1",
      intentId: "i1",
      charge: { chargeUuid: CHARGE, walletUuid: WALLET },
    });
    expect(outcomeOf(result)).toMatchObject({
      type: "REFUND_REQUIRED",
      steps: { intent: { type: "CANCELLED" } },
    });
  });

  it("defers the charge while the intent's cancel is pending, then the continuation cancels it", async () => {
    const t = inMemoryDependencies();
    t.intents.add("i1", "PROCESSING");
    t.charges.add(CHARGE, WALLET, "pending");
    const result = await cancelOrder(t.deps, context("order:o1", t.clock.now()), {
      orderId: "o1",
      intentId: "i1",
      charge: { chargeUuid: CHARGE, walletUuid: WALLET },
    });
    expect(outcomeOf(result)).toMatchObject({
      type: "PENDING",
      steps: { chargeSkipped: expect.any(String) },
    });
    expect(t.charges.calls).toEqual([]);

    t.intents.finishPending();
    t.clock.advance(t.deps.lifecycle.firstCheckAfterMs);
    const summary = await runContinuation(t.deps, continuationContext(t.clock.now()), CONTINUATION_OPTIONS);
    expect(summary).toMatchObject({ checked: 1, finished: 1 });
    expect(t.charges.effects).toBe(1);
    expect(t.charges.calls[0]?.idempotencyKey).toBe(t.ids.derived("order:o1#charge"));
  });
});
