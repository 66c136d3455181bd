import { describe, expect, it } from "vitest";
import { cancelIntent } from "#core/cancel-intent.ts";
import { runContinuation } from "#core/continuation.ts";
import type { CancelContext } from "#core/dependencies.ts";
import { StoreUnavailableError, UpstreamError } from "#core/errors.ts";
import { CONTINUATION_OPTIONS, continuationContext } from "#test/support/continuation.ts";
import { inMemoryDependencies } from "#test/support/in-memory-ports.ts";

const context = (scopeKey: string, now: number): CancelContext => ({
  trigger: "http",
  actor: "dev_app_local",
  owner: "dev_app_local",
  correlationId: "corr-1",
  deadline: now + 10_000,
  idempotency: { scopeKey, key: scopeKey.split(":").at(-1) },
});

describe("cancelIntent", () => {
  it("cancels a SUBMITTED intent once, audits it and publishes success", async () => {
    // Prepare
    const t = inMemoryDependencies();
    t.intents.add("intent_67890", "SUBMITTED");
    // Act
    const result = await cancelIntent(t.deps, context("http:app:intent:k1", t.clock.now()), {
      intentId: "intent_67890",
    });
    // Assess
    expect(result).toMatchObject({ kind: "outcome", replayed: false, outcome: { type: "CANCELLED" } });
    expect(t.intents.effects).toBe(1);
    expect(t.audit.records).toHaveLength(1);
    expect(t.audit.records[0]).toMatchObject({ outcome: "CANCELLED", idempotencyKey: "k1", trigger: "http" });
    expect(t.events.events.map((e) => e.detailType)).toEqual(["Cancellation Succeeded"]);
  });

  it("replays a completed key without calling upstream again", async () => {
    const t = inMemoryDependencies();
    t.intents.add("intent_67890", "SUBMITTED");
    const ctx = context("http:app:intent:k1", t.clock.now());
    const first = await cancelIntent(t.deps, ctx, { intentId: "intent_67890" });
    const second = await cancelIntent(t.deps, ctx, { intentId: "intent_67890" });
    expect(second).toEqual({
      kind: "outcome",
      outcome: first.kind === "outcome" && first.outcome,
      replayed: true,
    });
    expect(t.intents.calls).toEqual(["cancel:intent_67890"]);
    expect(t.events.events).toHaveLength(1);
  });

  it("refuses the same key with another payload", async () => {
    const t = inMemoryDependencies();
    t.intents.add("a", "SUBMITTED").add("b", "SUBMITTED");
    const ctx = context("http:app:intent:k1", t.clock.now());
    await cancelIntent(t.deps, ctx, { intentId: "a" });
    expect(await cancelIntent(t.deps, ctx, { intentId: "b" })).toEqual({ kind: "payload-mismatch" });
    expect(t.intents.calls).toEqual(["cancel:a"]);
  });

  it("answers in-progress while another attempt holds the key", async () => {
    const t = inMemoryDependencies();
    const ctx = context("http:app:intent:k1", t.clock.now());
    await t.idempotency.begin({
      scopeKey: "http:app:intent:k1",
      payload: { intentId: "a", reason: null },
      now: t.clock.now(),
      lockUntil: t.clock.now() + 4_500,
    });
    expect(await cancelIntent(t.deps, ctx, { intentId: "a" })).toEqual({
      kind: "in-progress",
      retryAfterSeconds: 5,
    });
    expect(t.intents.calls).toEqual([]);
  });

  it("maps every state of the seed's table", async () => {
    const t = inMemoryDependencies();
    for (const status of ["DRAFT", "COMPLETED", "FAILED", "CANCELLED", "PROCESSING"])
      t.intents.add(`i_${status}`, status);
    t.intents.add("i_shipped", "PROCESSING", { shipped: true });
    const run = async (id: string) => {
      const r = await cancelIntent(t.deps, context(`http:app:intent:${id}`, t.clock.now()), { intentId: id });
      return r.kind === "outcome" ? r.outcome : undefined;
    };
    expect(await run("i_DRAFT")).toMatchObject({
      type: "NOT_CANCELLABLE",
      currentStatus: "DRAFT",
      advice: expect.stringMatching(/delete/),
    });
    expect(await run("i_COMPLETED")).toMatchObject({
      type: "NOT_CANCELLABLE",
      advice: expect.stringMatching(/return or refund/),
    });
    expect(await run("i_FAILED")).toMatchObject({
      type: "NOT_CANCELLABLE",
      advice: expect.stringMatching(/delete/),
    });
    expect(await run("i_CANCELLED")).toMatchObject({ type: "ALREADY_CANCELLED" });
    expect(await run("i_PROCESSING")).toMatchObject({ type: "PENDING", intent: { status: "PROCESSING" } });
    expect(await run("i_shipped")).toMatchObject({
      type: "FAILED",
      retryable: false,
      reason: "电商平台订单已发货,无法取消",
    });
    expect(await run("missing")).toMatchObject({ type: "NOT_FOUND" });
    expect(t.events.events.map((e) => e.detailType)).toEqual([
      "Cancellation Rejected",
      "Cancellation Rejected",
      "Cancellation Rejected",
      "Cancellation Succeeded",
      "Cancellation Pending",
      "Cancellation Failed",
      "Cancellation Rejected",
    ]);
  });

  it("releases the key after a transient upstream failure so a retry runs again", async () => {
    const t = inMemoryDependencies();
    t.intents.add("a", "SUBMITTED");
    const ctx = context("http:app:intent:k1", t.clock.now());
    t.intents.failWith = new UpstreamError({
      upstream: "procure-core",
      retryable: true,
      message: "503 after 4 attempts",
      httpStatus: 503,
    });
    const failed = await cancelIntent(t.deps, ctx, { intentId: "a" });
    expect(failed).toMatchObject({ kind: "outcome", outcome: { type: "FAILED", retryable: true } });
    expect(t.audit.records.map((r) => [r.outcome, r.retryable])).toEqual([["FAILED", true]]);
    expect(t.events.events).toEqual([]);

    t.intents.failWith = undefined;
    const retried = await cancelIntent(t.deps, ctx, { intentId: "a" });
    expect(retried).toMatchObject({ kind: "outcome", replayed: false, outcome: { type: "CANCELLED" } });
    expect(t.intents.effects).toBe(1);
  });

  it("converges after a crash between the upstream cancel and completion, with one effect", async () => {
    const t = inMemoryDependencies();
    t.intents.add("a", "SUBMITTED");
    const ctx = context("http:app:intent:k1", t.clock.now());
    // The first attempt takes the key and cancels upstream, then dies before completing.
    await t.idempotency.begin({
      scopeKey: "http:app:intent:k1",
      payload: { intentId: "a", reason: null },
      now: t.clock.now(),
      lockUntil: ctx.deadline,
    });
    await t.intents.cancelIntent("a");
    t.clock.advance(11_000);
    const retried = await cancelIntent(
      t.deps,
      { ...ctx, deadline: t.clock.now() + 10_000 },
      { intentId: "a" },
    );
    expect(retried).toMatchObject({
      kind: "outcome",
      replayed: false,
      outcome: { type: "CANCELLED", intent: { status: "CANCELLED" } },
    });
    // The retry sends the cancel again (no read first: a resumed attempt reads "already
    // CANCELLED" as its own success), then reads the intent for the answer the first attempt lost.
    expect(t.intents.calls).toEqual(["cancel:a", "cancel:a", "get:a"]);
    expect(t.intents.effects).toBe(1);
  });

  it("takes the key even when the invocation's deadline has already passed (the upstream client then refuses to send)", async () => {
    const t = inMemoryDependencies();
    t.intents.add("a", "SUBMITTED");
    const late = { ...context("http:app:intent:late", t.clock.now()), deadline: t.clock.now() - 1 };
    const result = await cancelIntent(t.deps, late, { intentId: "a" });
    expect(result.kind).toBe("outcome");
    expect([...t.idempotency.keys.keys()]).toEqual(["http:app:intent:late"]);
  });

  it("fails closed when the store is down: no upstream call", async () => {
    const t = inMemoryDependencies();
    t.intents.add("a", "SUBMITTED");
    t.idempotency.failWith = new StoreUnavailableError("idempotency", "DynamoDB unreachable");
    await expect(cancelIntent(t.deps, context("k", t.clock.now()), { intentId: "a" })).rejects.toBeInstanceOf(
      StoreUnavailableError,
    );
    expect(t.intents.calls).toEqual([]);
  });
});

describe("an asynchronous intent cancel", () => {
  it("is recorded as a cancellation, finished by the continuation once Procure-Core finished it", async () => {
    const t = inMemoryDependencies();
    t.intents.add("p", "PROCESSING");
    await cancelIntent(t.deps, context("http:app:intent:p", t.clock.now()), { intentId: "p" });
    expect(await t.cancellations.get("intent", "p")).toMatchObject({ state: "INTENT_PENDING", version: 1 });

    t.clock.advance(t.deps.lifecycle.firstCheckAfterMs);
    expect(
      await runContinuation(t.deps, continuationContext(t.clock.now()), CONTINUATION_OPTIONS),
    ).toMatchObject({
      checked: 1,
      stillOpen: 1,
    });
    t.intents.finishPending();
    t.clock.advance(2 * t.deps.lifecycle.firstCheckAfterMs);
    expect(
      await runContinuation(t.deps, continuationContext(t.clock.now()), CONTINUATION_OPTIONS),
    ).toMatchObject({
      checked: 1,
      finished: 1,
    });
    expect(await t.cancellations.get("intent", "p")).toMatchObject({
      state: "DONE",
      outcome: { type: "CANCELLED" },
    });
    expect(t.audit.records.map((r) => r.outcome)).toEqual(["PENDING", "CANCELLED"]);
    expect(t.audit.records[1]).toMatchObject({
      via: "continuation",
      correlationId: t.audit.records[0]?.correlationId,
      trigger: "http",
    });
    expect(t.events.events.map((e) => e.detailType)).toEqual([
      "Cancellation Pending",
      "Cancellation Succeeded",
    ]);
  });
});
