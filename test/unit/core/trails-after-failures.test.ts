/**
 * A trail ends in the truth after an operational failure is over, and a failure of the
 * store under a request's work writes nothing that would end a trail falsely (both found
 * by the widened lifecycle model, issue 17).
 */
import { describe, expect, it } from "vitest";
import { cancelIntent } from "#core/cancel-intent.ts";
import { cancelOrder } from "#core/cancel-order.ts";
import { runContinuation } from "#core/continuation.ts";
import type { CancelContext } from "#core/dependencies.ts";
import { StoreUnavailableError, UpstreamRateLimitedError } from "#core/errors.ts";
import type { CancellationStore } from "#core/ports.ts";
import { CONTINUATION_OPTIONS, continuationContext } from "#test/support/continuation.ts";
import { inMemoryDependencies } from "#test/support/in-memory-ports.ts";

const WALLET = "f47ac10b-58cc-4372-a567-0e02b2c3d479";
const CHARGE = "a1b2c3d4-e5f6-7890-abcd-ef1234567890";

const context = (key: string, now: number): CancelContext => ({
  trigger: "http",
  actor: "storefront",
  owner: "storefront",
  correlationId: `corr-${key}`,
  deadline: now + 10_000,
  idempotency: { scopeKey: `http:storefront:${key}`, key },
});

describe("an operational failure that is over", () => {
  it("no longer ends the trail: the next clean look records the state the cancellation waits in", async () => {
    // Prepare: an asynchronous intent cancel Procure-Core never finishes; one look is rate limited.
    const t = inMemoryDependencies();
    t.intents.add("p", "PROCESSING");
    await cancelIntent(t.deps, context("k1", t.clock.now()), { intentId: "p" });
    t.intents.failWith = new UpstreamRateLimitedError({
      upstream: "procure-core",
      message: "procure-core: 429",
      retryAfterSeconds: 1,
      source: "upstream",
    });
    t.clock.advance(t.deps.lifecycle.firstCheckAfterMs);
    await runContinuation(t.deps, continuationContext(t.clock.now()), CONTINUATION_OPTIONS);
    t.intents.failWith = undefined;

    // Act: the next look reads the intent, still PROCESSING.
    t.clock.advance(t.deps.lifecycle.maxBackoffMs);
    await runContinuation(t.deps, continuationContext(t.clock.now()), CONTINUATION_OPTIONS);

    // Assess
    expect(t.audit.records.map((r) => [r.outcome, r.state, r.problem])).toEqual([
      ["PENDING", "INTENT_PENDING", undefined],
      ["FAILED", "INTENT_PENDING", "rate-limited"],
      ["PENDING", "INTENT_PENDING", undefined],
    ]);
    const open = await t.cancellations.get("intent", "p");
    expect(open).toMatchObject({ state: "INTENT_PENDING" });
    expect(open?.lastProblem).toBeUndefined();
    // Announced once: the pending state did not change.
    expect(t.events.events.map((e) => e.detailType)).toEqual(["Cancellation Pending"]);
  });
});

describe("the store failing under a request's work", () => {
  it("writes nothing on the trail: a joining request that cannot read the order's cancellation leaves it as it was", async () => {
    // Prepare: the order is cancelled; another key's request cannot read its cancellation.
    const t = inMemoryDependencies();
    t.intents.add("i1", "SUBMITTED");
    t.charges.add(CHARGE, WALLET, "pending");
    const order = { orderId: "o1", intentId: "i1", charge: { chargeUuid: CHARGE, walletUuid: WALLET } };
    await cancelOrder(t.deps, context("k1", t.clock.now()), order);
    const trail = [...t.audit.records];
    const store: CancellationStore = t.cancellations;
    const unreadable: CancellationStore = {
      get: async () => {
        throw new StoreUnavailableError("cancellations", "DynamoDB GetItem throttled");
      },
      due: (now, options) => store.due(now, options),
      listOpen: (options) => store.listOpen(options),
      countOpen: () => store.countOpen(),
    };

    // Act
    const joining = cancelOrder(
      { ...t.deps, cancellations: unreadable },
      context("k2", t.clock.now()),
      order,
    );

    // Assess: the request fails (the caller retries), the order's trail still ends in its outcome.
    await expect(joining).rejects.toBeInstanceOf(StoreUnavailableError);
    expect(t.audit.records).toEqual(trail);
    expect(t.audit.records.filter((r) => r.target.type === "order").at(-1)).toMatchObject({
      outcome: "CANCELLED",
    });
  });
});
