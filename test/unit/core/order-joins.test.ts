/**
 * Another request (another idempotency key) joining an order's cancellation is answered
 * from it, and a final answer only once it is DONE (issue 17, defect 1): a join while the
 * charge is still due (or STUCK there) is PENDING, never the intent step's CANCELLED.
 */
import { describe, expect, it } from "vitest";
import { cancelOrder } from "#core/cancel-order.ts";
import { runContinuation } from "#core/continuation.ts";
import type { CancelContext } from "#core/dependencies.ts";
import { UpstreamError } from "#core/errors.ts";
import { orderResponse } from "#handlers/http/outcome-responses.ts";
import { CONTINUATION_OPTIONS, continuationContext } from "#test/support/continuation.ts";
import { inMemoryDependencies } from "#test/support/in-memory-ports.ts";

const WALLET = "f47ac10b-58cc-4372-a567-0e02b2c3d479";
const CHARGE = "a1b2c3d4-e5f6-7890-abcd-ef1234567890";
const ORDER = { orderId: "o1", intentId: "i1", charge: { chargeUuid: CHARGE, walletUuid: WALLET } };

const context = (key: string, now: number): CancelContext => ({
  trigger: "http",
  actor: "storefront",
  owner: "storefront",
  correlationId: `corr-${key}`,
  deadline: now + 10_000,
  idempotency: { scopeKey: `http:storefront:order:${key}`, key },
});

const a55Down = () =>
  new UpstreamError({ upstream: "a55", retryable: true, message: "A55: 503", httpStatus: 503, attempts: 3 });

/** An order whose intent is cancelled and whose charge cancel met an outage: CHARGE_DUE. */
const orderWaitingOnItsCharge = async () => {
  const t = inMemoryDependencies();
  t.intents.add("i1", "SUBMITTED");
  t.charges.add(CHARGE, WALLET, "pending");
  t.charges.failWith = a55Down();
  const first = await cancelOrder(t.deps, context("k1", t.clock.now()), ORDER);
  expect(first).toMatchObject({ kind: "outcome", outcome: { type: "FAILED", retryable: true } });
  expect(await t.cancellations.get("order", "o1", "storefront")).toMatchObject({ state: "CHARGE_DUE" });
  return t;
};

describe("a request joining an order's cancellation", () => {
  it("is answered PENDING (202, Location) while the charge is due, then the order ends as the charge decides", async () => {
    // Prepare
    const t = await orderWaitingOnItsCharge();

    // Act: another key for the same order, while the charge is still to be cancelled.
    const joined = await cancelOrder(t.deps, context("k2", t.clock.now()), ORDER);

    // Assess: not final; the intent's step is shown, the charge's is not decided yet.
    expect(joined).toMatchObject({
      kind: "outcome",
      outcome: {
        type: "PENDING",
        target: { type: "order", id: "o1" },
        steps: { intent: { type: "CANCELLED" } },
      },
    });
    const outcome = joined.kind === "outcome" ? joined.outcome : undefined;
    expect(outcome?.steps?.charge).toBeUndefined();
    const response = orderResponse(outcome as NonNullable<typeof outcome>);
    expect(response.statusCode).toBe(202);
    expect(response.headers).toMatchObject({ location: "/api/v1/orders/o1/cancellation" });

    // The charge settles before A55 comes back: the order ends REFUND_REQUIRED, which the
    // joining key must never have contradicted; its replay still says PENDING (the status route tells the end).
    t.charges.failWith = undefined;
    t.charges.charges.set(CHARGE, { walletUuid: WALLET, status: "settled" });
    t.clock.advance(20 * 60_000);
    await runContinuation(t.deps, continuationContext(t.clock.now()), CONTINUATION_OPTIONS);
    expect(await t.cancellations.get("order", "o1", "storefront")).toMatchObject({
      state: "DONE",
      outcome: { type: "REFUND_REQUIRED" },
    });
    const replayed = await cancelOrder(t.deps, context("k2", t.clock.now()), ORDER);
    expect(replayed).toMatchObject({ kind: "outcome", replayed: true, outcome: { type: "PENDING" } });
    // A key that joins now, the cancellation DONE, gets the final answer.
    const late = await cancelOrder(t.deps, context("k3", t.clock.now()), ORDER);
    expect(late).toMatchObject({ kind: "outcome", outcome: { type: "REFUND_REQUIRED" } });
  });

  it("is answered PENDING while the order is STUCK waiting on its charge", async () => {
    // Prepare: the outage outlasts the STUCK limit.
    const t = await orderWaitingOnItsCharge();
    t.clock.advance(t.deps.lifecycle.stuckAfterMs);
    await runContinuation(t.deps, continuationContext(t.clock.now()), CONTINUATION_OPTIONS);
    expect(await t.cancellations.get("order", "o1", "storefront")).toMatchObject({
      state: "STUCK",
      stuckIn: "CHARGE_DUE",
    });

    // Act
    const joined = await cancelOrder(t.deps, context("k2", t.clock.now()), ORDER);

    // Assess
    expect(joined).toMatchObject({ kind: "outcome", replayed: false, outcome: { type: "PENDING" } });
    expect(t.charges.effects).toBe(0);
  });
});
