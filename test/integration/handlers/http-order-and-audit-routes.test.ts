import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { UNAUTHENTICATED_MESSAGE } from "#handlers/http/error-response.ts";
import { A55_DEMO_WALLET } from "#local/sandboxes/a55/demo-charges.ts";
import { type HandlerKit, STOREFRONT_APP_ID, startHandlerKit } from "#test/support/handler-kit.ts";

describe("http-api handler: POST /api/v1/orders/{orderId}/cancel and GET /api/v1/cancellations/{type}/{id}", () => {
  let kit: HandlerKit;

  beforeAll(async () => {
    kit = await startHandlerKit({ name: "http-order", dynamoEndpoint: inject("dynamoEndpoint") });
  });
  afterAll(async () => {
    await kit?.close();
  });

  /** `key: null` sends no Idempotency-Key. */
  const cancelOrder = (orderId: string, body: unknown, key: string | null = randomUUID()) =>
    kit.http(
      kit.signed({
        method: "POST",
        path: `/api/v1/orders/${orderId}/cancel`,
        body: JSON.stringify(body),
        ...(key === null ? {} : { headers: { "idempotency-key": key } }),
      }),
    );
  const orderId = (): string => `order-${randomUUID().slice(0, 8)}`;

  describe("order route", () => {
    it("intent and charge both cancelled: 200, intent first, one effect each", async () => {
      // Prepare
      const id = orderId();
      const intentId = kit.newIntent("SUBMITTED");
      const chargeUuid = kit.newCharge("pending");

      // The shared upstream budget's rings exist once an upstream was called (a first call creates them).
      await cancelOrder(orderId(), {
        intentId: kit.newIntent("SUBMITTED"),
        charge: { chargeUuid: kit.newCharge("pending"), walletUuid: A55_DEMO_WALLET },
      });

      // Act
      kit.roundTrips.reset();
      const response = await cancelOrder(id, {
        intentId,
        charge: { chargeUuid, walletUuid: A55_DEMO_WALLET },
        reason: "customer cancelled the order",
      });
      const roundTrips = kit.roundTrips.byCommand();

      // Assess
      expect(response.statusCode).toBe(200);
      expect(response.body).toEqual({
        orderId: id,
        outcome: "CANCELLED",
        steps: {
          intent: { id: intentId, outcome: "CANCELLED" },
          charge: { id: chargeUuid, outcome: "CANCELLED" },
        },
      });
      expect(kit.procureCore.effects.count(intentId)).toBe(1);
      expect(kit.a55.effects.count(chargeUuid)).toBe(1);
      // Five DynamoDB round trips: take the key, open the order's cancellation, a slot of the
      // shared budget for each upstream request (intent, charge), complete both.
      expect(roundTrips).toEqual({ PutItemCommand: 1, TransactWriteItemsCommand: 2, UpdateItemCommand: 2 });
      const [record, ...older] = await kit.audit({ type: "order", id });
      // The only older record is the cancellation's opening, written before any upstream call.
      expect(older).toEqual([expect.objectContaining({ outcome: "PENDING", state: "REQUESTED" })]);
      expect(record).toMatchObject({
        target: { type: "order", id },
        trigger: "http",
        actor: STOREFRONT_APP_ID,
        outcome: "CANCELLED",
        reason: "customer cancelled the order",
      });
      expect((await kit.announced()).filter((e) => e.detail.target.id === id)).toEqual([
        {
          detailType: "Cancellation Succeeded",
          detail: expect.objectContaining({ target: { type: "order", id }, outcome: "CANCELLED" }),
        },
      ]);
    });

    it("intent COMPLETED: 409 NOT_CANCELLABLE and the charge is not touched", async () => {
      const id = orderId();
      const intentId = kit.newIntent("COMPLETED");
      const chargeUuid = kit.newCharge("pending");
      const seenBefore = kit.a55.seen().length;

      const response = await cancelOrder(id, {
        intentId,
        charge: { chargeUuid, walletUuid: A55_DEMO_WALLET },
      });

      expect(response.statusCode).toBe(409);
      expect(response.body).toEqual({
        orderId: id,
        outcome: "NOT_CANCELLABLE",
        reason: "已完成的订单不能取消",
        currentStatus: "COMPLETED",
        advice: "Goods were bought: arrange a return/refund with support.",
        steps: {
          intent: {
            id: intentId,
            outcome: "NOT_CANCELLABLE",
            reason: "已完成的订单不能取消",
            currentStatus: "COMPLETED",
            advice: "The intent completed: contact support for a return or refund.",
          },
          chargeSkipped:
            "The intent completed (goods bought): arrange a return/refund instead of cancelling the charge.",
        },
      });
      expect(kit.a55.effects.count(chargeUuid)).toBe(0);
      expect(kit.a55.seen().length).toBe(seenBefore);
      expect(kit.a55.charges.get(chargeUuid)?.status).toBe("pending");
    });

    it("intent cancelled but charge settled: outcome REFUND_REQUIRED and a Refund Required event", async () => {
      const id = orderId();
      const intentId = kit.newIntent("SUBMITTED");
      const chargeUuid = kit.newCharge("settled");

      const response = await cancelOrder(id, {
        intentId,
        charge: { chargeUuid, walletUuid: A55_DEMO_WALLET },
      });

      const reason =
        "CANCEL_NOT_ALLOWED: Charge has already been settled and cannot be cancelled. Use refund instead.";
      expect(response.statusCode).toBe(200);
      expect(response.body).toEqual({
        orderId: id,
        outcome: "REFUND_REQUIRED",
        reason,
        steps: {
          intent: { id: intentId, outcome: "CANCELLED" },
          charge: { id: chargeUuid, outcome: "REFUND_REQUIRED", reason },
        },
      });
      expect(kit.procureCore.intents.get(intentId)?.status).toBe("CANCELLED");
      expect(
        (await kit.announced()).filter((e) => e.detail.target.id === id).map((e) => e.detailType),
      ).toEqual(["Refund Required"]);
      expect((await kit.audit({ type: "order", id })).map((r) => r.outcome)).toEqual([
        "REFUND_REQUIRED",
        "PENDING",
      ]);
    });

    it("missing Idempotency-Key: 400 naming the header, nothing sent", async () => {
      const intentId = kit.newIntent("SUBMITTED");

      const response = await cancelOrder(orderId(), { intentId }, null);

      expect(response.statusCode).toBe(400);
      expect(response.body).toEqual({
        error: {
          code: "validation",
          message: "Idempotency-Key is required on this route",
          field: "Idempotency-Key",
        },
      });
      expect(kit.procureCore.intents.get(intentId)?.status).toBe("SUBMITTED");
    });
  });

  describe("audit route", () => {
    it("returns one target's trail, newest first, without credentials", async () => {
      // Prepare: two attempts on one intent — a cancel, then a repeat the upstream refuses.
      const intentId = kit.newIntent("SUBMITTED");
      const first = kit.signed({ method: "POST", path: `/api/v1/intents/${intentId}/cancel` });
      expect((await kit.http(first)).statusCode).toBe(200);
      const second = kit.signed({ method: "POST", path: `/api/v1/intents/${intentId}/cancel` });
      expect((await kit.http(second)).statusCode).toBe(400);

      // Act
      const response = await kit.http(
        kit.signed({ method: "GET", path: `/api/v1/cancellations/intent/${intentId}` }),
      );

      // Assess
      expect(response.statusCode).toBe(200);
      const page = response.body as { items: Record<string, unknown>[]; cursor?: string };
      expect(page.cursor).toBeUndefined();
      expect(page.items).toEqual([
        expect.objectContaining({
          target: { type: "intent", id: intentId },
          outcome: "ALREADY_CANCELLED",
          trigger: "http",
          actor: STOREFRONT_APP_ID,
          correlationId: second.requestContext.requestId,
        }),
        expect.objectContaining({
          target: { type: "intent", id: intentId },
          outcome: "CANCELLED",
          trigger: "http",
          actor: STOREFRONT_APP_ID,
          correlationId: first.requestContext.requestId,
        }),
      ]);
      const [newest, oldest] = page.items as { at: string }[];
      expect(Date.parse(newest?.at ?? "")).toBeGreaterThanOrEqual(Date.parse(oldest?.at ?? ""));
      for (const secret of [
        kit.app.secret,
        kit.upstreamSecrets.procureCoreAppSecret,
        first.headers["x-signature"],
      ]) {
        expect(response.rawBody).not.toContain(secret);
      }
    });

    it("pages with limit and cursor", async () => {
      const intentId = kit.newIntent("SUBMITTED");
      for (let i = 0; i < 3; i++) {
        await kit.http(kit.signed({ method: "POST", path: `/api/v1/intents/${intentId}/cancel` }));
      }

      const first = await kit.http(
        kit.signed({ method: "GET", path: `/api/v1/cancellations/intent/${intentId}?limit=2` }),
      );
      const firstPage = first.body as { items: { outcome: string }[]; cursor?: string };
      const cursor = encodeURIComponent(firstPage.cursor ?? "");
      const second = await kit.http(
        kit.signed({
          method: "GET",
          path: `/api/v1/cancellations/intent/${intentId}?limit=2&cursor=${cursor}`,
        }),
      );

      expect(first.statusCode).toBe(200);
      expect(firstPage.items.map((r) => r.outcome)).toEqual(["ALREADY_CANCELLED", "ALREADY_CANCELLED"]);
      expect(second.statusCode).toBe(200);
      expect((second.body as { items: { outcome: string }[] }).items.map((r) => r.outcome)).toEqual([
        "CANCELLED",
      ]);
    });

    it("is signed like the cancel routes: 401 without a signature", async () => {
      const response = await kit.http(
        kit.bearer({ method: "GET", path: "/api/v1/cancellations/intent/intent_67890" }),
      );

      expect(response.statusCode).toBe(401);
      expect(response.body).toEqual({
        error: { code: "unauthenticated", message: UNAUTHENTICATED_MESSAGE },
      });
    });
  });
});
