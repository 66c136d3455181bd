/**
 * A trail ends in the truth after an operational failure is over (found by the widened
 * lifecycle model, issue 17).
 */
import { describe, expect, it } from "vitest";
import { cancelIntent } from "#core/cancel-intent.ts";
import { runContinuation } from "#core/continuation.ts";
import type { CancelContext } from "#core/dependencies.ts";
import { UpstreamRateLimitedError } from "#core/errors.ts";
import { CONTINUATION_OPTIONS, continuationContext } from "#test/support/continuation.ts";
import { inMemoryDependencies } from "#test/support/in-memory-ports.ts";

const _WALLET = "f47ac10b-58cc-4372-a567-0e02b2c3d479";
const _CHARGE = "a1b2c3d4-e5f6-7890-abcd-ef1234567890";

const context = (key: string, now: number): CancelContext => ({
  trigger: "http",
  actor: "storefront",
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
