import { createHmac, randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { RunningFrontDoor } from "#local/stack/front-door.ts";
import { type HandlerKit, startHandlerKit } from "#test/support/handler-kit.ts";
import { startTestFrontDoor } from "#test/support/local-front-door.ts";
import { runCli } from "../../../bin/cancelctl/cli.ts";

/**
 * Signed routes with ids holding `:`, `.`, `-`, `_`, sent with and without percent-escapes.
 * API Gateway HTTP APIs hand the function `rawPath` decoded while the client signs what it
 * sends: each request must still verify (docs/signing.md), and the id the routes act on is
 * the decoded one, decoded exactly once. Driven through the exported handler with events
 * as AWS fills them, and end to end through the local front door, by cancelctl and by a
 * request signed by hand.
 */
describe("signed routes: ids with reserved characters and percent-escapes", () => {
  let kit: HandlerKit;
  let door: RunningFrontDoor;

  beforeAll(async () => {
    kit = await startHandlerKit({ name: "http-path", dynamoEndpoint: inject("dynamoEndpoint") });
    door = await startTestFrontDoor({ http: kit.handlers.http as never });
  });
  afterAll(async () => {
    await door?.close();
    await kit?.close();
  });

  /** A fresh order id holding every character an id may hold besides letters and digits. */
  const orderId = (): string => `eu.shop:order-${randomUUID().slice(0, 8)}_a`;
  /** The id as a client that escapes everything but letters and digits sends it. */
  const escapedAll = (id: string): string =>
    [...id].map((c) => (/[A-Za-z0-9]/.test(c) ? c : `%${c.charCodeAt(0).toString(16)}`)).join("");

  describe("through the exported handler (events as API Gateway HTTP APIs fill them)", () => {
    it.each([
      ["as is", (id: string) => id],
      ["escaped by encodeURIComponent", (id: string) => encodeURIComponent(id)],
      ["with every reserved and unreserved character escaped, in lower-case hex", escapedAll],
    ])("cancels an order whose id is sent %s, under the decoded id", async (_how, encode) => {
      // Prepare
      const id = orderId();
      const intentId = kit.newIntent("SUBMITTED");
      const event = kit.signed({
        method: "POST",
        path: `/api/v1/orders/${encode(id)}/cancel`,
        body: JSON.stringify({ intentId }),
        headers: { "idempotency-key": randomUUID() },
      });

      // Act
      const response = await kit.http(event);

      // Assess
      expect(event.rawPath).toBe(`/api/v1/orders/${id}/cancel`);
      expect(response.statusCode).toBe(200);
      expect(response.body).toMatchObject({ orderId: id, outcome: "CANCELLED" });
      expect(kit.procureCore.effects.count(intentId)).toBe(1);
      // The order's trail under the decoded id: its opening (REQUESTED) and its outcome.
      expect((await kit.audit({ type: "order", id })).map((r) => r.outcome)).toEqual([
        "CANCELLED",
        "PENDING",
      ]);
    });

    it("reads an audit trail whose id and query hold escapes", async () => {
      // Prepare
      const id = orderId();
      await kit.http(
        kit.signed({
          method: "POST",
          path: `/api/v1/orders/${encodeURIComponent(id)}/cancel`,
          body: JSON.stringify({ intentId: kit.newIntent("SUBMITTED") }),
          headers: { "idempotency-key": randomUUID() },
        }),
      );

      // Act
      const response = await kit.http(
        kit.signed({ method: "GET", path: `/api/v1/cancellations/order/${escapedAll(id)}?limit=%35` }),
      );

      // Assess
      expect(response.statusCode).toBe(200);
      expect((response.body as { items: { target: { id: string } }[] }).items).toEqual([
        expect.objectContaining({ target: { type: "order", id }, outcome: "CANCELLED" }),
        expect.objectContaining({ target: { type: "order", id }, outcome: "PENDING", state: "REQUESTED" }),
      ]);
    });

    it("decodes once: a '%' left in the decoded path is refused, never read as another id", async () => {
      // Prepare: `order%3A1` sent so that API Gateway's two decodings leave `order%3A1`
      const event = kit.signed({
        method: "POST",
        path: "/api/v1/orders/order_1/cancel",
        body: JSON.stringify({ intentId: kit.newIntent("SUBMITTED") }),
        headers: { "idempotency-key": randomUUID() },
      });
      event.rawPath = "/api/v1/orders/order%3A1/cancel";
      event.requestContext.http.path = event.rawPath;

      // Act
      const response = await kit.http(event);

      // Assess
      expect(response.statusCode).toBe(400);
      expect(response.body).toMatchObject({ error: { code: "validation", field: "path" } });
      expect(await kit.audit({ type: "order", id: "order:1" })).toEqual([]);
      expect(await kit.audit({ type: "order", id: "order%3A1" })).toEqual([]);
    });
  });

  describe("end to end through the local front door", () => {
    const cancelctl = async (...argv: string[]): Promise<{ code: number; out: string; err: string }> => {
      let out = "";
      let err = "";
      const code = await runCli(
        argv,
        {
          CANCEL_API_URL: door.url,
          APP_ID: kit.app.appId,
          APP_SECRET: kit.app.secret,
          CANCEL_LOCAL_DIR: "/nonexistent",
        },
        { out: (text) => (out += `${text}\n`), err: (text) => (err += text), errIsTty: false },
      );
      return { code, out, err };
    };

    it("cancelctl cancels an order with such an id and reads its audit trail", async () => {
      // Prepare
      const id = orderId();
      const intentId = kit.newIntent("SUBMITTED");

      // Act
      const cancelled = await cancelctl("order", "cancel", id, "--intent", intentId, "--json");
      const trail = await cancelctl("audit", "order", id, "--json");

      // Assess
      expect(cancelled.err).toBe("");
      expect(cancelled.code).toBe(0);
      expect(JSON.parse(cancelled.out)).toMatchObject({
        outcome: "CANCELLED",
        body: { orderId: id, outcome: "CANCELLED" },
      });
      expect(trail.code).toBe(0);
      expect(JSON.parse(trail.out)).toMatchObject({
        body: {
          items: [
            { target: { type: "order", id }, outcome: "CANCELLED" },
            { target: { type: "order", id }, outcome: "PENDING" },
          ],
        },
      });
      expect(kit.procureCore.effects.count(intentId)).toBe(1);
    });

    it("cancelctl refuses an id that cannot reach the service as it is", async () => {
      const result = await cancelctl("order", "cancel", "order%3A1", "--intent", "intent_67890");

      expect(result.code).toBe(1);
      expect(result.err).toContain("decodes paths twice");
      expect(result.err).not.toContain("    at ");
    });

    /** Signed by hand, as docs/tour.md shows: HMAC over the canonical path, not through the service's module. */
    const signByHand = (canonicalPath: string, body: string) => {
      const timestamp = String(Date.now());
      const signature = createHmac("sha256", kit.app.secret)
        .update(`POST\n${canonicalPath}\n${timestamp}\n${body}`, "utf8")
        .digest("hex");
      return { "x-app-id": kit.app.appId, "x-timestamp": timestamp, "x-signature": signature };
    };

    it.each([
      ["escaped", (id: string) => encodeURIComponent(id)],
      ["as is", (id: string) => id],
      ["escaped in lower-case hex", escapedAll],
    ])(
      "a request signed by hand over the canonical path is accepted, its path sent %s",
      async (_how, encode) => {
        // Prepare
        const id = orderId();
        const body = JSON.stringify({ intentId: kit.newIntent("SUBMITTED") });
        const canonical = `/api/v1/orders/${id.replaceAll(":", "%3A")}/cancel`;

        // Act
        const response = await fetch(`${door.url}/api/v1/orders/${encode(id)}/cancel`, {
          method: "POST",
          headers: {
            ...signByHand(canonical, body),
            "content-type": "application/json",
            "idempotency-key": randomUUID(),
          },
          body,
        });

        // Assess
        expect(response.status).toBe(200);
        expect(await response.json()).toMatchObject({ orderId: id, outcome: "CANCELLED" });
      },
    );

    it("a request signed by hand over the decoded path (not canonical) is refused", async () => {
      const id = orderId();
      const body = JSON.stringify({ intentId: kit.newIntent("SUBMITTED") });

      const response = await fetch(`${door.url}/api/v1/orders/${encodeURIComponent(id)}/cancel`, {
        method: "POST",
        headers: { ...signByHand(`/api/v1/orders/${id}/cancel`, body), "idempotency-key": randomUUID() },
        body,
      });

      expect(response.status).toBe(401);
    });
  });
});
