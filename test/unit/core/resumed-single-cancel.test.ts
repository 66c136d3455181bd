/**
 * A resumed single cancel (a caller's retry, a bus redelivery, a later sweep) overlapping
 * the continuation finishing the same cancellation announces its outcome once: the
 * continuation's event, never a second one with another eventId (issue 17, defect 2).
 */
import { describe, expect, it } from "vitest";
import { cancelCharge } from "#core/cancel-charge.ts";
import { cancelIntent } from "#core/cancel-intent.ts";
import { DEFAULT_LIFECYCLE_POLICY } from "#core/cancellation.ts";
import { runContinuation } from "#core/continuation.ts";
import type { CancelContext } from "#core/dependencies.ts";
import { UpstreamError } from "#core/errors.ts";
import type { UnitOfWork } from "#core/ports.ts";
import { CONTINUATION_OPTIONS, continuationContext } from "#test/support/continuation.ts";
import { inMemoryDependencies } from "#test/support/in-memory-ports.ts";

const WALLET = "f47ac10b-58cc-4372-a567-0e02b2c3d479";
const CHARGE = "a1b2c3d4-e5f6-7890-abcd-ef1234567890";

type Deps = ReturnType<typeof inMemoryDependencies>;

/** The request on each trigger: its scope and the context it runs in. */
const TRIGGERS = [
  { trigger: "http", scopeKey: "http:storefront:POST /api/v1/intents/i1/cancel:k1", key: "k1" },
  { trigger: "bus", scopeKey: "bus:k1", key: "k1" },
  { trigger: "schedule", scopeKey: "sweep:i1", key: undefined },
] as const;

const contextOf = (t: Deps, request: (typeof TRIGGERS)[number]): CancelContext => ({
  trigger: request.trigger,
  actor: request.trigger === "schedule" ? "expiry-sweep" : "storefront",
  owner:
    request.trigger === "schedule"
      ? "schedule:expiry-sweep"
      : request.trigger === "bus"
        ? "bus:storefront.orders"
        : "storefront",
  correlationId: `corr-${t.clock.now()}`,
  deadline: t.clock.now() + 10_000,
  idempotency: { scopeKey: request.scopeKey, ...(request.key && { key: request.key }) },
});

const unavailable = (upstream: "procure-core" | "a55") =>
  new UpstreamError({ upstream, retryable: true, message: `${upstream}: 503`, httpStatus: 503, attempts: 3 });

/** Runs the continuation once, `at` the moment `hook` is first called (then lets the call through). */
const continuationDuring = (t: Deps) => async () => {
  t.clock.advance(1_000);
  await runContinuation(t.deps, continuationContext(t.clock.now()), CONTINUATION_OPTIONS);
};

/** A first attempt stopped by an outage before Procure-Core applied it: its cancellation is left REQUESTED. */
const intentLeftOpen = async (request: (typeof TRIGGERS)[number]) => {
  const t = inMemoryDependencies();
  t.intents.add("i1", "SUBMITTED");
  t.intents.failWith = unavailable("procure-core");
  const first = await cancelIntent(t.deps, contextOf(t, request), { intentId: "i1" });
  expect(first).toMatchObject({ kind: "outcome", outcome: { type: "FAILED", retryable: true } });
  t.intents.failWith = undefined;
  t.clock.advance(20 * 60_000);
  return t;
};

const finalEvents = (t: Deps) =>
  t.events.events.filter(
    (e) => e.detailType !== "Cancellation Pending" && e.detailType !== "Cancellation Stuck",
  );

describe.each(TRIGGERS)("a resumed single cancel on $trigger", (request) => {
  it("overlapping the continuation as it finishes the cancellation: one Succeeded event, the continuation's", async () => {
    // Prepare: the retry's first call to Procure-Core lets the continuation run to the end first.
    const t = await intentLeftOpen(request);
    const cancelUpstream = t.intents.cancelIntent.bind(t.intents);
    let overlap: (() => Promise<void>) | undefined = continuationDuring(t);
    t.intents.cancelIntent = async (id: string) => {
      const run = overlap;
      overlap = undefined;
      await run?.();
      return cancelUpstream(id);
    };

    // Act
    const retried = await cancelIntent(t.deps, contextOf(t, request), { intentId: "i1" });

    // Assess
    expect(retried).toMatchObject({ kind: "outcome", outcome: { type: "CANCELLED" } });
    expect(t.intents.effects).toBe(1);
    expect(finalEvents(t)).toEqual([
      expect.objectContaining({
        detailType: "Cancellation Succeeded",
        detail: expect.objectContaining({ trigger: request.trigger }),
      }),
    ]);
    expect(t.audit.records.filter((r) => r.event !== undefined)).toEqual([
      expect.objectContaining({ via: "continuation", outcome: "CANCELLED" }),
    ]);
  });
});

describe("a resumed single cancel whose completion finds its cancellation moved on", () => {
  it("reads it again and answers from it, writing no second announcing record", async () => {
    // Prepare: a bus charge cancel left open by an outage; the continuation finishes it
    // between the redelivery's upstream call and its completing write.
    const t = inMemoryDependencies();
    t.charges.add(CHARGE, WALLET, "pending");
    t.charges.failWith = unavailable("a55");
    const context = (): CancelContext => ({
      trigger: "bus",
      actor: "storefront.orders",
      owner: "bus:storefront.orders",
      correlationId: `corr-${t.clock.now()}`,
      deadline: t.clock.now() + 10_000,
      idempotency: { scopeKey: "bus:k2", key: "k2" },
    });
    const input = { chargeUuid: CHARGE, walletUuid: WALLET };
    await cancelCharge(t.deps, context(), input);
    t.charges.failWith = undefined;
    t.clock.advance(20 * 60_000);
    const work: UnitOfWork = t.work;
    let overlap: (() => Promise<void>) | undefined = continuationDuring(t);
    const overlapping: UnitOfWork = {
      releaseAttempt: (lease, request) => work.releaseAttempt(lease, request),
      commitTransition: (transition, audits) => work.commitTransition(transition, audits),
      finishAttempt: async (lease, request) => {
        const run = overlap;
        overlap = undefined;
        await run?.();
        return work.finishAttempt(lease, request);
      },
    };

    // Act
    const redelivered = await cancelCharge({ ...t.deps, work: overlapping }, context(), input);

    // Assess
    expect(redelivered).toMatchObject({ kind: "outcome", outcome: { type: "CANCELLED" } });
    expect(t.charges.effects).toBe(1);
    expect(finalEvents(t).map((e) => e.detailType)).toEqual(["Cancellation Succeeded"]);
    expect(await t.cancellations.get("charge", CHARGE)).toMatchObject({ state: "DONE" });
    // The key replays the answer.
    expect(await cancelCharge(t.deps, context(), input)).toMatchObject({
      replayed: true,
      outcome: { type: "CANCELLED" },
    });
  });

  it("whose cancellation was finished and replaced by another request's since announces nothing more", async () => {
    // Prepare: request A is left open by an outage, finished by the continuation, and its
    // record replaced by request B's (also stopped by an outage).
    const t = inMemoryDependencies();
    t.charges.add(CHARGE, WALLET, "pending");
    const input = { chargeUuid: CHARGE, walletUuid: WALLET };
    const context = (key: string): CancelContext => ({
      trigger: "bus",
      actor: "storefront.orders",
      owner: "bus:storefront.orders",
      correlationId: `corr-${key}-${t.clock.now()}`,
      deadline: t.clock.now() + 10_000,
      idempotency: { scopeKey: `bus:${key}`, key },
    });
    t.charges.failWith = unavailable("a55");
    await cancelCharge(t.deps, context("A"), input);
    t.charges.failWith = undefined;
    t.clock.advance(20 * 60_000);
    await runContinuation(t.deps, continuationContext(t.clock.now()), CONTINUATION_OPTIONS);
    t.charges.failWith = unavailable("a55");
    await cancelCharge(t.deps, context("B"), input);
    t.charges.failWith = undefined;
    expect(await t.cancellations.get("charge", CHARGE)).toMatchObject({ request: { scopeKey: "bus:B" } });

    // Act: A is redelivered.
    const redelivered = await cancelCharge(t.deps, context("A"), input);

    // Assess: A's answer is right, and A's outcome was announced once (by the continuation).
    expect(redelivered).toMatchObject({ kind: "outcome", outcome: { type: "CANCELLED" } });
    expect(t.events.events.map((e) => [e.detailType, e.detail.idempotencyKey])).toEqual([
      ["Cancellation Succeeded", "A"],
    ]);
    expect(t.charges.effects).toBe(1);
  });
});

describe("a resumed single cancel stopped by an operational failure again", () => {
  it("announces its cancellation entering STUCK, as the continuation would", async () => {
    // Prepare: an outage stops the first attempt; it outlasts the STUCK limit (2 h here: within the key's 24 h).
    const t = inMemoryDependencies({ ...DEFAULT_LIFECYCLE_POLICY, stuckAfterMs: 2 * 3_600_000 });
    t.intents.add("i1", "SUBMITTED");
    t.intents.failWith = unavailable("procure-core");
    const context = (): CancelContext => ({
      trigger: "bus",
      actor: "storefront.orders",
      owner: "bus:storefront.orders",
      correlationId: `corr-${t.clock.now()}`,
      deadline: t.clock.now() + 10_000,
      idempotency: { scopeKey: "bus:k5", key: "k5" },
    });
    await cancelIntent(t.deps, context(), { intentId: "i1" });
    t.clock.advance(t.deps.lifecycle.stuckAfterMs);

    // Act: the redelivery meets the outage too.
    const redelivered = await cancelIntent(t.deps, context(), { intentId: "i1" });

    // Assess
    expect(redelivered).toMatchObject({ kind: "outcome", outcome: { type: "FAILED", retryable: true } });
    expect(await t.cancellations.get("intent", "i1")).toMatchObject({ state: "STUCK", stuckIn: "REQUESTED" });
    expect(t.events.events.map((e) => [e.detailType, e.detail.state])).toEqual([
      ["Cancellation Stuck", "STUCK"],
    ]);
  });
});
