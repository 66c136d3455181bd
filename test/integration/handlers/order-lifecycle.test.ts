/**
 * Cancellations that finish: an order's cancellation through its lifecycle, on DynamoDB
 * Local and both sandboxes, through the exported HTTP, bus and continuation handlers.
 * Each case below is one of the findings a)–f), or the tour it started from.
 */
import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { A55_DEMO_WALLET } from "#local/sandboxes/a55/demo-charges.ts";
import { DEFAULT_DEMO_SECRET, DEMO_APP_ID } from "#local/sandboxes/procure-core/demo-intents.ts";
import { type HandlerKit, STOREFRONT_APP_ID, startHandlerKit } from "#test/support/handler-kit.ts";
import { eventBridgeEvent, lambdaContext } from "#test/support/lambda-events.ts";
import { startTestFrontDoor } from "#test/support/local-front-door.ts";
import { runCli } from "../../../bin/cancelctl/cli.ts";

/** How long the sandbox takes to finish an accepted PROCESSING cancel, and the continuation's first look. */
const ASYNC_DELAY_MS = 1_000;

describe("an order's cancellation, from request to final truth", () => {
  let kit: HandlerKit;
  /** When set, the next upstream answer is lost after the upstream applied the request. */
  let loseNextAnswer = false;

  beforeAll(async () => {
    kit = await startHandlerKit({
      name: "order-lifecycle",
      dynamoEndpoint: inject("dynamoEndpoint"),
      processingCancelDelayMs: ASYNC_DELAY_MS,
      env: { CONTINUATION_FIRST_CHECK: `${ASYNC_DELAY_MS}ms`, UPSTREAM_MAX_ATTEMPTS: "1" },
      fetch: async (input, init) => {
        const answer = await fetch(input, init);
        if (!loseNextAnswer) return answer;
        loseNextAnswer = false;
        await answer.arrayBuffer();
        throw new TypeError("fetch failed", { cause: new Error("socket hang up (answer lost in the test)") });
      },
    });
  });
  afterAll(async () => {
    await kit?.close();
  });

  const orderId = (): string => `order-${randomUUID().slice(0, 8)}`;
  const cancelOrder = (id: string, body: unknown, key: string = randomUUID()) =>
    kit.http(
      kit.signed({
        method: "POST",
        path: `/api/v1/orders/${id}/cancel`,
        body: JSON.stringify(body),
        headers: { "idempotency-key": key },
      }),
    );
  const status = (id: string) =>
    kit.http(kit.signed({ method: "GET", path: `/api/v1/orders/${id}/cancellation` }));
  const continueOpen = async () => {
    await sleep(ASYNC_DELAY_MS + 50);
    return kit.handlers.continuation({}, lambdaContext({ remainingMs: 30_000 }));
  };
  const newest = async (type: "order" | "intent" | "charge", id: string) =>
    (await kit.audit({ type, id }))[0];

  it("the tour: PROCESSING intent → 202 with Location; the continuation ends it, and every trail and the status route say CANCELLED", async () => {
    // Prepare
    const id = orderId();
    const intentId = kit.newIntent("PROCESSING");
    const chargeUuid = kit.newCharge("pending");
    const key = randomUUID();
    const body = { intentId, charge: { chargeUuid, walletUuid: A55_DEMO_WALLET }, reason: "changed my mind" };

    // Act 1: the request
    const accepted = await cancelOrder(id, body, key);

    // Assess 1
    expect(accepted.statusCode).toBe(202);
    expect(accepted.headers.location).toBe(`/api/v1/orders/${id}/cancellation`);
    expect(accepted.body).toMatchObject({
      orderId: id,
      outcome: "PENDING",
      steps: { intent: { outcome: "PENDING" } },
    });
    expect((await status(id)).body).toMatchObject({
      orderId: id,
      state: "INTENT_PENDING",
      final: false,
      nextCheckAt: expect.any(String),
    });
    expect(await newest("charge", chargeUuid)).toMatchObject({
      outcome: "PENDING",
      state: "INTENT_PENDING",
      orderId: id,
    });
    expect(kit.a55.effects.count(chargeUuid)).toBe(0);

    // Act 2: the continuation, with no sweep and no retry by the caller
    const run = await continueOpen();

    // Assess 2
    expect(run).toMatchObject({ finished: 1, becameStuck: 0 });
    expect(kit.a55.effects.count(chargeUuid)).toBe(1);
    const finalStatus = await status(id);
    expect(finalStatus.statusCode).toBe(200);
    expect(finalStatus.body).toMatchObject({
      orderId: id,
      state: "DONE",
      final: true,
      outcome: { outcome: "CANCELLED" },
      steps: {
        intent: { id: intentId, outcome: "CANCELLED" },
        charge: { id: chargeUuid, outcome: "CANCELLED" },
      },
      request: { trigger: "http", actor: STOREFRONT_APP_ID, idempotencyKey: key },
    });
    const original = {
      trigger: "http",
      actor: STOREFRONT_APP_ID,
      idempotencyKey: key,
      correlationId: (await kit.audit({ type: "order", id })).at(-1)?.correlationId,
      via: "continuation",
    };
    expect(await newest("order", id)).toMatchObject({ outcome: "CANCELLED", ...original });
    expect(await newest("intent", intentId)).toMatchObject({
      outcome: "CANCELLED",
      orderId: id,
      ...original,
    });
    expect(await newest("charge", chargeUuid)).toMatchObject({
      outcome: "CANCELLED",
      orderId: id,
      ...original,
    });
    expect((await kit.announced()).filter((e) => e.detail.target.id === id).map((e) => e.detailType)).toEqual(
      ["Cancellation Pending", "Cancellation Succeeded"],
    );

    // A same-key replay still returns the original answer; a second continuation run finds nothing.
    const replay = await cancelOrder(id, body, key);
    expect(replay.statusCode).toBe(202);
    expect(replay.headers["idempotent-replayed"]).toBe("true");
    expect(replay.headers.location).toBe(`/api/v1/orders/${id}/cancellation`);
    expect(await continueOpen()).toMatchObject({ checked: 0 });
    expect(kit.a55.effects.count(chargeUuid)).toBe(1);
  });

  it("cancelctl order status shows where an order's cancellation stands, and exits by it", async () => {
    // Prepare: the local front door in front of the exported HTTP handler, and cancelctl.
    const door = await startTestFrontDoor({ http: kit.handlers.http as never });
    const cancelctl = async (...argv: string[]) => {
      let out = "";
      const code = await runCli(
        argv,
        {
          CANCEL_API_URL: door.url,
          APP_ID: kit.app.appId,
          APP_SECRET: kit.app.secret,
          CANCEL_LOCAL_DIR: "/nonexistent",
        },
        { out: (text) => (out += `${text}\n`), err: () => {}, errIsTty: false },
      );
      return { code, out };
    };
    try {
      const id = orderId();
      const chargeUuid = kit.newCharge("pending");
      await cancelOrder(id, {
        intentId: kit.newIntent("PROCESSING"),
        charge: { chargeUuid, walletUuid: A55_DEMO_WALLET },
      });

      // Act + Assess: waiting, then DONE; an unknown order is a rejection.
      const waiting = await cancelctl("order", "status", id);
      expect(waiting.code).toBe(0);
      expect(waiting.out).toMatch(/^INTENT_PENDING {2}order order-\w+: its cancellation/);
      expect(waiting.out).toMatch(/nextCheckAt/);
      await continueOpen();
      const done = await cancelctl("order", "status", id, "--json");
      expect(done.code).toBe(0);
      expect(JSON.parse(done.out)).toMatchObject({
        outcome: "CANCELLED",
        httpStatus: 200,
        body: { state: "DONE", steps: { charge: { id: chargeUuid, outcome: "CANCELLED" } } },
      });
      const unknown = await cancelctl("order", "status", "order-never-cancelled");
      expect(unknown.code).toBe(2);
      expect(unknown.out).toMatch(/^NOT_FOUND/);
    } finally {
      await door.close();
    }
  });

  it("b) one rule: an intent whose asynchronous cancel ends FAILED gets its charge cancelled; one that ends COMPLETED keeps it", async () => {
    // Prepare
    const failedOrder = orderId();
    const failedCharge = kit.newCharge("pending");
    const boughtOrder = orderId();
    const boughtCharge = kit.newCharge("pending");
    const cases = [
      [failedOrder, kit.newIntent("PROCESSING", { asyncCancelEnds: "FAILED" }), failedCharge],
      [boughtOrder, kit.newIntent("PROCESSING", { asyncCancelEnds: "COMPLETED" }), boughtCharge],
    ] as const;
    for (const [id, intentId, chargeUuid] of cases) {
      expect(
        (await cancelOrder(id, { intentId, charge: { chargeUuid, walletUuid: A55_DEMO_WALLET } })).statusCode,
      ).toBe(202);
    }

    // Act
    await continueOpen();

    // Assess: nothing was bought → the charge is cancelled (as the direct path does for a FAILED intent)
    expect(kit.a55.effects.count(failedCharge)).toBe(1);
    expect((await status(failedOrder)).body).toMatchObject({
      state: "DONE",
      outcome: { outcome: "CANCELLED" },
    });
    // Goods were bought → the charge stays, a return/refund is advised, and the charge's trail says so.
    expect(kit.a55.effects.count(boughtCharge)).toBe(0);
    expect((await status(boughtOrder)).body).toMatchObject({
      state: "DONE",
      outcome: {
        outcome: "NOT_CANCELLABLE",
        currentStatus: "COMPLETED",
        advice: expect.stringMatching(/return\/refund/),
      },
      steps: { chargeSkipped: expect.stringMatching(/goods bought/) },
    });
    expect(await newest("charge", boughtCharge)).toMatchObject({
      outcome: "NOT_CANCELLABLE",
      detail: expect.stringMatching(/^charge left alone/),
    });
  });

  it("c) two orders waiting on one intent both get their charges cancelled", async () => {
    // Prepare
    const intentId = kit.newIntent("PROCESSING");
    const orders = [
      [orderId(), kit.newCharge("pending")],
      [orderId(), kit.newCharge("pending")],
    ] as const;
    for (const [id, chargeUuid] of orders) {
      const answer = await cancelOrder(id, { intentId, charge: { chargeUuid, walletUuid: A55_DEMO_WALLET } });
      expect(answer.statusCode).toBe(202);
    }

    // Act
    const run = await continueOpen();

    // Assess
    expect(run).toMatchObject({ finished: 2 });
    for (const [id, chargeUuid] of orders) {
      expect(kit.a55.effects.count(chargeUuid)).toBe(1);
      expect((await status(id)).body).toMatchObject({ state: "DONE", outcome: { outcome: "CANCELLED" } });
    }
    expect(kit.procureCore.effects.count(intentId)).toBe(1);
  });

  it("d) a charge step that fails retryably keeps the intent's step on its trail; the continuation finishes the charge", async () => {
    // Prepare
    const id = orderId();
    const intentId = kit.newIntent("SUBMITTED");
    const chargeUuid = kit.newCharge("pending");
    kit.a55.faults.update({ errorRate: 1 });

    // Act 1
    const answer = await cancelOrder(id, { intentId, charge: { chargeUuid, walletUuid: A55_DEMO_WALLET } });
    kit.a55.faults.reset();

    // Assess 1: an operational failure (503, nothing stored as the order's outcome); what was done is recorded.
    expect(answer.statusCode).toBe(503);
    expect(answer.headers["retry-after"]).toBeDefined();
    expect(kit.procureCore.effects.count(intentId)).toBe(1);
    expect(await newest("intent", intentId)).toMatchObject({ outcome: "CANCELLED", orderId: id });
    expect((await status(id)).body).toMatchObject({
      state: "CHARGE_DUE",
      final: false,
      lastProblem: { problem: "unavailable" },
    });

    // Act 2
    await continueOpen();

    // Assess 2
    expect(kit.a55.effects.count(chargeUuid)).toBe(1);
    expect((await status(id)).body).toMatchObject({ state: "DONE", outcome: { outcome: "CANCELLED" } });
    expect(await newest("charge", chargeUuid)).toMatchObject({ outcome: "CANCELLED", via: "continuation" });
  });

  it("e) a retry after a lost answer is told it succeeded: the key remembers the upstream may have acted", async () => {
    // Prepare
    const intentId = kit.newIntent("SUBMITTED");
    const key = randomUUID();
    const cancel = () =>
      kit.http(
        kit.signed({
          method: "POST",
          path: `/api/v1/intents/${intentId}/cancel`,
          headers: { "idempotency-key": key },
        }),
      );
    loseNextAnswer = true;

    // Act
    const first = await cancel();
    const retry = await cancel();

    // Assess
    expect(first.statusCode).toBe(503);
    expect(kit.procureCore.effects.count(intentId)).toBe(1);
    expect(retry.statusCode).toBe(200);
    expect(retry.body).toMatchObject({ code: 0, data: { id: intentId, status: "CANCELLED" } });
    expect(kit.procureCore.effects.count(intentId)).toBe(1);
  });

  it("f) refused credentials are an operational failure: 502, no stored outcome, the bus retries, no refund advised", async () => {
    // Prepare: Procure-Core stops accepting the service's signature.
    const intentId = kit.newIntent("SUBMITTED");
    const key = randomUUID();
    const cancel = () =>
      kit.http(
        kit.signed({
          method: "POST",
          path: `/api/v1/intents/${intentId}/cancel`,
          headers: { "idempotency-key": key },
        }),
      );
    const id = orderId();
    const chargeUuid = kit.newCharge("pending");
    kit.procureCore.apps.set(DEMO_APP_ID, "a-secret-the-service-does-not-have");
    try {
      // Act 1
      const refused = await cancel();
      const order = await cancelOrder(id, { intentId, charge: { chargeUuid, walletUuid: A55_DEMO_WALLET } });
      const event = eventBridgeEvent({
        target: { type: "intent", id: intentId },
        idempotencyKey: randomUUID(),
      });
      const bus = await kit.deliverBus(event);

      // Assess 1
      expect(refused.statusCode).toBe(502);
      expect(await newest("intent", intentId)).toMatchObject({
        outcome: "FAILED",
        retryable: true,
        problem: "credentials-refused",
      });
      expect(order.statusCode).toBe(502);
      expect(JSON.stringify(order.body)).not.toMatch(/refund/i);
      // The bus message is not consumed: it fails, returns after its visibility timeout, and is
      // dead-lettered only after its receives run out.
      expect(bus.verdicts.map((v) => v.verdict)).toEqual([
        expect.objectContaining({ kind: "failed", problem: "credentials-refused" }),
      ]);
      expect(bus.settlement).toMatchObject({ deleted: 0, failed: 1 });
    } finally {
      kit.procureCore.apps.set(DEMO_APP_ID, DEFAULT_DEMO_SECRET);
    }

    // Act 2: the secret is fixed; the same key is retried.
    const retried = await cancel();

    // Assess 2: nothing was replayed; the cancel ran.
    expect(retried.statusCode).toBe(200);
    expect(retried.headers["idempotent-replayed"]).toBeUndefined();
    expect(kit.procureCore.effects.count(intentId)).toBe(1);
  });
});
