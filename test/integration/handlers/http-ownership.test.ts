import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import type { AuditRecord } from "#core/ports.ts";
import type { GrantAppId } from "#test/support/grant-clients.ts";
import { useGrantedHandlerKit } from "#test/support/granted-handler-kit.ts";

/**
 * Ownership (issue 18, Deliver 2), through the HTTP handler on DynamoDB Local: order ids are
 * each client's own, a client reads only its own orders and records, and another's are
 * answered exactly as if they did not exist (404, never a 403 that would confirm them); an
 * operator reads any client's by naming it (`owner`).
 */
describe("http-api handler: whose orders and records a client sees", () => {
  const { kit, clients } = useGrantedHandlerKit("http-ownership");

  const as = (appId: GrantAppId, input: { method: string; path: string; body?: string; key?: string }) =>
    kit.http(
      kit.signed({
        method: input.method,
        path: input.path,
        ...(input.body !== undefined && { body: input.body }),
        app: clients.apps[appId],
        headers: { "idempotency-key": input.key ?? randomUUID() },
      }),
    );
  const cancelOrder = (appId: GrantAppId, id: string, body: unknown) =>
    as(appId, { method: "POST", path: `/api/v1/orders/${id}/cancel`, body: JSON.stringify(body) });
  const status = (appId: GrantAppId, id: string, owner?: string) =>
    as(appId, {
      method: "GET",
      path: `/api/v1/orders/${id}/cancellation${owner ? `?owner=${owner}` : ""}`,
    });
  const trail = (appId: GrantAppId, type: string, id: string, owner?: string) =>
    as(appId, {
      method: "GET",
      path: `/api/v1/cancellations/${type}/${id}${owner ? `?owner=${owner}` : ""}`,
    });
  const orderId = (): string => `order-${randomUUID().slice(0, 8)}`;
  /** An answer with the ids it names replaced, to compare two answers about different ids. */
  const shapeOf = (body: unknown, ...ids: string[]): string =>
    ids.reduce((text, id) => text.replaceAll(id, "<id>"), JSON.stringify(body));

  it("two clients use the same order id independently: each cancels its own, reads its own", async () => {
    // Prepare
    const id = orderId();
    const intentA = kit.newIntent("SUBMITTED");
    const intentB = kit.newIntent("SUBMITTED");

    // Act
    const a = await cancelOrder("shop-a", id, {
      intentId: intentA,
      reason: "a's customer changed their mind",
    });
    const b = await cancelOrder("shop-b", id, { intentId: intentB });
    const statusA = await status("shop-a", id);
    const statusB = await status("shop-b", id);

    // Assess: before ownership, B's cancel was refused ("this order already has a cancellation").
    expect([a.statusCode, b.statusCode]).toEqual([200, 200]);
    expect(kit.procureCore.effects.count(intentA)).toBe(1);
    expect(kit.procureCore.effects.count(intentB)).toBe(1);
    expect(statusA.body).toMatchObject({ orderId: id, steps: { intent: { id: intentA } } });
    expect(statusB.body).toMatchObject({ orderId: id, steps: { intent: { id: intentB } } });
    const ownersOf = async (owner: string) =>
      (await kit.audit({ type: "order", id }, owner)).map((r) => [r.owner, r.actor]);
    expect(new Set((await ownersOf("shop-a")).flat())).toEqual(new Set(["shop-a"]));
    expect(new Set((await ownersOf("shop-b")).flat())).toEqual(new Set(["shop-b"]));
  });

  it("another client's order status is a 404 exactly like an order nobody has, even when it names the owner", async () => {
    const id = orderId();
    const unknown = orderId();
    expect((await cancelOrder("shop-a", id, { intentId: kit.newIntent("SUBMITTED") })).statusCode).toBe(200);

    const others = await status("shop-b", id);
    const naming = await status("shop-b", id, "shop-a");
    const nobodys = await status("shop-b", unknown);

    expect(others.statusCode).toBe(404);
    expect(naming.statusCode).toBe(404);
    expect(shapeOf(others.body, id)).toBe(shapeOf(nobodys.body, unknown));
    expect(shapeOf(naming.body, id)).toBe(shapeOf(nobodys.body, unknown));
    expect((await status("shop-a", id)).statusCode).toBe(200);
  });

  it("another client's order trail is a 404 like an unknown one; the operator reads it by naming its owner", async () => {
    const id = orderId();
    const unknown = orderId();
    await cancelOrder("shop-a", id, { intentId: kit.newIntent("SUBMITTED") });

    const others = await trail("shop-b", "order", id);
    const naming = await trail("shop-b", "order", id, "shop-a");
    const nobodys = await trail("shop-b", "order", unknown);
    const operator = await trail("ops-desk", "order", id, "shop-a");
    const operatorStatus = await status("ops-desk", id, "shop-a");

    expect([others.statusCode, naming.statusCode, nobodys.statusCode]).toEqual([404, 404, 404]);
    expect(shapeOf(others.body, id)).toBe(shapeOf(nobodys.body, unknown));
    expect(operator.statusCode).toBe(200);
    expect((operator.body as { items: AuditRecord[] }).items.length).toBeGreaterThan(0);
    expect(operatorStatus.statusCode).toBe(200);
  });

  it("an intent's trail is shared: a client sees only its own records, never another's key or reason", async () => {
    // Prepare: shop-a cancels the intent; shop-b has not touched it yet
    const intentId = kit.newIntent("SUBMITTED");
    const keyA = `a-key-${randomUUID()}`;
    const path = `/api/v1/intents/${intentId}/cancel`;
    const body = (reason: string) => JSON.stringify({ reason });
    await as("shop-a", { method: "POST", path, body: body("shop-a's private reason"), key: keyA });

    // Act
    const beforeB = await trail("shop-b", "intent", intentId);
    await as("shop-b", { method: "POST", path, body: body("shop-b asks too") });
    const afterB = await trail("shop-b", "intent", intentId);
    const ownTrail = await trail("shop-a", "intent", intentId);
    const operator = await trail("ops-desk", "intent", intentId);

    // Assess
    expect(beforeB.statusCode).toBe(404);
    expect(afterB.statusCode).toBe(200);
    const seenByB = (afterB.body as { items: AuditRecord[] }).items;
    expect(seenByB.length).toBeGreaterThan(0);
    expect(seenByB.every((r) => r.owner === "shop-b")).toBe(true);
    expect(JSON.stringify(seenByB)).not.toContain(keyA);
    expect(JSON.stringify(seenByB)).not.toContain("shop-a's private reason");
    expect((ownTrail.body as { items: AuditRecord[] }).items.every((r) => r.owner === "shop-a")).toBe(true);
    const owners = new Set((operator.body as { items: AuditRecord[] }).items.map((r) => r.owner));
    expect(owners).toEqual(new Set(["shop-a", "shop-b"]));
  });
});
