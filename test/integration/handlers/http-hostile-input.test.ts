import { randomUUID } from "node:crypto";
import type { APIGatewayProxyEventV2 } from "aws-lambda";
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from "vitest";
import { MAX_REASON_LENGTH } from "#adapters/events/cancel-requested-schema.ts";
import { signRequest } from "#adapters/http/request-signature.ts";
import { A55_DEMO_WALLET } from "#local/sandboxes/a55/demo-charges.ts";
import { type HandlerKit, type HttpResult, startHandlerKit } from "#test/support/handler-kit.ts";
import { apiGatewayV2Event } from "#test/support/lambda-events.ts";

/** A cursor as the listings write them: base64url JSON of a key, a number as `{ n }`. */
const cursorOf = (key: unknown): string => Buffer.from(JSON.stringify(key), "utf8").toString("base64url");

/** The three cancel doors, each answering a refusal in its own dialect. */
type Door = "intent" | "charge" | "order";

/**
 * Input that must be checked at the door before it reaches DynamoDB, an upstream or a
 * terminal (issue 18, "Deliver 4"): cursors, the body's encoding, `limit`, and reasons.
 * Every refusal is a 4xx naming the field, in the route's dialect, with no DynamoDB call
 * (cursors) and no upstream call.
 */
describe("http-api handler: hostile input is refused at the door", () => {
  let kit: HandlerKit;

  beforeAll(async () => {
    kit = await startHandlerKit({ name: "http-hostile", dynamoEndpoint: inject("dynamoEndpoint") });
  });
  afterAll(async () => {
    await kit?.close();
  });
  beforeEach(() => {
    kit.roundTrips.reset();
  });

  const get = (path: string) => kit.http(kit.signed({ method: "GET", path }));
  const upstreamCalls = () => kit.procureCore.requests.count() + kit.a55.seen().length;

  const expectServiceRefusal = (response: HttpResult, field: string): void => {
    expect({ status: response.statusCode, body: response.body }).toMatchObject({
      status: 400,
      body: { error: { code: "validation", field } },
    });
  };

  describe("cursors are checked against the index's key schema before any DynamoDB call", () => {
    const target = `intent_${randomUUID().slice(0, 8)}`;
    const pk = `TARGET#intent#${target}`;
    const auditCursors: [string, unknown][] = [
      ["the sort key as a number", { pk, sk: { n: "5" } }],
      ["an empty sort key", { pk, sk: "" }],
      ["a sort key above DynamoDB's 1,024 bytes", { pk, sk: "x".repeat(1_025) }],
      ["a sort key holding a lone surrogate", { pk, sk: "2026\ud800" }],
      ["an attribute of another index", { pk, sk: "2026", nextCheckAt: { n: "1" } }],
      ["a key attribute missing", { pk }],
      ["a key as a JSON array", [pk, "2026"]],
    ];
    it.each(auditCursors)("audit trail: %s → 400 naming cursor, no DynamoDB call", async (_case, key) => {
      const response = await get(`/api/v1/cancellations/intent/${target}?cursor=${cursorOf(key)}`);

      expectServiceRefusal(response, "cursor");
      expect(kit.roundTrips.of("QueryCommand")).toBe(0);
    });

    const due = { dueKey: "DUE", pk: "CANCELLATION#order#o-1", sk: "STATE" };
    const openCursors: [string, unknown][] = [
      ["nextCheckAt as a string", { ...due, nextCheckAt: "1700000000000" }],
      ["nextCheckAt of 60 digits", { ...due, nextCheckAt: { n: "1".repeat(60) } }],
      ["nextCheckAt with 39 significant digits", { ...due, nextCheckAt: { n: `1.${"2".repeat(38)}` } }],
      ["the table's sort key as a number", { ...due, nextCheckAt: { n: "1" }, sk: { n: "1" } }],
      ["an empty table partition key", { ...due, nextCheckAt: { n: "1" }, pk: "" }],
      ["a table partition key above 2,048 bytes", { ...due, nextCheckAt: { n: "1" }, pk: "é".repeat(1_025) }],
      ["another index partition", { ...due, nextCheckAt: { n: "1" }, dueKey: "NOT-DUE" }],
    ];
    it.each(openCursors)(
      "open cancellations: %s → 400 naming cursor, no DynamoDB call",
      async (_case, key) => {
        const response = await get(`/api/v1/cancellations?state=open&cursor=${cursorOf(key)}`);

        expectServiceRefusal(response, "cursor");
        expect(kit.roundTrips.of("QueryCommand")).toBe(0);
      },
    );

    it("a cursor the listing gave still pages (audit trail and open cancellations)", async () => {
      const id = kit.newIntent("COMPLETED");
      const cancel = () =>
        kit.http(kit.signed({ method: "POST", path: `/api/v1/intents/${id}/cancel`, body: "{}" }));
      await cancel();
      await cancel();
      const first = await get(`/api/v1/cancellations/intent/${id}?limit=1`);
      const { cursor } = first.body as { cursor: string };
      const second = await get(`/api/v1/cancellations/intent/${id}?limit=1&cursor=${cursor}`);

      expect(second.statusCode).toBe(200);
      expect((second.body as { items: unknown[] }).items).toHaveLength(1);
      const open = await get(`/api/v1/cancellations?cursor=${cursorOf({ ...due, nextCheckAt: { n: "1" } })}`);
      expect(open.statusCode).toBe(200);
    });
  });

  describe("`limit` is decimal digits only, on every route that takes it", () => {
    const routes = [
      ["audit trail", (limit: string) => `/api/v1/cancellations/intent/intent_1?limit=${limit}`],
      ["open cancellations", (limit: string) => `/api/v1/cancellations?limit=${limit}`],
    ] as const;
    const refused = [
      "1e2",
      "0x10",
      "+5",
      "-1",
      "5.0",
      " 5",
      "5 ",
      "",
      "0",
      "101",
      "99999999999999999999",
      "٥",
    ];
    for (const [route, path] of routes) {
      it.each(refused)(`${route}: limit=%j → 400 naming limit`, async (limit) => {
        expectServiceRefusal(await get(path(encodeURIComponent(limit))), "limit");
        expect(kit.roundTrips.of("QueryCommand")).toBe(0);
      });

      it(`${route}: 1, 007 and 100 are limits`, async () => {
        for (const limit of ["1", "007", "100"]) expect((await get(path(limit))).statusCode).toBe(200);
      });
    }
  });

  /** A request at one door with this body, signed or with a bearer token as the door wants. */
  const request = (door: Door, body: { bytes?: Buffer; text?: string; signedAs?: string }) => {
    const path =
      door === "intent"
        ? `/api/v1/intents/${kit.newIntent("SUBMITTED")}/cancel`
        : door === "charge"
          ? `/api/v1/bank/wallet/charge/${kit.newCharge("pending")}/cancel/${A55_DEMO_WALLET}/`
          : `/api/v1/orders/order-${randomUUID().slice(0, 8)}/cancel`;
    const headers: Record<string, string> = { "idempotency-key": randomUUID() };
    if (door === "charge") headers.authorization = `Bearer ${kit.clientToken}`;
    else {
      // A client whose library signs the text it holds: the signature matches what the
      // service would read if it decoded leniently.
      const signed = body.signedAs ?? body.text ?? body.bytes?.toString("utf8") ?? "";
      const credentials = { appId: kit.app.appId, appSecret: kit.app.secret };
      Object.assign(
        headers,
        signRequest(credentials, { method: "POST", pathAndQuery: path, body: signed }, Date.now()),
      );
    }
    const event: APIGatewayProxyEventV2 = apiGatewayV2Event({ method: "POST", path, headers });
    if (body.bytes !== undefined) {
      event.body = body.bytes.toString("base64");
      event.isBase64Encoded = true;
    } else {
      event.body = body.text;
    }
    return kit.http(event);
  };

  /** The door's refusal of `field`: Procure-Core's 40001, A55's 422, or the service's own 400. */
  const expectRefusal = (door: Door, response: HttpResult, field: string): void => {
    const answer = { status: response.statusCode, body: response.body };
    if (door === "intent") {
      expect(answer).toMatchObject({ status: 400, body: { code: 40001, data: { field } } });
    } else if (door === "charge") {
      expect(answer).toMatchObject({
        status: 422,
        body: { status: "error", message: [{ code: "VALIDATION_ERROR", source: field }] },
      });
    } else {
      expect(answer).toMatchObject({ status: 400, body: { error: { code: "validation", field } } });
    }
  };

  const bodyFor = (door: Door, reason: string): string =>
    JSON.stringify(door === "order" ? { intentId: kit.newIntent("SUBMITTED"), reason } : { reason });

  describe("a body that is not valid UTF-8 is refused, not repaired with U+FFFD", () => {
    const doors: Door[] = ["intent", "charge", "order"];
    it.each(doors)("%s door: invalid bytes (base64-encoded body) → refused naming body", async (door) => {
      const json = bodyFor(door, "READY");
      const bytes = Buffer.from(json, "utf8");
      // `READY` becomes 0xFF 0xFE …: two bytes no UTF-8 text holds.
      const at = bytes.indexOf("READY");
      bytes[at] = 0xff;
      bytes[at + 1] = 0xfe;
      const sent = upstreamCalls();

      expectRefusal(door, await request(door, { bytes }), "body");
      expect(upstreamCalls()).toBe(sent);
    });

    it.each(doors)("%s door: a text body with a raw lone surrogate → refused naming body", async (door) => {
      const sent = upstreamCalls();
      // JSON.stringify escapes it (`\\ud83d`); the body here holds the surrogate itself.
      const text = bodyFor(door, "half \ud83d of an emoji").replace("\\ud83d", "\ud83d");

      expectRefusal(door, await request(door, { text }), "body");
      expect(upstreamCalls()).toBe(sent);
    });
  });

  describe("reasons: control characters and lengths above the cap are refused on every door", () => {
    const controls: [string, string][] = [
      ["ESC (a cursor move)", "ok\u001b[2J\u001b[Hcleared"],
      ["BEL", "ring\u0007"],
      ["NUL", "nul\u0000byte"],
      ["CR", "line\rover"],
      ["LF (a forged line)", "fine\noutcome.outcome CANCELLED"],
      ["TAB", "a\tb"],
      ["DEL", "del\u007f"],
      ["C1 NEL", "next\u0085line"],
      ["C1 CSI", "csi\u009b2J"],
      ["U+2028 line separator", "line\u2028separator"],
      ["U+2029 paragraph separator", "para\u2029graph"],
      ["an escaped lone surrogate (JSON \\ud83d)", "half \ud83d of an emoji"],
    ];
    const cases = (["intent", "charge", "order"] as Door[]).flatMap((door) =>
      controls.map(([name, reason]) => [door, name, reason] as const),
    );
    it.each(cases)("%s door: a reason with %s → refused naming reason", async (door, _name, reason) => {
      const sent = upstreamCalls();

      expectRefusal(door, await request(door, { text: bodyFor(door, reason) }), "reason");
      expect(upstreamCalls()).toBe(sent);
    });

    it.each(["intent", "charge", "order"] as Door[])(
      "%s door: a reason one character above the cap → refused naming reason; at the cap → accepted",
      async (door) => {
        const sent = upstreamCalls();
        const above = await request(door, { text: bodyFor(door, "é".repeat(MAX_REASON_LENGTH + 1)) });
        expectRefusal(door, above, "reason");
        expect(upstreamCalls()).toBe(sent);

        const atCap = await request(door, { text: bodyFor(door, `Ünïcode ok 😀 ${"é".repeat(480)}`) });
        expect(atCap.statusCode).toBe(200);
      },
    );
  });
});
