import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { DEMO_EXPIRED_COUNT } from "#local/sandboxes/procure-core/demo-intents.ts";
import { type HandlerKit, startHandlerKit } from "#test/support/handler-kit.ts";
import { lambdaContext, scheduledEvent } from "#test/support/lambda-events.ts";

const EXPIRED_IDS = Array.from(
  { length: DEMO_EXPIRED_COUNT },
  (_, i) => `intent_expired_${String(i + 1).padStart(4, "0")}`,
);
const SWEEP_BUDGET_MS = 120_000;

/** The exported schedule handler: the expiry sweep (the continuation, not the sweep, finishes pending cancels). */
describe("expiry-sweep handler", () => {
  let kit: HandlerKit;
  let processingId: string;

  beforeAll(async () => {
    kit = await startHandlerKit({ name: "sweep", dynamoEndpoint: inject("dynamoEndpoint") });
    // A PROCESSING cancel accepted earlier over HTTP: the sweep must leave it to the continuation.
    processingId = kit.newIntent("PROCESSING");
    const accepted = await kit.http(
      kit.signed({ method: "POST", path: `/api/v1/intents/${processingId}/cancel` }),
    );
    expect(accepted.statusCode).toBe(202);
  });
  afterAll(async () => {
    await kit?.close();
  });

  const sweep = (event: unknown) =>
    kit.handlers.sweep(event, lambdaContext({ remainingMs: SWEEP_BUDGET_MS }));
  const sweepEvents = async () => (await kit.announced()).filter((e) => e.detail.trigger === "schedule");

  it("a dryRun event reports the expired intents and cancels nothing", async () => {
    // Prepare
    const requestsBefore = kit.procureCore.requests.count();

    // Act: a rule with constant input delivers exactly that JSON as the event.
    const summary = (await sweep({ dryRun: true })) as { budget: { requests: number } };

    // Assess
    expect(summary).toEqual({
      dryRun: true,
      scanned: DEMO_EXPIRED_COUNT,
      cancelled: 0,
      pending: 0,
      skipped: 0,
      failed: 0,
      wouldCancel: DEMO_EXPIRED_COUNT,
      stoppedEarly: false,
      durationMs: expect.any(Number),
      budget: { requests: expect.any(Number), waitedMs: 0, refused: 0 },
    });
    // Every request it sent (the listing) took a slot of the shared budget.
    expect(summary.budget.requests).toBeGreaterThanOrEqual(1);
    expect(summary.budget.requests).toBe(kit.procureCore.requests.count() - requestsBefore);
    for (const id of EXPIRED_IDS) {
      expect(kit.procureCore.intents.get(id)?.status).toBe("SUBMITTED");
      expect(kit.procureCore.effects.count(id)).toBe(0);
    }
    expect(await sweepEvents()).toEqual([]);
  });

  it("a scheduled event cancels the 20 expired intents and leaves younger ones and pending cancels", async () => {
    const requestsBefore = kit.procureCore.requests.count();

    // Act
    const summary = (await sweep(scheduledEvent())) as { budget: { requests: number } };

    // Assess
    expect(summary).toEqual({
      dryRun: false,
      scanned: DEMO_EXPIRED_COUNT,
      cancelled: DEMO_EXPIRED_COUNT,
      pending: 0,
      skipped: 0,
      failed: 0,
      wouldCancel: 0,
      stoppedEarly: false,
      durationMs: expect.any(Number),
      budget: { requests: expect.any(Number), waitedMs: 0, refused: 0 },
    });
    // Every request it sent (listings, 20 cancels) took a slot of the shared budget.
    expect(summary.budget.requests).toBeGreaterThanOrEqual(DEMO_EXPIRED_COUNT + 1);
    expect(summary.budget.requests).toBe(kit.procureCore.requests.count() - requestsBefore);
    for (const id of EXPIRED_IDS) {
      expect(kit.procureCore.intents.get(id)?.status).toBe("CANCELLED");
      expect(kit.procureCore.effects.count(id)).toBe(1);
    }
    for (const id of ["intent_67890", "intent_processing", "intent_draft"]) {
      expect(kit.procureCore.effects.count(id)).toBe(0);
    }
    expect(kit.procureCore.intents.get("intent_67890")?.status).toBe("SUBMITTED");
    expect(await kit.audit({ type: "intent", id: "intent_expired_0001" })).toEqual([
      expect.objectContaining({
        trigger: "schedule",
        actor: "expiry-sweep",
        outcome: "CANCELLED",
        reason: "expired: not processed in time",
      }),
    ]);
    const published = await sweepEvents();
    expect(
      published
        .filter((e) => e.detailType === "Cancellation Succeeded")
        .map((e) => e.detail.target.id)
        .sort(),
    ).toEqual([...EXPIRED_IDS].sort());
    expect(published).toHaveLength(DEMO_EXPIRED_COUNT);
    expect(
      (await kit.audit({ type: "intent", id: processingId })).map((r) => [r.trigger, r.outcome]),
    ).toEqual([["http", "PENDING"]]);
  });

  it("a second run finds nothing left to cancel", async () => {
    const summary = await sweep(scheduledEvent());

    expect(summary).toMatchObject({
      dryRun: false,
      scanned: 0,
      cancelled: 0,
      failed: 0,
    });
    expect(kit.procureCore.effects.total()).toBe(DEMO_EXPIRED_COUNT + 1);
  });
});
