/**
 * The expiry sweep within the shared upstream budget, through the exported handler: it
 * sends only what background work's share allows, and when no slot frees before its
 * deadline it stops cleanly at once — it is not left waiting until the platform kills it.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { DEMO_EXPIRED_COUNT } from "#local/sandboxes/procure-core/demo-intents.ts";
import { type HandlerKit, startHandlerKit } from "#test/support/handler-kit.ts";
import { lambdaContext, scheduledEvent } from "#test/support/lambda-events.ts";

/** Procure-Core: 5 a minute, background 0.6 of it → 3 requests per window for the sweep. */
const LIMIT = 5;
const BACKGROUND_CAP = 3;
const SWEEP_BUDGET_MS = 30_000;

describe("expiry-sweep handler within the shared upstream budget", () => {
  let kit: HandlerKit;

  beforeAll(async () => {
    kit = await startHandlerKit({
      name: "sweep-budget",
      dynamoEndpoint: inject("dynamoEndpoint"),
      env: { PROCURE_CORE_BUDGET_PER_MINUTE: String(LIMIT), BACKGROUND_BUDGET_SHARE: "0.6" },
    });
  });
  afterAll(async () => {
    await kit?.close();
  });

  it("sends no more than background work's share, then stops early instead of waiting past its deadline", async () => {
    // Prepare
    const requestsBefore = kit.procureCore.requests.count();

    // Act
    const started = Date.now();
    const summary = (await kit.handlers.sweep(
      scheduledEvent(),
      lambdaContext({ remainingMs: SWEEP_BUDGET_MS }),
    )) as {
      cancelled: number;
      failed: number;
      stoppedEarly: boolean;
      budget: { requests: number; refused: number };
      confirm?: unknown;
    };
    const tookMs = Date.now() - started;

    // Assess: one listing and two cancels fit the share; the next slot frees in a minute, past the deadline.
    const sent = kit.procureCore.requests.count() - requestsBefore;
    expect(sent).toBe(BACKGROUND_CAP);
    expect(summary.budget.requests).toBe(BACKGROUND_CAP);
    expect(summary.cancelled).toBe(BACKGROUND_CAP - 1);
    expect(summary.stoppedEarly).toBe(true);
    expect(summary.budget.refused).toBeGreaterThanOrEqual(1);
    // Only the cancels already started when the budget ran out failed (retryable), not the whole queue.
    expect(summary.failed).toBeGreaterThanOrEqual(1);
    expect(summary.failed).toBeLessThanOrEqual(kit.container.config.sweep.concurrency);
    expect(summary.cancelled + summary.failed).toBeLessThan(DEMO_EXPIRED_COUNT);
    expect(summary.confirm).toBeUndefined();
    // It returned on its own, long before the platform would have ended it.
    expect(tookMs).toBeLessThan(SWEEP_BUDGET_MS / 2);
  });
});
