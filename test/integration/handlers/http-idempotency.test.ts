import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import type { APIGatewayProxyEventV2 } from "aws-lambda";
import { afterAll, afterEach, beforeAll, describe, expect, inject, it, vi } from "vitest";
import { StoreUnavailableError } from "#core/errors.ts";
import { A55_DEMO_WALLET } from "#local/sandboxes/a55/demo-charges.ts";
import { type HandlerKit, startHandlerKit } from "#test/support/handler-kit.ts";
import { lambdaContext } from "#test/support/lambda-events.ts";

/** The handlers' own margin (lambda-deadline.ts): the lock ends this long before the invocation does. */
const WRITE_MARGIN_MS = 1_000;
/** A short invocation: its lock (and upstream budget) is `SHORT_BUDGET_MS - WRITE_MARGIN_MS`. */
const SHORT_BUDGET_MS = 3_000;

const deferred = (): { promise: Promise<void>; resolve: () => void } => {
  let resolve = (): void => {};
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
};

/** Waits until a lock taken by an invocation that started at `startedAt` with `SHORT_BUDGET_MS` has expired. */
const untilLockExpired = async (startedAt: number): Promise<void> => {
  const expiresAt = startedAt + SHORT_BUDGET_MS - WRITE_MARGIN_MS;
  await sleep(Math.max(0, expiresAt - Date.now() + 100));
};

describe("http-api handler: idempotency end to end", () => {
  let kit: HandlerKit;

  beforeAll(async () => {
    kit = await startHandlerKit({ name: "http-idempotency", dynamoEndpoint: inject("dynamoEndpoint") });
  });
  afterEach(() => {
    vi.restoreAllMocks();
  });
  afterAll(async () => {
    await kit?.close();
  });

  const intentCancel = (id: string, key: string, body?: string): APIGatewayProxyEventV2 =>
    kit.signed({
      method: "POST",
      path: `/api/v1/intents/${id}/cancel`,
      headers: { "idempotency-key": key },
      ...(body === undefined ? {} : { body }),
    });
  const chargeCancel = (charge: string, key: string, reason = "duplicate order"): APIGatewayProxyEventV2 =>
    kit.bearer({
      method: "POST",
      path: `/api/v1/bank/wallet/charge/${charge}/cancel/${A55_DEMO_WALLET}/`,
      headers: { "idempotency-key": key },
      body: JSON.stringify({ reason }),
    });
  const cancelsSentFor = (id: string): number =>
    kit.procureCore.requests
      .entries()
      .filter((r) => r.method === "POST" && r.pathAndQuery === `/api/v1/intents/${id}/cancel`).length;

  it("a completed key replays the exact status and body, with Idempotent-Replayed, and no second upstream call", async () => {
    // Prepare
    const id = kit.newIntent("SUBMITTED");
    const key = randomUUID();
    const first = await kit.http(intentCancel(id, key));
    const sentAfterFirst = kit.procureCore.requests.count();

    // Act: the same request again, freshly signed as a client retry would be.
    const again = await kit.http(intentCancel(id, key));

    // Assess
    expect(first.statusCode).toBe(200);
    expect(first.headers["idempotent-replayed"]).toBeUndefined();
    expect(again.statusCode).toBe(first.statusCode);
    expect(again.rawBody).toBe(first.rawBody);
    expect(again.headers["idempotent-replayed"]).toBe("true");
    expect(kit.procureCore.requests.count()).toBe(sentAfterFirst);
    expect(kit.procureCore.effects.count(id)).toBe(1);
    expect(await kit.audit({ type: "intent", id })).toHaveLength(1);
    expect((await kit.announced()).filter((e) => e.detail.target.id === id)).toHaveLength(1);
  });

  it("a completed key replays a charge cancel too, without calling A55 again", async () => {
    const charge = kit.newCharge("pending");
    const key = randomUUID();
    const first = await kit.http(chargeCancel(charge, key));
    const seenAfterFirst = kit.a55.seen().length;

    const again = await kit.http(chargeCancel(charge, key));

    expect(first.statusCode).toBe(200);
    expect(again.statusCode).toBe(200);
    expect(again.rawBody).toBe(first.rawBody);
    expect(again.headers["idempotent-replayed"]).toBe("true");
    expect(kit.a55.seen().length).toBe(seenAfterFirst);
    expect(kit.a55.effects.count(charge)).toBe(1);
  });

  it("the same key with another payload: 409, nothing sent", async () => {
    const id = kit.newIntent("SUBMITTED");
    const other = kit.newIntent("SUBMITTED");
    const key = randomUUID();
    await kit.http(intentCancel(id, key, JSON.stringify({ reason: "first" })));
    const sentBefore = kit.procureCore.requests.count();

    const otherReason = await kit.http(intentCancel(id, key, JSON.stringify({ reason: "second" })));
    const otherIntent = await kit.http(intentCancel(other, key, JSON.stringify({ reason: "first" })));

    const mismatch = {
      code: 40902,
      message: "幂等键已用于其他请求",
      data: { message: "This Idempotency-Key was used with another request" },
    };
    expect(otherReason.statusCode).toBe(409);
    expect(otherReason.body).toEqual(mismatch);
    expect(otherIntent.statusCode).toBe(409);
    expect(otherIntent.body).toEqual(mismatch);
    expect(kit.procureCore.requests.count()).toBe(sentBefore);
    expect(kit.procureCore.intents.get(other)?.status).toBe("SUBMITTED");
  });

  it("the same key with another charge payload: 409 in A55's error shape", async () => {
    const charge = kit.newCharge("pending");
    const key = randomUUID();
    await kit.http(chargeCancel(charge, key, "first"));

    const response = await kit.http(chargeCancel(charge, key, "second"));

    expect(response.statusCode).toBe(409);
    expect(response.body).toEqual({
      charge_uuid: charge,
      status: "error",
      message: [
        {
          code: "IDEMPOTENCY_KEY_REUSED",
          source: "request",
          description: "This Idempotency-Key was used with another request",
        },
      ],
    });
  });

  it("50 concurrent identical requests: one upstream effect, one success record; the rest 409 in-progress or the replay", async () => {
    // Prepare: one signed request, delivered 50 times at once (each with its own API Gateway request id).
    const id = kit.newIntent("SUBMITTED");
    const template = intentCancel(id, randomUUID(), JSON.stringify({ reason: "double click" }));
    const deliveries = Array.from({ length: 50 }, () => {
      const event = structuredClone(template);
      event.requestContext.requestId = randomUUID();
      return event;
    });

    // Act
    const responses = await Promise.all(deliveries.map((event) => kit.http(event)));

    // Assess
    const winners = responses.filter((r) => r.statusCode === 200 && !r.headers["idempotent-replayed"]);
    expect(winners).toHaveLength(1);
    const winner = winners[0];
    expect(winner?.body).toMatchObject({ code: 0, data: { id, status: "CANCELLED" } });
    for (const response of responses) {
      if (response === winner) continue;
      if (response.statusCode === 409) {
        expect(response.headers["retry-after"]).toMatch(/^[1-9]\d*$/);
        expect(response.body).toEqual({
          code: 40901,
          message: "请求正在处理中,请稍后重试",
          data: { message: "A request with this Idempotency-Key is still running" },
        });
      } else {
        expect(response.statusCode).toBe(200);
        expect(response.headers["idempotent-replayed"]).toBe("true");
        expect(response.rawBody).toBe(winner?.rawBody);
      }
    }
    expect(kit.procureCore.effects.count(id)).toBe(1);
    expect(cancelsSentFor(id)).toBe(1);
    const trail = await kit.audit({ type: "intent", id });
    expect(trail.map((r) => r.outcome)).toEqual(["CANCELLED"]);
    expect((await kit.announced()).filter((e) => e.detail.target.id === id)).toHaveLength(1);
  });

  it("DynamoDB round trips: 3 for a happy-path cancel (begin, the budget's slot, complete), 1 for its replay", async () => {
    // Prepare: warm the container (secrets read, connections open) outside the measurement.
    await kit.http(intentCancel(kit.newIntent("SUBMITTED"), randomUUID()));
    const id = kit.newIntent("SUBMITTED");
    const key = randomUUID();
    const first = intentCancel(id, key);
    const replay = intentCancel(id, key);

    // Act + Assess
    kit.roundTrips.reset();
    expect((await kit.http(first)).statusCode).toBe(200);
    expect(kit.roundTrips.byCommand()).toEqual({
      PutItemCommand: 1,
      UpdateItemCommand: 1,
      TransactWriteItemsCommand: 1,
    });
    kit.roundTrips.reset();
    expect((await kit.http(replay)).headers["idempotent-replayed"]).toBe("true");
    expect(kit.roundTrips.byCommand()).toEqual({ PutItemCommand: 1 });
  });

  it("a lock left by a frozen invocation expires; the retry takes over and converges with one upstream effect", async () => {
    // Prepare: invocation A takes the key with a short lock, then freezes before calling upstream.
    const id = kit.newIntent("SUBMITTED");
    const key = randomUUID();
    const intents = kit.container.deps.intents;
    const realCancel = intents.cancelIntent.bind(intents);
    const frozen = deferred();
    const wake = deferred();
    vi.spyOn(intents, "cancelIntent").mockImplementationOnce(async (intentId, options) => {
      frozen.resolve();
      await wake.promise;
      return realCancel(intentId, options);
    });
    const startedAt = Date.now();
    const invocationA = kit.http(intentCancel(id, key), lambdaContext({ remainingMs: SHORT_BUDGET_MS }));
    await frozen.promise;

    // Act 1: a retry while A holds the lock is refused with Retry-After, never a 500.
    const duringLock = await kit.http(intentCancel(id, key));
    // Act 2: once the lock has expired, a retry takes the key over and does the work.
    await untilLockExpired(startedAt);
    const afterExpiry = await kit.http(intentCancel(id, key));
    // Act 3: A wakes up after its deadline.
    wake.resolve();
    const late = await invocationA;
    const replay = await kit.http(intentCancel(id, key));

    // Assess
    expect(duringLock.statusCode).toBe(409);
    // Retry-After: the whole seconds left on A's lock.
    expect(Number(duringLock.headers["retry-after"])).toBeGreaterThanOrEqual(1);
    expect(Number(duringLock.headers["retry-after"])).toBeLessThanOrEqual(
      Math.ceil((SHORT_BUDGET_MS - WRITE_MARGIN_MS) / 1000),
    );
    expect(duringLock.body).toMatchObject({ code: 40901 });
    expect(afterExpiry.statusCode).toBe(200);
    expect(afterExpiry.body).toMatchObject({ code: 0, data: { id, status: "CANCELLED" } });
    // A's budget is spent, so it sends nothing and answers "retry later".
    expect(late.statusCode).toBe(503);
    expect(late.headers["retry-after"]).toBe("1");
    expect(replay.statusCode).toBe(200);
    expect(replay.rawBody).toBe(afterExpiry.rawBody);
    expect(replay.headers["idempotent-replayed"]).toBe("true");
    expect(kit.procureCore.effects.count(id)).toBe(1);
    expect(cancelsSentFor(id)).toBe(1);
    // The trail ends in the truth: A's late failure no longer stands (the retry that took
    // the key over cancelled the intent), so it is not written after it.
    const trail = await kit.audit({ type: "intent", id });
    expect(trail.map((r) => [r.outcome, r.retryable])).toEqual([["CANCELLED", undefined]]);
  });

  it("intent: a crash after the upstream success and before completion converges on retry with one effect", async () => {
    // Prepare: the completion write fails once, as if the function died right after Procure-Core answered.
    const id = kit.newIntent("SUBMITTED");
    const key = randomUUID();
    vi.spyOn(kit.container.deps.work, "finishAttempt").mockImplementationOnce(async () => {
      throw new StoreUnavailableError("idempotency", "simulated crash before the completion write");
    });
    const startedAt = Date.now();
    const crashed = await kit.http(intentCancel(id, key), lambdaContext({ remainingMs: SHORT_BUDGET_MS }));
    expect(crashed.statusCode).toBe(503);
    expect(kit.procureCore.effects.count(id)).toBe(1);
    const whileLocked = await kit.http(intentCancel(id, key));

    // Act
    await untilLockExpired(startedAt);
    const retry = await kit.http(intentCancel(id, key));

    // Assess: the retry sent the cancel again (a resumed attempt does not read first),
    // Procure-Core answered "already CANCELLED", which the retry counts as its own success
    // and reads the intent back for the answer the first attempt lost: one effect.
    expect(whileLocked.statusCode).toBe(409);
    const stored = kit.procureCore.intents.get(id);
    const at = new Date(stored?.cancelledAt ?? 0).toISOString();
    expect(retry.statusCode).toBe(200);
    expect(retry.body).toEqual({
      code: 0,
      message: "操作成功",
      data: { id, status: "CANCELLED", updatedAt: at, cancelledAt: at },
    });
    expect(kit.procureCore.effects.count(id)).toBe(1);
    expect(cancelsSentFor(id)).toBe(2);
    expect((await kit.audit({ type: "intent", id })).map((r) => r.outcome)).toEqual(["CANCELLED"]);
    const again = await kit.http(intentCancel(id, key));
    expect(again.headers["idempotent-replayed"]).toBe("true");
    expect(again.rawBody).toBe(retry.rawBody);
  });

  it("charge: a crash after the upstream success and before completion converges on retry with one effect", async () => {
    const charge = kit.newCharge("pending");
    const key = randomUUID();
    vi.spyOn(kit.container.deps.work, "finishAttempt").mockImplementationOnce(async () => {
      throw new StoreUnavailableError("idempotency", "simulated crash before the completion write");
    });
    const startedAt = Date.now();
    const crashed = await kit.http(
      chargeCancel(charge, key),
      lambdaContext({ remainingMs: SHORT_BUDGET_MS }),
    );
    expect(crashed.statusCode).toBe(503);
    expect(kit.a55.effects.count(charge)).toBe(1);

    await untilLockExpired(startedAt);
    const retry = await kit.http(chargeCancel(charge, key));

    // The retry sent the same A55 Idempotency-Key, so A55 replayed its answer instead of cancelling again.
    expect(retry.statusCode).toBe(200);
    expect(retry.body).toEqual({
      charge_uuid: charge,
      wallet_uuid: A55_DEMO_WALLET,
      status: "canceled",
      message: {},
    });
    expect(kit.a55.effects.count(charge)).toBe(1);
    const sent = kit.a55.seen().filter((r) => r.path.includes(charge));
    expect(sent).toHaveLength(2);
    expect(sent[1]?.idempotencyKey).toBe(sent[0]?.idempotencyKey);
    expect(sent.map((r) => [r.status, r.replayed])).toEqual([
      [200, false],
      [200, true],
    ]);
    expect((await kit.audit({ type: "charge", id: charge })).map((r) => r.outcome)).toEqual(["CANCELLED"]);
  });
});
