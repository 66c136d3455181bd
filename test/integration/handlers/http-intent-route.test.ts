import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { IntentStatus } from "#core/intent-rules.ts";
import { UNAUTHENTICATED_MESSAGE } from "#handlers/http/error-response.ts";
import { type HandlerKit, STOREFRONT_APP_ID, startHandlerKit } from "#test/support/handler-kit.ts";
import { apiGatewayV2Event } from "#test/support/lambda-events.ts";

/** Seed 000's route, served by the exported HTTP handler end to end. */
describe("http-api handler: POST /api/v1/intents/{id}/cancel", () => {
  let kit: HandlerKit;

  beforeAll(async () => {
    kit = await startHandlerKit({ name: "http-intent", dynamoEndpoint: inject("dynamoEndpoint") });
  });
  afterAll(async () => {
    await kit?.close();
  });

  const cancelPath = (id: string): string => `/api/v1/intents/${id}/cancel`;
  const cancel = (id: string) => kit.http(kit.signed({ method: "POST", path: cancelPath(id) }));

  it("SUBMITTED: 200 with the seed's success body, one upstream effect, an audit record and a Succeeded event", async () => {
    // Prepare
    const id = kit.newIntent("SUBMITTED");
    const event = kit.signed({ method: "POST", path: cancelPath(id) });

    // Act
    const response = await kit.http(event);

    // Assess
    const stored = kit.procureCore.intents.get(id);
    const at = new Date(stored?.cancelledAt ?? 0).toISOString();
    expect(response.statusCode).toBe(200);
    expect(response.headers["content-type"]).toBe("application/json; charset=utf-8");
    expect(response.headers["x-correlation-id"]).toBe(event.requestContext.requestId);
    expect(response.body).toEqual({
      code: 0,
      message: "操作成功",
      data: { id, status: "CANCELLED", updatedAt: at, cancelledAt: at },
    });
    expect(stored?.status).toBe("CANCELLED");
    expect(kit.procureCore.effects.count(id)).toBe(1);
    const trail = await kit.audit({ type: "intent", id });
    expect(trail).toHaveLength(1);
    expect(trail[0]).toMatchObject({
      target: { type: "intent", id },
      trigger: "http",
      actor: STOREFRONT_APP_ID,
      outcome: "CANCELLED",
      correlationId: event.requestContext.requestId,
      upstream: { httpStatus: 200, code: 0, message: "操作成功", attempts: 1 },
    });
    const published = (await kit.announced()).filter((e) => e.detail.target.id === id);
    expect(published).toEqual([
      {
        detailType: "Cancellation Succeeded",
        detail: expect.objectContaining({
          target: { type: "intent", id },
          outcome: "CANCELLED",
          trigger: "http",
          correlationId: event.requestContext.requestId,
        }),
      },
    ]);
  });

  it("PROCESSING: 202, code 0, status PROCESSING (asynchronous cancel), a Pending event", async () => {
    const id = kit.newIntent("PROCESSING");

    const response = await cancel(id);

    const stored = kit.procureCore.intents.get(id);
    expect(response.statusCode).toBe(202);
    expect(response.body).toEqual({
      code: 0,
      message: "操作成功",
      data: {
        id,
        status: "PROCESSING",
        updatedAt: new Date(stored?.updatedAt ?? 0).toISOString(),
        cancelledAt: null,
      },
    });
    expect(kit.procureCore.effects.count(id)).toBe(1);
    expect((await kit.audit({ type: "intent", id })).map((r) => r.outcome)).toEqual(["PENDING"]);
    expect((await kit.announced()).filter((e) => e.detail.target.id === id).map((e) => e.detailType)).toEqual(
      ["Cancellation Pending"],
    );
  });

  it("PROCESSING but shipped: 500 with the seed's 50003 body", async () => {
    const id = kit.newIntent("PROCESSING", { shipped: true });

    const response = await cancel(id);

    expect(response.statusCode).toBe(500);
    expect(response.body).toEqual({
      code: 50003,
      message: "取消操作失败",
      data: { reason: "电商平台订单已发货,无法取消" },
    });
    expect(kit.procureCore.effects.count(id)).toBe(0);
    const [record] = await kit.audit({ type: "intent", id });
    expect(record).toMatchObject({ outcome: "FAILED", retryable: false, upstream: { code: 50003 } });
    expect((await kit.announced()).filter((e) => e.detail.target.id === id)).toEqual([
      {
        detailType: "Cancellation Failed",
        detail: expect.objectContaining({ outcome: "FAILED", retryable: false }),
      },
    ]);
  });

  it.each<[IntentStatus, string]>([
    ["DRAFT", "草稿状态不能取消,请直接删除"],
    ["COMPLETED", "已完成的订单不能取消"],
    ["FAILED", "已失败的订单不需要取消"],
    ["CANCELLED", "已取消,不可重复取消"],
  ])("%s: 400 code 40003 with currentStatus and reason, nothing changed upstream", async (status, reason) => {
    const id = kit.newIntent(status);

    const response = await cancel(id);

    expect(response.statusCode).toBe(400);
    expect(response.body).toEqual({
      code: 40003,
      message: "当前状态不允许取消",
      data: { currentStatus: status, reason },
    });
    expect(kit.procureCore.effects.count(id)).toBe(0);
    expect(kit.procureCore.intents.get(id)?.status).toBe(status);
    expect(await kit.audit({ type: "intent", id })).toHaveLength(1);
  });

  it("unknown intent: 404 with the seed's 40401 body", async () => {
    const response = await cancel("intent_does_not_exist");

    expect(response.statusCode).toBe(404);
    expect(response.body).toEqual({ code: 40401, message: "采购意图不存在", data: null });
  });

  it("another app's intent: 403 code 40301", async () => {
    const response = await cancel("intent_other_app");

    expect(response.statusCode).toBe(403);
    expect(response.body).toEqual({ code: 40301, message: "无权访问该资源", data: null });
    expect(kit.procureCore.intents.get("intent_other_app")?.status).toBe("SUBMITTED");
  });

  describe("inbound signature failures: the one 401 body (the reason is logged), nothing sent upstream", () => {
    const refused = async (event: ReturnType<HandlerKit["signed"]>) => {
      const sentBefore = kit.procureCore.requests.count();
      const response = await kit.http(event);
      expect(response.statusCode).toBe(401);
      expect(response.body).toEqual({
        code: 40100,
        message: "认证失败",
        data: { message: UNAUTHENTICATED_MESSAGE },
      });
      expect(kit.procureCore.requests.count()).toBe(sentBefore);
    };

    it("missing header", async () => {
      const id = kit.newIntent("SUBMITTED");
      const event = kit.signed({ method: "POST", path: cancelPath(id) });
      delete event.headers["x-signature"];

      await refused(event);
      expect(kit.procureCore.intents.get(id)?.status).toBe("SUBMITTED");
    });

    it("stale timestamp", async () => {
      const id = kit.newIntent("SUBMITTED");
      const event = kit.signed({
        method: "POST",
        path: cancelPath(id),
        timestampMs: Date.now() - 6 * 60_000,
      });

      await refused(event);
    });

    it("bad signature (signed with another secret)", async () => {
      const id = kit.newIntent("SUBMITTED");
      const event = kit.signed({
        method: "POST",
        path: cancelPath(id),
        app: { appId: STOREFRONT_APP_ID, secret: "not-the-secret" },
      });

      await refused(event);
    });

    it("bad signature (body changed after signing)", async () => {
      const id = kit.newIntent("SUBMITTED");
      const event = kit.signed({ method: "POST", path: cancelPath(id), body: '{"reason":"a"}' });
      event.body = '{"reason":"b"}';

      await refused(event);
    });

    it("unknown app", async () => {
      const id = kit.newIntent("SUBMITTED");
      const event = kit.signed({
        method: "POST",
        path: cancelPath(id),
        app: { appId: "nobody_app", secret: "whatever" },
      });

      await refused(event);
    });
  });

  it("bad id: 400 code 40001 naming the field", async () => {
    const response = await kit.http(kit.signed({ method: "POST", path: "/api/v1/intents/bad%21id/cancel" }));

    expect(response.statusCode).toBe(400);
    expect(response.body).toEqual({
      code: 40001,
      message: "请求参数错误",
      data: {
        field: "id",
        message: "The intent id must hold only letters, digits, _ and - and start with a letter or digit",
      },
    });
  });

  it("ids Procure-Core would refuse and JSON arrays are 400s, never sent upstream (found by fuzzing)", async () => {
    const id = kit.newIntent("SUBMITTED");
    const dotted = await kit.http(kit.signed({ method: "POST", path: "/api/v1/intents/a.b/cancel" }));
    const array = await kit.http(kit.signed({ method: "POST", path: cancelPath(id), body: "[]" }));

    expect([dotted.statusCode, array.statusCode]).toEqual([400, 400]);
    expect(dotted.body).toMatchObject({ code: 40001, data: { field: "id" } });
    expect(array.body).toMatchObject({ code: 40001, data: { field: "body" } });
    expect(kit.procureCore.effects.count(id)).toBe(0);
  });

  it("bad body: 400 code 40001 naming the field", async () => {
    const id = kit.newIntent("SUBMITTED");

    const response = await kit.http(
      kit.signed({ method: "POST", path: cancelPath(id), body: JSON.stringify({ reason: 42 }) }),
    );

    expect(response.statusCode).toBe(400);
    expect(response.body).toMatchObject({ code: 40001, message: "请求参数错误", data: { field: "reason" } });
    expect(kit.procureCore.effects.count(id)).toBe(0);
  });

  it("body too large: 413", async () => {
    const id = kit.newIntent("SUBMITTED");
    const body = JSON.stringify({ reason: "x".repeat(17_000) });

    const response = await kit.http(kit.signed({ method: "POST", path: cancelPath(id), body }));

    expect(response.statusCode).toBe(413);
    expect(response.body).toEqual({
      code: 41300,
      message: "请求体过大",
      data: { message: "The body is larger than 16384 bytes" },
    });
    expect(kit.procureCore.effects.count(id)).toBe(0);
  });

  it("unknown route: 404", async () => {
    const response = await kit.http(apiGatewayV2Event({ method: "POST", path: "/api/v1/nothing/here" }));

    expect(response.statusCode).toBe(404);
    expect(response.body).toEqual({
      error: { code: "route-not-found", message: "No route for /api/v1/nothing/here" },
    });
  });

  it("wrong method: 405 with Allow, in the route's dialect", async () => {
    const response = await kit.http(kit.signed({ method: "GET", path: cancelPath("intent_67890") }));

    expect(response.statusCode).toBe(405);
    expect(response.headers.allow).toBe("POST");
    expect(response.body).toEqual({
      code: 40500,
      message: "请求方法不允许",
      data: { message: "GET is not allowed here; use POST" },
    });
    expect(kit.procureCore.intents.get("intent_67890")?.status).toBe("SUBMITTED");
  });
});
